"""The approvals REST API (``/api/v1/approvals/``): thin operations over
``approvals.selectors`` (reads, for the caller) and ``approvals.services`` (writes)."""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Query, Status

from guanxi.accounts import permissions
from guanxi.approvals import selectors, services
from guanxi.approvals.schemas import (
    ERRORS,
    WRITE_ERRORS,
    DecisionIn,
    DelegationIn,
    DelegationOut,
    PendingOut,
    RequestDetailOut,
    RequestFiltersIn,
    RequestOut,
    ResubmitIn,
    WithdrawIn,
)
from guanxi.core.api.bases import (
    PageIn,
    PageOut,
    RecordId,
    StaffRouter,
    actor,
    page_out,
    page_response,
)
from guanxi.core.db.paging import paginate

router = StaffRouter(
    tags=["approvals"],
    allow=permissions.is_staff_actor,
    message=gettext_lazy("客户门户用户无权使用员工端 API。"),
)


def _detail(request: HttpRequest, request_id: int) -> Any:
    return selectors.request_get(actor=actor(request), request_id=request_id)


@router.get("/pending", response={200: PageOut[PendingOut], **ERRORS})
def pending_list(request: HttpRequest, page: Query[PageIn]) -> Any:
    """The current steps the caller may decide today — as an approver, or as the
    substitute of one (``on_behalf_of``) — oldest submission first."""
    user = actor(request)
    result = paginate(selectors.pending_steps(actor=user), size=page.limit, offset=page.offset)
    prefetch_related_objects(result.items, "approvers")
    standing_in = selectors.stand_ins(actor=user)
    result.items = [
        {
            "request": step.request,
            "step_id": step.pk,
            "step_name": step.name,
            "round": step.round,
            "position": step.position,
            "on_behalf_of": selectors.step_capacity(
                user, step, step.request.document_type, standing_in
            )[1],
        }
        for step in result.items
    ]
    return page_out(result, page)


@router.get("/requests", response={200: PageOut[RequestOut], **ERRORS})
def request_list(
    request: HttpRequest, filters: Query[RequestFiltersIn], page: Query[PageIn]
) -> Any:
    """Requests the caller takes part in: ``submitted`` (mine), ``handled`` (steps I
    decided) or ``all`` visible (admins: every request). Newest first."""
    qs = selectors.request_list(
        actor=actor(request),
        box=filters.box,
        state=filters.state,
        document_type=filters.document_type,
    )
    return page_response(qs, page)


@router.get("/requests/{request_id}", response={200: RequestDetailOut, **ERRORS})
def request_detail(request: HttpRequest, request_id: RecordId) -> Any:
    """A request with every round's steps and its full history."""
    return _detail(request, request_id)


@router.post("/requests/{request_id}/act", response={200: RequestDetailOut, **WRITE_ERRORS})
def request_act(request: HttpRequest, request_id: RecordId, payload: DecisionIn) -> Any:
    """Approve or reject the current step (a rejection needs a ``comment``). 403 when the
    caller is not its approver nor a substitute in their window; 409 when the request moved
    on since ``version`` (someone else acted first) or is closed."""
    services.approval_decide(
        actor=actor(request),
        request_id=request_id,
        decision=payload.decision,
        version=payload.version,
        comment=payload.comment,
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/withdraw", response={200: RequestDetailOut, **WRITE_ERRORS})
def request_withdraw(request: HttpRequest, request_id: RecordId, payload: WithdrawIn) -> Any:
    """The submitter takes a pending request back."""
    services.approval_withdraw(
        actor=actor(request),
        request_id=request_id,
        version=payload.version,
        comment=payload.comment,
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/resubmit", response={200: RequestDetailOut, **WRITE_ERRORS})
def request_resubmit(request: HttpRequest, request_id: RecordId, payload: ResubmitIn) -> Any:
    """The submitter submits a withdrawn or rejected request again (a new round)."""
    services.approval_resubmit(actor=actor(request), request_id=request_id, version=payload.version)
    return _detail(request, request_id)


@router.get("/delegations", response={200: PageOut[DelegationOut], **ERRORS})
def delegation_list(request: HttpRequest, page: Query[PageIn]) -> Any:
    """Delegations the caller gave or received (admins: all)."""
    return page_response(selectors.delegations(actor=actor(request)), page)


@router.post("/delegations", response={201: DelegationOut, **WRITE_ERRORS})
def delegation_create(request: HttpRequest, payload: DelegationIn) -> Any:
    """Name a substitute while away (dates inclusive, Beijing time)."""
    delegation = services.delegation_create(
        actor=actor(request),
        substitute_id=payload.substitute_id,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        delegator_id=payload.delegator_id,
        document_type=payload.document_type,
        reason=payload.reason,
    )
    return Status(201, delegation)


@router.post("/delegations/{delegation_id}/cancel", response={200: DelegationOut, **WRITE_ERRORS})
def delegation_cancel(request: HttpRequest, delegation_id: RecordId) -> Any:
    return services.delegation_cancel(actor=actor(request), delegation_id=delegation_id)
