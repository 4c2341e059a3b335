"""Reads of the portal, always for one portal account: the account's company decides
everything a portal user sees. Another company's record, a missing one and a bad id all
answer the same 404. Only what a customer may see leaves here: a ticket's internal notes,
a task's notes and staff-internal fields are never selected."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.attachments.models import Attachment
from guanxi.attachments.selectors import attachments_on
from guanxi.core.errors import NotFound
from guanxi.portal.models import PortalAccount, PortalInvitation, PortalToken
from guanxi.projects import selectors as project_selectors
from guanxi.projects import selectors_changes
from guanxi.projects.models import (
    ChangeRequest,
    ChangeStatus,
    Deliverable,
    DeliverableStatus,
    Project,
    Task,
)
from guanxi.service.models import (
    OPEN_STATUSES,
    MessageKind,
    Survey,
    Ticket,
    TicketMessage,
    TicketStatus,
)

# What the customer sees of a conversation: their own messages and the replies sent to
# them — never an internal note.
PUBLIC_KINDS = (MessageKind.INCOMING, MessageKind.REPLY)
HOME_LIMIT = 5
_ACCOUNT_ATTR = "_gx_portal_account"


# --- the account ----------------------------------------------------------------------------


def account_of(user: Any) -> PortalAccount | None:
    """The active portal account of ``user`` (cached on the user object for the request),
    or None: a staff user, a portal login with no company, a deactivated account."""
    if not permissions.is_portal_actor(user):
        return None
    if hasattr(user, _ACCOUNT_ATTR):
        cached: PortalAccount | None = getattr(user, _ACCOUNT_ATTR)
        return cached
    account = (
        PortalAccount.objects.select_related("customer", "contact")
        .filter(user_id=user.pk, active=True)
        .first()
    )
    if account is not None:
        account.user = user  # the same object: no query for the account's user
    setattr(user, _ACCOUNT_ATTR, account)
    return account


# --- projects -------------------------------------------------------------------------------


def projects(*, account: PortalAccount) -> QuerySet[Project]:
    return project_selectors.customer_projects(customer_id=account.customer_id)


def project_get(*, account: PortalAccount, project_id: Any) -> Project:
    return project_selectors.customer_project_get(
        customer_id=account.customer_id, project_id=project_id
    )


def milestones(*, project: Project) -> QuerySet[Task]:
    return project_selectors.project_milestones(project=project)


def deliverables(*, project: Project) -> QuerySet[Deliverable]:
    return project_selectors.project_deliverables(project=project)


def gantt(*, project: Project) -> dict[str, Any]:
    return project_selectors.gantt(project=project)


# --- approvals: change requests and deliverables waiting for the customer -------------------


def change_requests(*, account: PortalAccount) -> QuerySet[ChangeRequest]:
    """The company's change requests the team has shown it (no drafts), newest first."""
    return selectors_changes.customer_change_requests(customer_ids=[account.customer_id])


def awaiting_changes(*, account: PortalAccount) -> QuerySet[ChangeRequest]:
    return change_requests(account=account).filter(status=ChangeStatus.AWAITING_CUSTOMER)


def change_request_get(*, account: PortalAccount, change_request_id: Any) -> ChangeRequest:
    found = (
        change_requests(account=account).filter(pk=change_request_id).first()
        if isinstance(change_request_id, int)
        else None
    )
    if found is None:
        raise NotFound(_("需求变更不存在。"), field="change_request_id")
    return found


def deliverables_to_accept(*, account: PortalAccount) -> QuerySet[Deliverable]:
    return selectors_changes.customer_deliverables(customer_ids=[account.customer_id]).filter(
        status=DeliverableStatus.SUBMITTED
    )


def deliverable_get(*, account: PortalAccount, deliverable_id: Any) -> Deliverable:
    found = (
        selectors_changes.customer_deliverables(customer_ids=[account.customer_id])
        .filter(pk=deliverable_id)
        .first()
        if isinstance(deliverable_id, int)
        else None
    )
    if found is None:
        raise NotFound(_("交付物不存在。"), field="deliverable_id")
    return found


def is_approver(user: Any, customer_id: int) -> bool:
    """The projects app's hook: whether ``user`` approves for the customer."""
    account = account_of(user)
    return account is not None and account.customer_id == customer_id and account.may_approve


def customer_ids(user: Any) -> list[int]:
    """The projects app's hook: the customers a portal user acts for."""
    account = account_of(user)
    return [account.customer_id] if account is not None else []


# --- tickets --------------------------------------------------------------------------------


def tickets(*, account: PortalAccount, status: str = "") -> QuerySet[Ticket]:
    """The company's tickets, newest first (the customer index serves it)."""
    qs = Ticket.objects.filter(customer_id=account.customer_id)
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status in TicketStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def ticket_get(*, account: PortalAccount, ticket_id: Any) -> Ticket:
    try:
        return tickets(account=account).get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("工单不存在。"), field="ticket_id") from None


def public_messages(*, ticket: Ticket) -> QuerySet[TicketMessage]:
    return (
        TicketMessage.objects.filter(ticket=ticket, kind__in=PUBLIC_KINDS)
        .select_related("author")
        .only("id", "kind", "body", "created_at", "author__display_name", "author__username")
        .order_by("created_at", "id")
    )


def awaiting_reply(*, account: PortalAccount) -> QuerySet[Ticket]:
    """Tickets the service desk waits on the customer for (状态“等待客户”)."""
    return tickets(account=account, status=TicketStatus.WAITING)


