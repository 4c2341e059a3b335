"""Project pages: the list, a new project, the project page with its task tree (filters,
add task, add dependency, team, deliverables), the task kanban, the Gantt (drag to
reschedule: the server recomputes and answers the new bars), and the phase gates. Reads
through ``projects.selectors``, writes through ``projects.services``."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.attachments.panels import panel_context as attachments_context
from guanxi.core.db.paging import paginate
from guanxi.core.errors import DomainError, ValidationFailed
from guanxi.customers.models import Customer
from guanxi.projects import selectors
from guanxi.projects.models import (
    EvMethod,
    LifecycleStage,
    LinkType,
    Phase,
    ProjectStatus,
    TaskStatus,
)
from guanxi.projects.services import closure as closure_services
from guanxi.projects.services import plan
from guanxi.projects.services import projects as services
from guanxi.projects.services.changes import may_record_customer_decision

LIST = "projects/project_list.html"
DETAIL = "projects/project_detail.html"
NEW = "projects/project_form.html"
BOARD = "projects/board.html"
GANTT = "projects/gantt.html"
GATES = "projects/gates.html"


def _may_use(request: HttpRequest) -> None:
    if not selectors.can_use(request.user):
        raise DjangoPermissionDenied


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= 2**63 - 1 else None


def _version(request: HttpRequest) -> int | None:
    return _int(request.POST.get("version"))


def _error_text(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        return "；".join(m for msgs in exc.errors.values() for m in msgs)
    return exc.message


@require_GET
@staff_required
def project_list(request: HttpRequest) -> HttpResponse:
    _may_use(request)
    phase = request.GET.get("phase", "")
    status = request.GET.get("status", "")
    query = request.GET.get("q", "").strip()[:100]
    qs = selectors.project_list(
        actor=request.user,
        query=query,
        phase=phase if phase in Phase.values else "",
        status=status if status in ProjectStatus.values else "",
        customer_id=_int(request.GET.get("customer")),
    )
    try:
        page_number = max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        page_number = 1
    page = paginate(qs, page=page_number, size=25)
    return render(
        request,
        LIST,
        {
            "page": page,
            "phases": Phase.choices,
            "statuses": ProjectStatus.choices,
            "phase": phase,
            "status": status,
            "q": query,
            "can_create": permissions.can_create_project(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def project_new(request: HttpRequest) -> HttpResponse:
    if not permissions.can_create_project(request.user):
        raise DjangoPermissionDenied
    customers = permissions.scope_customers(request.user, Customer.objects.all()).order_by("name")[
        :300
    ]
    context: dict[str, Any] = {
        "customers": customers,
        "templates": selectors.templates(),
        "stages": LifecycleStage.choices,
        "values": request.POST if request.method == "POST" else request.GET,
    }
    if request.method == "GET":
        return render(request, NEW, context)
    post = request.POST
    data = {
        name: post.get(name, "")
        for name in ("name", "code", "goal", "scope", "start_date", "due_date", "lifecycle_stage")
    }
    data["budget"] = post.get("budget") or "0"
    if not data["due_date"]:
        data.pop("due_date")
    try:
        project = services.project_create(
            actor=request.user,
            customer_id=_int(post.get("customer_id")),
            data=data,
            template_id=_int(post.get("template_id")),
        )
    except DomainError as exc:
        context["errors"] = (
            exc.errors if isinstance(exc, ValidationFailed) else {exc.field or "": [exc.message]}
        )
        return render(request, NEW, context, status=exc.status)
    messages.success(request, _("项目已创建。"))
    return redirect("projects:detail", project.pk)


@require_POST
@staff_required
def from_opportunity(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """B5: the one click on a won opportunity's page."""
    try:
        project = services.project_create_from_opportunity(
            actor=request.user,
            opportunity_id=opportunity_id,
            template_id=_int(request.POST.get("template_id")),
        )
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return redirect("sales:detail", opportunity_id)
    messages.success(request, _("已根据赢单商机创建项目。"))
    return redirect("projects:detail", project.pk)


