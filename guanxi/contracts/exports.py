"""The receivables as export lists (``guanxi.imports.registry``): the aging of the open
instalments per customer, owner or department (``receivables``; one row per group, the
receivables page's table) and the overdue instalments (``overdue_instalments``; the
page's overdue list). Both read the actor's scoped instalments, the page's selectors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from django.db.models import CharField, DecimalField, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _text
from django.utils.translation import gettext_lazy as _

from guanxi.contracts import selectors
from guanxi.contracts.models import OPEN_INSTALMENT_STATUSES, Instalment
from guanxi.core.errors import ValidationFailed
from guanxi.imports import registry
from guanxi.imports.columns import Cells, Column, Row, choice_column, field_column, user_column

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)


def _group_name(group_by: str) -> Any:
    if group_by == "customer":
        return F("customer__name")
    if group_by == "team":
        return F("team__name")
    return Coalesce(
        NullIf(F("owner__display_name"), Value("")), F("owner__username"), output_field=CharField()
    )


def aging_rows(actor: Any, params: Mapping[str, Any]) -> QuerySet[Any]:
    """One row per customer, owner or department (``group_by``) with the open amount in
    each aging bucket and in all: the receivables page's grouped scan."""
    group_by = str(params.get("group_by") or "customer")
    if group_by not in selectors.GROUPS:
        raise ValidationFailed({"group_by": _text("可选：customer、owner、team")})
    column = selectors.GROUPS[group_by]
    buckets = selectors._bucket_expressions(timezone.localdate())
    rows: QuerySet[Any] = (
        selectors.scoped_instalments(actor=actor)
        .filter(status__in=OPEN_INSTALMENT_STATUSES)
        .values(column)
        .annotate(
            group_name=_group_name(group_by),
            **buckets,
            open_total=Sum(F("amount") - F("received"), output_field=MONEY),
        )
        .order_by("group_name", column)
    )
    return rows


def _name(row: Row, _cells: Cells) -> str:
    return str(row["group_name"] or _text("未指定"))


def _money(name: str) -> Any:
    return lambda row, _cells: row[name] or ZERO


AGING_COLUMNS: Final = (
    Column(_("客户 / 负责人 / 部门"), ("group_name",), _name),
    Column(_("未到期"), ("not_due",), _money("not_due")),
    Column(_("逾期 0–30 天"), ("d0_30",), _money("d0_30")),
    Column(_("逾期 31–60 天"), ("d31_60",), _money("d31_60")),
    Column(_("逾期 61–90 天"), ("d61_90",), _money("d61_90")),
    Column(_("逾期 90 天以上"), ("d90_plus",), _money("d90_plus")),
    Column(_("合计"), ("open_total",), _money("open_total")),
)


def overdue_rows(actor: Any, params: Mapping[str, Any]) -> QuerySet[Any]:
    """The open instalments past their planned date, oldest first (the page's list)."""
    return selectors.overdue_list(actor=actor)


def _open(row: Row, _cells: Cells) -> Decimal:
    return Decimal(row["amount"] - row["received"])


def _days(row: Row, _cells: Cells) -> int:
    due: dt.date = row["due_date"]
    return (timezone.localdate() - due).days


OVERDUE_COLUMNS: Final = (
    field_column("contract__number", _("合同编号")),
    field_column("contract__title", _("合同名称")),
    field_column("customer__name", _("客户")),
    field_column("sequence", _("期数")),
    field_column("due_date", _("计划回款日期")),
    field_column("amount", _("计划金额")),
    field_column("received", _("已回款")),
    Column(_("未回款"), ("amount", "received"), _open),
    Column(_("逾期天数"), ("due_date",), _days),
    choice_column(Instalment, "status", _("状态")),
    user_column("owner", _("负责人")),
)

AGING: Final = registry.ExportList(
    key="receivables",
    label=_("应收账龄"),
    queryset=aging_rows,
    columns=AGING_COLUMNS,
    filters="group_by: customer (default), owner or team",
    order=75,
    list_url="contracts:receivables",
)
OVERDUE: Final = registry.ExportList(
    key="overdue_instalments",
    label=_("逾期回款"),
    queryset=overdue_rows,
    columns=OVERDUE_COLUMNS,
    filters="none (every overdue instalment the user may see)",
    order=76,
    list_url="contracts:receivables",
)

registry.register_export(AGING)
registry.register_export(OVERDUE)
