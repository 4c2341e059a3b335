"""Reads of baselines and earned value (SPEC E3). Every function takes a project the
caller already resolved for the actor with ``selectors.project_get`` (scoped: another
department's project is a 404 before any of this runs); a baseline id of another project
is a 404 like a missing one.

The EVM figures of a project are measured against its *current* baseline — the latest
approved one, or, before any is approved, the latest taken — unless one is named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import NotFound
from guanxi.core.limits import MAX_ID
from guanxi.projects import evm
from guanxi.projects.models import (
    Baseline,
    BaselineTask,
    EvmSettings,
    Project,
    StatusReport,
    Task,
    TaskStatus,
)
from guanxi.projects.selectors_actuals import actual_cost_by_day

__all__ = [
    "EvmResult",
    "EvmTaskRow",
    "baseline_compare",
    "baseline_get",
    "baseline_list",
    "current_baseline",
    "evm_result",
    "evm_settings",
    "evm_task_rows",
    "status_report_get",
    "status_report_list",
]

ZERO = Decimal("0")


def today() -> dt.date:
    return timezone.localdate()


def baseline_list(*, project: Project) -> QuerySet[Baseline]:
    return Baseline.objects.filter(project=project).select_related("taken_by", "approved_by")


def baseline_get(*, project: Project, baseline_id: Any) -> Baseline:
    if (
        isinstance(baseline_id, bool)
        or not isinstance(baseline_id, int)
        or not 1 <= baseline_id <= MAX_ID
    ):
        raise NotFound(_("基线不存在。"), field="baseline_id")
    found = baseline_list(project=project).filter(pk=baseline_id).first()
    if found is None:
        raise NotFound(_("基线不存在。"), field="baseline_id")
    return found


def current_baseline(*, project: Project) -> Baseline | None:
    approved = Baseline.objects.filter(project=project, approved=True).order_by("-number").first()
    return approved or Baseline.objects.filter(project=project).order_by("-number").first()


def evm_settings(*, project: Project) -> EvmSettings:
    """The project's settings, or the defaults (unsaved) when it never changed them."""
    found = EvmSettings.objects.filter(project=project).first()
    return found if found is not None else EvmSettings(project=project)


def thresholds_of(settings: EvmSettings) -> evm.Thresholds:
    return evm.Thresholds(
        spi_amber=settings.spi_amber,
        spi_red=settings.spi_red,
        cpi_amber=settings.cpi_amber,
        cpi_red=settings.cpi_red,
    )


@dataclass(frozen=True)
class EvmResult:
    project: Project
    baseline: Baseline | None
    settings: EvmSettings
    figures: evm.EvmFigures | None
    phasing: evm.Phasing
    ac_by_day: dict[dt.date, Decimal]
    tasks: list[evm.EvmTask]


def _evm_tasks(baseline: Baseline, settings: EvmSettings) -> tuple[list[evm.EvmTask], Decimal]:
    """The baseline's leaf rows with the live progress of their tasks (one query), and the
    bottom-up ETC: each live task's remaining estimate at its baseline unit cost."""
    rows = (
        BaselineTask.objects.filter(baseline=baseline, is_summary=False)
        .order_by("position", "id")
        .values_list(
            "id", "planned_cost", "start", "finish", "milestone", "ev_method", "work_hours",
            "task__progress", "task__status", "task__estimate_hours",
        )
    )  # fmt: skip
    tasks: list[evm.EvmTask] = []
    etc = ZERO
    for (
        key, cost, start, finish, milestone, method, work, progress, status, estimate
    ) in rows:  # fmt: skip
        if not (settings.allow_task_override and method):
            method = settings.ev_method
        progress = int(progress or 0)
        if status == TaskStatus.DONE:
            progress = 100
        started = status is not None and status != TaskStatus.TODO
        tasks.append(
            evm.EvmTask(
                key=key, planned_cost=cost, start=start, finish=finish, milestone=milestone,
                progress=progress, started=started, method=method,
            )
        )  # fmt: skip
        remaining = Decimal(100 - min(progress, 100)) / 100
        if estimate is not None and work > 0:
            etc += (estimate * remaining * cost / work).quantize(evm.CENT)
        else:
            etc += (cost * remaining).quantize(evm.CENT)
    return tasks, etc


