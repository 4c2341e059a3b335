"""Writes of timesheets (工时): a person saves a week grid (tasks × seven days) in one
transaction, copies last week's, submits the week; the project manager — or someone whose
scope reaches the person — approves or rejects submitted entries, or reopens approved ones.
Approved time × the person's rate is the project's actual cost (``selectors_actuals``).

Approval prices each entry (``TimeEntry.cost`` = hours × the rate on its day, rounded to
cents per entry) and the price then stays, like an accounting posting: a rate created or
corrected later does not move costs already approved. ``time_costs_reprice`` re-prices a
project's approved time at the current rates on purpose (a rate keeper's correction,
audited entry by entry); a rejected or reopened entry has no cost.

A week save checks every cell before it writes anything and refuses with *all* the bad
cells named (``rows.<i>.hours.<d>``, ``rows.<i>.task_id``, ``days.<d>`` for a day over
24 hours across all the person's tasks), so a rejected save changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.core import audit
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.limits import MAX_ID
from guanxi.core.money import CENT
from guanxi.projects import selectors
from guanxi.projects.models import (
    MAX_DAY_HOURS,
    Project,
    ProjectStatus,
    Task,
    TimeEntry,
    TimeStatus,
)
from guanxi.projects.selectors_actuals import can_approve_time, time_rates

__all__ = [
    "MAX_WEEK_ROWS",
    "can_approve_time",
    "parse_week",
    "price_time_entries",
    "time_costs_reprice",
    "time_entries_approve",
    "time_entries_reject",
    "time_entries_reopen",
    "timesheet_copy_last_week",
    "timesheet_week_save",
    "timesheet_week_submit",
    "week_days",
    "week_label",
]

MAX_WEEK_ROWS = 100
MIN_DAY = dt.date(2000, 1, 3)  # a Monday
MAX_DAY = dt.date(2100, 12, 27)  # a Monday
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_EDITABLE = (TimeStatus.DRAFT, TimeStatus.REJECTED)
_CENT_HOURS = Decimal("0.01")


# --- weeks ---------------------------------------------------------------------------------


def parse_week(value: Any) -> dt.date:
    """The Monday of an ISO week ``YYYY-Www``; ``ValidationFailed`` on ``week`` otherwise."""
    match = _WEEK.match(value.strip()) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError
        monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValidationFailed({"week": _("周必须写成 YYYY-Www，例如 2026-W05。")}) from None
    if not MIN_DAY <= monday <= MAX_DAY:
        raise ValidationFailed({"week": _("周必须在 2000 年到 2100 年之间。")})
    return monday


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_label(monday: dt.date) -> str:
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


def week_days(monday: dt.date) -> list[dt.date]:
    return [monday + dt.timedelta(days=i) for i in range(7)]


def _monday(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        if not MIN_DAY <= value <= MAX_DAY:
            raise ValidationFailed({"week": _("周必须在 2000 年到 2100 年之间。")})
        return week_of(value)
    return parse_week(value)


# --- who may log and approve ---------------------------------------------------------------


def _loggable_tasks(actor: Any, task_ids: Iterable[int]) -> dict[int, Task]:
    """The tasks (of ``task_ids``) the actor may log time on: leaf tasks of active projects
    the actor reads and works on (a member, the manager, or whoever may change the plan)."""
    ids = [i for i in task_ids if 1 <= i <= MAX_ID]
    if not ids:
        return {}
    projects = selectors.scope(actor, Project.objects.all()).values("pk")
    tasks = Task.objects.filter(pk__in=ids, project__in=projects).select_related(
        "project", "project__customer"
    )
    found: dict[int, Task] = {}
    allowed: dict[int, bool] = {}
    for task in tasks:
        project = task.project
        if project.pk not in allowed:
            allowed[project.pk] = selectors.can_change(actor, project)
        if allowed[project.pk]:
            found[task.pk] = task
    return found


def _lock_person(actor: Any) -> User:
    """Serialise one person's timesheet writes: the 24-hour cap spans all their tasks."""
    return User.objects.select_for_update().get(pk=actor.pk)


