"""Writes of follow-up visits (SPEC C4 回访): the visit planned when a ticket is closed
(due within the days of the ticket category's ``FollowUpPolicy``, otherwise
``GUANXI_FOLLOWUP_DAYS``, 14), the one a low CSAT score opens, and the outcome the account
manager records. Each is assigned to the customer's account manager (客户经理), audited and,
once done, on the customer's timeline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from guanxi.core import audit
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.writes import check_version
from guanxi.customers.timeline import ChoiceLabel, TimelineText, timeline_add
from guanxi.notifications.services import notify
from guanxi.service import selectors
from guanxi.service.models import (
    FollowUp,
    FollowUpOutcome,
    FollowUpPolicy,
    FollowUpReason,
    FollowUpStatus,
    Survey,
    Ticket,
)

DEFAULT_DAYS = 14
LOW_SCORE_DAYS = 2  # a dissatisfied customer is called back within two days
MAX_NOTE = 4000
TIMELINE_KIND = "visit"
FOLLOWUP_ASSIGNED = "service_followup_assigned"


def due_days(category: str) -> int:
    days = FollowUpPolicy.objects.filter(category=category).values_list("days", flat=True).first()
    if days:
        return int(days)
    return int(getattr(settings, "GUANXI_FOLLOWUP_DAYS", DEFAULT_DAYS))


def _notify_owner(follow_up: FollowUp, title: Any) -> None:
    if follow_up.owner_id is None:
        return
    notify(
        recipients=[follow_up.owner_id], kind=FOLLOWUP_ASSIGNED, title=title,
        url=reverse("service:visits") + f"?status=pending&customer={follow_up.customer_id}",
        subject=follow_up, dedupe_key=f"service-followup:{follow_up.pk}",
    )  # fmt: skip


def followup_for_closed(*, ticket: Ticket, actor: Any, now: dt.datetime) -> FollowUp | None:
    """Called by the ticket services inside the transaction that closes ``ticket``: its
    follow-up visit (one per ticket; closing again after a reopen plans none more).
    Nothing for a ticket of no known customer."""
    if ticket.customer_id is None:
        return None
    if FollowUp.objects.filter(ticket=ticket, reason=FollowUpReason.TICKET_CLOSED).exists():
        return None
    customer = ticket.customer
    assert customer is not None
    due = timezone.localdate(now) + dt.timedelta(days=due_days(ticket.category))
    follow_up = FollowUp.objects.create(
        reason=FollowUpReason.TICKET_CLOSED, customer=customer, ticket=ticket,
        owner_id=customer.owner_id, team_id=customer.team_id, due_date=due,
    )  # fmt: skip
    audit.audit_create(actor=actor, obj=follow_up, customer_id=customer.pk)
    _notify_owner(
        follow_up,
        format_lazy(gettext_lazy("回访：{customer}（工单 #{number}，{date} 前）"),
                    customer=customer.name, number=ticket.pk, date=due.isoformat()),
    )  # fmt: skip
    return follow_up


def followup_for_low_score(*, survey: Survey, now: dt.datetime) -> FollowUp:
    """The follow-up a low CSAT score opens (inside the answer's transaction), in the
    account manager's inbox and on their "my day"."""
    customer = survey.customer
    due = timezone.localdate(now) + dt.timedelta(days=LOW_SCORE_DAYS)
    follow_up = FollowUp.objects.create(
        reason=FollowUpReason.LOW_SCORE, customer=customer, ticket_id=survey.ticket_id,
        survey=survey, owner_id=customer.owner_id, team_id=customer.team_id, due_date=due,
    )  # fmt: skip
    audit.audit_create(actor=None, obj=follow_up, customer_id=customer.pk)
    _notify_owner(
        follow_up,
        format_lazy(gettext_lazy("低满意度（{score} 分）：请回访 {customer}"),
                    score=survey.score, customer=customer.name),
    )  # fmt: skip
    return follow_up


def followup_lock(actor: Any, followup_id: Any) -> FollowUp:
    """The follow-up, locked: 404 when missing or out of the actor's read scope, 403 when
    readable but not the actor's to record."""
    qs = selectors.scoped_followups(actor=actor).select_for_update(of=("self",))
    try:
        follow_up = qs.select_related("customer").get(pk=followup_id)
    except (FollowUp.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("回访不存在。")) from None
    if not selectors.can_record_followup(actor, follow_up):
        raise PermissionDenied(_("你没有记录该回访的权限。"))
    return follow_up


@transaction.atomic
def followup_record(
    *,
    actor: Any,
    followup_id: Any,
    outcome: Any,
    note: Any = "",
    version: int | None,
    now: dt.datetime | None = None,
) -> FollowUp:
    """Record the outcome of a visit (once: a visit done is not done again)."""
    now = now or timezone.now()
    follow_up = followup_lock(actor, followup_id)
    check_version(follow_up, version)
    if follow_up.status == FollowUpStatus.DONE:
        raise ValidationFailed({"status": _("该回访已经记录过结果。")})
    if outcome not in FollowUpOutcome.values:
        raise ValidationFailed({"outcome": _("无效的选项。")})
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise ValidationFailed({"note": _("必须是文字。")})
    text = note.replace("\x00", "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationFailed({"note": _("不能超过 4000 个字符。")})
    before = audit.snapshot(follow_up, ["status", "outcome", "note", "done_at", "done_by"])
    follow_up.status = FollowUpStatus.DONE
    follow_up.outcome = outcome
    follow_up.note = text
    follow_up.done_at = now
    follow_up.done_by = actor
    follow_up.version += 1
    follow_up.save()
    audit.audit_update(actor=actor, obj=follow_up, before=before, customer_id=follow_up.customer_id)
    timeline_add(
        customer_id=follow_up.customer_id, kind=TIMELINE_KIND, occurred_at=now,
        title=TimelineText(gettext_noop("回访完成：%(outcome)s"),
                           {"outcome": ChoiceLabel("service.followup", "outcome", outcome)}),
        body=text, actor=actor, subject=follow_up,
        data={"reason": follow_up.reason, "outcome": outcome, "ticket": follow_up.ticket_id},
    )  # fmt: skip
    return follow_up
