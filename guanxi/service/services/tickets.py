"""Writes of tickets: create, edit and assign, status transitions, replies and internal
notes, incoming customer messages. Each locks the ticket, checks ``version`` where the
user edits what they saw, audits (old → new), puts what concerns the customer on the
customer's timeline and records webhook events in the outbox of the same transaction.

Status flow (``TRANSITIONS``): new → open → waiting for the customer → resolved → closed,
and reopen from resolved or closed; anything else is refused naming ``status``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.writes import apply_fields, check_version, full_clean, reject_unknown
from guanxi.customers.models import Contact, Customer
from guanxi.customers.services import customer_lock
from guanxi.customers.timeline import ChoiceLabel, TimelineText, timeline_add
from guanxi.notifications.services import notify
from guanxi.service import selectors, webhooks
from guanxi.service.models import (
    MessageKind,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketMessage,
    TicketPriority,
    TicketStatus,
)
from guanxi.service.services import satisfaction, sla, visits
from guanxi.webhooks.services import emit

TICKET_FIELDS = frozenset({"subject", "channel", "category", "priority"})
MAX_BODY = 100_000
TICKET_ASSIGNED = "service_ticket_assigned"

S = TicketStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.OPEN, S.WAITING, S.RESOLVED, S.CLOSED}),
    S.OPEN: frozenset({S.WAITING, S.RESOLVED, S.CLOSED}),
    S.WAITING: frozenset({S.OPEN, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset({S.OPEN}),
}
_TOKEN = re.compile(r"\[#(\d{1,18})-([0-9a-f]{8})\]")


# --- the subject token ---------------------------------------------------------------------


def _signature(ticket_id: int) -> str:
    return salted_hmac("guanxi.service.ticket-token", str(ticket_id)).hexdigest()[:8]


def ticket_token(ticket_id: int) -> str:
    """``[#42-1a2b3c4d]``: put in the subject of outgoing mail; a reply quoting it finds
    its ticket. Signed, so a stranger cannot post into a ticket by guessing its number."""
    return f"[#{ticket_id}-{_signature(ticket_id)}]"


def ticket_id_from_subject(subject: str) -> int | None:
    for number, signature in _TOKEN.findall(subject or ""):
        if constant_time_compare(signature, _signature(int(number))):
            return int(number)
    return None


# --- locks and checks ----------------------------------------------------------------------


def ticket_lock(actor: Any, ticket_id: Any) -> Ticket:
    """The ticket, locked for update: 404 when missing or out of the actor's read scope,
    403 when readable but not workable by the actor."""
    q = selectors.ticket_filter(actor)
    qs = Ticket.objects.select_for_update(of=("self",))
    if q is not None:
        qs = qs.filter(q)
    try:
        ticket = qs.get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("工单不存在。")) from None
    if not selectors.can_work(actor, ticket):
        raise PermissionDenied(_("你没有处理该工单的权限。"))
    return ticket


def _choice(data: Mapping[str, Any], name: str, choices: Any) -> None:
    if name in data and data[name] not in choices.values:
        raise ValidationFailed({name: _("无效的选项。")})


def _clean(data: Mapping[str, Any]) -> None:
    reject_unknown(data, TICKET_FIELDS)
    _choice(data, "channel", TicketChannel)
    _choice(data, "category", TicketCategory)
    _choice(data, "priority", TicketPriority)
    if "subject" in data and (not isinstance(data["subject"], str) or not data["subject"].strip()):
        raise ValidationFailed({"subject": _("这个字段是必填项。")})


def _body(body: Any, field: str = "body", *, required: bool = True) -> str:
    if not isinstance(body, str):
        raise ValidationFailed({field: _("必须是文字。")})
    text = body.replace("\x00", "").strip()
    if required and not text:
        raise ValidationFailed({field: _("这个字段是必填项。")})
    if len(text) > MAX_BODY:
        raise ValidationFailed({field: _("不能超过 100000 个字符。")})
    return text


def _resolve_assignee(actor: Any, assignee_id: Any) -> User | None:
    if assignee_id is None:
        return None
    user = selectors.agents(actor=actor).filter(pk=assignee_id).first()
    if user is None:
        raise ValidationFailed({"assignee_id": _("该用户不存在或不处理工单。")})
    return user


def _contact_of(customer: Customer | None, contact_id: Any) -> Contact | None:
    if contact_id is None:
        return None
    if customer is None:
        raise ValidationFailed({"contact_id": _("请先选择客户。")})
    contact = Contact.objects.filter(pk=contact_id, customer=customer).first()
    if contact is None:
        raise ValidationFailed({"contact_id": _("该客户没有这个联系人。")})
    return contact


def _timeline(
    ticket: Ticket, actor: Any, msgid: str, params: Mapping[str, Any] | None = None
) -> None:
    if ticket.customer_id is None:
        return
    timeline_add(
        customer_id=ticket.customer_id,
        kind="ticket",
        occurred_at=timezone.now(),
        title=TimelineText(
            msgid, {"subject": ticket.subject, "number": ticket.pk, **(params or {})}
        ),
        actor=actor,
        subject=ticket,
        data={"status": ticket.status, "category": ticket.category},
    )


def _notify_assignee(ticket: Ticket, actor: Any) -> None:
    if ticket.assignee_id is None or ticket.assignee_id == getattr(actor, "pk", None):
        return
    notify(
        recipients=[ticket.assignee_id], kind=TICKET_ASSIGNED,
        title=_("分配给你的工单：%(subject)s") % {"subject": ticket.subject},
        url=ticket.get_absolute_url(), subject=ticket, actor=actor,
    )  # fmt: skip


# --- tickets -------------------------------------------------------------------------------


@transaction.atomic
def ticket_create(
    *,
    actor: Any,
    data: Mapping[str, Any],
    customer_id: int | None = None,
    contact_id: int | None = None,
    assignee_id: int | None = None,
    body: str = "",
    requester_email: str = "",
    requester_name: str = "",
    message_id: str = "",
    created_by: Any = None,
    team_id: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """A new ticket with its SLA clocks started; ``body``, when given, is its first
    (incoming) message. Its department (queue) is the assignee's, else ``team_id`` (a
    mailbox's default queue). Without ``customer_id`` the ticket waits on the "unknown"
    queue, which only those who read every customer (or the system, ``actor=None``) may
    fill.

    ``created_by``, with ``actor=None``: the person the system writes the ticket for (a
    customer's portal user, who has no staff scope) — the ticket, its first message, its
    audit entry, timeline entry and webhook event are theirs."""
    now = now or timezone.now()
    if created_by is not None and actor is not None:
        raise ValueError("created_by is for system writes (actor=None)")
    by = created_by if created_by is not None else actor
    _clean(data)
    customer: Customer | None = None
    if actor is None:
        customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    elif customer_id is not None:
        customer = customer_lock(actor, customer_id, for_communication=True)
    elif not selectors.can_serve(actor) or permissions.customer_filter(actor) is not None:
        raise ValidationFailed({"customer_id": _("这个字段是必填项。")})
    ticket = Ticket(
        customer=customer,
        contact=_contact_of(customer, contact_id),
        requester_email=requester_email[:254],
        requester_name=requester_name[:100],
        message_id=message_id[:255],
        created_by=by,
        status=TicketStatus.NEW,
    )
    apply_fields(ticket, {"subject": str(data.get("subject", "")).strip()[:200], **{
        k: v for k, v in data.items() if k != "subject"}})  # fmt: skip
    if actor is not None:
        assignee = _resolve_assignee(actor, assignee_id) if assignee_id is not None else None
    else:
        assignee = (
            User.objects.filter(pk=assignee_id, is_active=True).first() if assignee_id else None
        )
    ticket.assignee = assignee
    ticket.team_id = assignee.team_id if assignee is not None else team_id
    full_clean(
        ticket, exclude=["customer", "contact", "assignee", "team", "sla_policy", "created_by"]
    )
    sla.clock_start(ticket, now=now)
    ticket.save()
    if body:
        TicketMessage.objects.create(
            ticket=ticket, kind=MessageKind.INCOMING, from_email=ticket.requester_email,
            body=_body(body, required=False), message_id=ticket.message_id, author=created_by,
        )  # fmt: skip
    audit.audit_create(actor=by, obj=ticket, customer_id=ticket.customer_id)
    _timeline(ticket, by, gettext_noop("新建工单 #%(number)s：%(subject)s"))
    emit(webhooks.TICKET_CREATED, webhooks.payload(ticket), actor=by)
    _notify_assignee(ticket, by)
    return ticket


@transaction.atomic
def ticket_update(
    *,
    actor: Any,
    ticket_id: int,
    data: Mapping[str, Any],
    version: int | None,
    assignee_id: Any = ...,
) -> Ticket:
    """Edit subject, channel, category and priority; with ``assignee_id`` (``None``:
    unassign) move the ticket to another agent and their department."""
    ticket = ticket_lock(actor, ticket_id)
    check_version(ticket, version)
    _clean(data)
    before = audit.snapshot(ticket)
    apply_fields(ticket, dict(data))
    if "subject" in data:
        ticket.subject = str(data["subject"]).strip()
    reassigned = False
    if assignee_id is not ... and assignee_id != ticket.assignee_id:
        assignee = _resolve_assignee(actor, assignee_id)
        ticket.assignee = assignee
        ticket.team_id = assignee.team_id if assignee is not None else None
        reassigned = assignee is not None
    full_clean(
        ticket, exclude=["customer", "contact", "assignee", "team", "sla_policy", "created_by"]
    )
    changes = audit.diff(before, audit.snapshot(ticket, before.keys()))
    if not changes:
        return ticket
    ticket.version += 1
    ticket.save()
    audit.audit_update(actor=actor, obj=ticket, before=before, customer_id=ticket.customer_id)
    if reassigned:
        _notify_assignee(ticket, actor)
    return ticket


_STATUS_MESSAGES = {
    S.OPEN: gettext_noop("工单 #%(number)s 重新打开：%(subject)s"),
    S.RESOLVED: gettext_noop("工单 #%(number)s 已解决：%(subject)s"),
    S.CLOSED: gettext_noop("工单 #%(number)s 已关闭：%(subject)s"),
}


def _move(ticket: Ticket, status: str, *, now: dt.datetime) -> None:
    """Apply a transition already checked (clocks included), unsaved."""
    ticket.status = status
    if status == S.WAITING:
        sla.clock_pause(ticket, now=now)
    elif status in (S.RESOLVED, S.CLOSED):
        sla.clock_pause(ticket, now=now)
        ticket.resolved_at = ticket.resolved_at or now
        if status == S.CLOSED:
            ticket.closed_at = now
    else:  # open (from new, waiting, resolved or closed)
        ticket.resolved_at = None
        ticket.closed_at = None
        ticket.spam_at = None  # reopened: not spam after all (services.triage)
        sla.clock_resume(ticket, now=now)


def check_transition(ticket: Ticket, status: Any) -> None:
    if status not in TicketStatus.values:
        raise ValidationFailed({"status": _("无效的选项。")})
    if status not in TRANSITIONS[ticket.status]:
        raise ValidationFailed(
            {"status": _("工单不能从“%(from)s”变为“%(to)s”。") % {
                "from": TicketStatus(ticket.status).label, "to": TicketStatus(status).label}}
        )  # fmt: skip


def customer_ticket_lock(*, customer_id: int, ticket_id: Any) -> Ticket:
    """One ticket of the customer company, locked for update; 404 (``ticket_id``) for
    another company's, a missing one or a bad id. For writes by the customer (the
    portal), to whom staff scope does not apply: the caller has resolved the company."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .filter(pk=ticket_id, customer_id=customer_id)
        .first()
        if isinstance(ticket_id, int) and not isinstance(ticket_id, bool)
        else None
    )
    if ticket is None:
        raise NotFound(_("工单不存在。"), field="ticket_id")
    return ticket


