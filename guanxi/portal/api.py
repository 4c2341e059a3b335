"""The portal REST API (``/api/v1/portal/``): the customer's own projects, tickets and
surveys, for the company's systems. Authenticated by portal tokens (``gxp_…``, made on the
portal's token page) or a portal session; a staff token or session is refused (401/403),
and a staff token never opens these operations. Thin over the portal's selectors and
services: the acting account's company decides every record."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Query, Status
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from guanxi.attachments.responses import file_response
from guanxi.core.api.bases import PageIn, PageOut, RecordId, StaffRouter, page_response
from guanxi.core.api.errors import errors
from guanxi.portal import selectors, services
from guanxi.portal.models import PortalAccount
from guanxi.portal.schemas import (
    PortalCloseIn,
    PortalDocumentOut,
    PortalMeOut,
    PortalMessageOut,
    PortalProjectDetailOut,
    PortalProjectOut,
    PortalReplyIn,
    PortalSurveyAnswerIn,
    PortalSurveyOut,
    PortalTicketDetailOut,
    PortalTicketFiltersIn,
    PortalTicketIn,
    PortalTicketOut,
)


class PortalTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = services.token_authenticate(token)
        if user is None:
            return None
        request.user = user
        return user


class PortalSessionAuth(APIKeyHeader):
    """A signed-in portal user's browser session (with CSRF for writes)."""

    param_name = "X-CSRFToken"

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return django_auth(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return None


router = StaffRouter(
    tags=["portal"],
    auth=[PortalTokenAuth(), PortalSessionAuth()],
    allow=lambda user: selectors.account_of(user) is not None,
    message=gettext_lazy("只有客户门户用户可以使用门户 API。"),
)


def _account(request: HttpRequest) -> PortalAccount:
    return services.require_account(request.user)


@router.get("/me", response=PortalMeOut)
def me(request: HttpRequest) -> Any:
    return _account(request)


@router.get("/projects", response=PageOut[PortalProjectOut])
def project_list(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    return page_response(selectors.projects(account=_account(request)), page)


@router.get("/projects/{project_id}", response=PortalProjectDetailOut)
def project_detail(request: HttpRequest, project_id: RecordId) -> Any:
    project = selectors.project_get(account=_account(request), project_id=project_id)
    project.portal_milestones = list(selectors.milestones(project=project))  # type: ignore[attr-defined]
    project.portal_deliverables = list(selectors.deliverables(project=project))  # type: ignore[attr-defined]
    return project


@router.get("/tickets", response=PageOut[PortalTicketOut])
def ticket_list(
    request: HttpRequest, filters: Query[PortalTicketFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    qs = selectors.tickets(account=_account(request), status=filters.status or "")
    return page_response(qs, page)


@router.post("/tickets", response={201: PortalTicketOut})
def ticket_create(request: HttpRequest, payload: PortalTicketIn) -> Status[Any]:
    ticket = services.ticket_raise(
        user=request.user, subject=payload.subject, category=payload.category,
        description=payload.description,
    )  # fmt: skip
    return Status(201, ticket)


@router.get("/tickets/{ticket_id}", response=PortalTicketDetailOut)
def ticket_detail(request: HttpRequest, ticket_id: RecordId) -> Any:
    ticket = selectors.ticket_get(account=_account(request), ticket_id=ticket_id)
    ticket.portal_promise = selectors.sla_promise(ticket)  # type: ignore[attr-defined]
    ticket.portal_messages = list(selectors.public_messages(ticket=ticket))  # type: ignore[attr-defined]
    return ticket


@router.post("/tickets/{ticket_id}/replies", response={201: PortalMessageOut})
def ticket_reply(request: HttpRequest, ticket_id: RecordId, payload: PortalReplyIn) -> Status[Any]:
    message = services.ticket_reply(user=request.user, ticket_id=ticket_id, body=payload.body)
    return Status(201, message)


@router.post("/tickets/{ticket_id}/close", response=PortalTicketOut)
def ticket_close(request: HttpRequest, ticket_id: RecordId, payload: PortalCloseIn) -> Any:
    return services.ticket_close(user=request.user, ticket_id=ticket_id, version=payload.version)


@router.get("/surveys", response=PageOut[PortalSurveyOut])
def survey_list(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    return page_response(selectors.surveys(account=_account(request)), page)


@router.post("/surveys/{survey_id}/answer", response=PortalSurveyOut)
def survey_answer(request: HttpRequest, survey_id: RecordId, payload: PortalSurveyAnswerIn) -> Any:
    return services.survey_answer(
        user=request.user, survey_id=survey_id, score=payload.score, comment=payload.comment
    )


@router.get("/documents", response={200: PageOut[PortalDocumentOut], **errors(403, 422)})
def document_list(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    """The files staff shared with the company on its tickets, contracts and projects,
    newest first."""
    return page_response(selectors.documents(account=_account(request)), page)


@router.get(
    "/documents/{attachment_id}/download",
    response={200: None, **errors(403, 404, 422)},
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, with the content type found in its bytes.",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
def document_download(request: HttpRequest, attachment_id: RecordId) -> FileResponse:
    """One shared file (or one beside the company's own ticket); 404 for a file not shared
    with the company. Logged in the security log."""
    account = _account(request)
    attachment = selectors.attachment_get(account=account, attachment_id=attachment_id)
    services.attachment_downloaded(
        user=request.user, attachment=attachment, ip=request.META.get("REMOTE_ADDR")
    )
    return file_response(attachment)


__all__ = ["router"]
