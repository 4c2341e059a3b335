"""What the orders app lets users import and export (``guanxi.imports.registry``): orders
with their lines (one file row per line; rows with the same order number are one order)
and the list of order lines."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _text
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from guanxi.core import audit
from guanxi.core.db.copy import fast_table, fast_update
from guanxi.customers.importers.base import (
    CUSTOMER_REF_MESSAGES,
    CustomerRecordWriter,
    may_import_records,
    timeline_row,
    write_timeline,
)
from guanxi.customers.importers.fields import (
    CUSTOMER_REF,
    REQUIRED_CUSTOMER,
    REQUIRED_CUSTOMER_ERROR,
)
from guanxi.customers.models import TimelineEntry
from guanxi.customers.timeline import TimelineText
from guanxi.imports import registry
from guanxi.imports.columns import choice_column, field_column, text_column
from guanxi.imports.context import CREATE_ACTION, UPDATE_ACTION, ChunkResult, RunContext, RunLedger
from guanxi.imports.fields import (
    AMOUNT,
    CHOICE,
    DATE,
    QUANTITY,
    TEXT,
    FieldSpec,
    KindSpec,
    choice_words,
)
from guanxi.imports.models import OnDuplicate
from guanxi.imports.rows import CleanRow, RowCleaner
from guanxi.imports.writers import create_changes, plain, write_audit
from guanxi.orders import selectors
from guanxi.orders.models import Order, OrderLine, OrderStatus, Product

ORDER_LABEL: Final = "orders.order"
MAX_AMOUNT: Final = Decimal("999999999999.99")
CENT: Final = Decimal("0.01")

# --- import -----------------------------------------------------------------------------

STATUS_WORDS: Final = choice_words(
    {
        "confirmed": ("已确认", "确认", "正常", "完成", "已完成", "confirmed", "completed"),
        "cancelled": ("已取消", "取消", "作废", "cancelled", "canceled", "void"),
    }
)

ORDERS: Final = KindSpec(
    "orders",
    _("订单"),
    (
        FieldSpec(
            "number",
            _("订单号"),
            TEXT,
            required=True,
            max_length=40,
            aliases=(
                "订单号",
                "订单编号",
                "单号",
                "订单",
                "ordernumber",
                "orderno",
                "order",
                "orderid",
                "number",
            ),
        ),
        *CUSTOMER_REF,
        FieldSpec(
            "order_date",
            _("下单日期"),
            DATE,
            required=True,
            aliases=("下单日期", "订单日期", "日期", "成交日期", "orderdate", "date"),
        ),
        FieldSpec(
            "status",
            _("订单状态"),
            CHOICE,
            choices=OrderStatus,
            words=STATUS_WORDS,
            aliases=("订单状态", "状态", "status", "orderstatus"),
        ),
        FieldSpec(
            "note",
            _("备注"),
            TEXT,
            max_length=500,
            aliases=("备注", "订单备注", "note", "notes", "remark"),
        ),
        FieldSpec(
            "product",
            _("产品编码"),
            TEXT,
            max_length=40,
            aliases=(
                "产品编码",
                "商品编码",
                "产品代码",
                "物料编码",
                "sku",
                "productcode",
                "itemcode",
            ),
        ),
        FieldSpec(
            "description",
            _("产品名称"),
            TEXT,
            max_length=200,
            aliases=(
                "产品名称",
                "商品名称",
                "品名",
                "产品",
                "商品",
                "明细",
                "描述",
                "description",
                "product",
                "item",
                "productname",
            ),
        ),
        FieldSpec("quantity", _("数量"), QUANTITY, aliases=("数量", "件数", "quantity", "qty")),
        FieldSpec("unit_price", _("单价"), AMOUNT, aliases=("单价", "价格", "unitprice", "price")),
        FieldSpec(
            "amount",
            _("金额"),
            AMOUNT,
            aliases=(
                "金额",
                "小计",
                "行金额",
                "订单金额",
                "总金额",
                "amount",
                "linetotal",
                "subtotal",
                "ordertotal",
                "total",
            ),
        ),
    ),
    required_any=REQUIRED_CUSTOMER,
    required_any_error=REQUIRED_CUSTOMER_ERROR,
)


class OrderWriter(CustomerRecordWriter):
    """Rows with the same order number are the lines of one order. Orders are financial
    records: an order number that already exists is skipped (``update`` and ``skip``) or an
    error (``create``); only the lines of an order this run created are added to it."""

    def __init__(self, ctx: RunContext, cleaner: RowCleaner) -> None:
        super().__init__(ctx, cleaner)
        #: orders created by this run, number → id (lines of one order may span chunks)
        self.run_orders: dict[str, int] = {}

    def resume(self, ledger: RunLedger) -> None:
        ids = ledger.created_ids(ORDER_LABEL)
        for start in range(0, len(ids), 2000):
            self.run_orders.update(
                Order.objects.filter(pk__in=ids[start : start + 2000]).values_list("number", "id")
            )

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
            run_order = self.run_orders.get(number)
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

    @functools.cached_property
    def _whole_orders(self) -> bool:
        """A file without product columns (order number, customer, date, amount: what old
        systems export) has one row per order: each becomes a one-line order."""
        mapped = {f.name for _i, _h, f, _p in self.cleaner.columns}
        return not mapped & {"product", "description"}

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
        if not description and self._whole_orders:
            description = _text("订单 %(number)s") % {"number": values["number"]}
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
            self.run_orders[order["number"]] = pk
            for line in lines:
                line_rows.append({**line, "order_id": pk})
            changes = create_changes({**order, "currency": "CNY"}, names)
            changes["lines"] = [
                None,
                [
                    {k: plain(li[k]) for k in ("description", "quantity", "unit_price", "amount")}
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
                timeline_row(
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
        write_audit(audits)
        write_timeline(entries)

    def _append(self, appended: dict[int, list[dict[str, Any]]], result: ChunkResult) -> None:
        """Lines of an order this run created in an earlier chunk."""
        ctx = self.ctx
        orders = {o.pk: o for o in Order.objects.filter(pk__in=list(appended))}
        line_rows: list[dict[str, Any]] = []
        audits: list[dict[str, Any]] = []
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
                                    k: plain(li[k])
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
        write_audit(audits)


KIND: Final = registry.ImportKind(
    key="orders",
    label=_("订单"),
    spec=ORDERS,
    writer=OrderWriter,
    models=(Order, OrderLine),
    also_writes=(TimelineEntry,),
    may_import=may_import_records,
    messages={
        **CUSTOMER_REF_MESSAGES,
        "amount_mismatch": _("金额 %(value)s 与 数量×单价 不符。"),
        "line_needs_price": _("须填写单价或金额。"),
        "line_needs_description": _("须填写产品名称或产品编码。"),
        "unknown_product": _("产品编码“%(value)s”不存在。"),
        "order_exists": _("订单号“%(value)s”已存在。"),
        "order_other_customer": _("订单“%(value)s”的各行属于不同客户。"),
        "order_too_large": _("订单金额过大。"),
        "order_incomplete": _("订单“%(value)s”的其他行有错误，整张订单未导入。"),
        "order_too_many_lines": _("一张订单最多 500 行明细。"),
    },
    order=30,
)

# --- export -----------------------------------------------------------------------------

#: one row per order line
LINE_COLUMNS: Final = (
    field_column("order__number", _("订单号")),
    field_column("order__customer__name", _("客户名称")),
    field_column("order__order_date", _("下单日期")),
    choice_column(Order, "order__status", _("订单状态")),
    text_column("product__code", _("产品编码")),
    field_column("description", _("产品名称")),
    field_column("quantity", _("数量")),
    field_column("unit_price", _("单价")),
    field_column("amount", _("金额")),
    field_column("order__note", _("备注")),
)


def _order_lines(actor: Any, params: Mapping[str, Any]) -> QuerySet[Any]:
    """The lines of the orders the orders list shows for the same filters."""
    filters = selectors.validate_order_filters(params)
    orders = selectors.order_queryset(actor=actor, filters=filters)
    return OrderLine.objects.filter(order__in=orders.order_by().values("pk")).order_by(
        "-order__order_date", "order_id", "id"
    )


EXPORT: Final = registry.ExportList(
    key="orders",
    label=_("订单"),
    queryset=_order_lines,
    columns=LINE_COLUMNS,
    filters="the orders list's filters (customer, date_from, date_to, status, q)",
    order=30,
    list_url="orders:list",
)

registry.register_kind(KIND)
registry.register_export(EXPORT)
