"""Reads of the portal, always for one portal account: the account's company decides
everything a portal user sees. Another company's record, a missing one and a bad id all
answer the same 404. Only what a customer may see leaves here: a ticket's internal notes,
a task's notes and staff-internal fields are never selected."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.db.models import Count, Model, QuerySet, Window
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.attachments import selectors as attachment_selectors
from guanxi.attachments.selectors import Attachment
from guanxi.core.errors import NotFound
from guanxi.portal.models import PortalAccount, PortalInvitation, PortalToken
from guanxi.projects import selectors as project_selectors
from guanxi.projects import selectors_changes
from guanxi.projects import selectors_portal as project_portal
from guanxi.projects.selectors_portal import (
    ChangeRequest,
    ChangeStatus,
    Deliverable,
    DeliverableStatus,
    Project,
    Task,
)
from guanxi.service import selectors_portal as service_portal
from guanxi.service.selectors_portal import Survey, Ticket, TicketMessage, TicketStatus

PUBLIC_KINDS = service_portal.PUBLIC_KINDS
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
    return service_portal.customer_tickets(customer_id=account.customer_id, status=status)


def ticket_get(*, account: PortalAccount, ticket_id: Any) -> Ticket:
    found = service_portal.customer_ticket_get(customer_id=account.customer_id, ticket_id=ticket_id)
    if found is None:
        raise NotFound(_("工单不存在。"), field="ticket_id")
    return found


def public_messages(*, ticket: Ticket) -> QuerySet[TicketMessage]:
    return service_portal.public_messages(ticket=ticket)


def awaiting_reply(*, account: PortalAccount) -> QuerySet[Ticket]:
    """Tickets the service desk waits on the customer for (状态“等待客户”)."""
    return tickets(account=account, status=TicketStatus.WAITING)


def ticket_attachments(*, ticket: Ticket) -> QuerySet[Attachment]:
    """The files beside a ticket: the customer side's own and those staff shared — never
    a staff file kept internal."""
    return attachment_selectors.customer_side_on(record=ticket)


def attachment_get(*, account: PortalAccount, attachment_id: Any) -> Attachment:
    """A file the company may download: one beside one of its tickets, or one shared with
    it on a ticket, contract or project; 404 for anything else."""
    if not isinstance(attachment_id, int):
        raise NotFound(_("附件不存在。"), field="attachment_id")
    target = attachment_selectors.target_of(attachment_id=attachment_id)
    if target is not None and target[0] == Ticket._meta.label_lower and target[1].isdigit():
        ticket = service_portal.customer_ticket_get(
            customer_id=account.customer_id, ticket_id=int(target[1])
        )
        if ticket is not None:
            beside = ticket_attachments(ticket=ticket).filter(pk=attachment_id).first()
            if beside is not None:
                return beside
    return attachment_selectors.shared_get(
        customer_id=account.customer_id, attachment_id=attachment_id
    )


# --- documents: files staff shared with the company -----------------------------------------


def record_documents(*, record: Model) -> QuerySet[Attachment]:
    """The files staff shared with the company on one of its records (a project, a
    deliverable, a change request — already resolved for the account by ``project_get``,
    ``deliverable_get``, ``change_request_get``), newest first; never a file kept
    internal, nor its uploader."""
    return (
        attachment_selectors.attachments_on(record=record)
        .filter(shared_with_customer=True)
        .select_related(None)
        .defer("sha256", "stored_name", "uploaded_by")
    )


def project_documents(*, project: Project) -> QuerySet[Attachment]:
    """The files staff shared with the company on one of its projects."""
    return record_documents(record=project)


def documents(*, account: PortalAccount) -> QuerySet[Attachment]:
    """The files staff shared with the company on its tickets, contracts and projects,
    newest first."""
    return attachment_selectors.shared_with_customer(customer_id=account.customer_id)


def document_source(attachment: Attachment) -> str:
    """What a shared file is on, in words (服务请求 #12, 合同 #3): the record type's own
    name, so a newly shareable type needs nothing here."""
    try:
        model = apps.get_model(attachment.target_model)
    except (LookupError, ValueError):
        return ""
    return f"{model._meta.verbose_name} #{attachment.target_id}"


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
    return service_portal.customer_surveys(
        customer_id=account.customer_id,
        email=account.user.email,
        contact_id=account.contact_id,
        user_id=account.user_id,
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


def _counted(qs: QuerySet[Any]) -> QuerySet[Any]:
    """``qs`` with how many rows it has in all on each row (a window count, computed
    before the page's limit): the list and its badge in one query."""
    return qs.annotate(home_total=Window(Count("id")))


def _total(rows: list[Any]) -> int:
    return int(rows[0].home_total) if rows else 0


def home(*, account: PortalAccount) -> dict[str, Any]:
    """What needs the person's action: surveys to answer, tickets awaiting their reply,
    change requests and deliverables to decide; and where things stand: the company's
    active projects and open tickets. Each list reads only the columns the page shows and
    carries its full count (the badges), so the page is one query per list and the two
    ticket lists are one query."""
    awaiting, awaiting_total, open_tickets, open_total = service_portal.customer_home_tickets(
        customer_id=account.customer_id, limit=HOME_LIMIT, columns=_TICKET_ROW
    )
    changes = list(_counted(awaiting_changes(account=account).only(*_CHANGE_ROW))[:HOME_LIMIT])
    to_accept = list(
        _counted(deliverables_to_accept(account=account).prefetch_related(None)).only(
            *_DELIVERABLE_ROW
        )[:HOME_LIMIT]
    )
    surveys = list(
        _counted(open_surveys(account=account).select_related(None).select_related("ticket")).only(
            *_SURVEY_ROW
        )[:HOME_LIMIT]
    )
    return {
        "changes": changes,
        "to_accept": to_accept,
        "decisions_total": _total(changes) + _total(to_accept),
        "surveys": surveys,
        "surveys_total": _total(surveys),
        "awaiting": awaiting,
        "awaiting_total": awaiting_total,
        "open_tickets": open_tickets,
        "open_total": open_total,
        "projects": list(
            project_portal.customer_active_projects(customer_id=account.customer_id)[:HOME_LIMIT]
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
