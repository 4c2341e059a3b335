"""Reads of the customer record, always scoped by the acting user (``accounts.permissions``)."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection
from django.db.models import (
    BooleanField,
    F,
    Func,
    Model,
    Q,
    QuerySet,
    TextField,
)
from django.db.models.expressions import RawSQL
from django.db.models.lookups import Contains
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.accounts import permissions
from guanxi.accounts.models import Team, User
from guanxi.core.db.paging import COUNT_CAP, Page, paginate
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.limits import parse_id
from guanxi.core.models import AuditEntry
from guanxi.core.text.cleaning import (
    EARLIEST_DATE,
    LATEST_DATE,
    CleaningError,
    check_date_range,
    normalize_phone,
    phone_search_key,
)
from guanxi.core.text.keys import stored_name_key
from guanxi.core.text.pinyin import normalize_query
from guanxi.customers import list_filters
from guanxi.customers.models import (
    RECYCLE_BIN_DAYS,
    Channel,
    Communication,
    Contact,
    Customer,
    CustomerCollaborator,
    CustomerKind,
    CustomerStatus,
    CustomFieldDefinition,
    Preference,
    Tag,
    TimelineEntry,
)

SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "since": ("since", "id"),
    "-since": ("-since", "-id"),
    "status": ("status", "name", "id"),
}
SEARCH_COUNT_CAP = 1_000
_Row = TypeVar("_Row", bound=Model)
_ASCII_WORD = re.compile(r"^[a-z][a-z0-9 ]*$")
MAX_SEARCH_WORDS = 5  # words of one query that are searched (each adds a condition)
LIST_FIELDS = (
    "id", "kind", "name", "province", "city", "status", "since", "phone", "email", "owner_id",
    "team_id", "created_at", "version",
)  # fmt: skip


@dataclass(frozen=True)
class CustomerFilters:
    q: str = ""
    status: str = ""
    kind: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    tag: str = ""
    province: str = ""
    city: str = ""
    sort: str = "-created"
    # Filters other apps registered (``list_filters``): (parameter, value) pairs.
    extra: tuple[tuple[str, str], ...] = ()


def validate_filters(raw: dict[str, Any]) -> CustomerFilters:
    """Parse query-string filters; an invalid value is an error naming its parameter."""
    errors: dict[str, str] = {}

    def _int(name: str) -> int | None:
        value = raw.get(name)
        if value in (None, ""):
            return None
        try:
            return parse_id(value)
        except ValueError as exc:
            errors[name] = str(exc)
            return None

    status = str(raw.get("status") or "")
    if status and status not in CustomerStatus.values:
        errors["status"] = _("无效的状态。")
    kind = str(raw.get("kind") or "")
    if kind and kind not in CustomerKind.values:
        errors["kind"] = _("无效的客户类型。")
    sort = str(raw.get("sort") or "-created")
    if sort not in SORTS:
        errors["sort"] = _("无效的排序。")
    q = str(raw.get("q") or "")
    if len(q) > 100:
        errors["q"] = _("搜索词不能超过 100 个字符。")
    extra = []
    for registered in list_filters.list_filters():
        value = str(raw.get(registered.param) or "")[: registered.max_length]
        if not value:
            continue
        message = registered.error(value)
        if message:
            errors[registered.param] = message
        extra.append((registered.param, value))
    filters = CustomerFilters(
        extra=tuple(extra),
        q=q,
        status=status,
        kind=kind,
        owner_id=_int("owner"),
        team_id=_int("team"),
        tag=str(raw.get("tag") or "")[:50],
        province=str(raw.get("province") or "")[:20],
        city=str(raw.get("city") or "")[:30],
        sort=sort,
    )
    if errors:
        raise ValidationFailed(errors)
    return filters


def search_q(query: str) -> Q | None:
    """The search condition for one search box: name, pinyin, initials, phone, email.
    Chinese words separated by spaces must all match, each as a search of its own ("华为
    技术" finds 华为技术有限公司, "华为 hw" too); an all-ASCII query keeps its spaces (a
    phone number "138 0013", pinyin "hua wei")."""
    q = normalize_query(query)
    if not q:
        return None
    words = q.split()
    if len(words) > 1 and not q.isascii():
        conds = [c for c in map(search_q, words[:MAX_SEARCH_WORDS]) if c is not None]
        return functools.reduce(operator.and_, conds)
    # Contact matches are fetched first as a short id list: "x OR id IN (subquery)" defeats
    # PostgreSQL's bitmap-OR of two index scans and turns into a full scan.
    if "@" in q:
        ids = list(Contact.objects.filter(email=q).values_list("customer_id", flat=True)[:500])
        return Q(email=q) | Q(pk__in=ids)
    digits = phone_search_key(q)
    if digits and len(digits) >= 4:
        ids = list(
            Contact.objects.filter(
                Q(mobile_key__startswith=digits) | Q(phone_key__startswith=digits)
            ).values_list("customer_id", flat=True)[:500]
        )
        return _prefix("phone_key", digits) | Q(pk__in=ids)
    if _ASCII_WORD.match(q):
        compact = q.replace(" ", "")
        cond = _prefix("name_initials", compact) | _prefix("name_pinyin", compact)
        if len(compact) >= 3:
            cond |= _ascii_contains(q)
        return cond
    if q.isascii() and len(q) >= 3:  # "example.com", "a-b tech": no Chinese to look for
        return _ascii_contains(q)
    cond = Q(search_text__contains=q)
    if connection.vendor == "postgresql" and len(q) >= 2:
        # Trigram indexes cannot serve a two-character Chinese query (the most common kind:
        # 华为, 银行), so PostgreSQL would scan every row. The name-bigram GIN index
        # (migration 0003) narrows the candidates; the LIKE stays as the exact check.
        grams = sorted({q[i : i + 2] for i in range(len(q) - 1)})
        cond &= Q(
            RawSQL(
                "gx_bigrams(lower(normalize(customers_customer.name, NFKC))) @> %s::text[]",
                (grams,),
                output_field=BooleanField(),
            )
        )
    return cond


def _ascii_contains(q: str) -> Q:
    """``search_text`` contains the ASCII ``q``. PostgreSQL finds the candidates with the
    trigram index over the text's ASCII part (migration 0009: ``gx_ascii_text`` turns every
    run of other characters into one space) and checks them against the text itself."""
    cond = Q(search_text__contains=q)
    if connection.vendor == "postgresql":
        ascii_text = Func(F("search_text"), function="gx_ascii_text", output_field=TextField())
        # the plain LIKE first: where a page is filtered row by row (broad terms), it is
        # false for nearly every row and spares the regular expression (3-5 µs a row)
        cond &= Q(Contains(ascii_text, q))
    return cond


def _prefix(field: str, prefix: str) -> Q:
    """``startswith`` as a range: SQLite never uses an index for LIKE 'x%' (its LIKE is
    case-insensitive), but it does for ``>= x AND < x + U+FFFF``. The keys are ASCII."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\uffff"})
    return Q(**{f"{field}__startswith": prefix})


