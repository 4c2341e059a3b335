"""The service REST API (``/api/v1/service/``): tickets (queues, detail, create, edit and
assign, transitions, replies and notes). Thin over selectors/services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy
from ninja import Query, Status

from guanxi.core.api.bases import (
    PageIn,
    PageOut,
    RecordId,
    StaffRouter,
    actor,
    page_response,
    sent_fields,
)
from guanxi.core.errors import NotFound
from guanxi.service import schemas as desk_schemas
from guanxi.service import selectors
from guanxi.service.schemas import (
    FollowUpFiltersIn,
    FollowUpOut,
    FollowUpRecordIn,
    MessageOut,
    NpsCampaignIn,
    NpsCampaignOut,
    OwnerCountOut,
    ReplyIn,
    ResultFiltersIn,
    ResultsOut,
    SurveyFiltersIn,
    SurveyOut,
    TicketCreateIn,
    TicketDetailOut,
    TicketFiltersIn,
    TicketOut,
    TicketUpdateIn,
    TransitionIn,
)
from guanxi.service.services import tickets as services

router = StaffRouter(
    tags=["service"],
    allow=selectors.can_serve,
    message=gettext_lazy("你的角色不处理客服工单。"),
)


@router.get("/tickets", response=PageOut[TicketOut])
def ticket_list(
    request: HttpRequest, filters: Query[TicketFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    """One queue (``mine``, ``team``, ``unassigned``, ``breaching``, ``unknown``, ``all``)
    of the tickets the actor may see, with filters."""
    parsed = selectors.TicketFilters(**filters.model_dump())
    return page_response(selectors.queue(actor=actor(request), filters=parsed), page)


@router.post("/tickets", response={201: TicketOut})
def ticket_create(request: HttpRequest, payload: TicketCreateIn) -> Status[Any]:
    data = payload.model_dump()
    args = {k: data.pop(k) for k in ("customer_id", "contact_id", "assignee_id", "body")}
    ticket = services.ticket_create(
        actor=actor(request), data=data, customer_id=args["customer_id"],
        contact_id=args["contact_id"], assignee_id=args["assignee_id"], body=args["body"],
    )  # fmt: skip
    return Status(201, ticket)


@router.get("/tickets/{ticket_id}", response=TicketDetailOut)
def ticket_detail(request: HttpRequest, ticket_id: RecordId) -> Any:
    return selectors.ticket_get(actor=actor(request), ticket_id=ticket_id)


@router.patch("/tickets/{ticket_id}", response=TicketOut)
def ticket_update(request: HttpRequest, ticket_id: RecordId, payload: TicketUpdateIn) -> Any:
    data = sent_fields(payload)
    version = data.pop("version")
    assignee = data.pop("assignee_id", ...)
    return services.ticket_update(
        actor=actor(request), ticket_id=ticket_id, data=data, version=version,
        assignee_id=assignee,
    )  # fmt: skip


@router.post("/tickets/{ticket_id}/transition", response=TicketOut)
def ticket_transition(request: HttpRequest, ticket_id: RecordId, payload: TransitionIn) -> Any:
    """Move along new → open → waiting → resolved → closed (reopen: ``open``); an invalid
    move is a 422 naming ``status``, a stale ``version`` a 409."""
    return services.ticket_transition(
        actor=actor(request), ticket_id=ticket_id, status=payload.status, version=payload.version
    )


@router.post("/tickets/{ticket_id}/messages", response={201: MessageOut})
def ticket_reply(request: HttpRequest, ticket_id: RecordId, payload: ReplyIn) -> Status[Any]:
    """A reply to the customer (mailed with threading headers) or an internal note."""
    message = services.ticket_reply(
        actor=actor(request), ticket_id=ticket_id, body=payload.body,
        internal=payload.internal, status=payload.status,
    )  # fmt: skip
    return Status(201, message)


@router.post("/tickets/{ticket_id}/link-customer", response=TicketOut)
def ticket_link_customer(
    request: HttpRequest, ticket_id: RecordId, payload: desk_schemas.TicketLinkCustomerIn
) -> Any:
    """Triage an unknown sender's ticket: link it to a customer and one of its contacts,
    or (``create_contact``) a new contact made from the sender; the SLA policy is picked
    again for the customer. A ticket with a customer already is a 422 naming
    ``customer_id``."""
    from guanxi.service.services import triage

    return triage.ticket_link_customer(
        actor=actor(request), ticket_id=ticket_id, version=payload.version,
        customer_id=payload.customer_id, contact_id=payload.contact_id,
        create_contact=payload.create_contact,
    )  # fmt: skip


@router.post("/tickets/{ticket_id}/spam", response=TicketOut)
def ticket_mark_spam(
    request: HttpRequest, ticket_id: RecordId, payload: desk_schemas.TicketSpamIn
) -> Any:
    """Close an unknown sender's ticket as spam: no survey, no visit; the sender's later
    mail is kept but opens no ticket (until the ticket is reopened)."""
    from guanxi.service.services import triage

    return triage.ticket_mark_spam(
        actor=actor(request), ticket_id=ticket_id, version=payload.version
    )


# --- mailboxes (IMAP polling settings; admins) -----------------------------------------------


@router.get("/mailboxes", response=list[desk_schemas.MailboxOut])
def mailbox_list(request: HttpRequest) -> list[Any]:
    """The company mailboxes polled by IMAP, switched-off ones included (admins)."""
    return list(selectors.mailbox_list(actor=actor(request)))


@router.post("/mailboxes", response={201: desk_schemas.MailboxOut})
def mailbox_create(request: HttpRequest, payload: desk_schemas.MailboxIn) -> Status[Any]:
    """Add a mailbox (admins). The password stays in the workers' environment variable
    ``password_env``; a name already used is a 422 naming ``name``."""
    from guanxi.service.services import mailboxes

    return Status(201, mailboxes.mailbox_create(actor=actor(request), data=payload.model_dump()))


@router.get("/mailboxes/{mailbox_id}", response=desk_schemas.MailboxOut)
def mailbox_detail(request: HttpRequest, mailbox_id: RecordId) -> Any:
    return selectors.mailbox_get(actor=actor(request), mailbox_id=mailbox_id)


@router.patch("/mailboxes/{mailbox_id}", response=desk_schemas.MailboxOut)
def mailbox_update(
    request: HttpRequest, mailbox_id: RecordId, payload: desk_schemas.MailboxUpdateIn
) -> Any:
    """Edit a mailbox, or switch it off with ``active: false`` (admins); another host,
    port, account or folder starts the polling position over. A stale ``version`` is a 409."""
    from guanxi.service.services import mailboxes

    data = sent_fields(payload)
    version = data.pop("version")
    return mailboxes.mailbox_update(
        actor=actor(request), mailbox_id=mailbox_id, data=data, version=version
    )


# --- satisfaction (C3) and follow-up visits (C4) --------------------------------------------


@router.get("/surveys", response=PageOut[SurveyOut])
def survey_list(
    request: HttpRequest, filters: Query[SurveyFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    """CSAT and NPS surveys of the customers the actor may read, newest first (the token
    is never shown: only the customer's mail holds it)."""
    qs = selectors.survey_list(actor=actor(request), kind=filters.kind, answered=filters.answered)
    return page_response(qs, page)


@router.get("/surveys/results", response=ResultsOut)
def survey_results(request: HttpRequest, filters: Query[ResultFiltersIn]) -> dict[str, Any]:
    """CSAT (share of scores 4–5, average) or NPS (% promoters − % detractors) by account
    manager, department, customer or ticket category, with the monthly trend."""
    parsed = selectors.ResultFilters(**filters.model_dump())
    if parsed.date_from and parsed.date_to and parsed.date_from > parsed.date_to:
        from django.utils.translation import gettext

        from guanxi.core.errors import ValidationFailed

        raise ValidationFailed({"date_to": gettext("结束日期不能早于开始日期。")})
    data = selectors.survey_results(actor=actor(request), filters=parsed)
    return {"kind": parsed.kind, "group": parsed.group, **data}


@router.post("/nps-campaigns", response={201: NpsCampaignOut})
def nps_campaign_send(request: HttpRequest, payload: NpsCampaignIn) -> Status[Any]:
    """Send an NPS survey to the contacts (with an e-mail) of a segment of the customers
    the actor may read: admins and managers."""
    from guanxi.service.services import satisfaction

    campaign = satisfaction.nps_campaign_send(actor=actor(request), **payload.model_dump())
    return Status(201, campaign)


@router.get("/visits", response=PageOut[FollowUpOut])
def visit_list(
    request: HttpRequest, filters: Query[FollowUpFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    """Follow-up visits (回访) in scope; ``status=overdue``: pending past the due date."""
    parsed = selectors.FollowUpFilters(**filters.model_dump())
    return page_response(selectors.followup_list(actor=actor(request), filters=parsed), page)


@router.get("/visits/by-owner", response=list[OwnerCountOut])
def visit_counts(request: HttpRequest) -> list[dict[str, Any]]:
    """Pending, overdue and done visits per account manager."""
    return selectors.followup_counts_by_owner(actor=actor(request))


@router.post("/visits/{visit_id}/outcome", response=FollowUpOut)
def visit_record(request: HttpRequest, visit_id: RecordId, payload: FollowUpRecordIn) -> Any:
    """Record the outcome of a visit, once; a stale ``version`` is a 409."""
    from guanxi.service.services import visits

    return visits.followup_record(
        actor=actor(request), followup_id=visit_id, outcome=payload.outcome,
        note=payload.note, version=payload.version,
    )  # fmt: skip


# --- complaints, canned replies, merge, bulk actions, saved views --------------------------


def _tree_out(items: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": i.node.pk,
            "name": i.node.name,
            "parent_id": i.node.parent_id,
            "path": i.path,
            "depth": i.depth,
            "active": i.node.active,
            "order": i.node.order,
            "version": i.node.version,
        }
        for i in items
    ]


@router.get("/root-causes", response=list[desk_schemas.RootCauseOut])
def root_cause_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The complaint root-cause tree, depth first (switched-off causes included)."""
    return _tree_out(selectors.root_cause_tree(actor=actor(request)))


@router.post("/root-causes", response={201: desk_schemas.RootCauseOut})
def root_cause_create(request: HttpRequest, payload: desk_schemas.RootCauseIn) -> Status[Any]:
    """Add a cause (admins); at most five levels deep, names unique under one parent."""
    from guanxi.service.services import complaints

    node = complaints.root_cause_create(actor=actor(request), data=payload.model_dump())
    found = [i for i in selectors.root_cause_tree(actor=actor(request)) if i.node.pk == node.pk]
    return Status(201, _tree_out(found)[0])


@router.patch("/root-causes/{root_cause_id}", response=desk_schemas.RootCauseOut)
def root_cause_update(
    request: HttpRequest, root_cause_id: RecordId, payload: desk_schemas.RootCauseUpdateIn
) -> dict[str, Any]:
    """Rename, move, reorder or switch off a cause (admins)."""
    from guanxi.service.services import complaints

    data = sent_fields(payload)
    version = data.pop("version")
    node = complaints.root_cause_update(
        actor=actor(request), root_cause_id=root_cause_id, data=data, version=version
    )
    found = [i for i in selectors.root_cause_tree(actor=actor(request)) if i.node.pk == node.pk]
    return _tree_out(found)[0]


@router.get("/tickets/{ticket_id}/complaint", response=desk_schemas.ComplaintOut)
def complaint_detail(request: HttpRequest, ticket_id: RecordId) -> Any:
    """The complaint record of a complaint ticket; 404 when none was filed yet."""
    ticket = selectors.ticket_get(actor=actor(request), ticket_id=ticket_id)
    complaint = selectors.complaint_of(ticket=ticket)
    if complaint is None:
        raise NotFound(gettext("该工单还没有投诉记录。"))
    return complaint


@router.put("/tickets/{ticket_id}/complaint", response=desk_schemas.ComplaintOut)
def complaint_save(
    request: HttpRequest, ticket_id: RecordId, payload: desk_schemas.ComplaintIn
) -> Any:
    """File or edit the complaint record (root cause, resolution, compensation, the
    department responsible, the product); only on a ticket of category ``complaint``."""
    from guanxi.service.services import complaints

    data = payload.model_dump()
    version = data.pop("version")
    return complaints.complaint_save(
        actor=actor(request), ticket_id=ticket_id, data=data, version=version
    )


@router.get("/complaints/report", response=desk_schemas.ComplaintReportOut)
def complaint_report(request: HttpRequest) -> dict[str, Any]:
    """Complaint rate (complaints per confirmed order) and compensation per customer and
    per product, over what the actor may see (the top 50 of each)."""

    def rows(items: list[Any]) -> list[dict[str, Any]]:
        return [
            {
                "key": r.key,
                "name": r.name,
                "complaints": r.complaints,
                "orders": r.orders,
                "rate": None if r.rate is None else float(r.rate),
                "cost": r.cost,
            }
            for r in items
        ]

    return {
        "by_customer": rows(selectors.complaint_rate_by_customer(actor=actor(request))),
        "by_product": rows(selectors.complaint_rate_by_product(actor=actor(request))),
    }


@router.get("/canned-replies", response=PageOut[desk_schemas.CannedReplyOut])
def canned_reply_list(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    """The actor's own canned replies and the shared ones."""
    qs = selectors.canned_replies(actor=actor(request)).order_by("title", "id")
    return page_response(qs, page)


@router.post("/canned-replies", response={201: desk_schemas.CannedReplyOut})
def canned_reply_create(request: HttpRequest, payload: desk_schemas.CannedReplyIn) -> Status[Any]:
    from guanxi.service.services import desk

    return Status(201, desk.canned_reply_create(actor=actor(request), data=payload.model_dump()))


@router.patch("/canned-replies/{reply_id}", response=desk_schemas.CannedReplyOut)
def canned_reply_update(
    request: HttpRequest, reply_id: RecordId, payload: desk_schemas.CannedReplyUpdateIn
) -> Any:
    """Edit a canned reply: one's own, or a shared one as admin or manager."""
    from guanxi.service.services import desk

    data = sent_fields(payload)
    version = data.pop("version")
    return desk.canned_reply_update(
        actor=actor(request), reply_id=reply_id, data=data, version=version
    )


@router.delete("/canned-replies/{reply_id}", response={204: None})
def canned_reply_delete(
    request: HttpRequest, reply_id: RecordId, version: Query[desk_schemas.VersionQuery]
) -> Status[None]:
    from guanxi.service.services import desk

    desk.canned_reply_delete(actor=actor(request), reply_id=reply_id, version=version.version)
    return Status(204, None)


@router.get(
    "/tickets/{ticket_id}/canned-replies/{reply_id}", response=desk_schemas.CannedRenderedOut
)
def canned_reply_render(request: HttpRequest, ticket_id: RecordId, reply_id: RecordId) -> Any:
    """A canned reply's text with the ticket's fields filled in (plain substitution of the
    four known fields; nothing else in the text is interpreted)."""
    ticket = selectors.ticket_get(actor=actor(request), ticket_id=ticket_id)
    reply = selectors.canned_replies(actor=actor(request)).filter(pk=reply_id).first()
    if reply is None:
        raise NotFound(gettext("快捷回复不存在。"))
    return {"text": selectors.render_canned(reply=reply, ticket=ticket, agent=actor(request))}


@router.post("/tickets/{ticket_id}/merge", response=TicketOut)
def ticket_merge(
    request: HttpRequest, ticket_id: RecordId, payload: desk_schemas.TicketMergeIn
) -> Any:
    """Merge the duplicate ``source_id`` into this ticket: its messages and attachments
    move here, it is closed with a note. Tickets of two customers need
    ``confirm_other_customer`` (otherwise a 422 naming it)."""
    from guanxi.service.services import desk

    return desk.ticket_merge(
        actor=actor(request),
        target_id=ticket_id,
        source_id=payload.source_id,
        confirm_other_customer=payload.confirm_other_customer,
    )


@router.post("/bulk/tickets", response=list[desk_schemas.BulkRowOut])
def ticket_bulk(request: HttpRequest, payload: desk_schemas.BulkIn) -> list[Any]:
    """Assign, reprioritise or close up to 200 tickets, each row on its own (its version,
    the actor's permission on it); the answer reports every row, done or refused."""
    from guanxi.service.services import desk

    return desk.tickets_bulk(
        actor=actor(request),
        action=payload.action,
        items=[(item.id, item.version) for item in payload.items],
        assignee_id=payload.assignee_id,
        priority=payload.priority,
    )


@router.get("/saved-views", response=list[desk_schemas.SavedViewOut])
def saved_view_list(request: HttpRequest) -> list[Any]:
    """The actor's saved queue views (at most 50)."""
    return selectors.saved_views(actor=actor(request))


@router.post("/saved-views", response={201: desk_schemas.SavedViewOut})
def saved_view_create(request: HttpRequest, payload: desk_schemas.SavedViewIn) -> Status[Any]:
    from guanxi.service.services import desk

    view = desk.saved_view_create(
        actor=actor(request),
        name=payload.name,
        filters=payload.filters.model_dump(),
        is_default=payload.is_default,
    )
    return Status(201, view)


@router.patch("/saved-views/{view_id}", response=desk_schemas.SavedViewOut)
def saved_view_update(
    request: HttpRequest, view_id: RecordId, payload: desk_schemas.SavedViewUpdateIn
) -> Any:
    """Make a view the default (the previous default stops being it) or not."""
    from guanxi.service.services import desk

    return desk.saved_view_set_default(
        actor=actor(request), view_id=view_id, is_default=payload.is_default
    )


@router.delete("/saved-views/{view_id}", response={204: None})
def saved_view_delete(request: HttpRequest, view_id: RecordId) -> Status[None]:
    from guanxi.service.services import desk

    desk.saved_view_delete(actor=actor(request), view_id=view_id)
    return Status(204, None)
