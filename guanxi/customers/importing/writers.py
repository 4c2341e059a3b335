"""Writing one chunk of clean rows: one writer per import kind.

A writer decides for each row: create, update (the row duplicates an existing record or an
earlier row of the file), skip, or fail (with the reason); then writes the chunk in bulk
with its audit rows and timeline entries. It runs inside the chunk's transaction (see
``pipeline``) and returns what it did for the ledger.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import unicodedata
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, ClassVar, Final, NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.core import audit
from guanxi.core.errors import ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.core.search import pinyin_keys, search_text
from guanxi.customers.importing.bulk import fast_table, fast_update
from guanxi.customers.importing.context import (
    CREATE_ACTION,
    UPDATE_ACTION,
    ChunkResult,
    RunContext,
)
from guanxi.customers.importing.fields import custom_key
from guanxi.customers.importing.matching import (
    CustomerKeys,
    FileKeyIndex,
    customer_keys,
    find_customer_matches,
)
from guanxi.customers.importing.rows import CleanRow, RowCleaner
from guanxi.customers.keys import stored_name_key
from guanxi.customers.models import (
    Communication,
    Contact,
    Customer,
    CustomerKind,
    ImportKind,
    OnDuplicate,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Tag,
    TimelineEntry,
)
from guanxi.customers.timeline import (
    TITLE_KEY,
    ChoiceLabel,
    FieldLabels,
    TimelineText,
    kind_info,
)

MAX_AMOUNT = Decimal("999999999999.99")
CENT = Decimal("0.01")

CUSTOMER_LABEL = "customers.customer"
CONTACT_LABEL = "customers.contact"
ORDER_LABEL = "customers.order"
COMMUNICATION_LABEL = "customers.communication"

# The customer fields an import row may set (model attribute names).
CUSTOMER_VALUE_FIELDS = (
    "kind",
    "name",
    "industry",
    "size",
    "province",
    "city",
    "address",
    "source",
    "status",
    "since",
    "phone",
    "email",
    "website",
    "notes",
)
CONTACT_VALUE_FIELDS = (
    "name",
    "title",
    "mobile",
    "phone",
    "email",
    "wechat",
    "birthday",
    "preferred_channel",
    "consent_marketing",
    "is_primary",
    "notes",
)
COMMUNICATION_UPDATE_FIELDS = (
    "direction",
    "next_follow_up",
    "follow_up_done",
    "staff_id",
    "contact_id",
)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


_EMPTY: Final = (None, "", [], {})
_PLAIN_TYPES: Final = (Decimal, dt.date)  # dt.datetime is a dt.date


def _create_changes(row: dict[str, Any], names: Sequence[str]) -> dict[str, list[Any]]:
    """``audit_create``'s changes: every non-empty field as ``[None, value]``."""
    get = row.get
    out = {name: [None, value] for name in names if (value := get(name)) not in _EMPTY}
    for pair in out.values():
        if isinstance(pair[1], _PLAIN_TYPES):
            pair[1] = _plain(pair[1])
    return out