def evm_result(
    *, project: Project, baseline: Baseline | None = None, status_date: dt.date | None = None
) -> EvmResult:
    """The project's EVM figures at the end of ``status_date`` (today by default)."""
    settings = evm_settings(project=project)
    baseline = baseline or current_baseline(project=project)
    ac = actual_cost_by_day(project.pk)
    if baseline is None:
        return EvmResult(project, None, settings, None, evm.Phasing(), ac, [])
    tasks, etc = _evm_tasks(baseline, settings)
    phasing = evm.phase(tasks, default_day=baseline.planned_finish)
    figures = evm.compute(
        tasks,
        status_date=status_date or today(),
        ac_by_day=ac,
        planned_start=baseline.planned_start,
        planned_finish=baseline.planned_finish,
        etc_bottom_up=etc,
        eac_method=settings.eac_method,
        thresholds=thresholds_of(settings),
        phasing=phasing,
    )
    return EvmResult(project, baseline, settings, figures, phasing, ac, tasks)


@dataclass(frozen=True)
class EvmTaskRow:
    """One baseline task on the EVM page: the method its EV is measured by (frozen on the
    baseline, else the project's default) beside the live task's own setting."""

    outline: str
    name: str
    planned_cost: Decimal
    progress: int
    method: str
    live_method: str  # the live task's setting now ("" = default; applies at re-baseline)
    ev: Decimal


def evm_task_rows(result: EvmResult, *, limit: int = 500) -> list[EvmTaskRow]:
    """The first ``limit`` leaf tasks of the result's baseline with their EV (one query)."""
    if result.baseline is None or not result.tasks:
        return []
    shown = result.tasks[:limit]
    names = {
        key: (outline, name, live or "")
        for key, outline, name, live in BaselineTask.objects.filter(
            pk__in=[t.key for t in shown]
        ).values_list("id", "outline", "name", "task__ev_method")
    }
    rows = []
    for task in shown:
        outline, name, live = names.get(task.key, ("", "", ""))
        ev = (task.planned_cost * evm.earned_fraction(task)).quantize(evm.CENT, ROUND_HALF_UP)
        rows.append(
            EvmTaskRow(
                outline=outline, name=name, planned_cost=task.planned_cost,
                progress=task.progress, method=task.method, live_method=live, ev=ev,
            )
        )  # fmt: skip
    return rows


