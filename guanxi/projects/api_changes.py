"""The projects API's change requests (需求变更) and deliverable acceptance (issue 15 items
3, 5), mounted under ``/api/v1/projects/`` by ``api.py``. Every state transition is its
own POST; a transition the state does not allow is a 409, a stale ``version`` a 409, a
decision by someone who may not decide for the customer a 403, another department's
project or another project's record a 404. Thin over ``services.changes``,
``services.acceptance`` and ``selectors_changes``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Query, Status

from guanxi.core.api.bases import PageIn, PageOut, RecordId, StaffRouter, actor, page_response
from guanxi.projects import selectors, selectors_changes
from guanxi.projects.schemas_changes import (
    AcceptanceCriterionIn,
    AcceptanceCriterionOut,
    AcceptanceCriterionUpdateIn,
    AcceptanceDecisionIn,
    AcceptanceDeliverableOut,
    AcceptanceQualityOut,
    AcceptanceTasksIn,
    AcceptanceVersionIn,
    ChangeRequestCreateIn,
    ChangeRequestDecisionIn,
    ChangeRequestDetailOut,
    ChangeRequestFiltersIn,
    ChangeRequestImpactIn,
    ChangeRequestImpactPreviewOut,
    ChangeRequestOut,
    ChangeRequestUpdateIn,
    ChangeRequestVersionIn,
)
from guanxi.projects.services import acceptance, changes

router = StaffRouter(
    tags=["projects"],
    allow=selectors.can_use,
    message=gettext_lazy("你的角色不能使用项目。"),
)


def _project(request: HttpRequest, project_id: int) -> Any:
    return selectors.project_get(actor=actor(request), project_id=project_id, with_members=False)


def _detail(request: HttpRequest, project_id: int, cr_id: int) -> Any:
    return selectors_changes.change_request_get(
        project=_project(request, project_id), change_request_id=cr_id
    )


# --- change requests -----------------------------------------------------------------------


@router.get("/{project_id}/change-requests", response=PageOut[ChangeRequestOut])
def change_request_list(
    request: HttpRequest,
    project_id: RecordId,
    filters: Query[ChangeRequestFiltersIn],
    page: Query[PageIn],
) -> dict[str, Any]:
    """The project's change requests, newest first: the whole history of requests, their
    decisions and the baselines they produced."""
    qs = selectors_changes.change_request_list(
        project=_project(request, project_id), status=filters.status or ""
    )
    return page_response(qs, page)


@router.post("/{project_id}/change-requests", response={201: ChangeRequestOut})
def change_request_create(
    request: HttpRequest, project_id: RecordId, payload: ChangeRequestCreateIn
) -> Status[Any]:
    """Raise a change request (a draft): by the team, or in the customer's name (``origin``
    ``customer`` with ``raised_for_contact``, 422 without it)."""
    cr = changes.change_request_create(
        actor=actor(request), project_id=project_id, data=payload.model_dump()
    )
    return Status(201, cr)


@router.get("/{project_id}/change-requests/{cr_id}", response=ChangeRequestDetailOut)
def change_request_detail(request: HttpRequest, project_id: RecordId, cr_id: RecordId) -> Any:
    return _detail(request, project_id, cr_id)


@router.patch("/{project_id}/change-requests/{cr_id}", response=ChangeRequestOut)
def change_request_update(
    request: HttpRequest, project_id: RecordId, cr_id: RecordId, payload: ChangeRequestUpdateIn
) -> Any:
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return changes.change_request_update(
        actor=actor(request), project_id=project_id, change_request_id=cr_id, data=data,
        version=version,
    )  # fmt: skip


@router.post("/{project_id}/change-requests/{cr_id}/impact", response=ChangeRequestDetailOut)
def change_request_impact(
    request: HttpRequest, project_id: RecordId, cr_id: RecordId, payload: ChangeRequestImpactIn
) -> Any:
    """State the impact: scope and quality in words, the cost delta, and the proposed task
    changes (new durations, new tasks, new links) whose schedule impact the critical path
    method computes on a copy of the plan (a change closing a cycle: 400 naming it)."""
    cr = changes.change_request_state_impact(
        actor=actor(request), project_id=project_id, change_request_id=cr_id,
        scope_impact=payload.scope_impact, cost_delta=payload.cost_delta,
        quality_impact=payload.quality_impact,
        task_changes=[c.model_dump(exclude_none=True) for c in payload.task_changes],
        version=payload.version,
    )  # fmt: skip
    return cr


@router.get(
    "/{project_id}/change-requests/{cr_id}/schedule-impact",
    response=ChangeRequestImpactPreviewOut,
)
def change_request_schedule_impact(
    request: HttpRequest, project_id: RecordId, cr_id: RecordId
) -> dict[str, Any]:
    """The request's schedule impact against the plan as it stands now (CPM, nothing
    saved): the finish before and after, the project's length in working days."""
    cr = _detail(request, project_id, cr_id)
    proposed = [
        changes.ProposedChange(
            kind=c.kind, task_id=c.task_id, duration_days=c.duration_days, name=c.name,
            predecessor_id=c.predecessor_id, successor_id=c.successor_id, type=c.link_type,
            lag_days=c.lag_days,
        )
        for c in cr.task_changes.all()
        if c.kind != "duration" or c.task_id is not None
    ]  # fmt: skip
    impact = changes.schedule_impact(project=cr.project, changes=proposed)
    return {
        "finish_before": impact.finish_before,
        "finish_after": impact.finish_after,
        "duration_before": impact.duration_before,
        "duration_after": impact.duration_after,
        "delta_days": impact.delta_days,
    }