def customer_queryset(*, actor: Any, filters: CustomerFilters) -> QuerySet[Customer]:
    qs = permissions.scope_customers(actor, Customer.objects.all())
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.owner_id is not None:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.team_id is not None:
        qs = qs.filter(team_id=filters.team_id)
    if filters.province:
        qs = qs.filter(province=filters.province)
    if filters.city:
        qs = qs.filter(city=filters.city)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    registered = {f.param: f for f in list_filters.list_filters()}
    for param, value in filters.extra:
        qs = registered[param].apply(qs, value)
    cond = search_q(filters.q)
    if cond is not None:
        qs = qs.filter(cond)
    return qs.order_by(*SORTS[filters.sort])


def customer_list(
    *,
    actor: Any,
    filters: CustomerFilters,
    page: int = 1,
    size: int = 25,
    offset: int | None = None,
) -> Page:
    qs = (
        customer_queryset(actor=actor, filters=filters)
        .select_related("owner", "value")
        .only(*LIST_FIELDS, "owner__username", "owner__display_name", "owner__first_name",
              "owner__last_name", "value__value_class", "value__cycle_band",
              "value__amount_band")
    )  # fmt: skip
    # A broad search term matches a large share of the book; counting its matches costs
    # more than the page, so a search counts to 1,000 ("1,000+"), a plain list to 10,000.
    if not filters.q.strip():
        result = paginate(qs, page=page, size=size, offset=offset, cap=COUNT_CAP)
    else:
        # First the matches' ids, unordered and capped: the search indexes answer that
        # (as they answer the capped count it replaces). A selective term (at most the cap)
        # then pages over those rows by primary key; left to itself the planner walks the
        # sort index and filters the whole book, expecting more matches than there are
        # (measured: 250 ms for 37 matches among an account manager's 104,000 customers,
        # 3 ms this way). A broad term pages as a plain list: its matches are dense.
        cap = SEARCH_COUNT_CAP
        ids = list(qs.order_by().values_list("pk", flat=True)[: cap + 1])
        if len(ids) <= cap:
            qs = qs.filter(pk__in=ids)
        result = paginate(qs, page=page, size=size, offset=offset, cap=cap, known_count=len(ids))
    _attach_tags(result.items)
    return result


