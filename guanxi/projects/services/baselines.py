"""Writes of baselines, EVM settings and status reports (SPEC E3).

A baseline freezes the plan as the last schedule computed it: per task the dates, the
work and the budgeted cost. The budget of a task is its estimate hours × the hourly rate of
its assignee (or the assignee's project role) on the task's start, unless the caller gives
the task a budget; when no task has a rate at all, the project's budget is spread over the
leaf tasks by estimated hours (by count when there are no hours), so a project planned
without cost rates still has a usable BAC. Once approved a baseline is immutable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.money import CENT, MAX_AMOUNT
from guanxi.core.writes import check_version, reject_unknown
from guanxi.customers.timeline import TimelineText, timeline_add
from guanxi.projects import selectors, selectors_evm
from guanxi.projects.models import (
    Baseline,
    BaselineTask,
    EacMethod,
    EvMethod,
    EvmSettings,
    Project,
    ProjectMember,
    ProjectStatus,
    StatusReport,
)
from guanxi.projects.selectors_actuals import rate_table
from guanxi.projects.services.plan import project_lock

__all__ = [
    "baseline_approve",
    "baseline_delete",
    "baseline_update",
    "evm_settings_update",
    "status_report_create",
    "status_reports_weekly",
    "take_baseline",
]

ZERO = Decimal("0")
MAX_NAME = 100
MAX_REASON = 500


def _timeline(project: Project, actor: Any, msgid: str, params: Mapping[str, Any]) -> None:
    timeline_add(
        customer_id=project.customer_id,
        kind="project",
        occurred_at=timezone.now(),
        title=TimelineText(msgid, {"name": project.name, **params}),
        actor=actor,
        subject=project,
        data={"phase": project.phase, "status": project.status},
    )


def _kpi_refresh(project: Project) -> None:
    # The baseline (or the thresholds) earned value measures against changed.
    from guanxi.projects.services.kpi import kpi_request_refresh

    kpi_request_refresh(project_id=project.pk)


def _clean_text(value: Any, field: str, limit: int, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed({field: _("必须是文本。")})
    value = value.strip()
    if "\x00" in value:
        raise ValidationFailed({field: _("包含无效字符。")})
    if required and not value:
        raise ValidationFailed({field: _("这个字段是必填项。")})
    if len(value) > limit:
        raise ValidationFailed({field: _("最多 %(max)s 个字符。") % {"max": limit}})
    return value


def _locked_project(project: Project | Any, actor: Any, *, check: bool) -> Project:
    project_id = project.pk if isinstance(project, Project) else project
    if check:
        return project_lock(actor, project_id)
    # Called by a service that already authorised the change (a customer-approved change
    # request re-baselines the plan in the customer's name): lock, do not re-check.
    locked = (
        Project.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk=project_id)
        .first()
    )
    if locked is None:
        raise NotFound(_("项目不存在。"), field="project_id")
    return locked


def _budgets(value: Mapping[Any, Any] | None) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for key, amount in (value or {}).items():
        try:
            number = Decimal(str(amount))
        except (InvalidOperation, ValueError):
            raise ValidationFailed({"budgets": _("必须是金额。")}) from None
        if not number.is_finite() or not ZERO <= number <= MAX_AMOUNT:
            raise ValidationFailed(
                {"budgets": _("金额必须在 0 到 %(max)s 之间。") % {"max": MAX_AMOUNT}}
            )
        try:
            out[int(key)] = number.quantize(CENT)
        except (TypeError, ValueError):
            raise ValidationFailed({"budgets": _("任务不存在。")}) from None
    return out


def _methods(value: Mapping[Any, Any] | None) -> dict[int, str]:
    out: dict[int, str] = {}
    for key, method in (value or {}).items():
        if method not in EvMethod.values:
            raise ValidationFailed({"methods": _("无效的选项。")})
        try:
            out[int(key)] = str(method)
        except (TypeError, ValueError):
            raise ValidationFailed({"methods": _("任务不存在。")}) from None
    return out


def _frozen_rows(
    project: Project, budgets: dict[int, Decimal]
) -> tuple[list[BaselineTask], Decimal, Decimal]:
    tasks = list(selectors_evm.leaf_tasks_for_baseline(project.pk))
    roles = dict(ProjectMember.objects.filter(project=project).values_list("user_id", "role"))
    assignees = {t.assignee_id for t in tasks if t.assignee_id}
    table = rate_table(user_ids=assignees, roles=set(roles.values()) - {""})
    rows: list[BaselineTask] = []
    for position, task in enumerate(tasks):
        cost = ZERO
        if not task.is_summary:
            if task.pk in budgets:
                cost = budgets[task.pk]
            elif task.assignee_id:
                day = task.start_date or project.start_date
                rate = table.rate(task.assignee_id, roles.get(task.assignee_id, ""), day)
                cost = (task.estimate_hours * rate).quantize(CENT)
        rows.append(
            BaselineTask(
                task_id=task.pk, position=position, outline=task.outline, name=task.name[:200],
                is_summary=task.is_summary, milestone=task.milestone, start=task.start_date,
                finish=task.finish_date,
                work_hours=ZERO if task.is_summary else task.estimate_hours,
                planned_cost=cost, ev_method="" if task.is_summary else task.ev_method,
            )
        )  # fmt: skip
    leaves = [r for r in rows if not r.is_summary]
    if not any(r.planned_cost for r in leaves) and project.budget > 0 and leaves:
        _spread(project.budget, leaves)
    work = sum((r.work_hours for r in leaves), ZERO)
    bac = sum((r.planned_cost for r in leaves), ZERO)
    return rows, bac, work


def _spread(budget: Decimal, leaves: list[BaselineTask]) -> None:
    """``budget`` over ``leaves`` by work (equally without any), whole cents, the rest on
    the last leaf so the parts add up to the budget exactly."""
    total_work = sum((r.work_hours for r in leaves), ZERO)
    given = ZERO
    for row in leaves:
        share = row.work_hours / total_work if total_work > 0 else Decimal(1) / len(leaves)
        row.planned_cost = (budget * share).quantize(CENT, rounding=ROUND_DOWN)
        given += row.planned_cost
    leaves[-1].planned_cost += budget - given


@transaction.atomic
def take_baseline(
    project: Project,
    *,
    actor: Any,
    name: str,
    reason: str,
    change_request: Any = None,
    budgets: Mapping[Any, Any] | None = None,
    methods: Mapping[Any, Any] | None = None,
) -> Baseline:
    """Freeze the project's plan as its next baseline (number 1, 2, …). With a
    ``change_request`` the caller (the change-request service) has authorised the
    re-baseline, so the actor's right to plan is not checked again; the baseline records
    the request's id. ``budgets`` gives tasks a budget (task id → amount) instead of
    estimate × rate; ``methods`` freezes a task's own EV method (task id → "0_100",
    "50_50" or "physical"), used when the project allows a method per task."""
    name = _clean_text(name, "name", MAX_NAME, required=True)
    reason = _clean_text(reason, "reason", MAX_REASON, required=False)
    given = _budgets(budgets)
    chosen = _methods(methods)
    project = _locked_project(project, actor, check=change_request is None)
    rows, bac, work = _frozen_rows(project, given)
    known = {r.task_id for r in rows if not r.is_summary}
    unknown = (set(given) | set(chosen)) - known
    if unknown:
        field = "methods" if set(chosen) & unknown else "budgets"
        raise ValidationFailed(
            {
                field: _("任务不存在或是摘要任务：%(ids)s")
                % {"ids": ", ".join(str(i) for i in sorted(unknown)[:10])}
            }
        )
    for row in rows:
        if row.task_id in chosen:
            row.ev_method = chosen[row.task_id]
    if bac > MAX_AMOUNT:
        raise ValidationFailed({"budgets": _("数值过大。")})
    number = (Baseline.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0) + 1
    dated = [r for r in rows if r.start or r.finish]
    starts = [r.start for r in dated if r.start] or [project.start_date]
    finishes = [r.finish for r in dated if r.finish] or [project.scheduled_finish or max(starts)]
    user = actor if getattr(actor, "is_authenticated", False) else None
    taker = user if user is not None and getattr(user, "pk", None) else None
    now = timezone.now()
    # A re-baseline after a change request the customer approved is the new measurement
    # baseline at once (earned value measures against it): approved, hence immutable.
    approved = change_request is not None
    baseline = Baseline.objects.create(
        project=project, number=number, name=name, reason=reason, taken_at=now,
        taken_by=taker, change_request_ref=getattr(change_request, "pk", None), bac=bac,
        work_hours=work, planned_start=min(starts),
        planned_finish=max(max(finishes), min(starts)), approved=approved,
        approved_at=now if approved else None, approved_by=taker if approved else None,
    )  # fmt: skip
    for row in rows:
        row.baseline = baseline
    BaselineTask.objects.bulk_create(rows, batch_size=1000)
    audit.audit_create(actor=actor, obj=baseline, customer_id=project.customer_id)
    _kpi_refresh(project)
    _timeline(
        project, actor, "项目「%(name)s」建立基线 #%(number)s：%(baseline)s",
        {"number": number, "baseline": name},
    )  # fmt: skip
    return baseline


def _baseline_locked(project: Project, baseline_id: Any) -> Baseline:
    selectors_evm.baseline_get(project=project, baseline_id=baseline_id)  # 404 rule
    return Baseline.objects.select_for_update(of=("self",)).get(pk=baseline_id)


def _may_approve(actor: Any, project: Project) -> None:
    # Approving freezes the plan for good: the project's manager, or whoever may change
    # the project beyond being one of its members.
    if not permissions.can_change_project(
        actor, manager_id=project.manager_id, team_id=project.team_id,
        customer=project.customer, is_member=False,
    ):  # fmt: skip
        raise PermissionDenied(_("只有项目经理或上级可以批准基线。"))


@transaction.atomic
def baseline_approve(*, actor: Any, project_id: Any, baseline_id: Any) -> Baseline:
    """Approve (lock) a baseline; approving an approved one again is a 409."""
    project = project_lock(actor, project_id)
    _may_approve(actor, project)
    baseline = _baseline_locked(project, baseline_id)
    if baseline.approved:
        raise Conflict(_("该基线已批准。"), field="baseline", code="baseline_locked")
    before = audit.snapshot(baseline, ["approved", "approved_at", "approved_by_id"])
    baseline.approved = True
    baseline.approved_at = timezone.now()
    baseline.approved_by = actor if getattr(actor, "is_authenticated", False) else None
    baseline.save(update_fields=["approved", "approved_at", "approved_by", "updated_at"])
    audit.audit_update(actor=actor, obj=baseline, before=before, customer_id=project.customer_id)
    _kpi_refresh(project)
    _timeline(
        project, actor, "项目「%(name)s」批准基线 #%(number)s，完工预算 %(bac)s",
        {"number": baseline.number, "bac": str(baseline.bac)},
    )  # fmt: skip
    return baseline


@transaction.atomic
def baseline_update(
    *, actor: Any, project_id: Any, baseline_id: Any, data: Mapping[str, Any]
) -> Baseline:
    """Rename a baseline or restate its reason — only before it is approved (409 after)."""
    reject_unknown(data, {"name", "reason"})
    project = project_lock(actor, project_id)
    baseline = _baseline_locked(project, baseline_id)
    if baseline.approved:
        raise Conflict(_("已批准的基线不可修改。"), field="baseline", code="baseline_locked")
    before = audit.snapshot(baseline, ["name", "reason"])
    if "name" in data:
        baseline.name = _clean_text(data["name"], "name", MAX_NAME, required=True)
    if "reason" in data:
        baseline.reason = _clean_text(data["reason"], "reason", MAX_REASON, required=False)
    baseline.save(update_fields=["name", "reason", "updated_at"])
    audit.audit_update(actor=actor, obj=baseline, before=before, customer_id=project.customer_id)
    return baseline


@transaction.atomic
def baseline_delete(*, actor: Any, project_id: Any, baseline_id: Any) -> None:
    """Delete a baseline not yet approved (409 once approved)."""
    project = project_lock(actor, project_id)
    baseline = _baseline_locked(project, baseline_id)
    if baseline.approved:
        raise Conflict(_("已批准的基线不可修改。"), field="baseline", code="baseline_locked")
    audit.audit_delete(actor=actor, obj=baseline, customer_id=project.customer_id)
    baseline.delete()


_THRESHOLDS = ("spi_amber", "spi_red", "cpi_amber", "cpi_red")


def _threshold(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed({field: _("必须是数字。")}) from None
    if isinstance(value, bool) or not number.is_finite() or not ZERO < number <= 2:
        raise ValidationFailed({field: _("必须在 0 到 2 之间。")})
    return number.quantize(CENT)


@transaction.atomic
def evm_settings_update(
    *, actor: Any, project_id: Any, data: Mapping[str, Any], version: int | None
) -> EvmSettings:
    """The project's EV method, EAC formula and red/amber thresholds (red ≤ amber)."""
    reject_unknown(data, {"ev_method", "allow_task_override", "eac_method", *_THRESHOLDS})
    project = project_lock(actor, project_id)
    settings = EvmSettings.objects.select_for_update().filter(project=project).first()
    created = settings is None
    if settings is None:
        settings = EvmSettings(project=project)
        if version not in (None, 1):
            check_version(settings, version)
    else:
        check_version(settings, version)
    before = audit.snapshot(settings, ["ev_method", "allow_task_override", "eac_method",
                                       *_THRESHOLDS])  # fmt: skip
    errors: dict[str, str] = {}
    if "ev_method" in data:
        if data["ev_method"] not in EvMethod.values:
            errors["ev_method"] = _("无效的选项。")
        else:
            settings.ev_method = data["ev_method"]
    if "eac_method" in data:
        if data["eac_method"] not in EacMethod.values:
            errors["eac_method"] = _("无效的选项。")
        else:
            settings.eac_method = data["eac_method"]
    if "allow_task_override" in data:
        if not isinstance(data["allow_task_override"], bool):
            errors["allow_task_override"] = _("无效的选项。")
        else:
            settings.allow_task_override = data["allow_task_override"]
    for name in _THRESHOLDS:
        if name in data:
            try:
                setattr(settings, name, _threshold(data[name], name))
            except ValidationFailed as exc:
                errors[name] = exc.errors[name][0]
    if not errors and settings.spi_red > settings.spi_amber:
        errors["spi_red"] = _("红色阈值不能高于黄色阈值。")
    if not errors and settings.cpi_red > settings.cpi_amber:
        errors["cpi_red"] = _("红色阈值不能高于黄色阈值。")
    if errors:
        raise ValidationFailed(errors)
    if created:
        settings.save()
        audit.audit_create(actor=actor, obj=settings, customer_id=project.customer_id)
    else:
        settings.version += 1
        settings.save()
        audit.audit_update(
            actor=actor, obj=settings, before=before, customer_id=project.customer_id
        )
    _kpi_refresh(project)
    return settings


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@transaction.atomic
def status_report_create(
    *, actor: Any, project_id: Any, as_of: dt.date | None = None, summary: str = ""
) -> StatusReport:
    """Freeze this week's EVM figures as a status report (周报). One per project and day:
    a second on the same day replaces the figures of the first (it is the same snapshot,
    taken again), keeping its id."""
    project = project_lock(actor, project_id)
    summary = _clean_text(summary, "summary", 4000, required=False)
    return _snapshot(project, actor, as_of or selectors_evm.today(), summary)


