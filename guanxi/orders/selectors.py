"""Reads of products and orders, scoped by the actor through the customer they belong to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Min, Prefetch, QuerySet, Sum
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.core.db.paging import Page, paginate
from guanxi.core.errors import ValidationFailed
from guanxi.customers.models import Customer
from guanxi.customers.selectors import record_of_customer
from guanxi.imports.exporting import parse_date, parse_id
from guanxi.orders.models import Order, OrderLine, OrderStatus, Product


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


RECENT_ORDERS = 10


def recent_orders_page(
    *, customer: Customer, limit: int = RECENT_ORDERS
) -> tuple[list[Order], bool]:
    """The ``limit`` newest orders of ``customer`` and whether it has more (one query: one
    row more than shown)."""
    rows = list(customer.orders.order_by("-order_date", "-id")[: limit + 1])
    return rows[:limit], len(rows) > limit


def scoped_orders(*, actor: Any) -> QuerySet[Order]:
    return permissions.scope_by_customer(actor, Order.objects.all())


@dataclass(frozen=True)
class OrderFilters:
    """The filters of the orders list page and of the orders export (one parser for both)."""

    customer: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    status: str = ""
    q: str = ""

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters (for the export link), empty ones left out."""
        values = {
            "customer": self.customer,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "status": self.status,
            "q": self.q,
        }
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


ORDER_SEARCH_MAX = 40  # an order number's length


def validate_order_filters(params: Mapping[str, Any]) -> OrderFilters:
    """Parse ``customer``, ``date_from``, ``date_to`` (inclusive), ``status`` and ``q`` (an
    order number's beginning); every bad one at once, each naming its parameter."""
    errors: dict[str, str] = {}
    customer = parse_id(params, "customer", errors)
    date_from = parse_date(params, "date_from", errors)
    date_to = parse_date(params, "date_to", errors)
    status = str(params.get("status") or "")
    if status and status not in OrderStatus.values:
        errors["status"] = _("可选：%(values)s") % {"values": "、".join(OrderStatus.values)}
    q = str(params.get("q") or "").strip()
    if len(q) > ORDER_SEARCH_MAX:
        errors["q"] = _("最多 %(n)s 个字符。") % {"n": ORDER_SEARCH_MAX}
    if date_from and date_to and date_from > date_to:
        errors["date_to"] = _("结束日期不能早于开始日期。")
    if errors:
        raise ValidationFailed(errors)
    return OrderFilters(customer, date_from, date_to, status, q)


def order_queryset(*, actor: Any, filters: OrderFilters) -> QuerySet[Order]:
    """The orders ``actor`` may see that match ``filters``, newest first."""
    qs = scoped_orders(actor=actor)
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    if filters.date_from:
        qs = qs.filter(order_date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(order_date__lte=filters.date_to)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q:
        qs = qs.filter(number__istartswith=filters.q)
    return qs.order_by("-order_date", "-id")


def order_list(*, actor: Any, filters: OrderFilters, page: int, size: int) -> Page:
    """A page of the orders list with each order's customer: two queries (the page and,
    past the first page or a full one, the capped count)."""
    qs = (
        order_queryset(actor=actor, filters=filters)
        .select_related("customer")
        .only(
            "id",
            "number",
            "order_date",
            "status",
            "total",
            "currency",
            "customer_id",
            "customer__id",
            "customer__name",
        )
    )
    return paginate(qs, page=page, size=size)


def products(*, actor: Any) -> QuerySet[Product]:
    if not permissions.is_staff_actor(actor):
        return Product.objects.none()
    return Product.objects.all()


def order_get(*, customer: Customer, order_id: Any) -> Order:
    """An order with its lines (and their products) and its creator: three queries."""
    qs = (
        Order.objects.filter(customer=customer)
        .select_related("created_by")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by("id"))
        )
    )
    return record_of_customer(qs, order_id)