@require_POST
@staff_required
def from_contract(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The delivery project of an approved contract, from the contract's page."""
    try:
        project = services.project_create_from_contract(
            actor=request.user,
            contract_id=contract_id,
            template_id=_int(request.POST.get("template_id")),
        )
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return redirect("contracts:detail", contract_id)
    messages.success(request, _("已根据合同创建交付项目。"))
    return redirect("projects:detail", project.pk)


def _detail_context(request: HttpRequest, project: Any) -> dict[str, Any]:
    params = request.GET
    critical = {"1": True, "0": False}.get(params.get("critical", ""))
    milestone = {"1": True, "0": False}.get(params.get("milestone", ""))
    status = params.get("status", "")
    tasks = list(
        selectors.task_list(
            project=project,
            assignee_id=_int(params.get("assignee")),
            status=status if status in TaskStatus.values else "",
            critical=critical,
            milestone=milestone,
            query=params.get("q", "").strip()[:100],
        )
    )
    links = list(selectors.link_list(project=project).select_related("predecessor", "successor"))
    return {
        "project": project,
        "tasks": tasks,
        "all_tasks": list(selectors.task_choices(project=project)),
        "links": links,
        "members": list(project.members.all()),
        "assignees": list(selectors.assignable_users(project=project)),
        "deliverables": list(project.deliverables.all()),
        "can_change": selectors.can_change(request.user, project),
        "statuses": TaskStatus.choices,
        "ev_methods": EvMethod.choices,
        "link_types": LinkType.choices,
        "filters": params,
        "tab": "tasks",
        # The project's documents (shareable with the customer's portal).
        **attachments_context(
            actor=request.user,
            kind="project",
            record=project,
            can_change=selectors.can_change(request.user, project),
        ),
    }


@require_GET
@staff_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk)
    return render(request, DETAIL, _detail_context(request, project))


def _plan_write(request: HttpRequest, pk: int, write: Any) -> HttpResponse:
    """Run one plan write; on a refused one show the project page with the message and
    the error's status (nothing was written)."""
    _may_use(request)
    try:
        write()
    except DomainError as exc:
        project = selectors.project_get(actor=request.user, project_id=pk)
        context = _detail_context(request, project)
        context["error"] = _error_text(exc)
        return render(request, DETAIL, context, status=exc.status)
    return redirect(request.POST.get("next") or reverse("projects:detail", args=[pk]))