def s_curve(result: EvmResult) -> dict[str, Any]:
    """The S-curve's series (weekly points), the baseline's planned finish and the
    forecast finish, as JSON-ready data."""
    figures = result.figures
    if figures is None or result.baseline is None:
        return {"dates": [], "pv": [], "ev": [], "ac": [], "planned_finish": None,
                "forecast_finish": None, "status_date": today().isoformat()}  # fmt: skip
    ev_points = {
        report.as_of: Decimal(str(report.figures.get("ev", "0")))
        for report in StatusReport.objects.filter(
            project=result.project, baseline=result.baseline
        ).only("as_of", "figures")
    }
    ev_points[figures.status_date] = figures.ev
    candidates = [
        d
        for d in (
            result.baseline.planned_start,
            result.phasing.days[0] if result.phasing.days else None,
            min(result.ac_by_day) if result.ac_by_day else None,
        )
        if d is not None
    ]
    start = min(candidates) if candidates else figures.status_date
    ends = [
        d
        for d in (
            figures.planned_finish,
            figures.forecast_finish,
            figures.status_date,
            max(result.ac_by_day) if result.ac_by_day else None,
        )
        if d is not None
    ]
    end = max(ends)
    if (end - start).days > 366 * 20:  # a typo'd date must not make a million points
        end = start + dt.timedelta(days=366 * 20)
    span = (end - start).days
    # Daily points for a short project, weekly for most, about 120 points for a long one.
    step = 1 if span <= 60 else max(7, span // 120)
    series = evm.s_curve(
        result.phasing, ac_by_day=result.ac_by_day, ev_points=ev_points, start=start,
        end=end, status_date=figures.status_date, step_days=step,
    )  # fmt: skip
    return {
        **series,
        "planned_finish": figures.planned_finish.isoformat() if figures.planned_finish else None,
        "forecast_finish": (
            figures.forecast_finish.isoformat() if figures.forecast_finish else None
        ),
        "status_date": figures.status_date.isoformat(),
    }


@dataclass(frozen=True)
class CompareRow:
    key: str
    outline: str
    name: str
    a: BaselineTask | None
    b: BaselineTask | None

    def _delta(self, field: str) -> Any:
        if self.a is None or self.b is None:
            return None
        old, new = getattr(self.a, field), getattr(self.b, field)
        if old is None or new is None:
            return None
        return (new - old).days if isinstance(old, dt.date) else new - old

    @property
    def start_delta(self) -> int | None:
        value = self._delta("start")
        return value if isinstance(value, int) else None

    @property
    def finish_delta(self) -> int | None:
        value = self._delta("finish")
        return value if isinstance(value, int) else None

    @property
    def work_delta(self) -> Decimal | None:
        value = self._delta("work_hours")
        return value if isinstance(value, Decimal) else None

    @property
    def cost_delta(self) -> Decimal | None:
        value = self._delta("planned_cost")
        return value if isinstance(value, Decimal) else None

    @property
    def change(self) -> str:
        if self.a is None:
            return "added"
        if self.b is None:
            return "removed"
        return "changed" if any(
            d for d in (self.start_delta, self.finish_delta, self.work_delta, self.cost_delta)
        ) else "same"  # fmt: skip


def baseline_compare(*, a: Baseline, b: Baseline) -> list[CompareRow]:
    """Per task, ``a`` beside ``b`` (matched by live task, else by outline and name): the
    start/finish shifts in calendar days, the work and cost deltas (b − a)."""

    def key(row: BaselineTask) -> str:
        return f"t{row.task_id}" if row.task_id else f"o{row.outline}|{row.name}"

    rows_a = {key(r): r for r in BaselineTask.objects.filter(baseline=a).order_by("position")}
    rows_b = {key(r): r for r in BaselineTask.objects.filter(baseline=b).order_by("position")}
    order = list(rows_b) + [k for k in rows_a if k not in rows_b]
    out = []
    for k in order:
        ra, rb = rows_a.get(k), rows_b.get(k)
        shown = rb or ra
        assert shown is not None
        out.append(CompareRow(key=k, outline=shown.outline, name=shown.name, a=ra, b=rb))
    return out


def status_report_list(*, project: Project) -> QuerySet[StatusReport]:
    return StatusReport.objects.filter(project=project).select_related("baseline", "created_by")


def status_report_get(*, project: Project, report_id: Any) -> StatusReport:
    if (
        isinstance(report_id, bool)
        or not isinstance(report_id, int)
        or not 1 <= report_id <= MAX_ID
    ):
        raise NotFound(_("状态报告不存在。"), field="report_id")
    found = status_report_list(project=project).filter(pk=report_id).first()
    if found is None:
        raise NotFound(_("状态报告不存在。"), field="report_id")
    return found


def leaf_tasks_for_baseline(project_id: int) -> QuerySet[Task]:
    """The live plan to freeze: every task in plan order with what a baseline keeps."""
    return (
        Task.objects.filter(project_id=project_id)
        .order_by("tree_key", "id")
        .only(
            "id", "outline", "name", "is_summary", "milestone", "start_date", "finish_date",
            "estimate_hours", "assignee_id", "ev_method",
        )
    )  # fmt: skip
