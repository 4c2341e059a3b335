"""The "my targets" card of "my day" (SPEC B4): the actor's own targets of this month with
how far they are reached. Registered from ``apps.py``."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.accounts import permissions
from guanxi.notifications.registry import MyDayItem, Section, register_my_day
from guanxi.sales import selectors_targets

LIMIT = 5


def _amount(row: selectors_targets.TargetRow, value: Any) -> str:
    if value is None:
        return "—"
    if row.metric in ("revenue", "collections"):
        return f"¥{value:,.2f}"
    if row.metric == "new_customers":
        return f"{value:,.0f}"
    return f"{value}%" if row.metric == "retention" else f"{value}"


def my_targets(actor: Any, today: dt.date) -> list[MyDayItem]:
    period = selectors_targets.Period("month", today.year, today.month)
    data = selectors_targets.attainment(actor=actor, period=period, owner_id=actor.pk)
    url = f"{reverse('sales:targets')}?period={period.key}"
    items = []
    for row in data.rows[:LIMIT]:
        if row.no_data:
            note = row.no_data
        elif row.attainment is None:
            note = _("实际 %(actual)s / 目标 %(target)s") % {
                "actual": _amount(row, row.actual), "target": _amount(row, row.target)}  # fmt: skip
        else:
            note = _("已完成 %(pct)s%%（实际 %(actual)s / 目标 %(target)s）") % {
                "pct": row.attainment, "actual": _amount(row, row.actual),
                "target": _amount(row, row.target)}  # fmt: skip
        items.append(MyDayItem(title=_("本月%(metric)s") % {"metric": row.metric_label},
                               url=url, note=note))  # fmt: skip
    return items


def register() -> None:
    register_my_day(
        Section(
            key="sales_targets",
            label=gettext_lazy("我的本月业绩目标"),
            order=13,
            items=my_targets,
            visible=permissions.can_create_customer,
            limit=LIMIT,
            more_url=cast(str, reverse_lazy("sales:targets")),
        )
    )