def _attach_tags(customers: list[Customer]) -> None:
    ids = [c.pk for c in customers]
    by_customer: dict[int, list[Tag]] = {i: [] for i in ids}
    if ids:
        through = Customer.tags.through.objects.filter(customer_id__in=ids).select_related("tag")
        for row in through:
            by_customer[row.customer_id].append(row.tag)
    for c in customers:
        c.tag_list = sorted(by_customer[c.pk], key=lambda t: t.name)  # type: ignore[attr-defined]


def customer_get(*, actor: Any, customer_id: Any) -> Customer:
    try:
        pk = int(customer_id)
    except (TypeError, ValueError):
        raise NotFound(_("客户不存在。")) from None
    customer = (
        permissions.scope_customers(actor, Customer.objects.all(), one=True)
        .select_related("owner", "team", "value")
        .filter(pk=pk)
        .first()
    )
    if customer is None:
        raise NotFound(_("客户不存在。"))
    _attach_tags([customer])
    return customer


def open_follow_ups(*, customer: Customer, limit: int = 20) -> list[Communication]:
    return list(
        Communication.objects.filter(
            customer=customer, follow_up_done=False, next_follow_up__isnull=False
        )
        .select_related("staff")
        .order_by("next_follow_up")[:limit]
    )


def contacts_of(*, customer: Customer) -> list[Contact]:
    return list(customer.contacts.all()[:200])


def preferences_of(*, customer: Customer) -> list[Preference]:
    return list(customer.preferences.all()[:200])


def collaborators_of(*, customer: Customer) -> QuerySet[CustomerCollaborator]:
    """The users the customer is shared with (团队成员), in the order they were added.
    ``customer`` was fetched with ``customer_get`` (scoped by the actor)."""
    return (
        CustomerCollaborator.objects.filter(customer=customer)
        .select_related("user", "added_by")
        .order_by("created_at", "id")
    )


def collaborator_candidates(*, actor: Any, customer: Customer) -> QuerySet[User]:
    """Whom the customer can be shared with: active staff users other than its account
    manager and its current collaborators."""
    return (
        permissions.users_visible_to(actor, User.objects.all())
        .exclude(pk=customer.owner_id or 0)
        .exclude(shared_customers__customer=customer)
        .order_by("username")
        .only("id", "username", "display_name", "first_name", "last_name")
    )


def timeline_page(
    *, customer: Customer, page: int = 1, size: int = 20, offset: int | None = None
) -> Page:
    qs = TimelineEntry.objects.filter(customer=customer).select_related("actor")
    qs = qs.order_by("-occurred_at", "-id")
    return paginate(qs, page=page, size=size, offset=offset)


def change_history(*, customer: Customer, limit: int = 50) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(customer_id=customer.pk).order_by("-created_at", "-id")[:limit]
    )


def change_history_page(
    *, customer: Customer, page: int = 1, size: int = 50, offset: int | None = None
) -> Page:
    qs = AuditEntry.objects.filter(customer_id=customer.pk).order_by("-created_at", "-id")
    return paginate(qs, page=page, size=size, offset=offset)


