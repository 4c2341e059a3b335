"""What service plugs into notifications: the kinds of its notices (assigned, SLA warning,
SLA breach), the SLA sweep as a periodic job of the worker (every minute) and a daily
rule, and the "my tickets" card of "my day"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, cast

from django.urls import reverse, reverse_lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.periodic import PeriodicJob, register_periodic
from guanxi.notifications.registry import (
    Channel,
    Due,
    MyDayItem,
    NotificationKind,
    Rule,
    Section,
    register_kind,
    register_my_day,
    register_rule,
)
from guanxi.service import selectors
from guanxi.service.services import mailboxes, sla
from guanxi.service.services.tickets import TICKET_ASSIGNED
from guanxi.service.services.visits import FOLLOWUP_ASSIGNED

LIMIT = 10
SWEEP_EVERY = 60.0  # seconds


def _sweep_rule(today: dt.date) -> Iterator[Due]:
    # The sweep notifies by itself (set-based); the daily rule is a safety net for a
    # deployment that runs rules from cron without the worker's periodic loop.
    sla.sla_sweep()
    return iter(())


def _sweep() -> object:
    return sla.sla_sweep()


def _poll() -> object:
    return mailboxes.mailboxes_poll()


def _item(ticket: Any, now: dt.datetime) -> MyDayItem:
    due = ticket.resolution_due or ticket.first_response_due
    customer = ticket.customer.name if ticket.customer_id else _("未知客户")
    return MyDayItem(
        title=f"#{ticket.pk} {ticket.subject}",
        url=reverse("service:detail", args=[ticket.pk]),
        when=due,
        note=f"{customer} · {ticket.get_status_display()}",
        overdue=bool(due and due <= now),
    )


def my_tickets(actor: Any, today: dt.date) -> list[MyDayItem]:
    from django.utils import timezone

    now = timezone.now()
    return [_item(t, now) for t in selectors.my_open_tickets(actor=actor)[:LIMIT]]


def my_tickets_count(actor: Any, today: dt.date) -> int:
    return selectors.my_open_tickets(actor=actor).count()


def _visit_item(follow_up: Any, today: dt.date) -> MyDayItem:
    ticket = f" · #{follow_up.ticket_id}" if follow_up.ticket_id else ""
    due = follow_up.due_date
    note = str(follow_up.get_reason_display())
    if due > today:  # the card's date badge says "today" or "overdue": a later one in the note
        note += " · " + _("截止 %(date)s") % {"date": due.isoformat()}
    return MyDayItem(
        title=f"{follow_up.customer.name}{ticket}",
        url=f"{reverse('service:visits')}?status=pending&customer={follow_up.customer_id}",
        when=due if due <= today else None,
        note=note,
        overdue=due < today,
    )


def my_visits(actor: Any, today: dt.date) -> list[MyDayItem]:
    return [_visit_item(f, today) for f in selectors.my_followups(actor=actor)[:LIMIT]]


def my_visits_count(actor: Any, today: dt.date) -> int:
    return selectors.my_followups(actor=actor).count()


def _overdue_visits(today: dt.date) -> Iterator[Due]:
    from guanxi.service.models import FollowUp

    rows = FollowUp.objects.filter(status="pending", due_date__lt=today, owner__isnull=False)
    for pk, owner_id, name, due in rows.values_list(
        "pk", "owner_id", "customer__name", "due_date"
    ).iterator(chunk_size=1000):
        yield Due(
            kind=FOLLOWUP_OVERDUE, recipient_ids=[owner_id],
            title=format_lazy(gettext_lazy("回访已逾期：{customer}（应于 {date} 前）"),
                              customer=name, date=due.isoformat()),
            dedupe_key=f"service-followup-overdue:{pk}",
            url=f"{reverse('service:visits')}?status=overdue",
            subject_model="service.followup", subject_id=str(pk),
        )  # fmt: skip


FOLLOWUP_OVERDUE = "service_followup_overdue"


def register() -> None:
    register_kind(NotificationKind(TICKET_ASSIGNED, gettext_lazy("分配给我的工单")))
    register_kind(NotificationKind(FOLLOWUP_ASSIGNED, gettext_lazy("分配给我的回访")))
    register_kind(NotificationKind(FOLLOWUP_OVERDUE, gettext_lazy("回访已逾期")))
    register_rule(
        Rule("service_followups_overdue", gettext_lazy("逾期回访提醒"), _overdue_visits, order=61)
    )
    register_my_day(
        Section(
            key="service_visits", label=gettext_lazy("我的回访"), order=15, items=my_visits,
            count=my_visits_count, visible=selectors.can_serve, limit=LIMIT,
            more_url=cast(str, format_lazy("{}?status=pending", reverse_lazy("service:visits"))),
        )
    )  # fmt: skip
    register_kind(
        NotificationKind(
            sla.SLA_WARNING, gettext_lazy("工单即将超时"),
            default_channels=frozenset({Channel.INAPP, Channel.EMAIL}),
        )
    )  # fmt: skip
    register_kind(
        NotificationKind(
            sla.SLA_BREACH, gettext_lazy("工单已超时"),
            default_channels=frozenset({Channel.INAPP, Channel.EMAIL}),
        )
    )  # fmt: skip
    register_rule(Rule("service_sla_sweep", gettext_lazy("工单 SLA 检查"), _sweep_rule, order=60))
    register_periodic(PeriodicJob("service_sla_sweep", SWEEP_EVERY, _sweep))
    register_periodic(PeriodicJob("service_mail_poll", mailboxes.POLL_EVERY, _poll))
    register_my_day(
        Section(
            key="service_tickets",
            label=gettext_lazy("我的工单"),
            order=14,
            items=my_tickets,
            count=my_tickets_count,
            visible=selectors.can_serve,
            limit=LIMIT,
            more_url=cast(str, format_lazy("{}?queue=mine", reverse_lazy("service:list"))),
        )
    )
