"""The projects REST API (``/api/v1/projects/``): projects (from a won opportunity too),
the team, tasks, links, the computed schedule (CPM) and the phase gates. Thin over
selectors/services; every read scoped by the actor (another department's project is a
404 like a missing one)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
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
from guanxi.projects import selectors
from guanxi.projects.cpm import CycleError
from guanxi.projects.schemas import (
    GateCsatIn,
    GateItemIn,
    GateItemOut,
    GateOut,
    GatePassIn,
    LinkIn,
    LinkOut,
    ProjectCreateIn,
    ProjectFiltersIn,
    ProjectFromContractIn,
    ProjectFromOpportunityIn,
    ProjectMemberIn,
    ProjectMemberOut,
    ProjectOut,
    ProjectUpdateIn,
    RescheduleIn,
    ScheduleOut,
    TaskCreateIn,
    TaskFiltersIn,
    TaskOut,
    TaskUpdateIn,
)
from guanxi.projects.services import closure as closure_services
from guanxi.projects.services import plan
from guanxi.projects.services import projects as services

router = StaffRouter(
    tags=["projects"],
    allow=selectors.can_use,
    message=gettext_lazy("你的角色不能使用项目。"),
)


def _project(request: HttpRequest, project_id: int) -> Any:
    return selectors.project_get(actor=actor(request), project_id=project_id)


# --- projects ------------------------------------------------------------------------------


@router.get("/", response=PageOut[ProjectOut])
def project_list(
    request: HttpRequest, filters: Query[ProjectFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    """The projects the actor reads: members their projects, account managers those of
    their customers, managers their department's, admins all."""
    qs = selectors.project_list(
        actor=actor(request), query=filters.q, phase=filters.phase or "",
        status=filters.status or "", customer_id=filters.customer_id,
    )  # fmt: skip
    return page_response(qs, page)


@router.post("/", response={201: ProjectOut})
def project_create(request: HttpRequest, payload: ProjectCreateIn) -> Status[Any]:
    """A project on a customer the actor reads; from ``template_id`` its plan is copied
    and scheduled (a template whose links form a cycle is refused: 400 naming it)."""
    data = payload.model_dump()
    args = {k: data.pop(k) for k in ("customer_id", "manager_id", "template_id", "parent_id")}
    if data.get("due_date") is None:
        data.pop("due_date")
    project = services.project_create(actor=actor(request), data=data, **args)
    return Status(201, project)


@router.post("/from-opportunity", response={201: ProjectOut})
def project_from_opportunity(
    request: HttpRequest, payload: ProjectFromOpportunityIn
) -> Status[Any]:
    """B5: the project of a won opportunity, in one call; a second one is a 409."""
    project = services.project_create_from_opportunity(
        actor=actor(request), opportunity_id=payload.opportunity_id,
        template_id=payload.template_id,
    )  # fmt: skip
    return Status(201, project)


@router.post("/from-contract", response={201: ProjectOut})
def project_from_contract(request: HttpRequest, payload: ProjectFromContractIn) -> Status[Any]:
    """The delivery project of an approved (or active) contract, in one call; a second one
    is a 409, a contract in another state a 422 naming ``contract_id``."""
    project = services.project_create_from_contract(
        actor=actor(request), contract_id=payload.contract_id, template_id=payload.template_id
    )
    return Status(201, project)


@router.get("/{project_id}", response=ProjectOut)
def project_detail(request: HttpRequest, project_id: RecordId) -> Any:
    return _project(request, project_id)


@router.patch("/{project_id}", response=ProjectOut)
def project_update(request: HttpRequest, project_id: RecordId, payload: ProjectUpdateIn) -> Any:
    """Edit the project; a stale ``version`` is a 409. A new start date reschedules."""
    data = sent_fields(payload)
    version = data.pop("version")
    return services.project_update(
        actor=actor(request), project_id=project_id, data=data, version=version
    )


@router.get("/{project_id}/members", response=list[ProjectMemberOut])
def member_list(request: HttpRequest, project_id: RecordId) -> list[Any]:
    return list(_project(request, project_id).members.all())


