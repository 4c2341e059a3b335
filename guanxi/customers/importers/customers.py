"""The customers import kind: its fields (with the custom fields an admin defined), the
words its choice columns understand, its writer, what its undo restores, its export."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterator
from typing import Any, Final, NamedTuple

from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import gettext_noop

from guanxi.core import audit, regions
from guanxi.core.db.copy import fast_table, fast_update
from guanxi.core.errors import ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.core.text.keys import customer_search_keys, stored_name_key
from guanxi.core.text.pinyin import pinyin_keys
from guanxi.customers.conventions import (
    CREDIT_CODE_MESSAGES,
    REGION_FIELDS,
    clean_region,
    compact_credit_code,
    credit_code_problem,
)
from guanxi.customers.duplicates import scan
from guanxi.customers.duplicates.models import OWNER_REVIEW
from guanxi.customers.importers.base import (
    CUSTOMER_LABEL,
    CustomerRecordWriter,
    check_timeline_kind,
    may_import_records,
    timeline_row,
    write_timeline,
)
from guanxi.customers.importers.fields import CUSTOMERS, custom_fields, custom_key
from guanxi.customers.importers.matching import (
    CustomerKeys,
    FileKeyIndex,
    Match,
    customer_keys,
    find_customer_matches,
)
from guanxi.customers.models import (
    Customer,
    CustomerKind,
    Preference,
    Tag,
    TimelineEntry,
)
from guanxi.customers.timeline import TITLE_KEY, FieldLabels, TimelineText, timeline_add
from guanxi.imports.context import CREATE_ACTION, UPDATE_ACTION, ChunkResult, RunContext
from guanxi.imports.models import OnDuplicate
from guanxi.imports.registry import ImportKind, ImportUndo
from guanxi.imports.rows import CleanRow
from guanxi.imports.writers import audit_fields, create_changes, write_audit

# --- the writer -------------------------------------------------------------------------

# The customer fields an import row may set (model attribute names).
CUSTOMER_VALUE_FIELDS: Final[tuple[str, ...]] = (
    "kind",
    "name",
    "industry",
    "size",
    "province",
    "city",
    "district",
    "credit_code",
    "address",
    "source",
    "status",
    "since",
    "phone",
    "email",
    "website",
    "notes",
)


class CustomerWriter(CustomerRecordWriter):
    def warm(self) -> None:
        pinyin_keys("银行")  # loads the pinyin tables (before the worker forks: shared)

    def prepare(self, rows: list[CleanRow]) -> None:
        """The row's match keys, and the search keys its name and e-mail give a new
        customer (pinyin is the costliest step of an imported row)."""
        for r in rows:
            if r.ok:
                self._conventions(r)
            if r.ok:
                r.prepared = _prepared_customer(r.values)

    def _conventions(self, r: CleanRow) -> None:
        """The region column split into province/city/district and checked against GB/T
        2260, the 统一社会信用代码 checked — the rules of ``customers.conventions``."""
        values = r.values
        region = values.pop("region", None)
        if region:
            match = regions.parse(region)
            if match is None:
                r.reject(self.col("region"), region, "invalid_region")
                return
            for name, value in match.stored().items():
                if value and not values.get(name):
                    values[name] = value
        if any(values.get(name) for name in REGION_FIELDS):
            try:
                values.update(
                    clean_region(
                        values.get("province", ""), values.get("city", ""),
                        values.get("district", ""),
                    )
                )  # fmt: skip
            except ValidationFailed as exc:
                field = next(iter(exc.errors))
                r.reject(self.col(field), values.get(field, ""), f"unknown_{field}")
                return
        code = compact_credit_code(values.get("credit_code", ""))
        problem = credit_code_problem(code, kind=values.get("kind") or CustomerKind.ENTERPRISE)
        if problem is not None:
            r.reject(self.col("credit_code"), values["credit_code"], f"credit_code_{problem}")
        elif code:
            values["credit_code"] = code

    def write(self, rows: list[CleanRow]) -> ChunkResult:
        ctx, result = self.ctx, ChunkResult()
        mode = ctx.on_duplicate
        self._today = timezone.localdate()
        for r in rows:
            if r.prepared is None:
                r.prepared = _prepared_customer(r.values)
        keys = [r.prepared.keys for r in rows]
        matches = find_customer_matches(keys) if mode != OnDuplicate.CREATE else {}
        existing, visible = self._matched_customers(matches, full=mode == OnDuplicate.UPDATE)
        index = FileKeyIndex()
        creates: list[dict[str, Any]] = []
        create_rows: list[CleanRow] = []
        #: (index in ``creates``, existing customer id, reason bits, score): pairs for review
        reviews: list[tuple[int, int, int, int]] = []
        befores: dict[int, tuple[dict[str, Any], list[str]]] = {}
        by_labels = {"phone": _("电话"), "email": _("邮箱"), "name": _("名称")}
        for i, r in enumerate(rows):
            k = keys[i]
            m = matches.get(i)
            target: int | None = None
            by = ""
            review: tuple[int, int, int] | None = None
            if m is not None and m.customer_id in existing:
                review = self._review(r, existing[m.customer_id], visible)
                if review is None:
                    target, by = m.customer_id, m.by
            elif mode != OnDuplicate.CREATE:
                hit = index.find(k)
                if hit is not None:
                    target, by = hit
            if target is None:
                row = self._new_row(r, result)
                if row is None:
                    continue
                creates.append(row)
                create_rows.append(r)
                index.add(k, -len(creates))
                if review is not None:
                    reviews.append((len(creates) - 1, *review))
                result.mark(r, "create")
            elif mode == OnDuplicate.SKIP:
                index.add(k, target)
                result.mark(r, "skip")
            elif target < 0:
                changed = self._merge_into_new(creates[-target - 1], r, result)
                if changed is not None:
                    result.mark(r, "update" if changed else "unchanged")
            else:
                customer = existing[target]
                if not self.can_change(customer):
                    result.fail(
                        r,
                        self.col(by if by != "name" else "name"),
                        "",
                        "duplicate_forbidden",
                        key=by_labels[by],
                    )
                    continue
                index.add(k, target)
                changed = self._apply_update(customer, r, result, befores)
                if changed is not None:
                    result.mark(r, "update" if changed else "unchanged")
        if creates:
            ids = self._insert(creates, create_rows, result)
            if reviews:
                scan.candidates_add([(ids[n], pk, mask, score) for n, pk, mask, score in reviews])
        if befores:
            self._save_updates(existing, befores, result)
        return result

    # -- matching --------------------------------------------------------------------
    def _matched_customers(
        self, matches: dict[int, Match], *, full: bool
    ) -> tuple[dict[int, Customer], set[int]]:
        """The matched customers (``full``: every field and the tags, to be updated) and the
        ids of those the uploader may see (one scoped query)."""
        if not matches:
            return {}, set()
        qs = Customer.objects.filter(pk__in={m.customer_id for m in matches.values()})
        if full:
            qs = qs.prefetch_related("tags")
        else:
            qs = qs.only("id", "name", "kind", "phone_key", "email", "owner_id", "team_id")
        existing = {c.pk: c for c in qs}
        return existing, self.visible_ids(existing)

    def _review(
        self, r: CleanRow, customer: Customer, visible: set[int]
    ) -> tuple[int, int, int] | None:
        """``None`` when the row is taken for ``customer``; otherwise the row is a new
        customer and (customer id, reason bits, score) the pair for duplicate review: when
        the uploader may not see ``customer`` (its match must look like none: the import is
        no oracle of others' customers) or when the pair scores below what is taken
        without review (a name shared while both phone and e-mail differ: the one scoring
        of ``duplicates.scan``)."""
        values = r.values
        row_keys = scan.match_keys(
            name=values["name"],
            phone_keys=[values.get("phone_key", "")],
            emails=[values.get("email", "")],
        )
        customer_keys_ = scan.match_keys(
            name=customer.name, phone_keys=[customer.phone_key], emails=[customer.email]
        )
        if customer.pk in visible and scan.same_customer(row_keys, customer_keys_):
            return None
        mask, score = scan.pair_score(row_keys, customer_keys_)
        if customer.pk not in visible:  # reviewed by whoever may see ``customer``
            mask |= OWNER_REVIEW
        return customer.pk, mask, score

    # -- creating --------------------------------------------------------------------
    def _owner(
        self, r: CleanRow, result: ChunkResult, current: int | None
    ) -> tuple[bool, int | None]:
        """(ok, owner id) for the row's owner column."""
        ctx = self.ctx
        owner = r.values.get("owner")
        if owner is None or owner == current:
            return True, current
        if owner != ctx.actor_id and not (self.can_assign_owner() and self.can_assign_to(owner)):
            result.fail(r, self.col("owner"), r.values.get("owner"), "owner_not_allowed")
            return False, None
        return True, owner

    def _new_row(self, r: CleanRow, result: ChunkResult) -> dict[str, Any] | None:
        ctx = self.ctx
        ok, owner_id = self._owner(r, result, ctx.actor_id)
        if not ok:
            return None
        values = r.values
        row = {name: values[name] for name in CUSTOMER_VALUE_FIELDS if name in values}
        row["owner_id"] = owner_id
        row["team_id"] = ctx.user_teams.get(owner_id) if owner_id else None
        row["phone_key"] = values.get("phone_key", "")
        row["created_by_id"] = ctx.actor_id
        if "since" not in row:
            row["since"] = self._today
        row["_tags"] = list(values.get("tags", ()))
        row["_prepared"] = r.prepared
        if self._custom_columns:
            row["custom_fields"] = _custom_values(values)
        return row

    @functools.cached_property
    def _custom_columns(self) -> bool:
        """Whether the file maps any custom field (most don't: no per-row work then)."""
        return any(custom_key(f.name) is not None for _i, _h, f, _p in self.cleaner.columns)

    def _merge_into_new(self, row: dict[str, Any], r: CleanRow, result: ChunkResult) -> bool | None:
        ok, owner_id = self._owner(r, result, row["owner_id"])
        if not ok:
            return None
        changed = False
        for name in _update_fields(row["name"], row["phone_key"], r.values):
            if row.get(name) != r.values[name]:
                row[name] = r.values[name]
                changed = True
        if "phone_key" in r.values and row.get("phone_key") != r.values["phone_key"]:
            row["phone_key"] = r.values["phone_key"]
        if owner_id != row["owner_id"]:
            row["owner_id"] = owner_id
            row["team_id"] = self.ctx.user_teams.get(owner_id) if owner_id else None
            changed = True
        new_tags = [t for t in r.values.get("tags", ()) if t not in row["_tags"]]
        if new_tags:
            row["_tags"].extend(new_tags)
            changed = True
        if self._custom_columns:
            merged = {**row.get("custom_fields", {}), **_custom_values(r.values)}
            if merged != row.get("custom_fields", {}):
                row["custom_fields"] = merged
                changed = True
        return changed

    def _insert(
        self, creates: list[dict[str, Any]], create_rows: list[CleanRow], result: ChunkResult
    ) -> list[int]:
        ctx = self.ctx
        for row in creates:
            name, email = row["name"], row.get("email", "")
            prepared = row.get("_prepared")
            if prepared is None or prepared.name != name or prepared.email != email:
                prepared = _search_keys(name, email)  # a later row of the file changed them
            row["name_pinyin"] = prepared.name_pinyin
            row["name_initials"] = prepared.name_initials
            row["name_key"] = prepared.name_key
            row["search_text"] = prepared.search_text
        customers, audit_table, timeline_table = (
            fast_table(Customer),
            fast_table(AuditEntry),
            fast_table(TimelineEntry),
        )
        n = len(creates)
        ids = customers.allocate_ids(n)
        audit_ids, timeline_ids = audit_table.allocate_ids(n), timeline_table.allocate_ids(n)
        audited = audit_fields(Customer)
        # the timeline title, rendered once per chunk: "导入客户 %(name)s" in the importer's
        # language, and its message id for the reader's (``timeline.TimelineText``)
        msgid = gettext_noop("导入客户 %(name)s")
        title = _(msgid)
        encode = json.JSONEncoder(ensure_ascii=False).encode
        now = ctx.now

        def audits() -> Iterator[dict[str, Any]]:
            for pk, row in zip(ids, creates, strict=True):
                changes = create_changes(row, audited)
                if row["_tags"]:
                    changes["tags"] = [None, row["_tags"]]
                yield ctx.audit_row(
                    action=CREATE_ACTION,
                    model=CUSTOMER_LABEL,
                    object_id=pk,
                    object_repr=row["name"],
                    customer_id=pk,
                    changes=changes,
                )

        check_timeline_kind("customer")
        actor_id = ctx.actor_id

        def entries() -> Iterator[dict[str, Any]]:
            # ``_timeline_row`` unrolled: this runs for every created customer
            for pk, row in zip(ids, creates, strict=True):
                params = {"name": row["name"]}
                yield {
                    "customer_id": pk,
                    "kind": "customer",
                    "occurred_at": now,
                    "title": (title % params)[:200],
                    "body": "",
                    "actor_id": actor_id,
                    "subject_model": CUSTOMER_LABEL,
                    "subject_id": str(pk),
                    "data": encode({TITLE_KEY: {"msgid": msgid, "params": params}}),
                }

        followers: list[list[tuple[Any, ...]]] = []

        def build_followers() -> None:
            # runs while PostgreSQL indexes the customers (about 60 % of a created row's
            # database time): their audit and timeline rows are ready when it is done
            followers.append(list(audit_table.tuples(audits(), audit_ids)))
            followers.append(list(timeline_table.tuples(entries(), timeline_ids)))

        customers.insert(creates, ids, while_writing=build_followers)
        result.add_created(CUSTOMER_LABEL, ids)
        audit_table.write_tuples(followers[0])
        timeline_table.write_tuples(followers[1])
        # after those: it may create tags, audited, and SQLite's ids above are only free
        # until the next audit row (``FastTable.allocate_ids``)
        self._link_tags(ids, [row["_tags"] for row in creates])
        return ids

    def _link_tags(self, ids: list[int], tag_lists: list[list[str]]) -> int:
        names = sorted({t for tags in tag_lists for t in tags})
        if not names:
            return 0
        tags = _tags_by_name(self.ctx, names)
        through = Customer.tags.through
        links = [
            through(customer_id=pk, tag_id=tags[t].pk)
            for pk, tag_names in zip(ids, tag_lists, strict=True)
            for t in tag_names
        ]
        through.objects.bulk_create(links, batch_size=2000)
        return len(links)

    # -- updating --------------------------------------------------------------------
    def _apply_update(
        self,
        customer: Customer,
        r: CleanRow,
        result: ChunkResult,
        befores: dict[int, tuple[dict[str, Any], list[str]]],
    ) -> bool | None:
        ok, owner_id = self._owner(r, result, customer.owner_id)
        if not ok:
            return None
        if customer.pk not in befores:
            befores[customer.pk] = (
                audit.snapshot(customer),
                sorted(t.name for t in customer.tags.all()),
            )
            customer._import_tags = list(befores[customer.pk][1])  # type: ignore[attr-defined]
        changed = False
        for name in _update_fields(customer.name, customer.phone_key, r.values):
            if getattr(customer, name) != r.values[name]:
                setattr(customer, name, r.values[name])
                changed = True
        if owner_id != customer.owner_id:
            customer.owner_id = owner_id
            customer.team_id = self.ctx.user_teams.get(owner_id) if owner_id else None
            changed = True
        tags: list[str] = customer._import_tags  # type: ignore[attr-defined]
        new_tags = [t for t in r.values.get("tags", ()) if t not in tags]
        if new_tags:
            tags.extend(new_tags)
            changed = True
        if self._custom_columns:
            current = customer.custom_fields if isinstance(customer.custom_fields, dict) else {}
            merged = {**current, **_custom_values(r.values)}  # a new dict: the snapshot keeps
            if merged != current:  # the old one for the audit
                customer.custom_fields = merged
                changed = True
        return changed

    def _save_updates(
        self,
        existing: dict[int, Customer],
        befores: dict[int, tuple[dict[str, Any], list[str]]],
        result: ChunkResult,
    ) -> None:
        from guanxi.customers.services import refresh_customer_keys

        ctx = self.ctx
        dirty: list[Customer] = []
        fields: set[str] = set()
        audits, entries = [], []
        tag_changes: dict[int, tuple[list[str], list[str]]] = {}
        for pk, (before, before_tags) in befores.items():
            customer = existing[pk]
            try:
                refresh_customer_keys(customer)
            except ValidationFailed:  # a malformed phone stored before this import
                customer.phone_key = ""
            after = audit.snapshot(customer, before.keys())
            changes = audit.diff(before, after)
            after_tags = sorted(customer._import_tags)  # type: ignore[attr-defined]
            if after_tags != before_tags:
                changes["tags"] = [before_tags, after_tags]
                tag_changes[pk] = (before_tags, after_tags)
            if not changes:
                continue
            customer.version += 1
            customer.updated_at = ctx.now
            dirty.append(customer)
            fields.update(k for k in changes if k != "tags")
            result.updated.append(
                [
                    CUSTOMER_LABEL,
                    pk,
                    {k: v[0] for k, v in changes.items()},
                    {k: v[1] for k, v in changes.items()},
                ]
            )
            audits.append(
                ctx.audit_row(
                    action=UPDATE_ACTION,
                    model=CUSTOMER_LABEL,
                    object_id=pk,
                    object_repr=str(customer),
                    customer_id=pk,
                    changes=changes,
                )
            )
            entries.append(
                timeline_row(
                    ctx,
                    customer_id=pk,
                    kind="change",
                    occurred_at=ctx.now,
                    title=TimelineText(
                        gettext_noop("导入修改了 %(fields)s"),
                        {"fields": FieldLabels.of(Customer, changes)},
                    ),
                    subject_model=CUSTOMER_LABEL,
                    subject_id=pk,
                    data={"changes": changes},
                )
            )
        if dirty:
            derived = {
                "search_text",
                "name_pinyin",
                "name_initials",
                "name_key",
                "phone_key",
                "email",
            }
            fast_update(dirty, sorted(fields | derived | {"version", "updated_at"}))
        if tag_changes:
            names = sorted({t for _b, a in tag_changes.values() for t in a})
            tags = _tags_by_name(ctx, names)
            through = Customer.tags.through
            links = [
                through(customer_id=pk, tag_id=tags[t].pk)
                for pk, (before_tags, after_tags) in tag_changes.items()
                for t in after_tags
                if t not in before_tags
            ]
            through.objects.bulk_create(links, batch_size=2000)
        write_audit(audits)
        write_timeline(entries)


def _custom_values(values: dict[str, Any]) -> dict[str, Any]:
    """The row's custom fields, definition key → stored value (text, as the API stores)."""
    out = {}
    for name, value in values.items():
        key = custom_key(name)
        if key is not None:
            out[key] = value.isoformat() if isinstance(value, dt.date) else value
    return out


class _PreparedCustomer(NamedTuple):  # a tuple: crosses the worker's pipe cheaply
    keys: CustomerKeys
    name: str
    email: str
    name_pinyin: str
    name_initials: str
    name_key: str  # the column's, for every kind (``keys.name_key`` only when matched by name)
    search_text: str


def _search_keys(name: str, email: str) -> _PreparedCustomer:
    return _PreparedCustomer(CustomerKeys(), name, email, *customer_search_keys(name, email))


def _prepared_customer(values: dict[str, Any]) -> _PreparedCustomer:
    name, email = values["name"], values.get("email", "")
    match_name = values.get("kind") != CustomerKind.INDIVIDUAL
    keys = customer_keys(
        name=name,
        phone_key=values.get("phone_key", ""),
        email=email,
        match_name=match_name,
    )
    return _PreparedCustomer(keys, name, email, *customer_search_keys(name, email))


def _update_fields(current_name: str, current_phone_key: str, values: dict[str, Any]) -> list[str]:
    """The fields a duplicate row updates: those it has, except a name that is only
    another spelling of the current one (华为技术 for 华为技术有限公司) and a phone number
    written another way (139-0000-1111 for 13900001111)."""
    names = [n for n in CUSTOMER_VALUE_FIELDS if n in values]
    if "phone" in values and values.get("phone_key") == current_phone_key:
        names.remove("phone")
    if "name" in values:
        key = stored_name_key(values["name"])  # the key rows are matched by (華為 = 华为)
        if key and key == stored_name_key(current_name):
            names.remove("name")
    return names


def _tags_by_name(ctx: RunContext, names: list[str]) -> dict[str, Tag]:
    tags = {t.name: t for t in Tag.objects.filter(name__in=names)}
    for name in names:
        if name not in tags:
            tag = Tag.objects.create(name=name)
            audit.record(
                actor=ctx.actor, action=CREATE_ACTION, obj=tag, changes={"name": [None, name]}
            )
            tags[name] = tag
    return tags


# --- undo -------------------------------------------------------------------------------


def _without_preferences(qs: QuerySet[Any]) -> QuerySet[Any]:
    """Customers that have gained preferences since the import are kept (contacts, orders
    and communications are other import kinds' records: the engine keeps those itself)."""
    return qs.exclude(
        pk__in=Preference.objects.filter(customer_id__in=qs.values("pk")).values("customer_id")
    )


def _restore_tags(
    customer: Model, before: dict[str, Any], after: dict[str, Any]
) -> dict[str, list[Any]]:
    """The customer's tags as before the import, where they are still what it left."""
    if "tags" not in before or not isinstance(customer, Customer):
        return {}
    now_tags = sorted(customer.tags.values_list("name", flat=True))
    if now_tags != after.get("tags"):
        return {}
    customer.tags.set(Tag.objects.filter(name__in=before["tags"] or []))
    return {"tags": [after.get("tags"), before["tags"]]}


def _refresh_keys(customer: Model) -> None:
    from guanxi.customers.services import refresh_customer_keys

    assert isinstance(customer, Customer)
    refresh_customer_keys(customer)


def _restored(customer: Model, actor: Any) -> None:
    timeline_add(
        customer_id=customer.pk,
        kind="change",
        occurred_at=timezone.now(),
        title=TimelineText(gettext_noop("撤销导入，恢复了原来的资料")),
        actor=actor,
        subject=customer,
    )


# --- the kind ---------------------------------------------------------------------------

KIND: Final = ImportKind(
    key="customers",
    label=_lazy("客户"),
    spec=CUSTOMERS,
    writer=CustomerWriter,
    models=(Customer,),
    also_writes=(TimelineEntry,),
    may_import=may_import_records,
    extra_fields=custom_fields,
    undo=ImportUndo(
        removable=_without_preferences,
        restore_extra=_restore_tags,
        before_save=_refresh_keys,
        after_restore=_restored,
        customer_id=lambda customer: customer.pk,
    ),
    messages={
        "owner_not_allowed": _lazy(
            "只有经理或管理员可以指定其他客户经理，且只能指定其数据范围内的客户经理。"
        ),
        "duplicate_forbidden": _lazy("已有相同的客户（%(key)s 相同），但你无权修改它。"),
        "no_permission": _lazy("你无权导入客户。"),
        "invalid_region": _lazy("“%(value)s”不是可识别的地区（省份 城市 区县，如“浙江 杭州”）。"),
        "unknown_province": _lazy("未知的省份：%(value)s"),
        "unknown_city": _lazy("“%(value)s”不是该省份的城市（或城市重名，请同时填写省份）。"),
        "unknown_district": _lazy("“%(value)s”不是该城市的区县。"),
        **{f"credit_code_{key}": text for key, text in CREDIT_CODE_MESSAGES.items()},
    },
    order=10,
)