def customer_names(*, actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    """``{id: name}`` of those customers ``actor`` may read (the others are left out)."""
    qs = permissions.scope_customers(actor, Customer.objects.filter(pk__in=list(ids)))
    return dict(qs.values_list("pk", "name"))


def contact_names(*, actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    """``{id: name}`` of those contacts whose customer ``actor`` may read."""
    qs = permissions.scope_by_customer(actor, Contact.objects.filter(pk__in=list(ids), **LIVE))
    return dict(qs.values_list("pk", "name"))


# Records of customers in the recycle bin are left out of every cross-customer list, as
# their customers are (``Customer.objects``).
LIVE = {"customer__deleted_at__isnull": True}


def scoped_contacts(*, actor: Any) -> QuerySet[Contact]:
    return permissions.scope_by_customer(actor, Contact.objects.filter(**LIVE))


def scoped_communications(*, actor: Any) -> QuerySet[Communication]:
    return permissions.scope_by_customer(actor, Communication.objects.filter(**LIVE))


def scoped_preferences(*, actor: Any) -> QuerySet[Preference]:
    return permissions.scope_by_customer(actor, Preference.objects.filter(**LIVE))


def tags(*, actor: Any) -> QuerySet[Tag]:
    if not permissions.is_staff_actor(actor):
        return Tag.objects.none()
    return Tag.objects.all()


def owners(*, actor: Any) -> QuerySet[User]:
    """The 客户经理 filter's choices: account managers whose customers ``actor`` may read."""
    return permissions.customer_owners(actor, User.objects.order_by("username"))


def assignable_owners(*, actor: Any, current_id: int | None = None) -> QuerySet[User]:
    """The account managers ``actor`` may give a customer to (the owner dropdown), and
    the customer's current one (``current_id``) so the form shows it."""
    qs = permissions.assignable_owners(actor, User.objects.all())
    if current_id is not None:
        qs = qs | User.objects.filter(pk=current_id)
    return qs.order_by("username")


def teams(*, actor: Any) -> QuerySet[Team]:
    if not permissions.is_staff_actor(actor):
        return Team.objects.none()
    return Team.objects.all()


def due_follow_ups(*, actor: Any, until: dt.date, limit: int = 50) -> list[Communication]:
    qs = permissions.scope_by_customer(
        actor,
        Communication.objects.filter(follow_up_done=False, next_follow_up__lte=until, **LIVE),
    )
    return list(qs.select_related("customer").order_by("next_follow_up")[:limit])


def custom_field_definitions(*, actor: Any) -> QuerySet[CustomFieldDefinition]:
    """The active admin-defined customer fields, in display order."""
    if not permissions.is_staff_actor(actor):
        return CustomFieldDefinition.objects.none()
    return CustomFieldDefinition.objects.filter(active=True).order_by("position", "key")


def record_of_customer(qs: QuerySet[_Row], record_id: Any) -> _Row:
    try:
        pk = int(record_id)
    except (TypeError, ValueError):
        raise NotFound(_("记录不存在。")) from None
    row = qs.filter(pk=pk).first()
    if row is None:
        raise NotFound(_("记录不存在。"))
    return row


# The customer passed to these was fetched with ``customer_get`` (scoped by the actor); a
# record of another customer is "not found", like a record the actor may not see.


def contact_get(*, customer: Customer, contact_id: Any) -> Contact:
    return record_of_customer(Contact.objects.filter(customer=customer), contact_id)


def preference_get(*, customer: Customer, preference_id: Any) -> Preference:
    return record_of_customer(Preference.objects.filter(customer=customer), preference_id)


def communication_get(*, customer: Customer, communication_id: Any) -> Communication:
    qs = Communication.objects.filter(customer=customer).select_related("staff")
    return record_of_customer(qs, communication_id)


# --- the duplicate check on entry (查重) -------------------------------------------------

DUPLICATE_CHECK_LIMIT = 5


@dataclass(frozen=True)
class DuplicateMatch:
    """A customer the actor may see that looks like the one being entered, and why:
    ``reasons`` are codes of :data:`DUPLICATE_REASONS` (same name key, phone, e-mail, or
    a contact of it with that phone or e-mail)."""

    id: int
    name: str
    reasons: tuple[str, ...]

    @property
    def reason_labels(self) -> list[str]:
        return [str(DUPLICATE_REASONS[code]) for code in self.reasons]


DUPLICATE_REASONS = {
    "name": gettext_lazy("名称相同"),
    "phone": gettext_lazy("电话相同"),
    "email": gettext_lazy("邮箱相同"),
    "contact": gettext_lazy("联系人的电话或邮箱相同"),
}


def _phone_key_or_blank(phone: str) -> str:
    try:
        return normalize_phone(phone) if phone.strip() else ""
    except CleaningError:
        return ""  # half-typed: no evidence yet


def likely_duplicates(
    *,
    actor: Any,
    name: str = "",
    phone: str = "",
    email: str = "",
    exclude_id: int | None = None,
    limit: int = DUPLICATE_CHECK_LIMIT,
) -> list[DuplicateMatch]:
    """Customers within the actor's scope that share the name key (``core.text.keys``:
    华为技术 for 華為技術有限公司), the phone or the e-mail of a customer being entered, or
    whose contacts have that phone or e-mail. The form asks it while the user types and
    ``customer_create``/``customer_update`` ask it again before writing; sales leads can
    ask it for a lead's company.

    Customers out of the actor's scope are never named and not hinted at either: "it may
    duplicate one you may not see" would make this an existence oracle for any company
    name or phone number (the import hides them the same way, issue 10 item 8). One or two
    queries: the contacts' customer ids (when a phone or e-mail is given), the customers."""
    key = stored_name_key(name.strip()) if name else ""
    phone_key = _phone_key_or_blank(phone or "")
    address = (email or "").strip().lower()
    address = address if "@" in address else ""
    cond = Q()
    if key:
        cond |= Q(name_key=key)
    if phone_key:
        cond |= Q(phone_key=phone_key)
    if address:
        cond |= Q(email=address)
    if not cond:
        return []
    contact_cond = Q()
    if phone_key:
        contact_cond |= Q(phone_key=phone_key) | Q(mobile_key=phone_key)
    if address:
        contact_cond |= Q(email=address)
    contact_ids: set[int] = set()
    if contact_cond:
        # ids first, as in ``search_q``: "x OR pk IN (subquery)" defeats PostgreSQL's
        # bitmap-OR of the index scans. Unscoped ids only narrow the scoped query below.
        contact_ids = set(
            Contact.objects.filter(contact_cond)
            .exclude(customer_id=exclude_id or 0)
            .values_list("customer_id", flat=True)[:50]
        )
        if contact_ids:
            cond |= Q(pk__in=contact_ids)
    qs = permissions.scope_customers(actor, Customer.objects.filter(cond))
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    rows = qs.order_by("-created_at", "-id").values_list(
        "pk", "name", "name_key", "phone_key", "email"
    )[:limit]
    matches = []
    for pk, row_name, row_key, row_phone, row_email in rows:
        reasons = tuple(
            code
            for code, hit in (
                ("name", bool(key) and row_key == key),
                ("phone", bool(phone_key) and row_phone == phone_key),
                ("email", bool(address) and row_email == address),
                ("contact", pk in contact_ids),
            )
            if hit
        )
        matches.append(DuplicateMatch(id=pk, name=row_name, reasons=reasons))
    return matches


@dataclass(frozen=True)
class ContactMatch:
    """A contact the actor may see that looks like the one being entered (查重), and why
    (codes of :data:`CONTACT_DUPLICATE_REASONS`)."""

    id: int
    name: str
    customer_id: int
    customer_name: str
    reasons: tuple[str, ...]

    @property
    def reason_labels(self) -> list[str]:
        return [str(CONTACT_DUPLICATE_REASONS[code]) for code in self.reasons]


CONTACT_DUPLICATE_REASONS = {
    "name": gettext_lazy("同一客户下姓名相同"),
    "phone": gettext_lazy("手机或电话相同"),
    "email": gettext_lazy("邮箱相同"),
}


def likely_duplicate_contacts(
    *,
    actor: Any,
    customer_id: int | None,
    name: str = "",
    phones: Collection[str] = (),
    email: str = "",
    exclude_id: int | None = None,
    limit: int = DUPLICATE_CHECK_LIMIT,
) -> list[ContactMatch]:
    """Contacts of customers within the actor's scope that look like a contact being
    entered: the same name at the same customer, a mobile or phone number with the same
    key (either field against either), or the same e-mail. As for customers, contacts out
    of scope are neither named nor hinted at. One query (indexed on the phone keys and the
    e-mail; the name only within one customer's contacts)."""
    keys = {k for k in (_phone_key_or_blank(p or "") for p in phones) if k}
    address = (email or "").strip().lower()
    address = address if "@" in address else ""
    clean_name = (name or "").strip()
    cond = Q()
    if clean_name and customer_id:
        cond |= Q(customer_id=customer_id, name__iexact=clean_name)
    if keys:
        cond |= Q(phone_key__in=keys) | Q(mobile_key__in=keys)
    if address:
        cond |= Q(email=address)
    if not cond:
        return []
    qs = scoped_contacts(actor=actor).filter(cond)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    rows = qs.order_by("-id").values_list(
        "pk", "name", "customer_id", "customer__name", "phone_key", "mobile_key", "email"
    )[:limit]
    matches = []
    for pk, row_name, row_customer, customer_name, phone_key, mobile_key, row_email in rows:
        hits = (
            ("name", bool(clean_name) and row_customer == customer_id
             and row_name.strip().lower() == clean_name.lower()),
            ("phone", bool(keys & {phone_key, mobile_key})),
            ("email", bool(address) and row_email == address),
        )  # fmt: skip
        reasons = tuple(code for code, hit in hits if hit)
        matches.append(ContactMatch(pk, row_name, row_customer, customer_name, reasons))
    return matches


# --- the contact and communication lists -------------------------------------------------

LIST_SEARCH_MAX = 100
CONTACT_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "customer": ("customer__name", "name", "id"),
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
}
COMMUNICATION_SORTS: dict[str, tuple[str, ...]] = {
    "-occurred": ("-occurred_at", "-id"),
    "occurred": ("occurred_at", "id"),
    "customer": ("customer__name", "-occurred_at", "-id"),
    "follow_up": ("next_follow_up", "-occurred_at", "-id"),
}


@dataclass(frozen=True)
class RecordFilters:
    """The filters of the contacts and communications lists and of their exports (one
    parser for both, so an export holds exactly the rows the list shows)."""

    q: str = ""
    owner_id: int | None = None
    customer_id: int | None = None
    kind: str = ""  # contacts: the customer's kind; communications: the channel
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: str = ""

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters (for the export link), empty ones left out."""
        values = {
            "q": self.q, "owner": self.owner_id, "customer": self.customer_id,
            "kind": self.kind, "date_from": self.date_from, "date_to": self.date_to,
            "sort": self.sort,
        }  # fmt: skip
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def _parse_day(raw: dict[str, Any], name: str, errors: dict[str, str]) -> dt.date | None:
    value = raw.get(name)
    if value in (None, ""):
        return None
    try:
        return check_date_range(dt.date.fromisoformat(str(value)))
    except ValueError:
        errors[name] = _("必须是日期（YYYY-MM-DD）。")
    except CleaningError:
        errors[name] = _("日期须在 %(earliest)s 至 %(latest)s 之间。") % {
            "earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()}  # fmt: skip
    return None


def validate_record_filters(
    raw: dict[str, Any], *, kinds: Collection[str], sorts: Collection[str], dates: bool
) -> RecordFilters:
    """Parse ``q``, ``owner``, ``customer``, ``kind``, ``sort`` (and, with ``dates``,
    ``date_from``/``date_to``, inclusive); every bad one at once, each naming its
    parameter."""
    errors: dict[str, str] = {}

    def _id(name: str) -> int | None:
        value = raw.get(name)
        if value in (None, ""):
            return None
        try:
            return parse_id(value)
        except ValueError as exc:
            errors[name] = str(exc)
            return None

    q = str(raw.get("q") or "").strip()
    if len(q) > LIST_SEARCH_MAX:
        errors["q"] = _("搜索词不能超过 %(max)s 个字符。") % {"max": LIST_SEARCH_MAX}
    kind = str(raw.get("kind") or "")
    if kind and kind not in kinds:
        errors["kind"] = _("可选：%(values)s") % {"values": "、".join(kinds)}
    sort = str(raw.get("sort") or "")
    if sort and sort not in sorts:
        errors["sort"] = _("无效的排序。")
    date_from = _parse_day(raw, "date_from", errors) if dates else None
    date_to = _parse_day(raw, "date_to", errors) if dates else None
    if date_from and date_to and date_from > date_to:
        errors["date_to"] = _("结束日期不能早于开始日期。")
    filters = RecordFilters(
        q=q, owner_id=_id("owner"), customer_id=_id("customer"), kind=kind,
        date_from=date_from, date_to=date_to, sort=sort,
    )  # fmt: skip
    if errors:
        raise ValidationFailed(errors)
    return filters


def validate_contact_filters(raw: dict[str, Any]) -> RecordFilters:
    return validate_record_filters(raw, kinds=CustomerKind.values, sorts=CONTACT_SORTS, dates=False)


def validate_communication_filters(raw: dict[str, Any]) -> RecordFilters:
    return validate_record_filters(raw, kinds=Channel.values, sorts=COMMUNICATION_SORTS, dates=True)


def _contains_any(fields: Collection[str], q: str) -> Q:
    return functools.reduce(operator.or_, (Q(**{f"{f}__icontains": q}) for f in fields))


def contact_queryset(*, actor: Any, filters: RecordFilters) -> QuerySet[Contact]:
    """The contacts ``actor`` may see that match ``filters``, in the chosen order."""
    qs = scoped_contacts(actor=actor)
    if filters.q:
        key = phone_search_key(filters.q)
        cond = _contains_any(("name", "email", "title", "customer__name"), filters.q)
        if key:
            cond |= Q(mobile_key__contains=key) | Q(phone_key__contains=key)
        qs = qs.filter(cond)
    if filters.owner_id:
        qs = qs.filter(customer__owner_id=filters.owner_id)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.kind:
        qs = qs.filter(customer__kind=filters.kind)
    return qs.order_by(*CONTACT_SORTS[filters.sort or "customer"])


def communication_queryset(*, actor: Any, filters: RecordFilters) -> QuerySet[Communication]:
    """The communications ``actor`` may see that match ``filters``, in the chosen order;
    the dates are local days of ``occurred_at``, both inclusive."""
    qs = scoped_communications(actor=actor)
    if filters.q:
        qs = qs.filter(_contains_any(("summary", "customer__name", "contact__name"), filters.q))
    if filters.owner_id:
        qs = qs.filter(customer__owner_id=filters.owner_id)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.kind:
        qs = qs.filter(channel=filters.kind)
    if filters.date_from:
        qs = qs.filter(occurred_at__date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(occurred_at__date__lte=filters.date_to)
    return qs.order_by(*COMMUNICATION_SORTS[filters.sort or "-occurred"])


def contact_list(*, actor: Any, filters: RecordFilters, page: int, size: int) -> Page:
    """A page of the contacts list with each contact's customer: two queries at most
    (the page and the capped count)."""
    qs = contact_queryset(actor=actor, filters=filters).select_related("customer").only(
        "id", "name", "title", "mobile", "phone", "email", "is_primary", "customer_id",
        "customer__id", "customer__name", "customer__kind",
    )  # fmt: skip
    return paginate(qs, page=page, size=size)


def communication_list(*, actor: Any, filters: RecordFilters, page: int, size: int) -> Page:
    """A page of the communications list with customer, contact and staff member: two
    queries at most (the page and the capped count)."""
    qs = communication_queryset(actor=actor, filters=filters).select_related(
        "customer", "contact", "staff"
    ).only(
        "id", "channel", "direction", "occurred_at", "summary", "next_follow_up",
        "follow_up_done", "customer_id", "customer__id", "customer__name", "contact_id",
        "contact__id", "contact__name", "staff_id", "staff__id", "staff__username",
        "staff__display_name", "staff__first_name", "staff__last_name",
    )  # fmt: skip
    return paginate(qs, page=page, size=size)


# --- the recycle bin (回收站) -------------------------------------------------------------


def recycle_bin(*, actor: Any) -> QuerySet[Customer]:
    """The deleted customers within the actor's scope, latest deletion first."""
    return (
        permissions.scope_customers(actor, Customer.all_objects.filter(deleted_at__isnull=False))
        .select_related("deleted_by", "owner")
        .order_by("-deleted_at", "-id")
    )


def purge_date(customer: Customer) -> dt.date | None:
    """The day the purge rule removes a deleted customer (local time)."""
    if customer.deleted_at is None:
        return None
    when = customer.deleted_at + dt.timedelta(days=RECYCLE_BIN_DAYS)
    return timezone.localdate(when)


def merge_survivor(*, actor: Any, customer_id: Any) -> tuple[Customer, str] | None:
    """Where a merged-away customer's records went: the surviving customer (followed
    through later merges) and the merged customer's name, when the actor may see the
    survivor; ``None`` otherwise (the caller answers 404 as for any missing customer)."""
    from guanxi.customers.duplicates.models import CustomerMerge

    try:
        pk = int(customer_id)
    except (TypeError, ValueError):
        return None
    merged_name = ""
    for _hop in range(10):  # a chain of merges: A into B, later B into C
        record = (
            CustomerMerge.objects.filter(merged_id=pk, undone_at__isnull=True)
            .order_by("-created_at")
            .values_list("survivor_id", "merged_name")
            .first()
        )
        if record is None:
            break
        pk = record[0]
        merged_name = merged_name or record[1]
    else:
        return None
    if not merged_name:
        return None
    survivor = (
        permissions.scope_customers(actor, Customer.objects.all(), one=True).filter(pk=pk).first()
    )
    return (survivor, merged_name) if survivor is not None else None