@router.post("/{project_id}/change-requests/{cr_id}/submit", response=ChangeRequestOut)
def change_request_submit(
    request: HttpRequest, project_id: RecordId, cr_id: RecordId, payload: ChangeRequestVersionIn
) -> Any:
    """Send the assessed request to the internal approval flow (422 when no flow is
    configured for ``change_request``); its approval passes it on to the customer."""
    return changes.change_request_submit(
        actor=actor(request), project_id=project_id, change_request_id=cr_id,
        version=payload.version,
    )  # fmt: skip


@router.post("/{project_id}/change-requests/{cr_id}/withdraw", response=ChangeRequestOut)
def change_request_withdraw(
    request: HttpRequest, project_id: RecordId, cr_id: RecordId, payload: ChangeRequestVersionIn
) -> Any:
    return changes.change_request_withdraw(
        actor=actor(request), project_id=project_id, change_request_id=cr_id,
        version=payload.version,
    )  # fmt: skip


@router.post(
    "/{project_id}/change-requests/{cr_id}/customer-decision", response=ChangeRequestDetailOut
)
def change_request_customer_decision(
    request: HttpRequest, project_id: RecordId, cr_id: RecordId, payload: ChangeRequestDecisionIn
) -> Any:
    """Record the customer's decision on behalf of the customer's contact
    (``contact_name``): only the project's manager, the roles whose write scope reaches
    it, or the customer's account manager (403 otherwise). An approval applies the task
    changes to the plan and takes a new baseline."""
    cr = changes.change_request_decide_on_behalf(
        actor=actor(request), project_id=project_id, change_request_id=cr_id,
        approve=payload.approve, contact_name=payload.contact_name, comment=payload.comment,
        version=payload.version,
    )  # fmt: skip
    return cr


@router.post("/{project_id}/change-requests/{cr_id}/apply", response=ChangeRequestOut)
def change_request_apply(
    request: HttpRequest, project_id: RecordId, cr_id: RecordId, payload: ChangeRequestVersionIn
) -> Any:
    """Apply an approved request whose automatic application failed (``apply_error``)."""
    return changes.change_request_apply(
        actor=actor(request), project_id=project_id, change_request_id=cr_id,
        version=payload.version,
    )  # fmt: skip


# --- deliverable acceptance ----------------------------------------------------------------


def _deliverable_out(deliverable: Any) -> dict[str, Any]:
    return {
        **{
            name: getattr(deliverable, name)
            for name in (
                "id", "name", "description", "due_date", "done", "status", "submitted_at",
                "decided_at", "decided_on_behalf", "customer_contact", "rejection_reason",
                "rejection_count", "version",
            )
        },
        "task_ids": sorted(t.pk for t in deliverable.tasks.all()),
        "criteria": list(deliverable.criteria.all()),
        "reviews": list(deliverable.reviews.all()),
    }  # fmt: skip


def _deliverable(request: HttpRequest, project_id: int, deliverable_id: int) -> dict[str, Any]:
    found = selectors_changes.deliverable_get(
        project=_project(request, project_id), deliverable_id=deliverable_id
    )
    return _deliverable_out(found)


@router.get("/{project_id}/deliverables", response=list[AcceptanceDeliverableOut])
def deliverable_list(request: HttpRequest, project_id: RecordId) -> list[dict[str, Any]]:
    """The deliverables with their acceptance criteria and every review round."""
    project = _project(request, project_id)
    return [_deliverable_out(d) for d in selectors_changes.deliverable_list(project=project)]


