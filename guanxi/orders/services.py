"""Writes of products and orders. Each validates, writes in one transaction, audits
(actor, UTC time, old → new) and puts orders on the customer's timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.money import MAX_AMOUNT, parse_money
from guanxi.core.writes import apply_fields, check_version, full_clean, reject_unknown
from guanxi.customers.services import customer_lock, customer_record_lock
from guanxi.customers.timeline import TimelineText, timeline_add
from guanxi.orders.models import Order, OrderLine, OrderStatus, Product

PRODUCT_FIELDS = frozenset({"code", "name", "category", "unit_price", "active"})
MAX_LINES = 500


@transaction.atomic
def product_create(*, actor: Any, data: Mapping[str, Any]) -> Product:
    if not permissions.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以维护产品目录。"))
    reject_unknown(data, PRODUCT_FIELDS)
    product = Product()
    apply_fields(product, data)
    full_clean(product)
    if Product.objects.filter(code=product.code).exists():
        raise Conflict(_("产品编码已存在。"), field="code")
    product.save()
    audit.audit_create(actor=actor, obj=product)
    return product


@transaction.atomic
def product_update(
    *, actor: Any, product_id: int, data: Mapping[str, Any], version: int
) -> Product:
    if not permissions.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以维护产品目录。"))
    reject_unknown(data, PRODUCT_FIELDS)
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("产品不存在。"))
    check_version(product, version)
    before = audit.snapshot(product)
    apply_fields(product, data)
    full_clean(product)
    if Product.objects.filter(code=product.code).exclude(pk=product.pk).exists():
        raise Conflict(_("产品编码已存在。"), field="code")
    if not audit.diff(before, audit.snapshot(product, before.keys())):
        return product
    product.version += 1
    product.save()
    audit.audit_update(actor=actor, obj=product, before=before)
    return product


def _next_order_number(order_date: dt.date) -> str:
    prefix = f"SO{order_date:%Y%m%d}-"
    last = (
        Order.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last and last.rsplit("-", 1)[1].isdigit() else 1
    return f"{prefix}{seq:05d}"


@transaction.atomic
def order_create(
    *,
    actor: Any,
    customer_id: int,
    order_date: dt.date,
    lines: Sequence[Mapping[str, Any]],
    number: str | None = None,
    note: str = "",
) -> Order:
    """Create a confirmed order; the total is the sum of its lines (never taken from input)."""
    customer = customer_lock(actor, customer_id)
    if not lines:
        raise ValidationFailed({"lines": _("订单至少需要一行明细。")})
    if len(lines) > MAX_LINES:
        raise ValidationFailed({"lines": _("一张订单最多 500 行明细。")})
    products = {
        p.pk: p
        for p in Product.objects.filter(
            pk__in=[line.get("product_id") for line in lines if line.get("product_id")]
        )
    }
    built: list[OrderLine] = []
    for i, line in enumerate(lines):
        reject_unknown(line, {"product_id", "description", "quantity", "unit_price"})
        product_id = line.get("product_id")
        product = products.get(product_id) if product_id else None
        if line.get("product_id") and product is None:
            raise ValidationFailed({f"lines[{i}].product_id": _("产品不存在。")})
        quantity = parse_money(line.get("quantity", 1), f"lines[{i}].quantity", positive=True)
        price_raw = line.get("unit_price")
        if price_raw is None:
            if product is None:
                raise ValidationFailed({f"lines[{i}].unit_price": _("此字段必填。")})
            price_raw = product.unit_price
        unit_price = parse_money(price_raw, f"lines[{i}].unit_price")
        description = str(line.get("description") or (product.name if product else "")).strip()
        if not description:
            raise ValidationFailed({f"lines[{i}].description": _("此字段必填。")})
        if len(description) > 200:
            raise ValidationFailed({f"lines[{i}].description": _("不能超过 200 个字符。")})
        amount = (quantity * unit_price).quantize(Decimal("0.01"))
        if amount > MAX_AMOUNT:
            raise ValidationFailed({f"lines[{i}].quantity": _("数值过大。")})
        built.append(
            OrderLine(
                product=product,
                description=description,
                quantity=quantity,
                unit_price=unit_price,
                amount=amount,
            )
        )
    total = sum((line.amount for line in built), Decimal("0"))
    if total > MAX_AMOUNT:
        raise ValidationFailed({"lines": _("订单金额过大。")})
    number = (number or "").strip() or _next_order_number(order_date)
    if len(number) > 40:
        raise ValidationFailed({"number": _("不能超过 40 个字符。")})
    if len(note) > 500:
        raise ValidationFailed({"note": _("不能超过 500 个字符。")})
    if Order.objects.filter(number=number).exists():
        raise Conflict(_("订单号已存在。"), field="number")
    order = Order.objects.create(
        customer=customer,
        number=number,
        order_date=order_date,
        total=total,
        note=note,
        created_by=actor,
    )
    for order_line in built:
        order_line.order = order
    OrderLine.objects.bulk_create(built)
    audit.record(
        actor=actor,
        action="create",
        obj=order,
        changes={
            **{k: [None, v] for k, v in audit.snapshot(order).items() if v not in (None, "")},
            "lines": [None, [audit.snapshot(li, ["description", "quantity", "unit_price",
                                                  "amount"]) for li in built]],
        },
        customer_id=customer.pk,
    )  # fmt: skip
    occurred = timezone.make_aware(dt.datetime.combine(order_date, dt.time(12, 0)))
    timeline_add(
        customer_id=customer.pk,
        kind="order",
        occurred_at=occurred,
        title=TimelineText(
            gettext_noop("订单 %(number)s，金额 ¥%(total)s"),
            {"number": number, "total": f"{total:,.2f}"},
        ),
        body="；".join(f"{li.description} × {li.quantity.normalize():f}" for li in built[:10]),
        actor=actor,
        subject=order,
        data={"total": str(total)},
    )
    return order


@transaction.atomic
def order_cancel(*, actor: Any, order_id: int, version: int) -> Order:
    order, customer = customer_record_lock(actor, Order, order_id)
    check_version(order, version)
    if order.status == OrderStatus.CANCELLED:
        return order
    before = audit.snapshot(order)
    order.status = OrderStatus.CANCELLED
    order.version += 1
    order.save()
    audit.audit_update(actor=actor, obj=order, before=before, customer_id=customer.pk)
    timeline_add(
        customer_id=customer.pk,
        kind="order",
        occurred_at=timezone.now(),
        title=TimelineText(gettext_noop("订单 %(number)s 已取消"), {"number": order.number}),
        actor=actor,
        subject=order,
    )
    return order
