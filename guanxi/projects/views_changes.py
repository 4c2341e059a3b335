"""Project pages for change requests (the 变更 tab: the history of requests, decisions and
baselines side by side; a request's detail with its impact stated plainly and the schedule
delta from the CPM) and deliverable acceptance (the 交付物 tab: criteria checklists,
submit, record the customer's decision). Reads through ``selectors_changes``, writes
through ``services.changes`` / ``services.acceptance``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from guanxi.accounts.decorators import staff_required
from guanxi.approvals.selectors import request_for_document
from guanxi.attachments.panels import panel_context as attachments_context
from guanxi.core.errors import DomainError
from guanxi.projects import selectors, selectors_changes
from guanxi.projects.models import (
    MAX_TASK_CHANGES,
    ChangeOrigin,
    ChangeStatus,
    LinkType,
    TaskChangeKind,
)
from guanxi.projects.services import acceptance, changes
from guanxi.projects.views import _error_text, _int, _may_use, _version

CHANGES = "projects/changes.html"
CHANGE = "projects/change_detail.html"
DELIVERABLES = "projects/deliverables.html"
DELIVERABLE = "projects/deliverable_detail.html"
TASK_CHANGE_ROWS = 3  # rows of proposed task changes the impact form offers


def _changes_context(request: HttpRequest, project: Any) -> dict[str, Any]:
    requests = list(selectors_changes.change_request_list(project=project))
    return {
        "project": project,
        "change_requests": requests,
        "baselines": selectors_changes.baseline_history(project=project),
        "can_change": selectors.can_change(request.user, project),
        "origins": ChangeOrigin.choices,
        "tab": "changes",
    }


@require_GET
@staff_required
def change_list(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk)
    return render(request, CHANGES, _changes_context(request, project))


@require_POST
@staff_required
def change_new(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    post = request.POST
    data = {name: post.get(name, "") for name in ("title", "description", "origin")}
    data["raised_for_contact"] = post.get("raised_for_contact", "")
    try:
        cr = changes.change_request_create(actor=request.user, project_id=pk, data=data)
    except DomainError as exc:
        project = selectors.project_get(actor=request.user, project_id=pk)
        context = _changes_context(request, project)
        context["error"] = _error_text(exc)
        context["values"] = post
        return render(request, CHANGES, context, status=exc.status)
    return redirect("projects:change_detail", pk, cr.pk)


def _detail_context(request: HttpRequest, project: Any, cr: Any) -> dict[str, Any]:
    approval = request_for_document(document_type=changes.DOCUMENT_TYPE, object_id=cr.pk)
    existing = list(cr.task_changes.all())
    rows = existing + [None] * max(0, TASK_CHANGE_ROWS - len(existing))
    return {
        "project": project,
        "cr": cr,
        "task_changes": existing,
        "change_rows": rows,
        "approval": approval,
        "tasks": list(selectors.task_choices(project=project).filter(is_summary=False)),
        "kinds": TaskChangeKind.choices,
        "link_types": LinkType.choices,
        "can_change": selectors.can_change(request.user, project),
        "can_record": changes.may_record_customer_decision(request.user, project),
        "editable": cr.status in changes.EDITABLE,
        "S": ChangeStatus,
        "tab": "changes",
        # The request's files (a specification, the customer's mail), shareable with the
        # customer's portal, where the approval screen lists the shared ones.
        **attachments_context(
            actor=request.user,
            kind="change_request",
            record=cr,
            can_change=selectors.can_change(request.user, project),
        ),
    }


@require_GET
@staff_required
def change_detail(request: HttpRequest, pk: int, cr_id: int) -> HttpResponse:
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk)
    cr = selectors_changes.change_request_get(project=project, change_request_id=cr_id)
    return render(request, CHANGE, _detail_context(request, project, cr))


def _change_write(
    request: HttpRequest, pk: int, cr_id: int, write: Callable[[], Any]
) -> HttpResponse:
    """Run one write; a refused one shows the request again with the message and the
    error's status (nothing was written)."""
    _may_use(request)
    try:
        write()
    except DomainError as exc:
        project = selectors.project_get(actor=request.user, project_id=pk)
        cr = selectors_changes.change_request_get(project=project, change_request_id=cr_id)
        context = _detail_context(request, project, cr)
        context["error"] = _error_text(exc)
        return render(request, CHANGE, context, status=exc.status)
    return redirect("projects:change_detail", pk, cr_id)


def _task_changes(post: Any) -> list[dict[str, Any]]:
    """The impact form's rows of proposed task changes (blank rows skipped)."""
    rows: list[dict[str, Any]] = []
    for index in range(MAX_TASK_CHANGES):
        kind = post.get(f"tc-{index}-kind", "")
        if not kind:
            continue
        row: dict[str, Any] = {"kind": kind}
        for name in ("task_id", "predecessor_id", "successor_id"):
            value = _int(post.get(f"tc-{index}-{name}"))
            if value is not None:
                row[name] = value
        days = post.get(f"tc-{index}-duration_days", "").strip()
        if days:
            row["duration_days"] = int(days) if days.lstrip("-").isdigit() else days
        if kind == TaskChangeKind.NEW_TASK:
            row["name"] = post.get(f"tc-{index}-name", "")
        if kind == TaskChangeKind.NEW_LINK:
            row["type"] = post.get(f"tc-{index}-type", "FS")
            lag = post.get(f"tc-{index}-lag_days", "0").strip() or "0"
            row["lag_days"] = int(lag) if lag.lstrip("-").isdigit() else lag
        rows.append(row)
    return rows


