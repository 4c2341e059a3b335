"""What sales plugs into notifications: the "next step due" reminder of open opportunities
and the "my opportunities" card of "my day" (next steps due, deals expected to close soon).
Registered from ``apps.py``.

Like the follow-up reminders, a next step is announced on the working day before it when
it falls on a weekend or holiday (``customers.reminders.announce_span``); each opportunity
is reminded once per due date, however often the rule runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, cast

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from guanxi.accounts import permissions
from guanxi.customers.reminders import announce_span
from guanxi.notifications.registry import (
    Channel,
    DueQuery,
    MyDayItem,
    NotificationKind,
    Rule,
    Section,
    register_kind,
    register_my_day,
    register_rule,
)
from guanxi.sales import selectors
from guanxi.sales.models import Opportunity, OpportunityStatus

NEXT_STEP_DUE = "sales_next_step_due"
NEXT_STEP_TITLE = gettext_noop("商机下一步到期：%(name)s（%(date)s）")
LIMIT = 10


def _text(expr: Any) -> Cast:
    return Cast(expr, CharField())


def _detail_url(id_field: str) -> Concat:
    """``reverse("sales:detail")`` of the row, in SQL."""
    sentinel = 987654321
    prefix, suffix = reverse("sales:detail", args=[sentinel]).split(str(sentinel))
    return Concat(Value(prefix), _text(id_field), Value(suffix), output_field=CharField())


def next_step_dues(today: dt.date) -> Iterator[DueQuery]:
    """Open opportunities whose next step falls in today's announce span: one
    ``INSERT … SELECT`` to their owners."""
    span = announce_span(today)
    if span is None:
        return
    rows = Opportunity.objects.filter(
        status=OpportunityStatus.OPEN, next_step_due__range=span, owner__isnull=False
    )
    yield DueQuery(
        kind=NEXT_STEP_DUE,
        rows=rows,
        recipient=F("owner_id"),
        title=NEXT_STEP_TITLE,
        params={"name": F("name"), "date": _text("next_step_due")},
        body=F("next_step"),
        url=_detail_url("id"),
        subject_model="sales.opportunity",
        subject_id=_text("id"),
        dedupe_key=Concat(
            Value("opp-next-step:"), _text("id"), Value(":"), _text("next_step_due"),
            output_field=CharField(),
        ),
    )  # fmt: skip


def _item(opportunity: Opportunity, today: dt.date) -> MyDayItem:
    due = opportunity.next_step_due
    if due is not None and due <= today:
        when, note = due, _("下一步：%(step)s") % {"step": opportunity.next_step or "—"}
    else:
        when = opportunity.expected_close or today
        note = _("预计成交 · %(customer)s") % {"customer": opportunity.customer.name}
    return MyDayItem(
        title=opportunity.name,
        url=reverse("sales:detail", args=[opportunity.pk]),
        when=when,
        note=note,
        overdue=when < today,
    )


def my_opportunities(actor: Any, today: dt.date) -> list[MyDayItem]:
    rows = selectors.my_day_opportunities(actor=actor, today=today)[:LIMIT]
    return [_item(o, today) for o in rows]


def my_opportunities_count(actor: Any, today: dt.date) -> int:
    return selectors.my_day_opportunities(actor=actor, today=today).count()


def register() -> None:
    register_kind(
        NotificationKind(
            NEXT_STEP_DUE, gettext_lazy("商机下一步到期"),
            default_channels=frozenset({Channel.INAPP, Channel.EMAIL}),
        )
    )  # fmt: skip
    register_rule(Rule("sales_next_steps", gettext_lazy("商机下一步到期"), next_step_dues,
                       order=40))  # fmt: skip
    register_my_day(
        Section(
            key="sales_opportunities",
            label=gettext_lazy("我的商机：下一步到期与即将成交"),
            order=12,
            items=my_opportunities,
            count=my_opportunities_count,
            visible=permissions.can_create_customer,
            limit=LIMIT,
            more_url=cast(str, reverse_lazy("sales:list")),
        )
    )