def _timeline_row(
    ctx: RunContext,
    *,
    customer_id: int,
    kind: str,
    occurred_at: dt.datetime,
    title: TimelineText,
    subject_model: str,
    subject_id: int,
    body: str = "",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``TimelineEntry`` as a plain row, as ``timeline.timeline_entry`` builds it: the
    title rendered in the importer's language and, in ``data``, its message id and
    parameters, so each reader sees it in their own."""
    _check_kind(kind)
    return {
        "customer_id": customer_id,
        "kind": kind,
        "occurred_at": occurred_at,
        "title": title.render()[:200],
        "body": body,
        "actor_id": ctx.actor_id,
        "subject_model": subject_model,
        "subject_id": str(subject_id),
        "data": {**(data or {}), TITLE_KEY: title.encode()},
    }


@functools.cache
def _check_kind(kind: str) -> None:
    """Registered kinds only (once per kind: comparing the lazy label translates it)."""
    if kind_info(kind).label == kind:
        raise ValueError(f"unregistered timeline kind {kind!r}")


def _write_audit(rows: list[dict[str, Any]]) -> None:
    fast_table(AuditEntry).insert(rows)


def _write_timeline(rows: list[dict[str, Any]]) -> None:
    fast_table(TimelineEntry).insert(rows)


class Writer:
    kind: ClassVar[str]

    def __init__(self, ctx: RunContext, cleaner: RowCleaner) -> None:
        self.ctx = ctx
        self.cleaner = cleaner

    def col(self, name: str) -> str:
        return self.cleaner.header_of(name)

    def write(self, rows: list[CleanRow]) -> ChunkResult:
        raise NotImplementedError

    def warm(self) -> None:
        """Load what ``prepare`` and ``write`` need, once (before the worker forks)."""

    def prepare(self, rows: list[CleanRow]) -> None:
        """Per-row work that needs no database, done before ``write`` (in the import's
        worker process when there is one): stored in ``CleanRow.prepared``."""

    # -- shared: rows that name an existing customer ----------------------------------
    def resolve_customers(
        self, rows: list[CleanRow], result: ChunkResult, *, for_communication: bool = False
    ) -> dict[int, Customer]:
        """Row number → the customer the row names (by name or phone), for the rows whose
        customer exists and may be changed by the actor; other rows fail."""
        keys = [
            customer_keys(
                name=r.values.get("customer", ""), phone_key=r.values.get("customer_phone_key", "")
            )
            for r in rows
        ]
        matches = find_customer_matches(keys, include_contacts=True)
        ids = {m.customer_id for m in matches.values()}
        customers = {
            c.pk: c
            for c in Customer.objects.filter(pk__in=ids).only("id", "name", "owner_id", "team_id")
        }
        out: dict[int, Customer] = {}
        allowed: dict[int, bool] = {}
        for i, r in enumerate(rows):
            ref = r.values.get("customer") or r.values.get("customer_phone", "")
            column = (
                self.col("customer") if r.values.get("customer") else self.col("customer_phone")
            )
            m = matches.get(i)
            customer = customers.get(m.customer_id) if m else None
            if customer is None:
                result.fail(r, column, ref, "customer_not_found")
                continue
            if customer.pk not in allowed:
                allowed[customer.pk] = (
                    self.ctx.can_log_communication(customer)
                    if for_communication
                    else self.ctx.can_change(customer)
                )
            if not allowed[customer.pk]:
                code = "customer_forbidden" if self.ctx.can_see(customer) else "customer_not_found"
                result.fail(r, column, ref, code)
                continue
            out[r.row] = customer
        return out


# --- customers --------------------------------------------------------------------------


class CustomerWriter(Writer):
    kind = ImportKind.CUSTOMERS

    def warm(self) -> None:
        pinyin_keys("银行")  # loads the pinyin tables (before the worker forks: shared)

    def prepare(self, rows: list[CleanRow]) -> None:
        """The row's match keys, and the search keys its name and e-mail give a new
        customer (pinyin is the costliest step of an imported row)."""
        for r in rows:
            if r.ok:
                r.prepared = _prepared_customer(r.values)

    def write(self, rows: list[CleanRow]) -> ChunkResult:
        ctx, result = self.ctx, ChunkResult()
        mode = ctx.on_duplicate
        self._today = timezone.localdate()
        for r in rows:
            if r.prepared is None:
                r.prepared = _prepared_customer(r.values)
        keys = [r.prepared.keys for r in rows]
        matches = find_customer_matches(keys) if mode != OnDuplicate.CREATE else {}
        existing: dict[int, Customer] = {}
        if mode == OnDuplicate.UPDATE and matches:
            existing = {
                c.pk: c
                for c in Customer.objects.filter(
                    pk__in={m.customer_id for m in matches.values()}
                ).prefetch_related("tags")
            }
        index = FileKeyIndex()
        creates: list[dict[str, Any]] = []
        create_rows: list[CleanRow] = []
        befores: dict[int, tuple[dict[str, Any], list[str]]] = {}
        by_labels = {"phone": _("电话"), "email": _("邮箱"), "name": _("名称")}
        for i, r in enumerate(rows):
            k = keys[i]
            m = matches.get(i)
            target: int | None = None
            by = ""
            if m is not None:
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
                if not ctx.can_change(customer):
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
            self._insert(creates, create_rows, result)
        if befores:
            self._save_updates(existing, befores, result)
        return result

    # -- creating --------------------------------------------------------------------
    def _owner(
        self, r: CleanRow, result: ChunkResult, current: int | None
    ) -> tuple[bool, int | None]:
        """(ok, owner id) for the row's owner column."""
        ctx = self.ctx
        owner = r.values.get("owner")
        if owner is None or owner == current:
            return True, current
        if owner != ctx.actor_id and not ctx.can_assign_owner():
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
    ) -> None:
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
        audit_fields = _customer_audit_fields()
        # the timeline title, rendered once per chunk: "导入客户 %(name)s" in the importer's
        # language, and its message id for the reader's (``timeline.TimelineText``)
        msgid = gettext_noop("导入客户 %(name)s")
        title = _(msgid)
        encode = json.JSONEncoder(ensure_ascii=False).encode
        now = ctx.now

        def audits() -> Iterator[dict[str, Any]]:
            for pk, row in zip(ids, creates, strict=True):
                changes = _create_changes(row, audit_fields)
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

        _check_kind("customer")
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
                _timeline_row(
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
        _write_audit(audits)
        _write_timeline(entries)


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
    pinyin, initials = pinyin_keys(name)
    return _PreparedCustomer(
        CustomerKeys(),
        name,
        email,
        pinyin[:200],
        initials[:100],
        stored_name_key(name),
        customer_search_text(name, email, pinyin, initials),
    )


def _prepared_customer(values: dict[str, Any]) -> _PreparedCustomer:
    name, email = values["name"], values.get("email", "")
    match_name = values.get("kind") != CustomerKind.INDIVIDUAL
    keys = customer_keys(
        name=name,
        phone_key=values.get("phone_key", ""),
        email=email,
        match_name=match_name,
    )
    pinyin, initials = pinyin_keys(name)
    return _PreparedCustomer(
        keys,
        name,
        email,
        pinyin[:200],
        initials[:100],
        keys.name_key if match_name else stored_name_key(name),
        customer_search_text(name, email, pinyin, initials),
    )


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


def customer_search_text(name: str, email: str, pinyin: str, initials: str) -> str:
    """``guanxi.core.search.search_text(name, email)`` with the name's pinyin already
    computed (pinyin is the costliest step of an imported row; this halves it).
    ``test_import_speedups`` keeps the two equal."""
    pieces: list[str] = []
    lowered = unicodedata.normalize("NFKC", name).lower().strip()
    if name:
        pieces.append(lowered)
        if pinyin and pinyin != lowered:
            pieces.append(pinyin)
            if initials != pinyin:
                pieces.append(initials)
    if email:
        rest = search_text(email)
        if rest:
            pieces.append(rest)
    return " ".join(pieces)[:1000]


@functools.cache
def _customer_audit_fields() -> list[str]:
    return [
        f.attname
        for f in Customer._meta.concrete_fields
        if f.name not in audit.SKIPPED_FIELDS and not f.primary_key
    ]


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


# --- contacts ---------------------------------------------------------------------------


def _contact_keys(values: dict[str, Any]) -> list[str]:
    keys = []
    for name in ("mobile_key", "phone_key"):
        if values.get(name):
            keys.append("p:" + values[name].split(";", 1)[0])
    if values.get("email"):
        keys.append("e:" + values["email"])
    if not keys and values.get("name"):
        keys.append("n:" + values["name"].casefold())
    return keys


class ContactWriter(Writer):
    kind = ImportKind.CONTACTS

    def write(self, rows: list[CleanRow]) -> ChunkResult:
        ctx, result = self.ctx, ChunkResult()
        mode = ctx.on_duplicate
        customers = self.resolve_customers(rows, result)
        rows = [r for r in rows if r.row in customers]
        # Existing contacts of these customers, by key: a contact is the same person when a
        # phone or the e-mail matches, or (without those) the name.
        known: dict[tuple[int, str], Contact | int] = {}
        if mode != OnDuplicate.CREATE:
            for contact in Contact.objects.filter(
                customer_id__in={c.pk for c in customers.values()}
            ):
                for key in _contact_keys(
                    {
                        "mobile_key": contact.mobile_key,
                        "phone_key": contact.phone_key,
                        "email": contact.email,
                        "name": contact.name,
                    }
                ):
                    known.setdefault((contact.customer_id, key), contact)
                known.setdefault((contact.customer_id, "n:" + contact.name.casefold()), contact)
        creates: list[dict[str, Any]] = []
        befores: dict[int, dict[str, Any]] = {}
        contacts_by_id: dict[int, Contact] = {}
        for r in rows:
            customer = customers[r.row]
            keys = [(customer.pk, k) for k in _contact_keys(r.values)]
            hit = next((known[k] for k in keys if k in known), None)
            if hit is None:
                row = {n: r.values[n] for n in CONTACT_VALUE_FIELDS if n in r.values}
                row["customer_id"] = customer.pk
                row["phone_key"] = r.values.get("phone_key", "")
                row["mobile_key"] = r.values.get("mobile_key", "")
                if "consent_marketing" in r.values:
                    row["consent_updated_at"] = ctx.now
                row["_customer_name"] = customer.name
                creates.append(row)
                for k in keys:
                    known.setdefault(k, -len(creates))
                result.mark(r, "create")
            elif mode == OnDuplicate.SKIP:
                result.mark(r, "skip")
            elif isinstance(hit, int):
                row = creates[-hit - 1]
                changed = False
                for n in CONTACT_VALUE_FIELDS:
                    if n in r.values and row.get(n) != r.values[n]:
                        row[n] = r.values[n]
                        changed = True
                for n in ("phone_key", "mobile_key"):
                    if n in r.values:
                        row[n] = r.values[n]
                result.mark(r, "update" if changed else "unchanged")
            else:
                contact = hit
                if contact.pk not in befores:
                    befores[contact.pk] = audit.snapshot(contact)
                    contacts_by_id[contact.pk] = contact
                changed = False
                for n in CONTACT_VALUE_FIELDS:
                    if n in r.values and getattr(contact, n) != r.values[n]:
                        setattr(contact, n, r.values[n])
                        changed = True
                for n in ("phone_key", "mobile_key"):
                    if n in r.values:
                        setattr(contact, n, r.values[n])
                if (
                    changed
                    and "consent_marketing" in r.values
                    and (befores[contact.pk]["consent_marketing"] != contact.consent_marketing)
                ):
                    contact.consent_updated_at = ctx.now
                for k in keys:
                    known.setdefault(k, contact)
                result.mark(r, "update" if changed else "unchanged")
        if creates:
            ids = fast_table(Contact).insert(creates)
            result.add_created(CONTACT_LABEL, ids)
            names = [
                f.attname
                for f in Contact._meta.concrete_fields
                if f.name not in audit.SKIPPED_FIELDS and not f.primary_key
            ]
            audits, entries = [], []
            for pk, row in zip(ids, creates, strict=True):
                audits.append(
                    ctx.audit_row(
                        action=CREATE_ACTION,
                        model=CONTACT_LABEL,
                        object_id=pk,
                        object_repr=row["name"],
                        customer_id=row["customer_id"],
                        changes=_create_changes(row, names),
                    )
                )
                entries.append(
                    _timeline_row(
                        ctx,
                        customer_id=row["customer_id"],
                        kind="contact",
                        occurred_at=ctx.now,
                        title=TimelineText(
                            gettext_noop("新增联系人 %(name)s"), {"name": row["name"]}
                        ),
                        subject_model=CONTACT_LABEL,
                        subject_id=pk,
                    )
                )
            _write_audit(audits)
            _write_timeline(entries)
        if befores:
            _save_simple_updates(ctx, Contact, CONTACT_LABEL, contacts_by_id, befores, result)
        return result


def _save_simple_updates(
    ctx: RunContext,
    model: type[Any],
    label: str,
    objects: dict[int, Any],
    befores: dict[int, dict[str, Any]],
    result: ChunkResult,
) -> None:
    dirty, audits, fields = [], [], set()
    for pk, before in befores.items():
        obj = objects[pk]
        changes = audit.diff(before, audit.snapshot(obj, before.keys()))
        if not changes:
            continue
        obj.version += 1
        obj.updated_at = ctx.now
        dirty.append(obj)
        fields.update(changes)
        result.updated.append(
            [
                label,
                pk,
                {k: v[0] for k, v in changes.items()},
                {k: v[1] for k, v in changes.items()},
            ]
        )
        audits.append(
            ctx.audit_row(
                action=UPDATE_ACTION,
                model=label,
                object_id=pk,
                object_repr=str(obj),
                customer_id=obj.customer_id,
                changes=changes,
            )
        )
    if dirty:
        fast_update(dirty, sorted(fields | {"version", "updated_at"}))
    _write_audit(audits)


# --- orders -----------------------------------------------------------------------------


class OrderWriter(Writer):
    """Rows with the same order number are the lines of one order. Orders are financial
    records: an order number that already exists is skipped (``update`` and ``skip``) or an
    error (``create``); only the lines of an order this run created are added to it."""

    kind = ImportKind.ORDERS

    def write(self, rows: list[CleanRow]) -> ChunkResult:
        ctx, result = self.ctx, ChunkResult()
        groups: dict[str, list[CleanRow]] = {}
        for r in rows:
            groups.setdefault(r.values["number"], []).append(r)
        # The first row of an order names its customer; every row must name the same one.
        heads = [g[0] for g in groups.values()]
        customers = self.resolve_customers(heads, result)
        existing = dict(Order.objects.filter(number__in=list(groups)).values_list("number", "id"))
        codes = sorted({r.values["product"] for r in rows if r.values.get("product")})
        products = {p.code: p for p in Product.objects.filter(code__in=codes)}
        new_orders: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        appended: dict[int, list[dict[str, Any]]] = {}
        for number, group in groups.items():
            head = group[0]
            if head.row not in customers:
                for r in group[1:]:
                    result.fail(
                        r,
                        self.col("number"),
                        number,
                        "customer_not_found",
                        value=head.values.get("customer", ""),
                    )
                continue
            customer = customers[head.row]
            run_order = ctx.run_orders.get(number)
            if number in existing and run_order is None:
                for r in group:
                    if ctx.on_duplicate == OnDuplicate.CREATE:
                        result.fail(r, self.col("number"), number, "order_exists")
                    else:
                        result.mark(r, "skip")
                continue
            lines: list[dict[str, Any]] = []
            bad = False
            for r in group:
                if r is not head and self._other_customer(r, head):
                    result.fail(
                        r,
                        self.col("customer"),
                        r.values.get("customer"),
                        "order_other_customer",
                        value=number,
                    )
                    bad = True
                    continue
                line = self._line(r, products, result)
                if line is None:
                    bad = True
                    continue
                lines.append(line)
            if bad:
                for r in group:
                    if result.actions.get(r.row) != "fail":
                        result.fail(r, self.col("number"), number, "order_incomplete")
                continue
            if len(lines) > 500:
                for r in group:
                    result.fail(r, self.col("number"), number, "order_too_many_lines")
                continue
            total = sum((li["amount"] for li in lines), Decimal("0"))
            if total > MAX_AMOUNT:
                for r in group:
                    result.fail(r, self.col("number"), number, "order_too_large")
                continue
            for r in group:
                result.mark(r, "create")
            if run_order is not None:
                appended.setdefault(run_order, []).extend(lines)
                continue
            order = {
                "customer_id": customer.pk,
                "number": number,
                "order_date": head.values["order_date"],
                "status": head.values.get("status", OrderStatus.CONFIRMED),
                "note": head.values.get("note", ""),
                "total": total,
                "created_by_id": ctx.actor_id,
            }
            new_orders.append((order, lines))
        if new_orders:
            self._insert(new_orders, result)
        if appended:
            self._append(appended, result)
        return result

    def _other_customer(self, r: CleanRow, head: CleanRow) -> bool:
        for name in ("customer", "customer_phone_key"):
            value = r.values.get(name)
            if value and head.values.get(name) and value != head.values[name]:
                return True
        return False

    def _line(
        self, r: CleanRow, products: dict[str, Product], result: ChunkResult
    ) -> dict[str, Any] | None:
        values = r.values
        product = None
        if values.get("product"):
            product = products.get(values["product"])
            if product is None:
                result.fail(r, self.col("product"), values["product"], "unknown_product")
                return None
        description = values.get("description") or (product.name if product else "")
        if not description:
            result.fail(r, self.col("description"), "", "line_needs_description")
            return None
        quantity = values.get("quantity", Decimal("1.00"))
        unit_price = values.get("unit_price")
        amount = values.get("amount")
        if unit_price is None and amount is not None:
            unit_price = (amount / quantity).quantize(CENT)
        if unit_price is None and product is not None:
            unit_price = product.unit_price
        if unit_price is None:
            result.fail(r, self.col("unit_price"), "", "line_needs_price")
            return None
        computed = (quantity * unit_price).quantize(CENT)
        if amount is not None and abs(amount - computed) > CENT * max(1, quantity):
            result.fail(r, self.col("amount"), str(amount), "amount_mismatch")
            return None
        line_amount = amount if amount is not None else computed
        if line_amount > MAX_AMOUNT:
            result.fail(r, self.col("amount"), str(line_amount), "order_too_large")
            return None
        return {
            "product_id": product.pk if product else None,
            "description": description[:200],
            "quantity": quantity,
            "unit_price": unit_price,
            "amount": line_amount,
        }

    def _insert(
        self, new_orders: list[tuple[dict[str, Any], list[dict[str, Any]]]], result: ChunkResult
    ) -> None:
        ctx = self.ctx
        ids = fast_table(Order).insert([o for o, _lines in new_orders])
        result.add_created(ORDER_LABEL, ids)
        line_rows = []
        audits, entries = [], []
        names = [
            f.attname
            for f in Order._meta.concrete_fields
            if f.name not in audit.SKIPPED_FIELDS and not f.primary_key
        ]
        for pk, (order, lines) in zip(ids, new_orders, strict=True):
            ctx.run_orders[order["number"]] = pk
            for line in lines:
                line_rows.append({**line, "order_id": pk})
            changes = _create_changes({**order, "currency": "CNY"}, names)
            changes["lines"] = [
                None,
                [
                    {k: _plain(li[k]) for k in ("description", "quantity", "unit_price", "amount")}
                    for li in lines
                ],
            ]
            audits.append(
                ctx.audit_row(
                    action=CREATE_ACTION,
                    model=ORDER_LABEL,
                    object_id=pk,
                    object_repr=order["number"],
                    customer_id=order["customer_id"],
                    changes=changes,
                )
            )
            occurred = timezone.make_aware(dt.datetime.combine(order["order_date"], dt.time(12)))
            total = order["total"]
            entries.append(
                _timeline_row(
                    ctx,
                    customer_id=order["customer_id"],
                    kind="order",
                    occurred_at=occurred,
                    title=TimelineText(
                        gettext_noop("订单 %(number)s，金额 ¥%(total)s"),
                        {"number": order["number"], "total": f"{total:,.2f}"},
                    ),
                    body="；".join(
                        f"{li['description']} × {li['quantity'].normalize():f}" for li in lines[:10]
                    ),
                    subject_model=ORDER_LABEL,
                    subject_id=pk,
                    data={"total": str(total)},
                )
            )
        fast_table(OrderLine).insert(line_rows)
        _write_audit(audits)
        _write_timeline(entries)

    def _append(self, appended: dict[int, list[dict[str, Any]]], result: ChunkResult) -> None:
        """Lines of an order this run created in an earlier chunk."""
        ctx = self.ctx
        orders = {o.pk: o for o in Order.objects.filter(pk__in=list(appended))}
        line_rows, audits = [], []
        for pk, lines in appended.items():
            order = orders[pk]
            before = order.total
            order.total = before + sum((li["amount"] for li in lines), Decimal("0"))
            order.updated_at = ctx.now
            line_rows.extend({**li, "order_id": pk} for li in lines)
            audits.append(
                ctx.audit_row(
                    action=UPDATE_ACTION,
                    model=ORDER_LABEL,
                    object_id=pk,
                    object_repr=order.number,
                    customer_id=order.customer_id,
                    changes={
                        "total": [str(before), str(order.total)],
                        "lines": [
                            None,
                            [
                                {
                                    k: _plain(li[k])
                                    for k in ("description", "quantity", "unit_price", "amount")
                                }
                                for li in lines
                            ],
                        ],
                    },
                )
            )
        fast_update(list(orders.values()), ["total", "updated_at"])
        fast_table(OrderLine).insert(line_rows)
        _write_audit(audits)


# --- communications ---------------------------------------------------------------------


class CommunicationWriter(Writer):
    """The same customer, time, channel and summary is the same communication."""

    kind = ImportKind.COMMUNICATIONS

    def write(self, rows: list[CleanRow]) -> ChunkResult:
        ctx, result = self.ctx, ChunkResult()
        mode = ctx.on_duplicate
        customers = self.resolve_customers(rows, result, for_communication=True)
        rows = [r for r in rows if r.row in customers]
        customer_ids = {c.pk for c in customers.values()}
        contacts: dict[tuple[int, str], int] = {}
        if any(r.values.get("contact") for r in rows):
            for pk, cid, name in Contact.objects.filter(customer_id__in=customer_ids).values_list(
                "id", "customer_id", "name"
            ):
                contacts.setdefault((cid, name.casefold()), pk)
        known: dict[tuple[int, dt.datetime, str, str], Communication | int] = {}
        if mode != OnDuplicate.CREATE and rows:
            times = {r.values["occurred_at"] for r in rows}
            for comm in Communication.objects.filter(
                customer_id__in=customer_ids, occurred_at__in=times
            ):
                known.setdefault(
                    (comm.customer_id, comm.occurred_at, comm.channel, comm.summary), comm
                )
        creates: list[dict[str, Any]] = []
        befores: dict[int, dict[str, Any]] = {}
        objects: dict[int, Communication] = {}
        for r in rows:
            v = r.values
            customer = customers[r.row]
            contact_id = None
            if v.get("contact"):
                contact_id = contacts.get((customer.pk, v["contact"].casefold()))
                if contact_id is None:
                    result.fail(r, self.col("contact"), v["contact"], "contact_not_found")
                    continue
            staff_id = v.get("staff", ctx.actor_id)
            row = {
                "customer_id": customer.pk,
                "contact_id": contact_id,
                "channel": v["channel"],
                "direction": v.get("direction", "out"),
                "occurred_at": v["occurred_at"],
                "summary": v["summary"],
                "staff_id": staff_id,
                "next_follow_up": v.get("next_follow_up"),
                "follow_up_done": v.get("follow_up_done", False),
            }
            key = (customer.pk, v["occurred_at"], v["channel"], v["summary"])
            hit = known.get(key)
            if hit is None:
                creates.append(row)
                if mode != OnDuplicate.CREATE:
                    known[key] = -len(creates)
                result.mark(r, "create")
            elif mode == OnDuplicate.SKIP:
                result.mark(r, "skip")
            elif isinstance(hit, int):
                target = creates[-hit - 1]
                changed = any(target[k] != row[k] for k in row)
                target.update(row)
                result.mark(r, "update" if changed else "unchanged")
            else:
                comm = hit
                if comm.pk not in befores:
                    befores[comm.pk] = audit.snapshot(comm)
                    objects[comm.pk] = comm
                changed = False
                for name in COMMUNICATION_UPDATE_FIELDS:
                    field_name = name
                    if name in ("direction", "next_follow_up", "follow_up_done") and (
                        name not in v
                    ):
                        continue
                    if name == "staff_id" and "staff" not in v:
                        continue
                    if name == "contact_id" and "contact" not in v:
                        continue
                    if getattr(comm, field_name) != row[name]:
                        setattr(comm, field_name, row[name])
                        changed = True
                result.mark(r, "update" if changed else "unchanged")
        if creates:
            ids = fast_table(Communication).insert(creates)
            result.add_created(COMMUNICATION_LABEL, ids)
            names = [
                f.attname
                for f in Communication._meta.concrete_fields
                if f.name not in audit.SKIPPED_FIELDS and not f.primary_key
            ]
            labels = {k: str(v) for k, v in Communication._meta.get_field("channel").flatchoices}
            audits, entries = [], []
            for pk, row in zip(ids, creates, strict=True):
                audits.append(
                    ctx.audit_row(
                        action=CREATE_ACTION,
                        model=COMMUNICATION_LABEL,
                        object_id=pk,
                        object_repr=f"{labels[row['channel']]} {row['occurred_at']:%Y-%m-%d}",
                        customer_id=row["customer_id"],
                        changes=_create_changes(row, names),
                    )
                )
                follow = row["next_follow_up"]
                entries.append(
                    _timeline_row(
                        ctx,
                        customer_id=row["customer_id"],
                        kind="communication",
                        occurred_at=row["occurred_at"],
                        title=TimelineText(
                            gettext_noop("%(channel)s · %(direction)s"),
                            {
                                "channel": ChoiceLabel(
                                    COMMUNICATION_LABEL, "channel", row["channel"]
                                ),
                                "direction": ChoiceLabel(
                                    COMMUNICATION_LABEL, "direction", row["direction"]
                                ),
                            },
                        ),
                        body=row["summary"],
                        subject_model=COMMUNICATION_LABEL,
                        subject_id=pk,
                        data={
                            "channel": row["channel"],
                            "next_follow_up": follow.isoformat() if follow else None,
                        },
                    )
                )
            _write_audit(audits)
            _write_timeline(entries)
        if befores:
            _save_simple_updates(ctx, Communication, COMMUNICATION_LABEL, objects, befores, result)
        return result


WRITERS: dict[str, type[Writer]] = {
    w.kind: w for w in (CustomerWriter, ContactWriter, OrderWriter, CommunicationWriter)
}