def ticket_attachments(*, ticket: Ticket) -> QuerySet[Attachment]:
    return attachments_on(record=ticket)


def attachment_get(*, account: PortalAccount, attachment_id: Any) -> Attachment:
    """A file of one of the company's tickets; 404 for anything else."""
    attachment = (
        Attachment.objects.filter(pk=attachment_id, target_model="service.ticket").first()
        if isinstance(attachment_id, int)
        else None
    )
    if attachment is None or not (
        attachment.target_id.isdigit()
        and Ticket.objects.filter(
            pk=int(attachment.target_id), customer_id=account.customer_id
        ).exists()
    ):
        raise NotFound(_("附件不存在。"), field="attachment_id")
    return attachment


def _hours(seconds: int) -> str:
    return _("%(n)s 个工作小时") % {"n": max(1, round(seconds / 3600))}


def sla_promise(ticket: Ticket) -> str:
    """The ticket's service promise in plain words, for the customer."""
    if not ticket.first_response_target and not ticket.resolution_target:
        return _("我们会尽快处理您的请求。")
    parts = []
    if ticket.first_responded_at is not None:
        parts.append(_("已于 %(time)s 首次答复。") % {"time": _local(ticket.first_responded_at)})
    elif ticket.first_response_target:
        hours = _hours(ticket.first_response_target)
        parts.append(_("我们承诺在 %(hours)s内首次答复您。") % {"hours": hours})
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        parts.append(_("问题已解决。"))
    elif ticket.resolution_target:
        hours = _hours(ticket.resolution_target)
        if ticket.status == TicketStatus.WAITING:
            text = _("我们承诺在 %(hours)s内解决问题（等待您答复期间不计时）。")
        elif ticket.resolution_due is not None:
            text = _("我们承诺在 %(hours)s内解决问题，预计 %(time)s 前解决。")
        else:
            text = _("我们承诺在 %(hours)s内解决问题。")
        due = _local(ticket.resolution_due) if ticket.resolution_due else ""
        parts.append(text % {"hours": hours, "time": due})
    return " ".join(parts)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- surveys --------------------------------------------------------------------------------


def surveys(*, account: PortalAccount) -> QuerySet[Survey]:
    """The surveys put to this person: to their contact, their address, or about a ticket
    they raised in the portal."""
    mine = Q(email__iexact=account.user.email) if account.user.email else Q(pk__in=[])
    if account.contact_id is not None:
        mine |= Q(contact_id=account.contact_id)
    mine |= Q(ticket__created_by_id=account.user_id)
    return (
        Survey.objects.filter(Q(customer_id=account.customer_id) & mine)
        .select_related("ticket", "campaign")
        .order_by("-sent_at", "-id")
    )


def open_surveys(*, account: PortalAccount, now: dt.datetime | None = None) -> QuerySet[Survey]:
    return surveys(account=account).filter(
        answered_at__isnull=True, expires_at__gt=now or timezone.now()
    )


def survey_get(*, account: PortalAccount, survey_id: Any) -> Survey:
    try:
        return surveys(account=account).get(pk=survey_id)
    except (Survey.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("该调查不存在。"), field="survey_id") from None


# --- home -----------------------------------------------------------------------------------


def home(*, account: PortalAccount) -> dict[str, Any]:
    """What needs the person's action: surveys to answer, tickets awaiting their reply;
    and where things stand: the company's active projects and open tickets. Each list
    reads only the columns the page shows (the page's cost is rows built, not the index
    ranges, which stay one company's)."""
    return {
        "changes": list(awaiting_changes(account=account).only(*_CHANGE_ROW)[:HOME_LIMIT]),
        "to_accept": list(
            deliverables_to_accept(account=account)
            .prefetch_related(None)
            .only(*_DELIVERABLE_ROW)[:HOME_LIMIT]
        ),
        "surveys": list(
            open_surveys(account=account)
            .select_related(None)
            .select_related("ticket")
            .only(*_SURVEY_ROW)[:HOME_LIMIT]
        ),
        "awaiting": list(awaiting_reply(account=account).only(*_TICKET_ROW)[:HOME_LIMIT]),
        "open_tickets": list(
            tickets(account=account, status="open")
            .exclude(status=TicketStatus.WAITING)
            .only(*_TICKET_ROW)[:HOME_LIMIT]
        ),
        "projects": list(
            projects(account=account)
            .filter(status="active")
            .select_related(None)
            .only("id", "name", "code", "phase", "status", "start_date", "scheduled_finish")[
                :HOME_LIMIT
            ]
        ),
    }


_TICKET_ROW = ("id", "subject", "status", "category", "created_at", "customer")
_CHANGE_ROW = ("id", "number", "title", "status", "created_at", "project__id", "project__name")
_DELIVERABLE_ROW = ("id", "name", "status", "due_date", "project__id", "project__name")
_SURVEY_ROW = ("id", "ticket__id", "ticket__subject", "expires_at", "sent_at", "answered_at")


# --- staff side: who has portal access ------------------------------------------------------


def accounts_of_customer(*, customer_id: int) -> QuerySet[PortalAccount]:
    return PortalAccount.objects.filter(customer_id=customer_id).select_related("user", "contact")


def invitations_of_customer(*, customer_id: int) -> QuerySet[PortalInvitation]:
    return PortalInvitation.objects.filter(customer_id=customer_id).select_related("invited_by")


def tokens_of(*, account: PortalAccount) -> QuerySet[PortalToken]:
    return PortalToken.objects.filter(account=account, revoked_at__isnull=True)
