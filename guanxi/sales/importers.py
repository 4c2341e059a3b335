"""What the sales app lets users import and export (``guanxi.imports.registry``): leads
(线索) — each row one lead, given an owner by the assignment rules unless the file names
one, checked against existing leads and customers (the importer's matcher) — and the list
of leads.

Duplicates: a row whose phone, e-mail or company name key is an open lead's (or an earlier
row's) updates that lead (``update``), is skipped (``skip``) or becomes a new lead marked
as a duplicate (``create``). A row that looks like an existing customer is imported with a
note saying so (``Lead.duplicate_note``), so the salesperson links it on conversion.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.core import audit
from guanxi.core.db.copy import fast_table
from guanxi.core.text.cleaning import CleaningError, normalize_phone
from guanxi.core.text.keys import stored_name_key
from guanxi.customers.importers.matching import customer_keys, find_customer_matches
from guanxi.customers.models import Customer
from guanxi.imports import registry
from guanxi.imports.columns import choice_column, field_column, time_column, user_column
from guanxi.imports.context import CREATE_ACTION, ChunkResult, RunContext
from guanxi.imports.fields import CHOICE, EMAIL, PHONE, TEXT, USER, FieldSpec, KindSpec
from guanxi.imports.models import OnDuplicate
from guanxi.imports.rows import CleanRow, RowCleaner
from guanxi.imports.writers import Writer, audit_fields, create_changes, save_simple_updates
from guanxi.imports.writers import write_audit as write_audit_rows
from guanxi.sales import selectors
from guanxi.sales.models import (
    AssignmentMethod,
    AssignmentRule,
    Lead,
    LeadSource,
    LeadStatus,
    Opportunity,
    OpportunityStatus,
)

LEAD_LABEL: Final = "sales.lead"
VALUE_FIELDS: Final = ("name", "company", "phone", "email", "region", "message", "source",
                       "status")  # fmt: skip

LEADS: Final = KindSpec(
    "leads",
    _("线索"),
    (
        FieldSpec("name", _("姓名"), TEXT, required=True, max_length=100,
                  aliases=("姓名", "联系人", "联系人姓名", "客户姓名", "name", "contact",
                           "contactname", "fullname")),
        FieldSpec("company", _("公司"), TEXT, max_length=200,
                  aliases=("公司", "公司名称", "单位", "单位名称", "企业名称", "客户名称",
                           "company", "companyname", "organization", "account")),
        FieldSpec("phone", _("电话"), PHONE,
                  aliases=("电话", "手机", "手机号", "联系电话", "phone", "mobile", "tel")),
        FieldSpec("email", _("邮箱"), EMAIL, aliases=("邮箱", "电子邮件", "email", "e-mail")),
        FieldSpec("region", _("地区"), TEXT, max_length=20,
                  aliases=("地区", "省份", "区域", "所在地区", "region", "province", "area")),
        FieldSpec("source", _("来源"), CHOICE, choices=LeadSource,
                  aliases=("来源", "线索来源", "source", "leadsource")),
        FieldSpec("status", _("状态"), CHOICE, choices=LeadStatus,
                  aliases=("状态", "线索状态", "status")),
        FieldSpec("owner", _("负责人"), USER,
                  aliases=("负责人", "销售", "跟进人", "业务员", "owner", "salesrep")),
        FieldSpec("message", _("留言"), TEXT, max_length=2000,
                  aliases=("留言", "备注", "需求", "说明", "message", "note", "notes")),
    ),
)  # fmt: skip


def may_import_leads(actor: Any) -> bool:
    """Whoever may enter leads (``lead_create``): the roles that hold customers."""
    return permissions.can_create_customer(actor)


def _keys(values: Mapping[str, Any]) -> list[str]:
    """The duplicate keys of a lead: its phone, e-mail and company name key."""
    out = []
    if values.get("phone_key"):
        out.append("p:" + values["phone_key"])
    if values.get("email"):
        out.append("e:" + values["email"])
    if values.get("company_key"):
        out.append("n:" + values["company_key"])
    return out


class Assigner:
    """The assignment rules (``services.leads.assign_owner``) over a chunk of leads: the
    rules locked and their members read once, turns and loads kept in memory so the
    chunk's leads take turns as leads entered one by one would."""

    def __init__(self) -> None:
        self.rules = list(
            AssignmentRule.objects.select_for_update().filter(active=True).order_by("order", "id")
        )
        self.members: dict[int, list[User]] = {}
        for rule in self.rules:
            self.members[rule.pk] = list(
                User.objects.filter(team_id=rule.team_id, is_active=True)
                .filter(role__in=["account_manager", "manager"])
                .order_by("id")
            )
        self.loads: dict[int, int] | None = None
        self.dirty: dict[int, AssignmentRule] = {}

    def _load(self) -> dict[int, int]:
        if self.loads is None:
            ids = sorted({m.pk for members in self.members.values() for m in members})
            leads = dict(
                Lead.objects.filter(owner_id__in=ids,
                                    status__in=[LeadStatus.NEW, LeadStatus.WORKING])
                .values("owner_id").annotate(n=Count("id")).values_list("owner_id", "n")
            )  # fmt: skip
            opps = dict(
                Opportunity.objects.filter(owner_id__in=ids, status=OpportunityStatus.OPEN)
                .values("owner_id").annotate(n=Count("id")).values_list("owner_id", "n")
            )  # fmt: skip
            self.loads = {pk: leads.get(pk, 0) + opps.get(pk, 0) for pk in ids}
        return self.loads

    def assign(self, region: str) -> User | None:
        for rule in self.rules:
            if rule.method == AssignmentMethod.REGION and region not in (rule.regions or []):
                continue
            members = self.members[rule.pk]
            if not members:
                continue
            if rule.method == AssignmentMethod.LOAD:
                loads = self._load()
                owner = min(members, key=lambda m: (loads.get(m.pk, 0), m.pk))
            else:
                last = rule.last_assigned_id
                later = [m for m in members if last is not None and m.pk > last]
                owner = later[0] if later else members[0]
            if self.loads is not None:
                self.loads[owner.pk] = self.loads.get(owner.pk, 0) + 1
            rule.last_assigned_id = owner.pk
            self.dirty[rule.pk] = rule
            return owner
        return None

    def save(self) -> None:
        for rule in self.dirty.values():
            rule.save(update_fields=["last_assigned"])