def _snapshot(project: Project, actor: Any, as_of: dt.date, summary: str) -> StatusReport:
    result = selectors_evm.evm_result(project=project, status_date=as_of)
    if result.figures is None:
        raise ValidationFailed({"baseline": _("项目还没有基线，无法生成状态报告。")})
    figures = {k: _plain(v) for k, v in result.figures.as_dict().items()}
    author = actor if getattr(actor, "is_authenticated", False) else None
    report, created = StatusReport.objects.update_or_create(
        project=project, as_of=as_of,
        defaults={"baseline": result.baseline, "rag": result.figures.rag, "figures": figures,
                  "summary": summary, "created_by": author},
    )  # fmt: skip
    if created:
        audit.audit_create(actor=actor, obj=report, customer_id=project.customer_id)
    else:
        audit.record(
            actor=actor, action="update", obj=report, changes={"figures": [None, figures]},
            customer_id=project.customer_id,
        )  # fmt: skip
    return report


def status_reports_weekly(*, today: dt.date | None = None, limit: int = 500) -> int:
    """The periodic job: each active project with a baseline and no report for the last
    Friday (today, on a Friday) gets one, written by the system. Idempotent — a project
    already reported for that Friday is skipped — and bounded to ``limit`` projects a run
    (the next run takes the rest). Returns the number written."""
    today = today or selectors_evm.today()
    friday = today - dt.timedelta(days=(today.weekday() - 4) % 7)
    ids = list(
        Project.objects.filter(status=ProjectStatus.ACTIVE, baselines__isnull=False)
        .exclude(status_reports__as_of=friday)
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")[:limit]
    )
    made = 0
    for pk in ids:
        with transaction.atomic():
            project = Project.objects.select_for_update(of=("self",)).filter(pk=pk).first()
            if (
                project is None
                or StatusReport.objects.filter(project=project, as_of=friday).exists()
            ):
                continue
            _snapshot(project, None, friday, "")
            made += 1
    return made


def can_take(actor: Any, project: Project) -> bool:
    return selectors.can_change(actor, project)