# --- the week grid -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    task_id: int
    day: dt.date
    hours: Decimal | None  # None: empty (delete an editable entry)
    note: str | None


def _parse_hours(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError from None
    if not hours.is_finite():
        raise ValueError
    return hours


def _cells(rows: Any, days: list[dt.date], errors: dict[str, str]) -> tuple[list[_Cell], list[int]]:
    if not isinstance(rows, Sequence) or isinstance(rows, str | bytes):
        raise ValidationFailed({"rows": _("必须是列表。")})
    if len(rows) > MAX_WEEK_ROWS:
        raise ValidationFailed({"rows": _("一周最多 %(max)s 行。") % {"max": MAX_WEEK_ROWS}})
    cells: list[_Cell] = []
    task_ids: list[int] = []
    seen: set[int] = set()
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            errors[f"rows.{i}"] = _("必须是对象。")
            task_ids.append(0)
            continue
        task_id = row.get("task_id")
        if isinstance(task_id, bool) or not isinstance(task_id, int) or not 1 <= task_id <= MAX_ID:
            errors[f"rows.{i}.task_id"] = _("任务不存在。")
            task_id = 0
        elif task_id in seen:
            errors[f"rows.{i}.task_id"] = _("同一任务在一周里只能有一行。")
        seen.add(task_id)
        task_ids.append(task_id)
        note = row.get("note")
        if note is not None and (not isinstance(note, str) or len(note) > 500):
            errors[f"rows.{i}.note"] = _("备注必须是不超过 500 个字符的文字。")
            note = None
        hours = row.get("hours")
        if not isinstance(hours, Sequence) or isinstance(hours, str | bytes) or len(hours) != 7:
            errors[f"rows.{i}.hours"] = _("必须是 7 个数（周一到周日）。")
            continue
        for d, raw in enumerate(hours):
            key = f"rows.{i}.hours.{d}"
            try:
                value = _parse_hours(raw)
            except ValueError:
                errors[key] = _("必须是数字。")
                continue
            if value is not None and value == 0:
                value = None
            if value is not None and not Decimal("0") < value <= MAX_DAY_HOURS:
                errors[key] = _("工时必须大于 0 且不超过 24 小时。")
                continue
            if value is not None and value != value.quantize(_CENT_HOURS):
                errors[key] = _("工时最多两位小数。")
                continue
            cells.append(_Cell(task_id, days[d], value, note.strip() if note else note))
    return cells, task_ids


@transaction.atomic
def timesheet_week_save(*, actor: Any, week: Any, rows: Any) -> list[TimeEntry]:
    """Save the actor's week: ``rows`` are ``{"task_id", "hours": [7 × hours or None],
    "note"?}``. Empty cells delete draft or rejected entries; submitted and approved cells
    cannot change. A changed rejected entry is a draft again. Returns the week's entries."""
    if not permissions.can_use_projects(actor):
        raise PermissionDenied(_("你的角色不能填写工时。"))
    monday = _monday(week)
    days = week_days(monday)
    errors: dict[str, str] = {}
    cells, task_ids = _cells(rows, days, errors)
    person = _lock_person(actor)
    existing = {
        (e.task_id, e.date): e
        for e in TimeEntry.objects.select_for_update().filter(
            user=person, date__gte=days[0], date__lte=days[-1]
        )
    }
    row_of = {task_id: i for i, task_id in enumerate(task_ids)}
    changed: list[tuple[_Cell, TimeEntry | None]] = []
    for cell in cells:
        entry = existing.get((cell.task_id, cell.day))
        same_hours = (entry.hours if entry is not None else None) == cell.hours
        same_note = cell.note is None or entry is None or entry.note == cell.note
        if same_hours and same_note:
            continue
        if entry is not None and entry.status not in _EDITABLE:
            key = f"rows.{row_of[cell.task_id]}.hours.{(cell.day - monday).days}"
            errors[key] = _("已提交或已批准的工时不能修改。")
            continue
        changed.append((cell, entry))
    # Only rows that change must be on tasks the actor may log on now: an untouched row of
    # a project closed since keeps its hours and does not block the week.
    changing = {cell.task_id for cell, _entry in changed}
    tasks = _loggable_tasks(actor, [t for t in changing if t])
    for i, task_id in enumerate(task_ids):
        if not task_id or task_id not in changing or f"rows.{i}.task_id" in errors:
            continue
        task = tasks.get(task_id)
        if task is None:
            errors[f"rows.{i}.task_id"] = _("任务不存在。")
        elif task.is_summary:
            errors[f"rows.{i}.task_id"] = _("摘要任务不能填写工时，请填在其子任务上。")
        elif task.project.status != ProjectStatus.ACTIVE:
            errors[f"rows.{i}.task_id"] = _("项目不在进行中，不能填写工时。")
    # The day totals as they will be: the grid's cells over the stored entries.
    totals: dict[dt.date, Decimal] = {day: Decimal("0") for day in days}
    grid = {(c.task_id, c.day): c.hours for c in cells}
    for (task_id, day), entry in existing.items():
        if (task_id, day) not in grid:
            totals[day] += entry.hours
    for (_task_id, day), hours in grid.items():
        totals[day] += hours or Decimal("0")
    for d, day in enumerate(days):
        if totals[day] > MAX_DAY_HOURS:
            errors[f"days.{d}"] = _("%(day)s 合计 %(hours)s 小时，超过 24 小时。") % {
                "day": day.isoformat(),
                "hours": totals[day],
            }
    if errors:
        raise ValidationFailed(errors)
    now = timezone.now()
    for cell, entry in changed:
        task = tasks[cell.task_id]
        customer_id = task.project.customer_id
        if cell.hours is None:
            if entry is not None:
                audit.audit_delete(actor=actor, obj=entry, customer_id=customer_id)
                entry.delete()
            continue
        if entry is None:
            entry = TimeEntry.objects.create(
                user=person,
                project_id=task.project_id,
                task=task,
                date=cell.day,
                hours=cell.hours,
                note=cell.note or "",
            )
            audit.audit_create(actor=actor, obj=entry, customer_id=customer_id)
            continue
        before = audit.snapshot(entry)
        entry.hours = cell.hours
        if cell.note is not None:
            entry.note = cell.note
        entry.status = TimeStatus.DRAFT
        entry.reject_reason = ""
        entry.version += 1
        entry.updated_at = now
        entry.save()
        audit.audit_update(actor=actor, obj=entry, before=before, customer_id=customer_id)
    return list(
        TimeEntry.objects.filter(user=person, date__gte=days[0], date__lte=days[-1]).order_by(
            "task_id", "date"
        )
    )


@transaction.atomic
def timesheet_copy_last_week(*, actor: Any, week: Any) -> int:
    """Copy the previous week's hours into this week's empty cells (as drafts), on tasks the
    actor may still log on. Returns the number of cells copied; refused as a whole (like a
    save) when it would put a day over 24 hours."""
    monday = _monday(week)
    days = week_days(monday)
    previous = list(
        TimeEntry.objects.filter(
            user_id=actor.pk, date__gte=days[0] - dt.timedelta(days=7), date__lt=days[0]
        ).values_list("task_id", "date", "hours", "note")
    )
    current = {
        (task_id, day): hours
        for task_id, day, hours in TimeEntry.objects.filter(
            user_id=actor.pk, date__gte=days[0], date__lte=days[-1]
        ).values_list("task_id", "date", "hours")
    }
    loggable = _loggable_tasks(actor, {row[0] for row in previous} | {k[0] for k in current})
    grid: dict[int, list[Any]] = {}
    for (task_id, day), hours in current.items():
        if task_id in loggable:
            grid.setdefault(task_id, [None] * 7)[(day - monday).days] = hours
    copied = 0
    for task_id, day, hours, _note in previous:
        task = loggable.get(task_id)
        if task is None or task.is_summary or task.project.status != ProjectStatus.ACTIVE:
            continue
        row = grid.setdefault(task_id, [None] * 7)
        index = (day - days[0]).days + 7
        if row[index] is None:
            row[index] = hours
            copied += 1
    if copied:
        timesheet_week_save(
            actor=actor,
            week=monday,
            rows=[{"task_id": t, "hours": hours} for t, hours in sorted(grid.items())],
        )
    return copied


@transaction.atomic
def timesheet_week_submit(*, actor: Any, week: Any) -> int:
    """Submit the actor's draft and rejected entries of the week for approval."""
    monday = _monday(week)
    person = _lock_person(actor)
    entries = list(
        TimeEntry.objects.select_for_update(of=("self",))
        .select_related("project")
        .filter(
            user=person,
            date__gte=monday,
            date__lte=monday + dt.timedelta(days=6),
            status__in=_EDITABLE,
        )
    )
    if not entries:
        raise ValidationFailed({"week": _("这一周没有可提交的工时。")})
    now = timezone.now()
    for entry in entries:
        before = audit.snapshot(entry)
        entry.status = TimeStatus.SUBMITTED
        entry.submitted_at = now
        entry.reject_reason = ""
        entry.version += 1
        entry.save()
        audit.audit_update(
            actor=actor, obj=entry, before=before, customer_id=entry.project.customer_id
        )
    return len(entries)


def price_time_entries(entries: Sequence[TimeEntry]) -> None:
    """Set ``cost`` on approved entries in memory (hours × the rate on the day, to cents)
    and clear it on the others — for approval, re-pricing and bulk writers (the demo, the
    bench) that create approved entries directly."""
    approved = [e for e in entries if e.status == TimeStatus.APPROVED]
    for entry, rate in zip(approved, time_rates(approved), strict=True):
        entry.cost = (entry.hours * rate).quantize(CENT)
    for entry in entries:
        if entry.status != TimeStatus.APPROVED:
            entry.cost = None


def _entries_to_decide(
    actor: Any, entry_ids: Any, state: str = TimeStatus.SUBMITTED
) -> list[TimeEntry]:
    if (
        not isinstance(entry_ids, Sequence)
        or isinstance(entry_ids, str | bytes)
        or not entry_ids
        or len(entry_ids) > 1000
    ):
        raise ValidationFailed({"entry_ids": _("必须是 1 到 1000 个工时编号的列表。")})
    ids: set[int] = set()
    for value in entry_ids:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            raise NotFound(_("工时不存在。"), field="entry_ids")
        ids.add(value)
    projects = selectors.scope(actor, Project.objects.all()).values("pk")
    entries = list(
        TimeEntry.objects.select_for_update(of=("self",))
        .select_related("user", "project")
        .filter(pk__in=ids, project__in=projects)
        .order_by("pk")
    )
    if len(entries) != len(ids):
        raise NotFound(_("工时不存在。"), field="entry_ids")
    for entry in entries:
        if not can_approve_time(actor, person=entry.user, project=entry.project):
            raise PermissionDenied(_("只有项目经理或该人员的上级可以审批其工时。"))
        if entry.status != state:
            if state == TimeStatus.APPROVED:
                raise ValidationFailed({"entry_ids": _("只能重新打开已批准的工时。")})
            raise ValidationFailed({"entry_ids": _("只能审批已提交的工时。")})
    return entries


def _decide(actor: Any, entries: list[TimeEntry], status: str, reason: str) -> None:
    now = timezone.now()
    befores = [audit.snapshot(entry) for entry in entries]
    for entry in entries:
        entry.status = status
    price_time_entries(entries)
    for entry, before in zip(entries, befores, strict=True):
        entry.approved_by = actor if status == TimeStatus.APPROVED else None
        entry.approved_at = now
        entry.reject_reason = reason
        entry.version += 1
        entry.save()
        audit.audit_update(
            actor=actor, obj=entry, before=before, customer_id=entry.project.customer_id
        )


@transaction.atomic
def time_entries_approve(*, actor: Any, entry_ids: Any) -> int:
    """Approve submitted entries, all or none."""
    from guanxi.projects.services.kpi import kpi_request_refresh

    entries = _entries_to_decide(actor, entry_ids)
    _decide(actor, entries, TimeStatus.APPROVED, "")
    for project_id in sorted({entry.project_id for entry in entries}):
        kpi_request_refresh(project_id=project_id)  # actual cost and utilisation moved
    return len(entries)


@transaction.atomic
def time_entries_reject(*, actor: Any, entry_ids: Any, reason: Any) -> int:
    """Reject submitted entries with a reason; the person may edit and submit them again."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed({"reason": _("驳回必须填写原因。")})
    if len(reason) > 500:
        raise ValidationFailed({"reason": _("不能超过 %(max)s 个字符。") % {"max": 500}})
    entries = _entries_to_decide(actor, entry_ids)
    _decide(actor, entries, TimeStatus.REJECTED, reason.strip())
    return len(entries)


def _reason(reason: Any) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed({"reason": _("驳回必须填写原因。")})
    if len(reason) > 500:
        raise ValidationFailed({"reason": _("不能超过 %(max)s 个字符。") % {"max": 500}})
    return reason.strip()


@transaction.atomic
def time_entries_reopen(*, actor: Any, entry_ids: Any, reason: Any) -> int:
    """Take approved entries back (a mistake found after approval): they become rejected
    with the reason, lose their cost (AC drops at once), and the person may correct and
    submit them again. Who may approve them may reopen them."""
    from guanxi.projects.services.kpi import kpi_request_refresh

    reason = _reason(reason)
    entries = _entries_to_decide(actor, entry_ids, TimeStatus.APPROVED)
    _decide(actor, entries, TimeStatus.REJECTED, reason)
    for project_id in sorted({entry.project_id for entry in entries}):
        kpi_request_refresh(project_id=project_id)  # actual cost moved
    return len(entries)


@transaction.atomic
def time_costs_reprice(*, actor: Any, project_id: Any) -> int:
    """Price the project's approved time again at the rates as they are now (after a rate
    was corrected retroactively) — only the rate keepers (``can_manage_cost_rates``) may.
    Each changed entry is audited old → new; returns how many changed."""
    if isinstance(project_id, bool) or not isinstance(project_id, int):
        raise NotFound(_("项目不存在。"), field="project_id")
    project = selectors.project_get(actor=actor, project_id=project_id, with_members=False)
    if not permissions.can_manage_cost_rates(actor):
        raise PermissionDenied(_("只有管理员和经理可以维护成本费率。"))
    entries = list(
        TimeEntry.objects.select_for_update()
        .filter(project=project, status=TimeStatus.APPROVED)
        .order_by("pk")
    )
    old = [e.cost for e in entries]
    price_time_entries(entries)
    changed = [(e, c) for e, c in zip(entries, old, strict=True) if e.cost != c]
    now = timezone.now()
    for entry, _cost in changed:
        entry.version += 1
        entry.updated_at = now
    TimeEntry.objects.bulk_update(
        [e for e, _c in changed], ["cost", "version", "updated_at"], batch_size=1000
    )
    audit.audit_bulk_update(
        actor=actor,
        model=TimeEntry,
        rows=[(e.pk, str(e), project.customer_id, {"cost": [c, e.cost]}) for e, c in changed],
    )
    if changed:
        from guanxi.projects.services.kpi import kpi_request_refresh

        kpi_request_refresh(project_id=project.pk)  # actual cost moved
    return len(changed)