@transaction.atomic
def ticket_close_by_customer(
    *,
    actor: Any,
    customer_id: int,
    ticket_id: Any,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """The ticket's own customer closes it (``actor``: their portal user; the caller has
    resolved the company): as a close on the desk — clocks stopped, audited and on the
    timeline as the customer's, the CSAT survey and the follow-up visit planned, the
    webhook sent. The staff checks of ``ticket_transition`` (scope, role) do not apply."""
    now = now or timezone.now()
    ticket = customer_ticket_lock(customer_id=customer_id, ticket_id=ticket_id)
    # The portal's close button may omit the version (a customer's one-way action).
    if version is not None and version != ticket.version:
        raise Conflict(_("该工单已被其他人修改，请刷新后重试。"), field="version")
    check_transition(ticket, S.CLOSED)
    before = audit.snapshot(ticket)
    _move(ticket, S.CLOSED, now=now)
    ticket.version += 1
    ticket.save()
    audit.audit_update(actor=actor, obj=ticket, before=before, customer_id=ticket.customer_id)
    _timeline(ticket, actor, gettext_noop("客户在门户关闭了工单 #%(number)s：%(subject)s"))
    emit(webhooks.TICKET_CLOSED, webhooks.payload(ticket), actor=actor)
    satisfaction.csat_for_resolved(ticket=ticket, actor=actor, now=now)
    visits.followup_for_closed(ticket=ticket, actor=actor, now=now)
    return ticket


@transaction.atomic
def customer_message_add(
    *,
    actor: Any,
    customer_id: int,
    ticket_id: Any,
    body: Any,
    now: dt.datetime | None = None,
) -> TicketMessage:
    """The customer's message on their company's ticket, written in the portal by
    ``actor`` (their portal user, the message's author and the audit's actor): a ticket
    waiting for them (or resolved) opens again. A closed ticket takes no more messages:
    raise a new one."""
    ticket = customer_ticket_lock(customer_id=customer_id, ticket_id=ticket_id)
    if ticket.status == S.CLOSED:
        raise ValidationFailed({"body": _("工单已关闭，请提交新的工单。")})
    text = _body(body)
    return incoming_add(
        ticket=ticket, body=text, from_email=getattr(actor, "email", "") or "", author=actor,
        now=now,
    )  # fmt: skip


@transaction.atomic
def ticket_transition(
    *, actor: Any, ticket_id: int, status: Any, version: int | None, now: dt.datetime | None = None
) -> Ticket:
    now = now or timezone.now()
    ticket = ticket_lock(actor, ticket_id)
    check_version(ticket, version)
    check_transition(ticket, status)
    before = audit.snapshot(ticket)
    was = ticket.status
    _move(ticket, status, now=now)
    ticket.version += 1
    ticket.save()
    audit.audit_update(actor=actor, obj=ticket, before=before, customer_id=ticket.customer_id)
    reopened = status == S.OPEN and was in (S.RESOLVED, S.CLOSED)
    if status in (S.RESOLVED, S.CLOSED) or reopened:
        _timeline(ticket, actor, _STATUS_MESSAGES[status],
                  {"status": ChoiceLabel("service.ticket", "status", status)})  # fmt: skip
    if status == S.RESOLVED:
        emit(webhooks.TICKET_RESOLVED, webhooks.payload(ticket), actor=actor)
    elif status == S.CLOSED:
        emit(webhooks.TICKET_CLOSED, webhooks.payload(ticket), actor=actor)
    if status in (S.RESOLVED, S.CLOSED):  # C3: the CSAT link; C4: the follow-up visit
        satisfaction.csat_for_resolved(ticket=ticket, actor=actor, now=now)
        if status == S.CLOSED:
            visits.followup_for_closed(ticket=ticket, actor=actor, now=now)
    return ticket


@transaction.atomic
def ticket_reply(
    *,
    actor: Any,
    ticket_id: int,
    body: Any,
    internal: bool = False,
    status: Any = None,
    now: dt.datetime | None = None,
) -> TicketMessage:
    """A reply to the customer (sent by mail after commit when the ticket has an address)
    or, ``internal``, a note the customer never sees. A reply answers the first-response
    clock and opens a new ticket; ``status`` moves the ticket in the same write (e.g.
    "waiting for the customer" or "resolved")."""
    now = now or timezone.now()
    ticket = ticket_lock(actor, ticket_id)
    text = _body(body)
    target = None if status in (None, "") else status
    if target is not None and target not in TicketStatus.values:
        raise ValidationFailed({"status": _("无效的选项。")})
    before = audit.snapshot(ticket)
    message = TicketMessage(
        ticket=ticket, kind=MessageKind.NOTE if internal else MessageKind.REPLY,
        author=actor, body=text,
    )  # fmt: skip
    if not internal:
        from guanxi.service.services import mail

        message.from_email = mail.desk_address()
        message.message_id = mail.new_message_id()
        thread = selectors.thread_of(ticket=ticket)
        message.in_reply_to = thread[-1] if thread else ""
        message.references = " ".join(thread)[-4000:]
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
        if ticket.status == S.NEW and target is None:
            target = S.OPEN
    if target is not None and target != ticket.status:
        check_transition(ticket, target)
        _move(ticket, target, now=now)
    message.save()
    changes = audit.diff(before, audit.snapshot(ticket, before.keys()))
    if changes:
        ticket.version += 1
        ticket.save()
        audit.audit_update(actor=actor, obj=ticket, before=before, customer_id=ticket.customer_id)
    audit.audit_create(actor=actor, obj=message, customer_id=ticket.customer_id)
    if not internal and (ticket.requester_email or ticket.contact_id):
        from guanxi.service.services import mail

        message_pk = message.pk
        transaction.on_commit(lambda: mail.reply_send(message_id=message_pk))
    if target == S.RESOLVED:
        _timeline(ticket, actor, _STATUS_MESSAGES[S.RESOLVED])
        emit(webhooks.TICKET_RESOLVED, webhooks.payload(ticket), actor=actor)
    if target in (S.RESOLVED, S.CLOSED):  # C3: the CSAT link; C4: the follow-up visit
        satisfaction.csat_for_resolved(ticket=ticket, actor=actor, now=now)
        if target == S.CLOSED:
            visits.followup_for_closed(ticket=ticket, actor=actor, now=now)
    return message


def incoming_add(
    *,
    ticket: Ticket,
    body: str,
    from_email: str,
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
    author: Any = None,
    now: dt.datetime | None = None,
) -> TicketMessage:
    """A customer's message on ``ticket`` (locked by the caller, inside its transaction):
    a waiting or resolved ticket goes back to open, its clock running again. ``author``:
    the customer's portal user who wrote it (the audit's actor); none for mail-in."""
    now = now or timezone.now()
    before = audit.snapshot(ticket)
    message = TicketMessage.objects.create(
        ticket=ticket, kind=MessageKind.INCOMING, from_email=from_email[:254],
        body=_body(body, required=False), message_id=message_id[:255],
        in_reply_to=in_reply_to[:255], references=references[-4000:], author=author,
    )  # fmt: skip
    if ticket.status in (S.WAITING, S.RESOLVED):
        _move(ticket, S.OPEN, now=now)
        ticket.version += 1
        ticket.save()
        audit.audit_update(actor=author, obj=ticket, before=before, customer_id=ticket.customer_id)
    audit.audit_create(actor=author, obj=message, customer_id=ticket.customer_id)
    return message
