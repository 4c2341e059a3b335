"""The demo's products and orders (``orders``): the catalogue, then two years of orders and
their lines, drawn from each customer's activity window."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_noop

from guanxi.core import audit
from guanxi.core.models import AuditAction, AuditEntry, AuditSource
from guanxi.customers.models import Customer, CustomerKind, CustomerStatus
from guanxi.customers.timeline import TimelineText, timeline_entry
from guanxi.demo.context import Context
from guanxi.demo.seeders.customers import activity_window
from guanxi.demo.words import PRODUCTS
from guanxi.orders.models import Order, OrderLine, Product


def seed_products(ctx: Context) -> None:
    """The product catalogue (:data:`~guanxi.demo.words.PRODUCTS`)."""
    products = [
        Product(code=c, name=n, category=cat, unit_price=Decimal(p)) for c, n, cat, p in PRODUCTS
    ]
    Product.objects.bulk_create(products)
    audit.audit_bulk_create(actor=None, objs=products, customer_attr=None)
    ctx.counts["products"] = len(products)
    ctx.products = products


def seed_orders(ctx: Context) -> None:
    """Two years of orders with their lines, each with its audit and timeline entry: a few
    frequent big buyers, regular ones, and occasional ones."""
    rng = ctx.rng
    by_cat: dict[str, list[Product]] = defaultdict(list)
    for p in ctx.products:
        by_cat[p.category].append(p)
    planned: list[tuple[dt.date, Customer, list[OrderLine]]] = []
    for c in ctx.customers:
        if c.status == CustomerStatus.PROSPECT:
            continue
        window = activity_window(ctx, c)
        if window is None:
            continue
        start, end = window
        r = rng.random()
        if c.name == "华为技术有限公司" or r < 0.06:
            gap, big = (14, 45), True  # frequent big buyer
        elif r < 0.35:
            gap, big = (60, 120), False  # regular
        else:
            gap, big = (0, 0), False  # occasional: 1–3 orders in the window
        if c.kind == CustomerKind.GOVERNMENT:
            gap = (150, 300) if gap != (0, 0) else gap
        if gap == (0, 0):
            dates = sorted(ctx.day_between(start, end) for _ in range(rng.choice([1, 1, 2, 3])))
        else:
            dates, day = [], start + dt.timedelta(days=rng.randint(0, gap[0]))
            while day <= end:
                dates.append(day)
                day += dt.timedelta(days=rng.randint(*gap))
        for day in dates:
            planned.append((day, c, _lines(ctx, c, by_cat, big)))
    planned.sort(key=lambda t: (t[0], t[1].pk))
    seq: Counter[dt.date] = Counter()
    orders: list[Order] = []
    for day, c, lines in planned:
        seq[day] += 1
        total = sum((li.amount for li in lines), Decimal("0"))
        orders.append(
            Order(
                customer_id=c.pk,
                number=f"SO{day:%Y%m%d}-{seq[day]:05d}",
                order_date=day,
                total=total,
            )
        )
    Order.objects.bulk_create(orders, batch_size=1000)
    all_lines: list[OrderLine] = []
    for order, (_day, _c, lines) in zip(orders, planned, strict=True):
        for li in lines:
            li.order_id = order.pk
        all_lines.extend(lines)
    OrderLine.objects.bulk_create(all_lines, batch_size=2000)
    now = timezone.now()
    for order, (day, _c, lines) in zip(orders, planned, strict=True):
        changes = {k: [None, v] for k, v in audit.snapshot(order).items() if v not in (None, "")}
        changes["lines"] = [
            None,
            [
                audit.snapshot(li, ["description", "quantity", "unit_price", "amount"])
                for li in lines
            ],
        ]
        ctx.audit.append(
            AuditEntry(
                actor=None,
                actor_label="system",
                source=AuditSource.SYSTEM,
                action=AuditAction.CREATE,
                model="orders.order",
                object_id=str(order.pk),
                object_repr=order.number,
                customer_id=order.customer_id,
                changes=changes,
                created_at=now,
            )
        )
        ctx.timeline.append(
            timeline_entry(
                customer_id=order.customer_id,
                kind="order",
                occurred_at=ctx.at(day, 12),
                title=TimelineText(
                    gettext_noop("订单 %(number)s，金额 ¥%(total)s"),
                    {"number": order.number, "total": f"{order.total:,.2f}"},
                ),
                body="；".join(
                    f"{li.description} × {li.quantity.normalize():f}" for li in lines[:10]
                ),
                subject=order,
                data={"total": str(order.total)},
            )
        )
    ctx.counts["orders"], ctx.counts["order_lines"] = len(orders), len(all_lines)
    ctx.log(f"订单 {len(orders)}，明细 {len(all_lines)}")


def _lines(
    ctx: Context, c: Customer, by_cat: dict[str, list[Product]], big: bool
) -> list[OrderLine]:
    rng = ctx.rng
    if c.kind == CustomerKind.INDIVIDUAL:
        cats = ["硬件", "云服务", "服务"]
        n = 1
    elif big:
        cats = ["软件", "服务", "硬件", "硬件", "云服务", "咨询"]
        n = rng.randint(2, 5)
    else:
        cats = ["软件", "软件", "服务", "服务", "硬件", "云服务"]
        n = rng.choice([1, 1, 2, 3])
    chosen: dict[str, Product] = {}
    for _i in range(n):
        p = rng.choice(by_cat[rng.choice(cats)])
        chosen[p.code] = p
    lines = []
    for p in chosen.values():
        price = p.unit_price
        if price < 5000:
            qty = Decimal(rng.randint(1, 40 if big else 10))
        elif price < 30000:
            qty = Decimal(rng.randint(1, 10 if big else 3))
        else:
            qty = Decimal(rng.randint(1, 2))
        if c.kind == CustomerKind.INDIVIDUAL:
            qty = Decimal(1)
        if rng.random() < 0.3:  # negotiated discount
            price = (price * Decimal(rng.choice(["0.95", "0.9", "0.85", "0.8"]))).quantize(
                Decimal("0.01")
            )
        lines.append(
            OrderLine(
                product=p,
                description=p.name,
                quantity=qty,
                unit_price=price,
                amount=(qty * price).quantize(Decimal("0.01")),
            )
        )
    return lines
