"""SLA clocks of tickets and the sweep that warns before and escalates on a breach.

A ticket's targets come from the most specific active policy matching its priority, its
customer's value class (analytics ``CustomerValue``) and its channel. The first-response
clock runs from creation until the first reply to the customer; the resolution clock runs
while the ticket is new or open, pauses while it waits for the customer, stops when it is
resolved and goes on (with what it had used) when it is reopened. Both count business time
(``service.clock``).

The sweep is set-based: each step claims its rows with one ``UPDATE … WHERE <mark> IS
NULL`` stamped with the sweep's own time (so concurrent sweeps split the rows, and each
warning or breach fires once), then writes the notifications of the claimed rows with one
``INSERT … SELECT`` (``notifications.reminders.bulk_notify``). The breaches' audit rows
(old → new, built in SQL: ``core.audit.audit_bulk_update_sql``) are one ``INSERT …
SELECT`` from the same rows, locked, just before the claiming ``UPDATE``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Case, CharField, Count, DateTimeField, F, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from guanxi.core import audit
from guanxi.notifications.registry import DueQuery
from guanxi.notifications.reminders import bulk_notify
from guanxi.service.clock import add_business_seconds, business_seconds
from guanxi.service.models import OPEN_STATUSES, PRIORITY_ORDER, SlaPolicy, Ticket, TicketStatus

SLA_WARNING = "service_sla_warning"
SLA_BREACH = "service_sla_breach"
WARNING_TITLE = gettext_noop("工单即将超时：%(subject)s")
BREACH_TITLE = gettext_noop("工单已超时：%(subject)s")


def value_class_of(customer_id: int | None) -> str:
    if customer_id is None:
        return ""
    from guanxi.analytics.models import CustomerValue

    row = CustomerValue.objects.filter(customer_id=customer_id).values_list("value_class").first()
    return row[0] if row else ""


def policy_for(*, priority: str, channel: str, value_class: str) -> SlaPolicy | None:
    """The most specific active policy matching (an empty criterion matches anything)."""
    candidates = SlaPolicy.objects.filter(
        Q(priority="") | Q(priority=priority),
        Q(channel="") | Q(channel=channel),
        Q(value_class="") | Q(value_class=value_class),
        active=True,
    ).order_by("order", "id")

    def specificity(p: SlaPolicy) -> int:
        return bool(p.priority) + bool(p.channel) + bool(p.value_class)

    best: SlaPolicy | None = None
    for policy in candidates:
        if best is None or specificity(policy) > specificity(best):
            best = policy
    return best


def _warn_at(start: dt.datetime, remaining: int, warn_before: int) -> dt.datetime:
    return add_business_seconds(start, max(remaining - warn_before, 0))


def clock_start(ticket: Ticket, *, now: dt.datetime) -> None:
    """Attach the matching policy and start both clocks (unsaved)."""
    policy = policy_for(
        priority=ticket.priority, channel=ticket.channel,
        value_class=value_class_of(ticket.customer_id),
    )  # fmt: skip
    ticket.sla_policy = policy
    if policy is None:
        return
    ticket.first_response_target = policy.first_response_minutes * 60
    ticket.resolution_target = policy.resolution_minutes * 60
    ticket.warn_before = policy.warn_before_minutes * 60
    ticket.first_response_due = add_business_seconds(now, ticket.first_response_target)
    ticket.first_response_warn_at = _warn_at(now, ticket.first_response_target, ticket.warn_before)
    ticket.resolution_elapsed = 0
    clock_resume(ticket, now=now)


def clock_pause(ticket: Ticket, *, now: dt.datetime) -> None:
    """Stop the resolution clock, keeping what it used (waiting, resolved, closed)."""
    if ticket.clock_started_at is None:
        return
    used = ticket.resolution_elapsed + business_seconds(ticket.clock_started_at, now)
    ticket.resolution_elapsed = min(used, 2**31 - 1)
    ticket.clock_started_at = None
    ticket.resolution_due = None
    ticket.resolution_warn_at = None


def clock_resume(ticket: Ticket, *, now: dt.datetime) -> None:
    """Run the resolution clock again from what it had used."""
    if ticket.clock_started_at is not None or not ticket.resolution_target:
        return
    remaining = max(ticket.resolution_target - ticket.resolution_elapsed, 0)
    ticket.clock_started_at = now
    ticket.resolution_due = add_business_seconds(now, remaining)
    ticket.resolution_warn_at = _warn_at(now, remaining, ticket.warn_before)


def clock_rematch(ticket: Ticket, *, now: dt.datetime) -> bool:
    """Re-pick the policy after the ticket's customer became known (unsaved): the new
    targets count from when the ticket opened, the clocks keep what they used, marks of a
    warning or breach already announced stay. ``False`` when the policy is the same."""
    policy = policy_for(
        priority=ticket.priority, channel=ticket.channel,
        value_class=value_class_of(ticket.customer_id),
    )  # fmt: skip
    if policy is None or policy.pk == ticket.sla_policy_id:
        return False
    had_policy = ticket.sla_policy_id is not None
    ticket.sla_policy = policy
    ticket.first_response_target = policy.first_response_minutes * 60
    ticket.resolution_target = policy.resolution_minutes * 60
    ticket.warn_before = policy.warn_before_minutes * 60
    opened = ticket.created_at or now
    if ticket.first_responded_at is None:
        ticket.first_response_due = add_business_seconds(opened, ticket.first_response_target)
        ticket.first_response_warn_at = _warn_at(
            opened, ticket.first_response_target, ticket.warn_before
        )
    if not had_policy and ticket.clock_started_at is None and ticket.status in ("new", "open"):
        ticket.clock_started_at, ticket.resolution_elapsed = opened, 0  # it ran since then
    if ticket.clock_started_at is not None:
        remaining = max(ticket.resolution_target - ticket.resolution_elapsed, 0)
        ticket.resolution_due = add_business_seconds(ticket.clock_started_at, remaining)
        ticket.resolution_warn_at = _warn_at(ticket.clock_started_at, remaining, ticket.warn_before)
    return True


def resolution_used(ticket: Ticket, *, now: dt.datetime) -> int:
    """Business seconds the resolution clock has used up to ``now``."""
    running = business_seconds(ticket.clock_started_at, now) if ticket.clock_started_at else 0
    return ticket.resolution_elapsed + running


def sla_state(ticket: Ticket, *, now: dt.datetime | None = None) -> str:
    """``none`` (no policy), ``breached``, ``warning``, ``paused``, ``met`` or ``ok``."""
    now = now or timezone.now()
    if ticket.sla_policy_id is None and not ticket.resolution_target:
        return "none"
    if ticket.response_breached_at or ticket.resolution_breached_at:
        return "breached"
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        return "met"
    response_open = ticket.first_responded_at is None and ticket.first_response_due is not None
    if (response_open and ticket.first_response_due <= now) or (  # type: ignore[operator]
        ticket.resolution_due is not None and ticket.resolution_due <= now
    ):
        return "breached"  # due, the sweep has not run yet
    warn = (response_open and ticket.first_response_warn_at <= now) or (  # type: ignore[operator]
        ticket.resolution_warn_at is not None and ticket.resolution_warn_at <= now
    )
    if warn:
        return "warning"
    if ticket.status == TicketStatus.WAITING:
        return "paused"
    return "ok"


# --- the sweep ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    warned: int
    breached: int
    notified: int


def _text(expr: Any) -> Cast:
    return Cast(expr, CharField())


def _detail_url() -> Concat:
    sentinel = 987654321
    prefix, suffix = reverse("service:detail", args=[sentinel]).split(str(sentinel))
    return Concat(Value(prefix), _text("id"), Value(suffix), output_field=CharField())


def _notify(rows: Any, *, kind: str, title: str, key: str, recipient: str, now: dt.datetime) -> int:
    return bulk_notify(
        DueQuery(
            kind=kind, rows=rows, recipient=F(recipient), title=title,
            params={"subject": F("subject")}, url=_detail_url(),
            subject_model="service.ticket", subject_id=_text("id"),
            dedupe_key=Concat(Value(f"{key}:"), _text("id"), output_field=CharField()),
        ),
        now=now,
    )  # fmt: skip


def _raised(steps: int) -> Case:
    """The priority ``steps`` steps up (the top one stays)."""
    order = list(PRIORITY_ORDER)
    return Case(
        *(
            When(priority=level, then=Value(order[min(i + steps, len(order) - 1)]))
            for i, level in enumerate(order[:-1])
        ),
        default=F("priority"),
        output_field=CharField(),
    )


_RAISED = _raised(1)
# Both clocks of a ticket breached in one sweep: a step for each, as two sweeps would give.
_RAISED_TWICE = _raised(2)


def sla_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Warn assignees of clocks past their warning time; on a breach notify the assignee
    and their manager and raise the ticket's priority one step. Idempotent."""
    now = (now or timezone.now()).replace(microsecond=0)
    open_rows = Ticket.objects.filter(status__in=OPEN_STATUSES)
    response = open_rows.filter(first_responded_at__isnull=True)
    resolution = open_rows.filter(clock_started_at__isnull=False)
    warned = breached = notified = 0
    with transaction.atomic():
        # Breaches first: a clock past due is announced as a breach, not as a warning. Both
        # clocks are claimed by one UPDATE (a ticket past both is written once, not twice:
        # on a large desk the row writes are most of the sweep).
        due_response = Q(first_responded_at__isnull=True, first_response_due__lte=now,
                         response_breached_at__isnull=True)  # fmt: skip
        due_resolution = Q(clock_started_at__isnull=False, resolution_due__lte=now,
                           resolution_breached_at__isnull=True)  # fmt: skip
        todo = open_rows.filter(due_response | due_resolution)
        # The audit rows first, old → new computed in the database from the rows locked
        # for this sweep (no row passes through Python); the UPDATE then claims the same
        # rows: a row another sweep claimed in between fails the filter and is left out.
        stamp_text = Value(audit.plain(now), output_field=CharField())
        raised = Case(When(due_response & due_resolution, then=_RAISED_TWICE), default=_RAISED)
        audited = audit.audit_bulk_update_sql(
            actor=None, rows=todo.select_for_update(),
            changes={
                "response_breached_at": audit.SqlChange(Value(None), stamp_text, due_response),
                "resolution_breached_at": audit.SqlChange(Value(None), stamp_text,
                                                          due_resolution),
                "priority": audit.SqlChange(F("priority"), raised),
            },
            object_repr=Concat(Value("#"), _text("id"), output_field=CharField()),
            customer=F("customer_id"),
        )  # fmt: skip
        if audited:
            stamp = Value(now, output_field=DateTimeField())
            todo.update(
                response_breached_at=Case(When(due_response, then=stamp),
                                          default=F("response_breached_at")),
                resolution_breached_at=Case(When(due_resolution, then=stamp),
                                            default=F("resolution_breached_at")),
                priority=raised,
                version=F("version") + 1,
            )  # fmt: skip
            marks = open_rows.aggregate(
                response=Count("pk", filter=Q(response_breached_at=now)),
                resolution=Count("pk", filter=Q(resolution_breached_at=now)),
            )
            breached = marks["response"] + marks["resolution"]
            for mark, key in (("response_breached_at", "sla-response-breach"),
                              ("resolution_breached_at", "sla-resolution-breach")):  # fmt: skip
                for recipient in ("assignee_id", "assignee__manager_id"):
                    notified += _notify(
                        open_rows.filter(**{mark: now, f"{recipient}__isnull": False}),
                        kind=SLA_BREACH, title=BREACH_TITLE, key=key, recipient=recipient,
                        now=now,
                    )  # fmt: skip
        for rows, mark, key in (
            (response.filter(first_response_warn_at__lte=now, response_breached_at__isnull=True),
             "response_warned_at", "sla-response-warning"),
            (resolution.filter(resolution_warn_at__lte=now, resolution_breached_at__isnull=True),
             "resolution_warned_at", "sla-resolution-warning"),
        ):  # fmt: skip
            count = rows.filter(**{f"{mark}__isnull": True}).update(**{mark: now})
            if not count:
                continue
            warned += count
            claimed = Ticket.objects.filter(**{mark: now}, assignee__isnull=False)
            notified += _notify(claimed, kind=SLA_WARNING, title=WARNING_TITLE, key=key,
                                recipient="assignee_id", now=now)  # fmt: skip
    return SweepResult(warned=warned, breached=breached, notified=notified)