@require_POST
@staff_required
def task_add(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    data: dict[str, Any] = {"name": post.get("name", "")}
    for name in ("duration_days", "estimate_hours", "parent_id", "assignee_id"):
        if post.get(name, "") != "":
            data[name] = post[name]
    if post.get("milestone"):
        data["milestone"] = True
    return _plan_write(
        request, pk, lambda: plan.task_create(actor=request.user, project_id=pk, data=data)
    )


@require_POST
@staff_required
def task_edit(request: HttpRequest, pk: int, task_id: int) -> HttpResponse:
    post = request.POST
    data: dict[str, Any] = {}
    for name in ("name", "duration_days", "estimate_hours", "progress", "status", "ev_method"):
        if name in post:
            data[name] = post[name]
    if "assignee_id" in post:
        data["assignee_id"] = post["assignee_id"] or None
    return _plan_write(
        request,
        pk,
        lambda: plan.task_update(
            actor=request.user, project_id=pk, task_id=task_id, data=data,
            version=_version(request),
        ),
    )  # fmt: skip


@require_POST
@staff_required
def task_delete(request: HttpRequest, pk: int, task_id: int) -> HttpResponse:
    return _plan_write(
        request,
        pk,
        lambda: plan.task_delete(
            actor=request.user, project_id=pk, task_id=task_id, version=_version(request)
        ),
    )


@require_POST
@staff_required
def link_add(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    return _plan_write(
        request,
        pk,
        lambda: plan.link_create(
            actor=request.user, project_id=pk,
            predecessor_id=_int(post.get("predecessor_id")),
            successor_id=_int(post.get("successor_id")),
            type=post.get("type", "FS"), lag_days=post.get("lag_days") or 0,
        ),
    )  # fmt: skip


@require_POST
@staff_required
def link_delete(request: HttpRequest, pk: int, link_id: int) -> HttpResponse:
    return _plan_write(
        request, pk, lambda: plan.link_delete(actor=request.user, project_id=pk, link_id=link_id)
    )


@require_POST
@staff_required
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    return _plan_write(
        request,
        pk,
        lambda: services.member_add(
            actor=request.user, project_id=pk, user_id=post.get("user_id"),
            role=post.get("role", ""), allocation=post.get("allocation") or 100,
        ),
    )  # fmt: skip


@require_POST
@staff_required
def deliverable_add(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    return _plan_write(
        request,
        pk,
        lambda: services.deliverable_create(
            actor=request.user, project_id=pk, name=post.get("name", ""),
            due_date=post.get("due_date") or None,
        ),
    )  # fmt: skip


# --- the kanban ----------------------------------------------------------------------------


@require_GET
@staff_required
def board(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk)
    cards = (
        selectors.task_list(project=project)
        .filter(is_summary=False)
        .order_by("board_position", "id")
    )
    columns = [
        (code, label, [c for c in cards if c.status == code]) for code, label in TaskStatus.choices
    ]
    return render(
        request,
        BOARD,
        {
            "project": project,
            "columns": columns,
            "can_change": selectors.can_change(request.user, project),
            "tab": "board",
        },
    )


@require_POST
@staff_required
def board_move(request: HttpRequest, pk: int, task_id: int) -> HttpResponse:
    _may_use(request)
    try:
        plan.task_move_card(
            actor=request.user, project_id=pk, task_id=task_id,
            status=request.POST.get("status"), before_id=_int(request.POST.get("before")),
            version=_version(request),
        )  # fmt: skip
    except DomainError as exc:
        return HttpResponse(_error_text(exc), status=exc.status, content_type="text/plain")
    return HttpResponse(status=204)


# --- the Gantt -----------------------------------------------------------------------------


@require_GET
@staff_required
def gantt(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk)
    payload = selectors.gantt(project=project)
    return render(
        request,
        GANTT,
        {
            "project": project,
            "payload": payload,
            "can_change": selectors.can_change(request.user, project),
            "tab": "gantt",
        },
    )


@require_GET
@staff_required
def gantt_data(request: HttpRequest, pk: int) -> JsonResponse:
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk, with_members=False)
    return JsonResponse(selectors.gantt(project=project))


@require_POST
@staff_required
def gantt_reschedule(request: HttpRequest, pk: int, task_id: int) -> JsonResponse:
    """The drop of a bar: the task starts no earlier than ``start``; answers the new bars
    (successors moved) or the refusal with its status."""
    _may_use(request)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    try:
        plan.task_reschedule(
            actor=request.user, project_id=pk, task_id=task_id,
            start=body.get("start"), version=_int(body.get("version")),
        )  # fmt: skip
    except DomainError as exc:
        return JsonResponse({"message": _error_text(exc)}, status=exc.status)
    project = selectors.project_get(actor=request.user, project_id=pk, with_members=False)
    return JsonResponse(selectors.gantt(project=project))


# --- the gates -----------------------------------------------------------------------------


def _gates_context(request: HttpRequest, project: Any) -> dict[str, Any]:
    gates = selectors.gates(project=project)
    return {
        "project": project,
        "gates": gates,
        "csat": selectors.phase_csat(gates=gates),
        "can_change": selectors.can_change(request.user, project),
        "can_record": may_record_customer_decision(request.user, project),
        "tab": "gates",
    }


@require_GET
@staff_required
def gates(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk)
    return render(request, GATES, _gates_context(request, project))


def _gate_write(request: HttpRequest, pk: int, write: Any) -> HttpResponse:
    _may_use(request)
    try:
        write()
    except DomainError as exc:
        project = selectors.project_get(actor=request.user, project_id=pk)
        context = _gates_context(request, project)
        context["error"] = _error_text(exc)
        return render(request, GATES, context, status=exc.status)
    return redirect("projects:gates", pk)


@require_POST
@staff_required
def gate_item(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    done = request.POST.get("done") == "1"
    return _gate_write(
        request,
        pk,
        lambda: services.gate_item_set(
            actor=request.user, project_id=pk, item_id=item_id, done=done
        ),
    )


@require_POST
@staff_required
def gate_pass(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    return _gate_write(
        request,
        pk,
        lambda: services.gate_pass(
            actor=request.user, project_id=pk, phase=post.get("phase"),
            note=post.get("note", ""), version=_version(request),
        ),
    )  # fmt: skip


@require_POST
@staff_required
def gate_csat(request: HttpRequest, pk: int, phase: str) -> HttpResponse:
    """The customer's satisfaction with a passed phase, recorded on their behalf."""
    post = request.POST
    return _gate_write(
        request,
        pk,
        lambda: closure_services.gate_csat_record(
            actor=request.user, project_id=pk, phase=phase, score=post.get("csat_score", ""),
            comment=post.get("csat_comment", ""), contact_name=post.get("contact_name", ""),
        ),
    )  # fmt: skip