@router.get("/{project_id}/deliverables/{deliverable_id}", response=AcceptanceDeliverableOut)
def deliverable_detail(
    request: HttpRequest, project_id: RecordId, deliverable_id: RecordId
) -> dict[str, Any]:
    return _deliverable(request, project_id, deliverable_id)


@router.post(
    "/{project_id}/deliverables/{deliverable_id}/criteria",
    response={201: AcceptanceCriterionOut},
)
def criterion_add(
    request: HttpRequest,
    project_id: RecordId,
    deliverable_id: RecordId,
    payload: AcceptanceCriterionIn,
) -> Status[Any]:
    criterion = acceptance.criterion_add(
        actor=actor(request), project_id=project_id, deliverable_id=deliverable_id,
        text=payload.text,
    )  # fmt: skip
    return Status(201, criterion)


@router.patch("/{project_id}/acceptance-criteria/{criterion_id}", response=AcceptanceCriterionOut)
def criterion_update(
    request: HttpRequest,
    project_id: RecordId,
    criterion_id: RecordId,
    payload: AcceptanceCriterionUpdateIn,
) -> Any:
    """Tick a criterion as met (or not), or reword it, while the deliverable is not
    submitted or accepted (409 then)."""
    return acceptance.criterion_set(
        actor=actor(request), project_id=project_id, criterion_id=criterion_id,
        met=payload.met, text=payload.text,
    )  # fmt: skip


@router.delete("/{project_id}/acceptance-criteria/{criterion_id}", response={204: None})
def criterion_delete(
    request: HttpRequest, project_id: RecordId, criterion_id: RecordId
) -> Status[None]:
    acceptance.criterion_delete(
        actor=actor(request), project_id=project_id, criterion_id=criterion_id
    )
    return Status(204, None)


@router.put("/{project_id}/deliverables/{deliverable_id}/tasks", response=AcceptanceDeliverableOut)
def deliverable_tasks(
    request: HttpRequest, project_id: RecordId, deliverable_id: RecordId, payload: AcceptanceTasksIn
) -> dict[str, Any]:
    """The tasks whose work the deliverable is (a rejection reopens them)."""
    acceptance.deliverable_set_tasks(
        actor=actor(request), project_id=project_id, deliverable_id=deliverable_id,
        task_ids=payload.task_ids, version=payload.version,
    )  # fmt: skip
    return _deliverable(request, project_id, deliverable_id)


@router.post(
    "/{project_id}/deliverables/{deliverable_id}/submit", response=AcceptanceDeliverableOut
)
def deliverable_submit(
    request: HttpRequest,
    project_id: RecordId,
    deliverable_id: RecordId,
    payload: AcceptanceVersionIn,
) -> dict[str, Any]:
    """Submit for acceptance with the criteria listed (422 naming ``criteria`` without
    any; 409 when already submitted or accepted)."""
    acceptance.deliverable_submit(
        actor=actor(request), project_id=project_id, deliverable_id=deliverable_id,
        version=payload.version,
    )  # fmt: skip
    return _deliverable(request, project_id, deliverable_id)


@router.post(
    "/{project_id}/deliverables/{deliverable_id}/customer-decision",
    response=AcceptanceDeliverableOut,
)
def deliverable_customer_decision(
    request: HttpRequest,
    project_id: RecordId,
    deliverable_id: RecordId,
    payload: AcceptanceDecisionIn,
) -> dict[str, Any]:
    """Record the customer's acceptance or rejection (with ``reason``) on behalf of the
    customer's contact; only the project's manager, the roles whose write scope reaches
    it, or the customer's account manager (403 otherwise). A rejection reopens the
    deliverable's tasks."""
    acceptance.deliverable_decide_on_behalf(
        actor=actor(request), project_id=project_id, deliverable_id=deliverable_id,
        accept=payload.accept, reason=payload.reason, contact_name=payload.contact_name,
        version=payload.version,
    )  # fmt: skip
    return _deliverable(request, project_id, deliverable_id)


@router.get("/{project_id}/quality", response=AcceptanceQualityOut)
def project_quality(request: HttpRequest, project_id: RecordId) -> dict[str, Any]:
    """Quality conformance: the first-pass acceptance rate of the project's deliverables
    (accepted at their first submission / first submissions decided; null with none)."""
    result = selectors_changes.project_first_pass_rate(actor=actor(request), project_id=project_id)
    return {"decided": result.decided, "first_pass": result.first_pass,
            "first_pass_rate": result.rate}  # fmt: skip