class LeadWriter(Writer):
    def __init__(self, ctx: RunContext, cleaner: RowCleaner) -> None:
        super().__init__(ctx, cleaner)
        self.users: dict[int, User] = {}

    def _owner_allowed(self, owner_id: int) -> bool:
        actor = self.ctx.actor
        if actor is None or owner_id == actor.pk:
            return True
        return permissions.can_assign_owner_to(
            actor, owner_id=owner_id, team_id=self.ctx.user_teams.get(owner_id)
        )

    def _may_change(self, lead: Lead) -> bool:
        actor = self.ctx.actor
        return actor is None or permissions.can_change_record(
            actor, owner_id=lead.owner_id, team_id=lead.team_id
        )

    def _customer_notes(self, rows: list[CleanRow]) -> dict[int, str]:
        """Row → the note of the existing customer it looks like (named when the uploader
        may see that customer)."""
        keys = [
            customer_keys(
                name=r.values.get("company") or r.values.get("name", ""),
                phone_key=r.values.get("phone_key", ""),
                email=r.values.get("email", ""),
            )
            for r in rows
        ]
        matches = find_customer_matches(keys, include_contacts=True)
        ids = {m.customer_id for m in matches.values()}
        customers = {
            c.pk: c
            for c in Customer.objects.filter(pk__in=ids).only("id", "name", "owner_id", "team_id")
        }
        actor = self.ctx.actor
        out = {}
        for i, r in enumerate(rows):
            m = matches.get(i)
            customer = customers.get(m.customer_id) if m else None
            if customer is None:
                continue
            if actor is None or permissions.can_read_customer(actor, customer):
                out[r.row] = gettext("疑似已有客户：%(name)s") % {"name": customer.name}
            else:
                out[r.row] = gettext("疑似已有客户（不在你的数据范围内）")
        return out

    def write(self, rows: list[CleanRow]) -> ChunkResult:
        ctx, result = self.ctx, ChunkResult()
        mode = ctx.on_duplicate
        for r in rows:
            v = r.values
            v["phone_key"] = v.get("phone_key", "").split(";", 1)[0][:32]
            v["company_key"] = stored_name_key(v["company"]) if v.get("company") else ""
        good = []
        for r in rows:
            if r.values.get("status") == LeadStatus.CONVERTED:
                result.fail(r, self.col("status"), r.values["status"], "lead_status_converted")
            elif r.values.get("owner") and not self._owner_allowed(r.values["owner"]):
                result.fail(r, self.col("owner"), r.values["owner"], "lead_owner_forbidden")
            else:
                good.append(r)
        rows = good
        # Open leads sharing a key with a row (one query over the three indexed keys).
        phones = {r.values["phone_key"] for r in rows if r.values["phone_key"]}
        emails = {r.values["email"] for r in rows if r.values.get("email")}
        names = {r.values["company_key"] for r in rows if r.values["company_key"]}
        known: dict[str, Lead | int] = {}
        if phones or emails or names:
            match = Q(phone_key__in=phones) | Q(email__in=emails) | Q(company_key__in=names)
            for lead in (
                Lead.objects.filter(match).exclude(status=LeadStatus.CONVERTED).order_by("id")
            ):
                for key in _keys({"phone_key": lead.phone_key, "email": lead.email,
                                  "company_key": lead.company_key}):  # fmt: skip
                    known.setdefault(key, lead)
        notes = self._customer_notes(rows)
        assigner: Assigner | None = None
        creates: list[dict[str, Any]] = []
        befores: dict[int, dict[str, Any]] = {}
        objects: dict[int, Lead] = {}
        for r in rows:
            v = r.values
            keys = _keys(v)
            hit = next((known[k] for k in keys if k in known), None)
            if hit is not None and mode == OnDuplicate.SKIP:
                result.mark(r, "skip")
                continue
            if isinstance(hit, Lead) and mode == OnDuplicate.UPDATE:
                if not self._may_change(hit):
                    result.fail(r, self.col("name"), v["name"], "lead_forbidden")
                    continue
                if hit.pk not in befores:
                    befores[hit.pk], objects[hit.pk] = audit.snapshot(hit), hit
                changed = False
                for n in (*VALUE_FIELDS, "phone_key", "company_key"):
                    if n in v and v[n] != "" and getattr(hit, n) != v[n]:
                        setattr(hit, n, v[n])
                        changed = changed or n in VALUE_FIELDS
                result.mark(r, "update" if changed else "unchanged")
                continue
            if isinstance(hit, int) and mode == OnDuplicate.UPDATE:
                row = creates[-hit - 1]  # an earlier row of this file: merge into it
                changed = False
                for n in (*VALUE_FIELDS, "phone_key", "company_key"):
                    if v.get(n) and row.get(n) != v[n]:
                        row[n], changed = v[n], True
                result.mark(r, "update" if changed else "unchanged")
                continue
            row = {n: v.get(n, "") for n in ("name", "company", "phone", "email", "region",
                                              "message", "phone_key", "company_key")}  # fmt: skip
            row["source"] = v.get("source") or LeadSource.IMPORT
            row["status"] = v.get("status") or LeadStatus.NEW
            row["qualification"] = {}
            row["created_by_id"] = ctx.actor_id
            note = notes.get(r.row, "")
            if hit is not None:
                other = (
                    gettext("与已有线索重复")
                    if isinstance(hit, Lead)
                    else gettext("与文件中前面的行重复")
                )
                note = f"{note}；{other}" if note else other
            row["duplicate_note"] = note[:200]
            owner_id = v.get("owner")
            if owner_id is None:
                if assigner is None:
                    assigner = Assigner()
                owner = assigner.assign(row["region"])
                if owner is not None:
                    row["owner_id"], row["team_id"] = owner.pk, owner.team_id
                elif ctx.is_user:
                    row["owner_id"], row["team_id"] = ctx.actor_id, ctx.actor.team_id
            else:
                row["owner_id"], row["team_id"] = owner_id, ctx.user_teams.get(owner_id)
            creates.append(row)
            for k in keys:
                known.setdefault(k, -len(creates))
            result.mark(r, "create")
        if assigner is not None:
            assigner.save()
        if creates:
            ids = fast_table(Lead).insert(creates)
            result.add_created(LEAD_LABEL, ids)
            names_ = audit_fields(Lead)
            write_audit_rows(
                [
                    ctx.audit_row(
                        action=CREATE_ACTION, model=LEAD_LABEL, object_id=pk,
                        object_repr=f"{row['name']}（{row['company']}）" if row["company"]
                        else row["name"],
                        customer_id=None, changes=create_changes(row, names_),
                    )
                    for pk, row in zip(ids, creates, strict=True)
                ]
            )  # fmt: skip
        if befores:
            save_simple_updates(ctx, Lead, objects, befores, result)
        return result