@router.put("/{project_id}/members", response=ProjectMemberOut)
def member_put(request: HttpRequest, project_id: RecordId, payload: ProjectMemberIn) -> Any:
    """Add a member to the team, or change their role and allocation (1–100 %)."""
    return services.member_add(actor=actor(request), project_id=project_id, **payload.model_dump())


@router.delete("/{project_id}/members/{user_id}", response={204: None})
def member_delete(request: HttpRequest, project_id: RecordId, user_id: RecordId) -> Status[None]:
    services.member_remove(actor=actor(request), project_id=project_id, user_id=user_id)
    return Status(204, None)


# --- tasks and links -----------------------------------------------------------------------


@router.get("/{project_id}/tasks", response=PageOut[TaskOut])
def task_list(
    request: HttpRequest, project_id: RecordId, filters: Query[TaskFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    """The task tree in outline order, with the stored schedule."""
    project = _project(request, project_id)
    qs = selectors.task_list(
        project=project, assignee_id=filters.assignee_id, status=filters.status or "",
        critical=filters.critical, milestone=filters.milestone, query=filters.q,
    )  # fmt: skip
    return page_response(qs, page)


@router.post("/{project_id}/tasks", response={201: TaskOut})
def task_create(request: HttpRequest, project_id: RecordId, payload: TaskCreateIn) -> Status[Any]:
    data = payload.model_dump()
    for name in ("parent_id", "assignee_id", "start_no_earlier"):
        if data[name] is None:
            data.pop(name)
    task = plan.task_create(actor=actor(request), project_id=project_id, data=data)
    return Status(201, task)


@router.patch("/{project_id}/tasks/{task_id}", response=TaskOut)
def task_update(
    request: HttpRequest, project_id: RecordId, task_id: RecordId, payload: TaskUpdateIn
) -> Any:
    """Edit a task; the plan is rescheduled. A stale ``version`` is a 409."""
    data = sent_fields(payload)
    version = data.pop("version")
    return plan.task_update(
        actor=actor(request), project_id=project_id, task_id=task_id, data=data, version=version
    )


@router.post("/{project_id}/tasks/{task_id}/reschedule", response=ScheduleOut)
def task_reschedule(
    request: HttpRequest, project_id: RecordId, task_id: RecordId, payload: RescheduleIn
) -> dict[str, Any]:
    """What a drag on the Gantt does: the task starts no earlier than ``start``, its
    successors follow; answers the new schedule."""
    result = plan.task_reschedule(
        actor=actor(request), project_id=project_id, task_id=task_id,
        start=payload.start, version=payload.version,
    )  # fmt: skip
    return _schedule_out(result)


@router.delete("/{project_id}/tasks/{task_id}", response={204: None})
def task_delete(
    request: HttpRequest,
    project_id: RecordId,
    task_id: RecordId,
    version: int = Query(..., ge=1, le=2**31 - 1),  # type: ignore[type-arg]
) -> Status[None]:
    """Delete a task with its sub-tasks and their links."""
    plan.task_delete(actor=actor(request), project_id=project_id, task_id=task_id, version=version)
    return Status(204, None)


@router.get("/{project_id}/links", response=list[LinkOut])
def link_list(request: HttpRequest, project_id: RecordId) -> list[Any]:
    return list(selectors.link_list(project=_project(request, project_id)))


@router.post("/{project_id}/links", response={201: LinkOut})
def link_create(request: HttpRequest, project_id: RecordId, payload: LinkIn) -> Status[Any]:
    """A dependency FS/SS/FF/SF with a lag in working days (±999); one that closes a cycle
    is a 400 naming the cycle's tasks, and nothing is saved."""
    link = plan.link_create(actor=actor(request), project_id=project_id, **payload.model_dump())
    return Status(201, link)


@router.delete("/{project_id}/links/{link_id}", response={204: None})
def link_delete(request: HttpRequest, project_id: RecordId, link_id: RecordId) -> Status[None]:
    plan.link_delete(actor=actor(request), project_id=project_id, link_id=link_id)
    return Status(204, None)


def _schedule_out(result: Any) -> dict[str, Any]:
    return {
        "start": result.start,
        "finish": result.finish,
        "duration_days": result.duration,
        "critical_path": result.critical_path,
        "tasks": [
            {
                "id": t.id,
                "early_start": t.start,
                "early_finish": t.finish,
                "late_start": t.late_start_date,
                "late_finish": t.late_finish_date,
                "total_float": t.total_float,
                "free_float": t.free_float,
                "critical": t.critical,
                "summary": t.summary,
            }
            for t in result.tasks.values()
        ],
    }


@router.get("/{project_id}/schedule", response=ScheduleOut)
def project_schedule(request: HttpRequest, project_id: RecordId) -> dict[str, Any]:
    """The critical path method on the plan as it stands, on the working calendar (CN
    holidays and 调休): early/late dates, total/free float (working days), the critical
    path."""
    project = _project(request, project_id)
    try:
        result = selectors.project_schedule(project=project)
    except CycleError as exc:
        raise plan.CycleRefused(str(exc), tasks=exc.tasks) from exc
    return _schedule_out(result)


# --- gates ---------------------------------------------------------------------------------


def _gate_out(gate: Any) -> dict[str, Any]:
    return {
        "phase": gate.phase,
        "passed_at": gate.passed_at,
        "passed_by_id": gate.passed_by_id,
        "note": gate.note,
        "items": list(gate.items.all()),
        "csat_score": gate.csat_score,
        "csat_comment": gate.csat_comment,
        "csat_source": gate.csat_source,
        "csat_contact": gate.csat_contact,
        "csat_at": gate.csat_at,
    }


@router.get("/{project_id}/gates", response=list[GateOut])
def gate_list(request: HttpRequest, project_id: RecordId) -> list[dict[str, Any]]:
    return [_gate_out(g) for g in selectors.gates(project=_project(request, project_id))]


@router.patch("/{project_id}/gate-items/{item_id}", response=GateItemOut)
def gate_item_update(
    request: HttpRequest, project_id: RecordId, item_id: RecordId, payload: GateItemIn
) -> Any:
    return services.gate_item_set(
        actor=actor(request), project_id=project_id, item_id=item_id, done=payload.done
    )


@router.post("/{project_id}/gates/{phase}/pass", response=ProjectOut)
def gate_pass(
    request: HttpRequest,
    project_id: RecordId,
    phase: Literal["identify", "plan", "execute", "close"],
    payload: GatePassIn,
) -> Any:
    """Pass the gate of the current phase: only when every checklist item is done (422
    naming ``items`` otherwise); the project moves to the next phase."""
    return services.gate_pass(
        actor=actor(request), project_id=project_id, phase=phase, note=payload.note,
        version=payload.version,
    )  # fmt: skip


@router.post("/{project_id}/gates/{phase}/csat", response=GateOut)
def gate_csat(
    request: HttpRequest,
    project_id: RecordId,
    phase: Literal["identify", "plan", "execute", "close"],
    payload: GateCsatIn,
) -> dict[str, Any]:
    """Record the customer's satisfaction with a passed phase (1–5), on their behalf:
    422 naming ``phase`` while its gate has not passed, 409 when it already has one."""
    gate = closure_services.gate_csat_record(
        actor=actor(request), project_id=project_id, phase=phase, score=payload.score,
        comment=payload.comment, contact_name=payload.contact_name,
    )  # fmt: skip
    return _gate_out(gate)


# MS Project interchange, resource load and calendar feeds (``api_interchange``).
from guanxi.projects.api_interchange import router as interchange_router  # noqa: E402

router.add_router("", interchange_router)

# Baselines, earned value and status reports (``api_evm``).
from guanxi.projects.api_evm import router as evm_router  # noqa: E402

router.add_router("", evm_router)

# Risk register, closure and lessons learned (``api_risks``).
from guanxi.projects.api_risks import router as risks_router  # noqa: E402

router.add_router("", risks_router)

# Timesheets, cost rates, cost entries and actuals (``api_costs``).
from guanxi.projects.api_costs import router as costs_router  # noqa: E402

router.add_router("", costs_router)

# Change requests and deliverable acceptance (``api_changes``).
from guanxi.projects.api_changes import router as changes_router  # noqa: E402

router.add_router("", changes_router)