@require_POST
@staff_required
def change_impact(request: HttpRequest, pk: int, cr_id: int) -> HttpResponse:
    post = request.POST
    return _change_write(
        request, pk, cr_id,
        lambda: changes.change_request_state_impact(
            actor=request.user, project_id=pk, change_request_id=cr_id,
            scope_impact=post.get("scope_impact", ""),
            cost_delta=post.get("cost_delta", "").strip() or "0",
            quality_impact=post.get("quality_impact", ""),
            task_changes=_task_changes(post), version=_version(request),
        ),
    )  # fmt: skip


_TRANSITIONS: dict[str, Callable[..., Any]] = {
    "submit": changes.change_request_submit,
    "withdraw": changes.change_request_withdraw,
    "apply": changes.change_request_apply,
}


@require_POST
@staff_required
def change_transition(request: HttpRequest, pk: int, cr_id: int, action: str) -> HttpResponse:
    service = _TRANSITIONS.get(action)
    if service is None:
        return HttpResponse(status=404)
    return _change_write(
        request, pk, cr_id,
        lambda: service(
            actor=request.user, project_id=pk, change_request_id=cr_id, version=_version(request)
        ),
    )  # fmt: skip


@require_POST
@staff_required
def change_decide(request: HttpRequest, pk: int, cr_id: int) -> HttpResponse:
    post = request.POST
    return _change_write(
        request, pk, cr_id,
        lambda: changes.change_request_decide_on_behalf(
            actor=request.user, project_id=pk, change_request_id=cr_id,
            approve=post.get("decision") == "approve", contact_name=post.get("contact_name", ""),
            comment=post.get("comment", ""), version=_version(request),
        ),
    )  # fmt: skip


# --- deliverables ----------------------------------------------------------------------------


def _deliverables_context(request: HttpRequest, project: Any) -> dict[str, Any]:
    return {
        "project": project,
        "deliverables": selectors_changes.deliverable_list(project=project),
        "quality": selectors_changes.first_pass_rate(project_ids=[project.pk]),
        "tasks": list(selectors.task_choices(project=project)),
        "can_change": selectors.can_change(request.user, project),
        "can_record": changes.may_record_customer_decision(request.user, project),
        "tab": "deliverables",
    }


@require_GET
@staff_required
def deliverables(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk)
    return render(request, DELIVERABLES, _deliverables_context(request, project))


@require_GET
@staff_required
def deliverable_detail(request: HttpRequest, pk: int, deliverable_id: int) -> HttpResponse:
    """One deliverable with its files (the handed-over documents, shareable with the
    customer's portal, where the acceptance screen lists the shared ones); the criteria and
    decisions stay on the 交付物 tab."""
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk)
    deliverable = selectors_changes.deliverable_get(project=project, deliverable_id=deliverable_id)
    context = {
        "project": project,
        "deliverable": deliverable,
        "tab": "deliverables",
        **attachments_context(
            actor=request.user,
            kind="deliverable",
            record=deliverable,
            can_change=selectors.can_change(request.user, project),
        ),
    }
    return render(request, DELIVERABLE, context)


def _deliverable_write(request: HttpRequest, pk: int, write: Callable[[], Any]) -> HttpResponse:
    _may_use(request)
    try:
        write()
    except DomainError as exc:
        project = selectors.project_get(actor=request.user, project_id=pk)
        context = _deliverables_context(request, project)
        context["error"] = _error_text(exc)
        return render(request, DELIVERABLES, context, status=exc.status)
    return redirect("projects:deliverables", pk)


@require_POST
@staff_required
def criterion_add(request: HttpRequest, pk: int, deliverable_id: int) -> HttpResponse:
    return _deliverable_write(
        request, pk,
        lambda: acceptance.criterion_add(
            actor=request.user, project_id=pk, deliverable_id=deliverable_id,
            text=request.POST.get("text", ""),
        ),
    )  # fmt: skip


@require_POST
@staff_required
def criterion_toggle(request: HttpRequest, pk: int, criterion_id: int) -> HttpResponse:
    return _deliverable_write(
        request, pk,
        lambda: acceptance.criterion_set(
            actor=request.user, project_id=pk, criterion_id=criterion_id,
            met=request.POST.get("met") == "1",
        ),
    )  # fmt: skip


@require_POST
@staff_required
def deliverable_tasks(request: HttpRequest, pk: int, deliverable_id: int) -> HttpResponse:
    ids = [i for i in (_int(v) for v in request.POST.getlist("task_ids")) if i is not None]
    return _deliverable_write(
        request, pk,
        lambda: acceptance.deliverable_set_tasks(
            actor=request.user, project_id=pk, deliverable_id=deliverable_id, task_ids=ids,
            version=_version(request),
        ),
    )  # fmt: skip


@require_POST
@staff_required
def deliverable_submit(request: HttpRequest, pk: int, deliverable_id: int) -> HttpResponse:
    return _deliverable_write(
        request, pk,
        lambda: acceptance.deliverable_submit(
            actor=request.user, project_id=pk, deliverable_id=deliverable_id,
            version=_version(request),
        ),
    )  # fmt: skip


@require_POST
@staff_required
def deliverable_decide(request: HttpRequest, pk: int, deliverable_id: int) -> HttpResponse:
    post = request.POST
    return _deliverable_write(
        request, pk,
        lambda: acceptance.deliverable_decide_on_behalf(
            actor=request.user, project_id=pk, deliverable_id=deliverable_id,
            accept=post.get("decision") == "accept", reason=post.get("reason", ""),
            contact_name=post.get("contact_name", ""), version=_version(request),
        ),
    )  # fmt: skip
