"""Time and cost pages (issue 15 item 1): "我的工时" (the week grid: prev/next week, add a
task row, save, copy last week, submit), the approval list for managers, and a project's
"成本" tab (cost entries, the add form, totals by category, AC to date) with each entry's
page (its attachments). Reads through ``selectors_actuals``; writes through
``services.timesheets`` and ``services.costs``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts import permissions
from guanxi.accounts.decorators import staff_required
from guanxi.attachments.panels import panel_context
from guanxi.core.errors import DomainError, ValidationFailed
from guanxi.projects import selectors, selectors_actuals
from guanxi.projects.models import CostCategory, CostStatus, TimeStatus
from guanxi.projects.services import costs, timesheets

TIMESHEET = "projects/timesheet.html"
APPROVALS = "projects/time_approvals.html"
COSTS = "projects/costs.html"
COST_ENTRY = "projects/cost_entry.html"
RATES = "projects/cost_rates.html"


def _may_use(request: HttpRequest) -> None:
    if not selectors.can_use(request.user):
        raise DjangoPermissionDenied


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= 2**63 - 1 else None


def _error_text(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        return "；".join(m for msgs in exc.errors.values() for m in msgs)
    return exc.message


# --- 我的工时 ------------------------------------------------------------------------------


def _week(request: HttpRequest) -> tuple[dt.date, str]:
    raw = request.POST.get("week") if request.method == "POST" else request.GET.get("week")
    try:
        monday = timesheets.parse_week(raw) if raw else timesheets.week_of(timezone.localdate())
    except ValidationFailed:
        monday = timesheets.week_of(timezone.localdate())
    return monday, timesheets.week_label(monday)


def _grid_from_post(request: HttpRequest) -> tuple[list[dict[str, Any]], dict[int, list[str]]]:
    """The posted grid as service rows, and the raw text of each row's cells (to show back
    after a refused save)."""
    rows: list[dict[str, Any]] = []
    raw: dict[int, list[str]] = {}
    post = request.POST
    for i in range(timesheets.MAX_WEEK_ROWS):
        task = post.get(f"row-{i}-task")
        if task is None:
            break
        task_id = _int(task) or 0
        cells = [post.get(f"h-{i}-{d}", "").strip()[:10] for d in range(7)]
        raw[task_id] = cells
        rows.append({"task_id": task_id, "hours": [c or None for c in cells]})
    return rows, raw


def _errors_by_task(
    rows: list[dict[str, Any]], errors: dict[str, list[str]]
) -> dict[tuple[int, str], str]:
    """The service's errors (``rows.<i>.hours.<d>``, ``rows.<i>.task_id``, ``days.<d>``)
    keyed by (task id, "d" or "task") and (0, "day<d>"): the page may order rows otherwise."""
    found: dict[tuple[int, str], str] = {}
    for key, msgs in errors.items():
        parts = key.split(".")
        text = "；".join(msgs)
        if parts[0] == "days" and len(parts) == 2:
            found[(0, f"day{parts[1]}")] = text
        elif parts[0] == "rows" and len(parts) >= 2 and parts[1].isdigit():
            i = int(parts[1])
            task_id = rows[i]["task_id"] if i < len(rows) else 0
            what = parts[3] if len(parts) == 4 and parts[2] == "hours" else "task"
            found[(task_id, what)] = text
        else:
            found[(0, key)] = text
    return found


def _timesheet_context(
    request: HttpRequest,
    monday: dt.date,
    *,
    extra: list[int] | None = None,
    raw: dict[int, list[str]] | None = None,
    errors: dict[tuple[int, str], str] | None = None,
) -> dict[str, Any]:
    week = selectors_actuals.timesheet_week(
        actor=request.user, monday=monday, extra_task_ids=extra or []
    )
    errors = errors or {}
    rows = []
    for i, row in enumerate(week.rows):
        task_id = row.task.pk
        cells = []
        for d, entry in enumerate(row.cells):
            text = (
                raw[task_id][d]
                if raw and task_id in raw
                else (f"{entry.hours.normalize():f}" if entry is not None else "")
            )
            cells.append(
                {
                    "entry": entry,
                    "day": week.days[d],
                    "text": text,
                    "error": errors.get((task_id, str(d)), ""),
                    "locked": entry is not None
                    and entry.status in (TimeStatus.SUBMITTED, TimeStatus.APPROVED),
                }
            )
        rows.append(
            {
                "index": i,
                "task": row.task,
                "cells": cells,
                "total": row.total,
                "error": errors.get((task_id, "task"), ""),
            }
        )
    shown = {row.task.pk for row in week.rows}
    return {
        "week": week,
        "week_label": timesheets.week_label(monday),
        "prev_week": timesheets.week_label(monday - dt.timedelta(days=7)),
        "next_week": timesheets.week_label(monday + dt.timedelta(days=7)),
        "this_week": timesheets.week_label(timesheets.week_of(timezone.localdate())),
        "rows": rows,
        "day_cells": [
            {"day": day, "total": week.day_totals[d], "error": errors.get((0, f"day{d}"), "")}
            for d, day in enumerate(week.days)
        ],
        "choices": [
            t for t in selectors_actuals.loggable_tasks(actor=request.user) if t.pk not in shown
        ],
        "extra": ",".join(str(i) for i in extra or []),
    }


def _extra(request: HttpRequest) -> list[int]:
    source = request.POST if request.method == "POST" else request.GET
    ids = [_int(v) for v in source.get("extra", "").split(",")[:20]]
    add = _int(source.get("add"))
    return [i for i in [*ids, add] if i is not None]


@require_http_methods(["GET", "POST"])
@staff_required
def timesheet(request: HttpRequest) -> HttpResponse:
    _may_use(request)
    monday, label = _week(request)
    if request.method == "GET":
        context = _timesheet_context(request, monday, extra=_extra(request))
        return render(request, TIMESHEET, context)
    action = request.POST.get("action", "save")
    url = f"{reverse('projects:timesheet')}?week={label}"
    try:
        if action == "copy":
            copied = timesheets.timesheet_copy_last_week(actor=request.user, week=monday)
            messages.success(request, _("已从上周复制 %(n)s 个工时。") % {"n": copied})
        elif action == "submit":
            rows, _raw = _grid_from_post(request)
            if rows:
                timesheets.timesheet_week_save(actor=request.user, week=monday, rows=rows)
            count = timesheets.timesheet_week_submit(actor=request.user, week=monday)
            messages.success(request, _("已提交 %(n)s 条工时，等待审批。") % {"n": count})
        else:
            rows, _raw = _grid_from_post(request)
            timesheets.timesheet_week_save(actor=request.user, week=monday, rows=rows)
            messages.success(request, _("工时已保存。"))
    except ValidationFailed as exc:
        rows, raw = _grid_from_post(request)
        context = _timesheet_context(
            request, monday, extra=[r["task_id"] for r in rows if r["task_id"]], raw=raw,
            errors=_errors_by_task(rows, exc.errors),
        )  # fmt: skip
        context["error"] = _("工时未保存：%(errors)s") % {"errors": _error_text(exc)}
        return render(request, TIMESHEET, context, status=exc.status)
    except DomainError as exc:
        context = _timesheet_context(request, monday)
        context["error"] = _error_text(exc)
        return render(request, TIMESHEET, context, status=exc.status)
    return redirect(url)


# --- approvals -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def time_approvals(request: HttpRequest) -> HttpResponse:
    _may_use(request)
    error = ""
    status = 200
    if request.method == "POST":
        ids = [i for i in (_int(v) for v in request.POST.get("ids", "").split(",")[:1000]) if i]
        try:
            if request.POST.get("action") == "reject":
                count = timesheets.time_entries_reject(
                    actor=request.user, entry_ids=ids, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("已驳回 %(n)s 条工时。") % {"n": count})
            else:
                count = timesheets.time_entries_approve(actor=request.user, entry_ids=ids)
                messages.success(request, _("已批准 %(n)s 条工时。") % {"n": count})
            return redirect("projects:time_approvals")
        except DomainError as exc:
            error, status = _error_text(exc), exc.status
    groups = selectors_actuals.time_approval_queue(actor=request.user)
    return render(
        request,
        APPROVALS,
        {
            "groups": [
                {
                    "group": g,
                    "ids": ",".join(str(e.pk) for e in g.entries),
                    "week": timesheets.week_label(g.monday),
                }
                for g in groups
            ],
            "error": error,
        },
        status=status,
    )


# --- the project's 成本 tab ---------------------------------------------------------------


def _costs_context(request: HttpRequest, project: Any) -> dict[str, Any]:
    by_category = selectors_actuals.actual_cost_by_category(project.pk)
    labels = dict(CostCategory.choices)
    totals = [(_("工时成本"), by_category.get("time", Decimal("0")))] + [
        (labels[value], by_category.get(value, Decimal("0"))) for value in CostCategory.values
    ]
    status = request.GET.get("status", "")
    entries = list(
        selectors_actuals.cost_entry_list(
            project=project, status=status if status in CostStatus.values else ""
        )[:200]
    )
    pending = sum((e.amount for e in entries if e.status == CostStatus.PENDING), Decimal("0"))
    return {
        "project": project,
        "tab": "costs",
        "entries": entries,
        "totals": totals,
        "actual_total": sum(by_category.values(), Decimal("0")),
        "pending_total": pending,
        "budget_left": project.budget - sum(by_category.values(), Decimal("0")),
        "categories": CostCategory.choices,
        "statuses": CostStatus.choices,
        "status": status,
        "tasks": list(selectors.task_choices(project=project)),
        "can_change": selectors.can_change(request.user, project),
        "can_manage_rates": permissions.can_manage_cost_rates(request.user),
        "limit": costs.approval_limit(),
        "today": timezone.localdate(),
        "values": request.POST if request.method == "POST" else {},
    }


@require_http_methods(["GET", "POST"])
@staff_required
def project_costs(request: HttpRequest, pk: int) -> HttpResponse:
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk)
    if request.method == "GET":
        return render(request, COSTS, _costs_context(request, project))
    post = request.POST
    data: dict[str, Any] = {
        "category": post.get("category", ""),
        "amount": post.get("amount", ""),
        "date": post.get("date", ""),
        "description": post.get("description", ""),
        "task_id": _int(post.get("task_id")),
    }
    try:
        entry = costs.cost_entry_create(actor=request.user, project_id=pk, data=data)
        if post.get("submit") == "1":
            entry = costs.cost_entry_submit(
                actor=request.user, entry_id=entry.pk, version=entry.version
            )
    except DomainError as exc:
        context = _costs_context(request, project)
        context["error"] = _error_text(exc)
        context["form_errors"] = exc.errors if isinstance(exc, ValidationFailed) else {}
        return render(request, COSTS, context, status=exc.status)
    messages.success(
        request,
        _("成本记录已保存（%(status)s）。") % {"status": entry.get_status_display()},
    )
    return redirect("projects:costs", pk)


@require_POST
@staff_required
def cost_entry_action(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk)
    entry = selectors_actuals.cost_entry_get(actor=request.user, entry_id=entry_id)
    if entry.project_id != project.pk:
        raise DjangoPermissionDenied
    action = request.POST.get("action", "")
    version = _int(request.POST.get("version"))
    try:
        if action == "submit":
            entry = costs.cost_entry_submit(actor=request.user, entry_id=entry_id, version=version)
            messages.success(
                request, _("已提交（%(status)s）。") % {"status": entry.get_status_display()}
            )
        elif action == "delete":
            costs.cost_entry_delete(actor=request.user, entry_id=entry_id, version=version)
            messages.success(request, _("成本记录已删除。"))
        elif action in ("approve", "reject"):
            costs.cost_entry_decide(
                actor=request.user, entry_id=entry_id, decision=action,
                comment=request.POST.get("comment", ""),
            )  # fmt: skip
            messages.success(request, _("审批意见已记录。"))
        else:
            raise ValidationFailed({"action": _("无效的选项。")})
    except DomainError as exc:
        context = _costs_context(request, project)
        context["error"] = _error_text(exc)
        return render(request, COSTS, context, status=exc.status)
    return redirect("projects:costs", pk)


@require_GET
@staff_required
def cost_entry_detail(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk)
    entry = selectors_actuals.cost_entry_get(actor=request.user, entry_id=entry_id)
    if entry.project_id != project.pk:
        raise DjangoPermissionDenied
    can_change = selectors.can_change(request.user, project)
    context: dict[str, Any] = {"project": project, "tab": "costs", "entry": entry}
    context.update(
        panel_context(actor=request.user, kind="cost_entry", record=entry, can_change=can_change)
    )
    return render(request, COST_ENTRY, context)


@require_POST
@staff_required
def time_costs_reprice(request: HttpRequest, pk: int) -> HttpResponse:
    """Price the project's approved time again at today's rates (rate keepers only)."""
    _may_use(request)
    project = selectors.project_get(actor=request.user, project_id=pk)
    try:
        count = timesheets.time_costs_reprice(actor=request.user, project_id=project.pk)
    except DomainError as exc:
        context = _costs_context(request, project)
        context["error"] = _error_text(exc)
        return render(request, COSTS, context, status=exc.status)
    messages.success(request, _("已按当前费率重新计价 %(n)s 条工时。") % {"n": count})
    return redirect("projects:costs", pk)


# --- cost rates (admins and managers) ------------------------------------------------------


def _rate_data(post: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user_id": _int(post.get("user_id")),
        "role": post.get("role", ""),
        "hourly_rate": post.get("hourly_rate", ""),
        "valid_from": post.get("valid_from", ""),
    }
    if post.get("currency"):
        data["currency"] = post["currency"]
    return data


def _rate_write(request: HttpRequest) -> None:
    post = request.POST
    action = post.get("action", "create")
    if action == "delete":
        costs.cost_rate_delete(
            actor=request.user, rate_id=_int(post.get("rate_id")), version=_int(post.get("version"))
        )
        messages.success(request, _("费率已删除。"))
    elif action == "update":
        costs.cost_rate_update(
            actor=request.user, rate_id=_int(post.get("rate_id")), data=_rate_data(post),
            version=_int(post.get("version")),
        )  # fmt: skip
        messages.success(request, _("费率已更新。"))
    elif action == "reopen":
        ids = [i for i in (_int(v) for v in post.getlist("entry_ids")[:1000]) if i]
        count = timesheets.time_entries_reopen(
            actor=request.user, entry_ids=ids, reason=post.get("reason", "")
        )
        messages.success(request, _("已重新打开 %(n)s 条工时，其成本已撤销。") % {"n": count})
    elif action == "create":
        costs.cost_rate_create(actor=request.user, data=_rate_data(post))
        messages.success(request, _("费率已保存。"))
    else:
        raise ValidationFailed({"action": _("无效的选项。")})


@require_http_methods(["GET", "POST"])
@staff_required
def cost_rates(request: HttpRequest) -> HttpResponse:
    """The hourly cost rates per person or project role (add, edit, delete) and the latest
    priced time with its reopen; only the rate keepers see the page
    (``permissions.can_manage_cost_rates``), everyone else gets a 403."""
    _may_use(request)
    if not permissions.can_manage_cost_rates(request.user):
        raise DjangoPermissionDenied
    context: dict[str, Any] = {"values": {}, "form_errors": {}}
    status = 200
    edit_id = _int(request.GET.get("edit"))
    if request.method == "POST":
        if request.POST.get("action") == "update":
            edit_id = _int(request.POST.get("rate_id"))
        try:
            _rate_write(request)
            return redirect("projects:cost_rates")
        except DomainError as exc:
            context.update(
                error=_error_text(exc), values=request.POST,
                form_errors=exc.errors if isinstance(exc, ValidationFailed) else {},
                reopen_failed=request.POST.get("action") == "reopen",
            )  # fmt: skip
            status = exc.status
    rates = list(selectors_actuals.cost_rate_list()[:500])
    editing = next((r for r in rates if r.pk == edit_id), None) if edit_id else None
    if editing is not None and not context["values"]:
        context["values"] = {
            "user_id": str(editing.user_id or ""), "role": editing.role,
            "hourly_rate": f"{editing.hourly_rate:f}", "valid_from": editing.valid_from.isoformat(),
            "currency": editing.currency,
        }  # fmt: skip
    context.update(
        rates=rates,
        editing=editing,
        people=list(selectors_actuals.rate_people()),
        priced=selectors_actuals.reopenable_time_entries(actor=request.user),
        today=timezone.localdate(),
    )
    return render(request, RATES, context, status=status)