def _lead_keys(obj: Any) -> None:
    """A restored lead's derived keys (undo of an update)."""
    try:
        obj.phone_key = normalize_phone(obj.phone)[:32] if obj.phone else ""
    except CleaningError:
        obj.phone_key = ""
    obj.company_key = stored_name_key(obj.company) if obj.company else ""


KIND: Final = registry.ImportKind(
    key="leads",
    label=_("线索"),
    spec=LEADS,
    writer=LeadWriter,
    models=(Lead,),
    may_import=may_import_leads,
    undo=registry.ImportUndo(before_save=_lead_keys, customer_id=lambda _obj: None),
    messages={
        "lead_status_converted": _("导入的线索不能是“已转化”状态。"),
        "lead_owner_forbidden": _("只能分配给你的数据范围内的销售人员。"),
        "lead_forbidden": _("与你无权修改的线索重复：%(value)s。"),
    },
    order=40,
)

# --- export -----------------------------------------------------------------------------

COLUMNS: Final = (
    field_column("name", _("姓名")),
    field_column("company", _("公司")),
    field_column("phone", _("电话")),
    field_column("email", _("邮箱")),
    field_column("region", _("地区")),
    choice_column(Lead, "source", _("来源")),
    choice_column(Lead, "status", _("状态")),
    user_column("owner", _("负责人")),
    field_column("message", _("留言")),
    field_column("duplicate_note", _("查重提示")),
    time_column("created_at", _("创建时间")),
)


def _leads(actor: Any, params: Mapping[str, Any]) -> QuerySet[Any]:
    """The leads the leads list shows for the same filters (status, q)."""
    return selectors.lead_list(
        actor=actor, status=str(params.get("status") or "")[:20], q=str(params.get("q") or "")
    )


EXPORT: Final = registry.ExportList(
    key="leads",
    label=_("线索"),
    queryset=_leads,
    columns=COLUMNS,
    filters="the leads list's filters (status, q)",
    order=40,
    list_url="sales:leads",
)

registry.register_kind(KIND)
registry.register_export(EXPORT)

# The forecast export (SPEC B3), in a module of its own.
from guanxi.sales import exports_forecast  # noqa: E402, F401
