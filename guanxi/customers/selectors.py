"""Reads of the customer record, always scoped by the acting user (``accounts.scope``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    F,
    Func,
    Max,
    Min,
    Model,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    TextField,
)
from django.db.models.expressions import RawSQL
from django.db.models.lookups import Contains
from django.utils.translation import gettext as _

from guanxi.accounts import scope
from guanxi.accounts.models import Team, User
from guanxi.analytics.models import AmountBand, CycleBand, ValueClass
from guanxi.core.cleaning import phone_search_key
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.core.search import normalize_query
from guanxi.customers.models import (
    Communication,
    Contact,
    Customer,
    CustomerKind,
    CustomerStatus,
    CustomFieldDefinition,
    Order,
    OrderLine,
    OrderStatus,
    Preference,
    Product,
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
COUNT_CAP = 10_000
SEARCH_COUNT_CAP = 1_000
_Row = TypeVar("_Row", bound=Model)
_ASCII_WORD = re.compile(r"^[a-z][a-z0-9 ]*$")
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
    value_class: str = ""  # analytics value class (客户价值类别)
    value_cell: str = ""  # value-matrix cell "<amount band>-<cycle band>", e.g. "large-short"


def validate_filters(raw: dict[str, Any]) -> CustomerFilters:
    """Parse query-string filters; an invalid value is an error naming its parameter."""
    errors: dict[str, str] = {}

    def _int(name: str) -> int | None:
        value = raw.get(name)
        if value in (None, ""):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            errors[name] = _("必须是整数。")
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
    value_class, value_cell = _value_filters(raw, errors)
    filters = CustomerFilters(
        value_class=value_class,
        value_cell=value_cell,
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


def _value_filters(raw: dict[str, Any], errors: dict[str, str]) -> tuple[str, str]:
    value_class = str(raw.get("value_class") or "")
    if value_class and value_class not in ValueClass.values:
        errors["value_class"] = _("无效的价值类别。")
    value_cell = str(raw.get("value_cell") or "")
    amount, _sep, cycle = value_cell.partition("-")
    if value_cell and (amount not in AmountBand.values or cycle not in CycleBand.values):
        errors["value_cell"] = _("无效的价值矩阵单元格。")
    return value_class, value_cell


def search_q(query: str) -> Q | None:
    """The search condition for one search box: name, pinyin, initials, phone, email."""
    q = normalize_query(query)
    if not q:
        return None
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
    qs = scope.scope_customers(actor, Customer.objects.all())
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
    if filters.value_class:
        qs = qs.filter(value__value_class=filters.value_class)
    if filters.value_cell:
        amount, _sep, cycle = filters.value_cell.partition("-")
        qs = qs.filter(value__amount_band=amount, value__cycle_band=cycle)
    cond = search_q(filters.q)
    if cond is not None:
        qs = qs.filter(cond)
    return qs.order_by(*SORTS[filters.sort])


@dataclass
class Page:
    items: list[Any]
    number: int
    size: int
    count: int
    count_capped: bool

    @property
    def has_next(self) -> bool:
        return self.number * self.size < self.count

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.size))


def paginate(
    qs: QuerySet[Any],
    *,
    page: int = 1,
    size: int,
    cap: int = COUNT_CAP,
    offset: int | None = None,
    known_count: int | None = None,
) -> Page:
    """Offset pagination with a capped count: counting a million rows for a page header
    costs more than the page itself, so past ``cap`` we say "10,000+". ``offset`` (the
    API's limit/offset) takes the place of ``page`` when given; ``known_count`` (the
    caller counted already) saves the count query."""
    page = max(1, page)
    size = max(1, min(size, 200))
    start = (page - 1) * size if offset is None else max(0, offset)
    page = start // size + 1
    items = list(qs[start : start + size])
    if known_count is not None:
        count, capped = min(known_count, cap), known_count > cap
    elif start == 0 and len(items) < size:
        count, capped = len(items), False
    else:
        count = qs.order_by()[: cap + 1].count()
        capped = count > cap
        count = min(count, cap)
    return Page(items=items, number=page, size=size, count=count, count_capped=capped)


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
        scope.scope_customers(actor, Customer.objects.all())
        .select_related("owner", "team", "value")
        .filter(pk=pk)
        .first()
    )
    if customer is None:
        raise NotFound(_("客户不存在。"))
    _attach_tags([customer])
    return customer


@dataclass(frozen=True)
class PurchaseSummary:
    orders: int
    total: Decimal
    average_amount: Decimal | None
    average_days_between: float | None
    first_purchase: dt.date | None
    last_purchase: dt.date | None


def purchase_summary(*, customer: Customer) -> PurchaseSummary:
    agg = Order.objects.filter(customer=customer, status=OrderStatus.CONFIRMED).aggregate(
        n=Count("id"), total=Sum("total"), first=Min("order_date"), last=Max("order_date")
    )
    n = agg["n"] or 0
    total = agg["total"] or Decimal("0")
    avg = (total / n).quantize(Decimal("0.01")) if n else None
    gap = (agg["last"] - agg["first"]).days / (n - 1) if n >= 2 else None
    return PurchaseSummary(
        orders=n,
        total=total,
        average_amount=avg,
        average_days_between=round(gap, 1) if gap is not None else None,
        first_purchase=agg["first"],
        last_purchase=agg["last"],
    )


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


def recent_orders(*, customer: Customer, limit: int = 10) -> list[Order]:
    return list(customer.orders.order_by("-order_date", "-id")[:limit])


def scoped_contacts(*, actor: Any) -> QuerySet[Contact]:
    return scope.scope_by_customer(actor, Contact.objects.all())


def scoped_communications(*, actor: Any) -> QuerySet[Communication]:
    return scope.scope_by_customer(actor, Communication.objects.all())


def scoped_orders(*, actor: Any) -> QuerySet[Order]:
    return scope.scope_by_customer(actor, Order.objects.all())


def scoped_preferences(*, actor: Any) -> QuerySet[Preference]:
    return scope.scope_by_customer(actor, Preference.objects.all())


def products(*, actor: Any) -> QuerySet[Product]:
    if not scope.is_staff_actor(actor):
        return Product.objects.none()
    return Product.objects.all()


def tags(*, actor: Any) -> QuerySet[Tag]:
    if not scope.is_staff_actor(actor):
        return Tag.objects.none()
    return Tag.objects.all()


def owners(*, actor: Any) -> QuerySet[User]:
    return scope.users_visible_to(actor, User.objects.order_by("username"))


def teams(*, actor: Any) -> QuerySet[Team]:
    if not scope.is_staff_actor(actor):
        return Team.objects.none()
    return Team.objects.all()


def due_follow_ups(*, actor: Any, until: dt.date, limit: int = 50) -> list[Communication]:
    qs = scope.scope_by_customer(
        actor,
        Communication.objects.filter(follow_up_done=False, next_follow_up__lte=until),
    )
    return list(qs.select_related("customer").order_by("next_follow_up")[:limit])


def custom_field_definitions(*, actor: Any) -> QuerySet[CustomFieldDefinition]:
    """The active admin-defined customer fields, in display order."""
    if not scope.is_staff_actor(actor):
        return CustomFieldDefinition.objects.none()
    return CustomFieldDefinition.objects.filter(active=True).order_by("position", "key")


def _child_get(qs: QuerySet[_Row], record_id: Any) -> _Row:
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
    return _child_get(Contact.objects.filter(customer=customer), contact_id)


def preference_get(*, customer: Customer, preference_id: Any) -> Preference:
    return _child_get(Preference.objects.filter(customer=customer), preference_id)


def communication_get(*, customer: Customer, communication_id: Any) -> Communication:
    qs = Communication.objects.filter(customer=customer).select_related("staff")
    return _child_get(qs, communication_id)


def order_get(*, customer: Customer, order_id: Any) -> Order:
    """An order with its lines (and their products) and its creator: three queries."""
    qs = (
        Order.objects.filter(customer=customer)
        .select_related("created_by")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by("id"))
        )
    )
    return _child_get(qs, order_id)
