"""Reads of contracts, payment plans, collections, invoices and receivables — every one
scoped by the actor (the contract's owner/department, ``accounts.permissions``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection as Ids
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    DecimalField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.contracts.models import (
    AGING_COLUMNS,
    BINDING_STATUSES,
    OPEN_INSTALMENT_STATUSES,
    AgingState,
    Collection,
    Contract,
    CustomerAging,
    Instalment,
    InvoiceRequest,
    InvoiceTitle,
)
from guanxi.core.errors import NotFound
from guanxi.customers import selectors as customer_selectors

ZERO = Decimal("0.00")
_NOTHING = Q(pk__in=[])

# Aging buckets of the open amount, by days past the planned date (today - due_date).
BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("not_due", None, -1),
    ("d0_30", 0, 30),
    ("d31_60", 31, 60),
    ("d61_90", 61, 90),
    ("d90_plus", 91, None),
)
GROUPS = {"customer": "customer_id", "owner": "owner_id", "team": "team_id"}


def can_use(actor: Any) -> bool:
    """Menu entry, pages and API of contracts and receivables."""
    return permissions.can_use_contracts(actor)


def contract_filter(actor: Any, prefix: str = "") -> Q | None:
    """A Q selecting the contracts (or, with ``prefix``, rows carrying a contract's
    owner/department) ``actor`` may read; ``None``: no restriction."""
    if not can_use(actor):
        return _NOTHING
    return permissions.record_filter(actor, prefix=prefix)


def _scoped(actor: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    q = contract_filter(actor)
    return qs if q is None else qs.filter(q)


def can_change(actor: Any, contract: Contract) -> bool:
    return can_use(actor) and permissions.can_change_record(
        actor, owner_id=contract.owner_id, team_id=contract.team_id
    )


def scoped_contracts(*, actor: Any) -> QuerySet[Contract]:
    return _scoped(actor, Contract.objects.all())


def contract_list(
    *, actor: Any, status: str = "", customer_id: int | None = None, q: str = ""
) -> QuerySet[Contract]:
    qs = scoped_contracts(actor=actor).select_related("customer", "owner")
    if status:
        qs = qs.filter(status=status)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q))
    return qs.order_by("-created_at", "-id")


def contract_get(*, actor: Any, contract_id: Any) -> Contract:
    found = (
        scoped_contracts(actor=actor)
        .select_related("customer", "owner", "team", "opportunity")
        .filter(pk=contract_id)
        .first()
    )
    if found is None:
        raise NotFound(_("合同不存在。"), field="contract_id")
    return found


def contract_names(*, actor: Any, ids: Ids[Any]) -> dict[Any, str]:
    rows = scoped_contracts(actor=actor).filter(pk__in=list(ids)).values_list("pk", "number")
    return {pk: number for pk, number in rows}


def instalments(*, contract: Contract) -> QuerySet[Instalment]:
    """The plan of a contract the caller already read through ``contract_get``."""
    return Instalment.objects.filter(contract=contract).order_by("sequence")


def collections(*, contract: Contract) -> QuerySet[Collection]:
    return (
        Collection.objects.filter(contract=contract)
        .prefetch_related("allocations__instalment")
        .order_by("-received_on", "-id")
    )


def invoices(*, contract: Contract) -> QuerySet[InvoiceRequest]:
    return (
        InvoiceRequest.objects.filter(contract=contract)
        .select_related("title")
        .order_by("-created_at", "-id")
    )


def invoice_get(*, actor: Any, invoice_id: Any) -> InvoiceRequest:
    found = (
        _scoped(actor, InvoiceRequest.objects.all())
        .select_related("contract", "title")
        .filter(pk=invoice_id)
        .first()
    )
    if found is None:
        raise NotFound(_("开票申请不存在。"), field="invoice_id")
    return found


def invoice_titles(*, actor: Any, customer_id: int) -> QuerySet[InvoiceTitle]:
    """The invoice titles of a customer the actor may read (404 for any other customer,
    like every record under ``/customers/{id}``)."""
    customer = customer_selectors.customer_get(actor=actor, customer_id=customer_id)
    qs = InvoiceTitle.objects.filter(customer_id=customer.pk)
    if not can_use(actor):
        return qs.none()
    return qs.order_by("name", "id")


def scoped_instalments(*, actor: Any) -> QuerySet[Instalment]:
    return _scoped(actor, Instalment.objects.all())


def overdue_list(*, actor: Any, today: dt.date | None = None) -> QuerySet[Instalment]:
    """Open instalments past their planned date, oldest first."""
    day = today or timezone.localdate()
    return (
        scoped_instalments(actor=actor)
        .filter(status__in=OPEN_INSTALMENT_STATUSES, due_date__lt=day)
        .select_related("contract", "customer", "owner")
        .order_by("due_date", "id")
    )


def my_overdue(*, actor: Any, today: dt.date | None = None) -> QuerySet[Instalment]:
    return overdue_list(actor=actor, today=today).filter(owner_id=actor.pk)


# --- receivables aging ---------------------------------------------------------------------


@dataclass
class AgingRow:
    key: Any
    label: str = ""
    buckets: dict[str, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)


def _bucket_expressions(today: dt.date) -> dict[str, Any]:
    open_amount = F("amount") - F("received")
    out = DecimalField(max_digits=14, decimal_places=2)
    expressions: dict[str, Any] = {}
    for key, low, high in BUCKETS:
        # days overdue = today - due_date, so "days ≥ low" is "due_date ≤ today - low"
        condition = Q()
        if low is not None:
            condition &= Q(due_date__lte=today - dt.timedelta(days=low))
        if high is not None:
            condition &= Q(due_date__gte=today - dt.timedelta(days=high))
        # FILTER, not SUM(CASE …): each row's open amount is added to its one bucket only
        # (one numeric addition a row, not five); a bucket no row falls in is NULL.
        expressions[key] = Sum(open_amount, filter=condition, output_field=out)
    return expressions


def bucket_sums(today: dt.date) -> dict[str, Any]:
    """The five bucket sums of open instalments as of ``today`` (the live aging's; the
    maintained summary is written with the same expressions)."""
    return _bucket_expressions(today)


def summary_current(day: dt.date) -> bool:
    """Whether the maintained summary (``CustomerAging``) is for ``day``: one primary-key
    read of ``AgingState``. A summary of another day (stale) or none is never used."""
    as_of = AgingState.objects.filter(key=1).values_list("as_of", flat=True).first()
    return as_of is not None and as_of == day


def _summary_sums() -> dict[str, Any]:
    return {k: Sum(AGING_COLUMNS[k], output_field=MONEY) for k, _l, _h in BUCKETS}


def receivables_aging(
    *,
    actor: Any,
    group_by: str = "customer",
    today: dt.date | None = None,
    live: bool = False,
) -> list[AgingRow]:
    """The open amount of the instalments the actor may read in aging buckets, one row per
    customer, owner or department (``group_by``); the buckets partition each row's open
    amount. One grouped scan of an open-instalment partial index that holds every column
    the query reads (an index-only scan on PostgreSQL): by customer, the index in customer
    order (``instalment_customer_open_idx``), so the groups stream out of a sorted
    aggregate and need no hash table; by owner or department, twenty thousand customers
    fold into a hundred or five groups. When the maintained summary is for the day asked
    (``summary_current``; ``live`` skips it) the same groups are summed from its rows
    instead: one more query (the summary's day), a scan of ~one row per customer."""
    column = GROUPS[group_by]
    keys = [k for k, _l, _h in BUCKETS]
    day = today or timezone.localdate()
    rows = _aging_query(actor, group_by, day, summary=not live and summary_current(day))
    if group_by != "customer":
        result = [
            AgingRow(key=key, buckets={k: v or ZERO for k, v in zip(keys, sums, strict=True)})
            for key, *sums in rows.values_list(column, *keys)
        ]
        _label(result, group_by)
        return result
    unnamed = _("未指定")
    return [
        AgingRow(
            key=key,
            label=label or unnamed,
            buckets={k: v or ZERO for k, v in zip(keys, sums, strict=True)},
        )
        for key, label, *sums in rows.values_list(column, "group_name", *keys)
    ]


def _aging_query(
    actor: Any, group_by: str, day: dt.date, *, summary: bool = False
) -> QuerySet[Any]:
    """The full aging's one grouped query: per group its key, the five sums and, by
    customer, the customer's name as ``group_name``."""
    from guanxi.customers.models import Customer

    rows = _grouped(actor, group_by, day, summary=summary)
    if group_by == "customer":
        # Tens of thousands of customers: their names in the same query (one primary-key
        # probe a group), not a second one listing every id.
        name = Subquery(Customer.objects.filter(pk=OuterRef(GROUPS[group_by])).values("name")[:1])
        rows = rows.annotate(group_name=name)
    return rows


def _grouped(actor: Any, group_by: str, day: dt.date, *, summary: bool = False) -> QuerySet[Any]:
    """The aging grouped by ``group_by``: one row a group with the five bucket sums, from
    the open instalments (live) or, with ``summary`` (the caller checked it is for ``day``),
    from the maintained rows — scoped alike, both carrying the instalments' owner and
    department."""
    column = GROUPS[group_by]
    if summary:
        return (
            _scoped(actor, CustomerAging.objects.all())
            .values(column)
            .annotate(**_summary_sums())
            .order_by(column)
        )
    return (
        scoped_instalments(actor=actor)
        .filter(status__in=OPEN_INSTALMENT_STATUSES)
        .values(column)
        .annotate(**_bucket_expressions(day))
        .order_by(column)
    )


# --- one page of the aging (the receivables page and the API) ------------------------------

MONEY = DecimalField(max_digits=14, decimal_places=2)


class _OverAll(Func):
    """``SUM(<a group's sum>) OVER ()``: the sum over every group of the grouped query,
    computed before its ``LIMIT``; not a grouping column."""

    template = "SUM(%(expressions)s) OVER ()"
    output_field = MONEY

    def get_group_by_cols(self) -> list[Any]:
        return []


class _GroupCount(Func):
    """``COUNT(*) OVER ()``: the number of groups of the grouped query, before its LIMIT."""

    template = "COUNT(*) OVER ()"
    output_field = IntegerField()

    def get_group_by_cols(self) -> list[Any]:
        return []


@dataclass
class AgingPage:
    """``rows``: at most ``limit`` groups, the largest open amount first; ``totals`` and
    ``count``: over every group of the actor's aging, not only the page."""

    rows: list[AgingRow]
    totals: dict[str, Decimal]
    count: int

    @property
    def total(self) -> Decimal:
        return sum(self.totals.values(), ZERO)


def aging_page_query(
    actor: Any,
    group_by: str,
    day: dt.date,
    *,
    limit: int,
    offset: int = 0,
    summary: bool = False,
) -> QuerySet[Any]:
    """The page's one grouped query (the bench explains it): one scan of the open
    instalments grouped by ``group_by``, each group's five sums and open total; window sums
    over all groups (``all_<bucket>``, ``groups``) ride along on every row, so the totals
    cost no second scan; then the groups ordered by open total, largest first (key on
    ties), and sliced. No names: a group's name is read only for the rows of the page."""
    column = GROUPS[group_by]
    keys = [k for k, _l, _h in BUCKETS]
    total = sum((Coalesce(F(k), Value(ZERO), output_field=MONEY) for k in keys[1:]),
                Coalesce(F(keys[0]), Value(ZERO), output_field=MONEY))  # fmt: skip
    rows = _grouped(actor, group_by, day, summary=summary).annotate(
        open_total=total,
        **{f"all_{k}": _OverAll(F(k)) for k in keys},
        groups=_GroupCount(),
    )
    return rows.order_by("-open_total", column)[offset : offset + limit]


def aging_page(
    *,
    actor: Any,
    group_by: str = "customer",
    today: dt.date | None = None,
    limit: int = 500,
    offset: int = 0,
    live: bool = False,
) -> AgingPage:
    """One page of the aging: the ``limit`` groups after ``offset`` with the largest open
    amount, with their names, and the totals and number of all groups. Three queries: the
    summary's day (``summary_current``), the grouped scan (``aging_page_query``: of the
    maintained summary when it is for ``day``, else of the open instalments; ``live``
    forces the latter) and the names of the page's groups by primary key (a fourth, light
    one only when ``offset`` is past the last group)."""
    day = today or timezone.localdate()
    column = GROUPS[group_by]
    keys = [k for k, _l, _h in BUCKETS]
    summary = not live and summary_current(day)
    found = list(
        aging_page_query(actor, group_by, day, limit=limit, offset=offset, summary=summary)
    )
    if not found and offset:
        whole = aging_page(actor=actor, group_by=group_by, today=day, limit=1, live=live)
        return AgingPage(rows=[], totals=whole.totals, count=whole.count)
    rows = [AgingRow(key=r[column], buckets={k: r[k] or ZERO for k in keys}) for r in found]
    _label(rows, group_by)
    first = found[0] if found else {}
    return AgingPage(
        rows=rows,
        totals={k: first.get(f"all_{k}") or ZERO for k in keys},
        count=int(first.get("groups") or 0),
    )


def _label(rows: list[AgingRow], group_by: str) -> None:
    """The groups' names: one query by primary keys (owners and departments are a hundred
    or so; customers only those of one page)."""
    from guanxi.accounts.models import Team, User
    from guanxi.customers.models import Customer

    ids = [r.key for r in rows if r.key is not None]
    if not ids:
        names: dict[Any, str] = {}
    elif group_by == "customer":
        names = dict(Customer.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif group_by == "owner":
        names = {u.pk: str(u) for u in User.objects.filter(pk__in=ids)}
    else:
        names = dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    for row in rows:
        row.label = names.get(row.key, _("未指定"))


def aging_totals(rows: list[AgingRow]) -> dict[str, Decimal]:
    return {k: sum((r.buckets[k] for r in rows), ZERO) for k, _l, _h in BUCKETS}


def bucket_labels() -> dict[str, str]:
    return {
        "not_due": _("未到期"),
        "d0_30": _("逾期 0–30 天"),
        "d31_60": _("逾期 31–60 天"),
        "d61_90": _("逾期 61–90 天"),
        "d90_plus": _("逾期 90 天以上"),
    }


# --- the customer 360 panel ----------------------------------------------------------------


def customer_summary(*, actor: Any, customer_id: int) -> dict[str, Any]:
    """The customer's contracts the actor may read (latest first, at most 5) with the
    totals of all of them that bind (approved, active, finished): one query — the totals
    are window sums, computed over every row before the LIMIT."""
    binding = Q(status__in=BINDING_STATUSES)
    money = DecimalField(max_digits=14, decimal_places=2)

    def total(column: str) -> Window:
        summed = Sum(Case(When(binding, then=F(column)), default=Value(ZERO), output_field=money))
        return Window(expression=summed, output_field=money)

    rows = list(
        scoped_contracts(actor=actor)
        .filter(customer_id=customer_id)
        .annotate(total_amount=total("amount"), total_collected=total("collected"))
        .order_by("-created_at", "-id")[:5]
    )
    amount = Decimal(rows[0].total_amount or ZERO) if rows else ZERO
    collected = Decimal(rows[0].total_collected or ZERO) if rows else ZERO
    percent = (collected * 100 / amount).quantize(Decimal("0.1")) if amount else ZERO
    return {
        "contracts": rows,
        "amount": amount,
        "collected": collected,
        "receivable": max(amount - collected, ZERO),
        "percent": percent,
    }


def invoice_titles_all(*, actor: Any) -> QuerySet[InvoiceTitle]:
    """Every invoice title of the customers the actor may read."""
    if not can_use(actor):
        return InvoiceTitle.objects.none()
    return permissions.scope_by_customer(actor, InvoiceTitle.objects.all())
