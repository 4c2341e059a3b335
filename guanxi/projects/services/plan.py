"""Writes of the plan: tasks (tree, estimates, assignees, progress, the kanban), links, the
drag on the Gantt, and the recompute that stores the schedule (``cpm``) on the tasks.

Every plan write locks the project row first, so two people editing one plan take turns
and each recompute sees the other's committed change. A write that would make the links
go round (a cycle) is refused with the cycle named and leaves nothing behind: the new
plan is scheduled before anything is saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.limits import MAX_ID
from guanxi.core.writes import check_version, reject_unknown
from guanxi.projects import cpm, selectors
from guanxi.projects.models import (
    MAX_DURATION_DAYS,
    MAX_ESTIMATE_HOURS,
    MAX_LAG_DAYS,
    MAX_OUTLINE_DEPTH,
    EvMethod,
    LinkType,
    Project,
    Task,
    TaskLink,
    TaskStatus,
)

__all__ = [
    "link_create",
    "link_delete",
    "project_lock",
    "project_recompute",
    "task_create",
    "task_delete",
    "task_move_card",
    "task_reschedule",
    "task_update",
]

TASK_FIELDS = frozenset(
    {
        "name",
        "notes",
        "estimate_hours",
        "duration_days",
        "milestone",
        "assignee_id",
        "progress",
        "status",
        "start_no_earlier",
        "parent_id",
        "ev_method",
    }
)
_SCHEDULE_FIELDS = (
    "start_date",
    "finish_date",
    "late_start",
    "late_finish",
    "total_float",
    "free_float",
    "critical",
    "is_summary",
    "outline",
    "tree_key",
)
_AUDITED_SCHEDULE_FIELDS = ("start_date", "finish_date")
#: the task fields the KPI snapshot reads (EV from progress and status, EAC from the
#: estimate, the method); a change to one asks for the project's refresh
_KPI_FIELDS = ("progress", "status", "estimate_hours", "ev_method", "milestone")


# --- locks and checks ----------------------------------------------------------------------


def project_lock(actor: Any, project_id: Any) -> Project:
    """The project, locked for update: 404 when missing or out of the actor's read scope,
    403 when the actor reads it but may not change its plan."""
    q = selectors.project_filter(actor)
    qs = Project.objects.select_for_update(of=("self",)).select_related("customer")
    if q is not None:
        qs = qs.filter(q)
    try:
        project = qs.get(pk=project_id)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("项目不存在。"), field="project_id") from None
    if not selectors.can_change(actor, project):
        raise PermissionDenied(_("你没有修改该项目的权限。"))
    return project


def _task_of(project: Project, task_id: Any, field: str = "task_id") -> Task:
    if not isinstance(task_id, int) or isinstance(task_id, bool) or not 1 <= task_id <= MAX_ID:
        raise NotFound(_("任务不存在。"), field=field)
    task = Task.objects.select_for_update().filter(project=project, pk=task_id).first()
    if task is None:
        raise NotFound(_("任务不存在。"), field=field)
    return task


def _text(data: Mapping[str, Any], name: str, max_length: int, *, required: bool) -> str | None:
    if name not in data:
        if required:
            raise ValidationFailed({name: _("这个字段是必填项。")})
        return None
    value = data[name]
    if not isinstance(value, str):
        raise ValidationFailed({name: _("必须是文字。")})
    value = value.replace("\x00", "").strip()
    if required and not value:
        raise ValidationFailed({name: _("这个字段是必填项。")})
    if len(value) > max_length:
        raise ValidationFailed({name: _("不能超过 %(max)s 个字符。") % {"max": max_length}})
    return value


def _int_in(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            raise ValidationFailed({name: _("必须是整数。")}) from None
    if not low <= value <= high:
        raise ValidationFailed(
            {name: _("必须在 %(low)s 到 %(high)s 之间。") % {"low": low, "high": high}}
        )
    return int(value)


def _hours(value: Any) -> Decimal:
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed({"estimate_hours": _("必须是数字。")}) from None
    if not hours.is_finite() or not Decimal("0") <= hours <= MAX_ESTIMATE_HOURS:
        raise ValidationFailed(
            {
                "estimate_hours": _("必须在 %(low)s 到 %(high)s 之间。")
                % {"low": 0, "high": MAX_ESTIMATE_HOURS}
            }
        )
    return hours.quantize(Decimal("0.01"))


def _date(value: Any, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationFailed({name: _("请输入有效的日期（YYYY-MM-DD）。")}) from None
    if not dt.date(2000, 1, 1) <= value <= dt.date(2100, 12, 31):
        raise ValidationFailed({name: _("日期必须在 2000-01-01 到 2100-12-31 之间。")})
    return value


def _assignee(project: Project, value: Any) -> int | None:
    if value is None or value == "":
        return None
    user_id = _int_in(value, "assignee_id", 1, MAX_ID)
    if not selectors.assignable_users(project=project).filter(pk=user_id).exists():
        raise ValidationFailed({"assignee_id": _("只能指派给项目经理或项目成员。")})
    return user_id


def _parent(project: Project, value: Any, *, task: Task | None = None) -> Task | None:
    if value is None or value == "":
        return None
    parent_id = _int_in(value, "parent_id", 1, MAX_ID)
    parent = Task.objects.filter(project=project, pk=parent_id).first()
    if parent is None:
        raise ValidationFailed({"parent_id": _("上级任务不存在。")})
    depth = 1
    node: Task | None = parent
    while node is not None:
        if task is not None and node.pk == task.pk:
            raise ValidationFailed({"parent_id": _("不能把任务移到它自己的下级。")})
        depth += 1
        node = node.parent
    if depth > MAX_OUTLINE_DEPTH:
        raise ValidationFailed(
            {"parent_id": _("任务层级不能超过 %(max)s 级。") % {"max": MAX_OUTLINE_DEPTH}}
        )
    return parent


def _apply(project: Project, task: Task, data: Mapping[str, Any]) -> None:
    reject_unknown(data, TASK_FIELDS)
    name = _text(data, "name", 200, required=task.pk is None)
    if name is not None:
        task.name = name
    notes = _text(data, "notes", 4000, required=False)
    if notes is not None:
        task.notes = notes
    if "estimate_hours" in data:
        task.estimate_hours = _hours(data["estimate_hours"])
    if "milestone" in data:
        if not isinstance(data["milestone"], bool):
            raise ValidationFailed({"milestone": _("必须是 true 或 false。")})
        task.milestone = data["milestone"]
    if "duration_days" in data:
        task.duration_days = _int_in(data["duration_days"], "duration_days", 0, MAX_DURATION_DAYS)
    if task.milestone:
        task.duration_days = 0
    elif task.duration_days == 0:
        task.milestone = True
    if "progress" in data:
        task.progress = _int_in(data["progress"], "progress", 0, 100)
    if "status" in data:
        if data["status"] not in TaskStatus.values:
            raise ValidationFailed({"status": _("无效的选项。")})
        task.status = data["status"]
    if "start_no_earlier" in data:
        task.start_no_earlier = _date(data["start_no_earlier"], "start_no_earlier")
    if "ev_method" in data:
        if data["ev_method"] not in ("", None, *EvMethod.values):
            raise ValidationFailed({"ev_method": _("无效的选项。")})
        task.ev_method = data["ev_method"] or ""
    if "assignee_id" in data:
        task.assignee_id = _assignee(project, data["assignee_id"])
    if "parent_id" in data:
        parent = _parent(project, data["parent_id"], task=task if task.pk else None)
        if (parent.pk if parent else None) != task.parent_id:
            task.parent = parent
            task.position = _next_position(project, parent)


def _next_position(project: Project, parent: Task | None) -> int:
    last = (
        Task.objects.filter(project=project, parent=parent)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    return (last or 0) + 1


# --- the recompute -------------------------------------------------------------------------


def _outlines(rows: Iterable[tuple[int, int | None, int]]) -> dict[int, tuple[str, str]]:
    """Outline numbers ("1.2.3") and their sort keys from (id, parent id, position)."""
    children: dict[int | None, list[tuple[int, int]]] = {}
    for task_id, parent_id, position in rows:
        children.setdefault(parent_id, []).append((position, task_id))
    out: dict[int, tuple[str, str]] = {}
    stack: list[tuple[int | None, str, str]] = [(None, "", "")]
    while stack:
        parent, number, key = stack.pop()
        kids = sorted(children.get(parent, ()))
        for index, (_position, task_id) in enumerate(kids, start=1):
            child_number = f"{number}.{index}" if number else str(index)
            child_key = f"{key}.{index:05d}" if key else f"{index:05d}"
            out[task_id] = (child_number, child_key)
            stack.append((task_id, child_number, child_key))
    return out


class CycleRefused(DomainError):
    """A write that would make the dependencies go round: 400, naming the cycle."""

    code = "cycle"

    def __init__(self, message: str, *, tasks: Sequence[int] = ()) -> None:
        super().__init__(message, field="links")
        self.tasks = list(tasks)


def _schedule_or_refuse(project: Project) -> cpm.Schedule:
    tasks, links = selectors.plan_rows(project.pk)
    try:
        return cpm.schedule(tasks, links, start=project.start_date)
    except cpm.CycleError as exc:
        raise CycleRefused(str(exc), tasks=exc.tasks) from exc


def project_recompute(*, actor: Any, project: Project) -> cpm.Schedule:
    """Schedule the (locked) project and store the result on its tasks: outline numbers,
    early and late dates, floats, the critical flag and the summary flag. Audits the tasks
    whose dates moved and the project's finish. Refuses a cycle (``CycleRefused``, 400
    naming it); the caller's transaction then rolls back whatever led to it."""
    result = _schedule_or_refuse(project)
    rows = list(
        Task.objects.filter(project=project).only(
            "id", "name", "parent_id", "position", "outline", *_SCHEDULE_FIELDS
        )
    )
    numbers = _outlines((t.pk, t.parent_id, t.position) for t in rows)
    changed: list[Task] = []
    audit_rows: list[tuple[Any, str, int | None, dict[str, list[Any]]]] = []
    for task in rows:
        item = result.tasks[task.pk]
        outline, key = numbers[task.pk]
        fresh = {
            "start_date": item.start,
            "finish_date": item.finish,
            "late_start": item.late_start_date,
            "late_finish": item.late_finish_date,
            "total_float": item.total_float,
            "free_float": item.free_float,
            "critical": item.critical,
            "is_summary": item.summary,
            "outline": outline,
            "tree_key": key,
        }
        moved = {
            name: [getattr(task, name), fresh[name]]
            for name in _AUDITED_SCHEDULE_FIELDS
            if getattr(task, name) != fresh[name]
        }
        if any(getattr(task, name) != value for name, value in fresh.items()):
            for name, value in fresh.items():
                setattr(task, name, value)
            changed.append(task)
        if moved:
            audit_rows.append((task.pk, str(task), project.customer_id, moved))
    if changed:
        Task.objects.bulk_update(changed, list(_SCHEDULE_FIELDS), batch_size=500)
    if audit_rows:
        audit.audit_bulk_update(actor=actor, model=Task, rows=audit_rows)
    finish = result.finish if rows else None
    if project.scheduled_finish != finish:
        before = audit.snapshot(project, ["scheduled_finish"])
        project.scheduled_finish = finish
        Project.objects.filter(pk=project.pk).update(scheduled_finish=finish)
        audit.audit_update(actor=actor, obj=project, before=before, customer_id=project.customer_id)
    return result


def _kpi_moved(project: Project) -> None:
    """A change of progress moves EV (and a milestone's finish): the snapshot is marked
    stale and refreshed after commit, as for an approval (``services.kpi``)."""
    from guanxi.projects.services.kpi import kpi_request_refresh

    kpi_request_refresh(project_id=project.pk)


# --- tasks ---------------------------------------------------------------------------------


@transaction.atomic
def task_create(*, actor: Any, project_id: Any, data: Mapping[str, Any]) -> Task:
    project = project_lock(actor, project_id)
    task = Task(project=project)
    _apply(project, task, data)
    if "parent_id" not in data or task.parent is None:
        task.position = _next_position(project, task.parent)
    task.board_position = _next_board_position(project, task.status)
    task.save()
    audit.audit_create(actor=actor, obj=task, customer_id=project.customer_id)
    project_recompute(actor=actor, project=project)
    task.refresh_from_db()
    return task


@transaction.atomic
def task_update(
    *, actor: Any, project_id: Any, task_id: Any, data: Mapping[str, Any], version: int | None
) -> Task:
    project = project_lock(actor, project_id)
    task = _task_of(project, task_id)
    check_version(task, version)
    before = audit.snapshot(task)
    old_status = task.status
    _apply(project, task, data)
    if task.status != old_status:
        task.board_position = _next_board_position(project, task.status)
        if task.status == TaskStatus.DONE and "progress" not in data:
            task.progress = 100
    if not audit.diff(before, audit.snapshot(task, before.keys())):
        return task
    task.version += 1
    task.save()
    audit.audit_update(actor=actor, obj=task, before=before, customer_id=project.customer_id)
    project_recompute(actor=actor, project=project)
    if audit.diff({k: before[k] for k in _KPI_FIELDS}, audit.snapshot(task, _KPI_FIELDS)):
        _kpi_moved(project)
    task.refresh_from_db()
    return task


@transaction.atomic
def task_reschedule(
    *, actor: Any, project_id: Any, task_id: Any, start: Any, version: int | None
) -> cpm.Schedule:
    """The drag on the Gantt: the task starts no earlier than ``start`` (its successors
    follow through their links); the schedule is recomputed and returned."""
    project = project_lock(actor, project_id)
    task = _task_of(project, task_id)
    check_version(task, version)
    day = _date(start, "start")
    if day is None:
        raise ValidationFailed({"start": _("这个字段是必填项。")})
    if task.is_summary:
        raise ValidationFailed({"task_id": _("摘要任务的日期由其子任务决定。")})
    before = audit.snapshot(task, ["start_no_earlier"])
    task.start_no_earlier = day if day > project.start_date else None
    if task.start_no_earlier != before["start_no_earlier"]:
        task.version += 1
        task.save(update_fields=["start_no_earlier", "version", "updated_at"])
        audit.audit_update(actor=actor, obj=task, before=before, customer_id=project.customer_id)
    return project_recompute(actor=actor, project=project)


@transaction.atomic
def task_delete(*, actor: Any, project_id: Any, task_id: Any, version: int | None) -> None:
    """Delete a task with its sub-tasks and their links."""
    project = project_lock(actor, project_id)
    task = _task_of(project, task_id)
    check_version(task, version)
    audit.audit_delete(actor=actor, obj=task, customer_id=project.customer_id)
    task.delete()
    project_recompute(actor=actor, project=project)
    _kpi_moved(project)  # its baseline row lost its progress: EV moved


def _next_board_position(project: Project, status: str) -> int:
    last = (
        Task.objects.filter(project=project, status=status)
        .order_by("-board_position")
        .values_list("board_position", flat=True)
        .first()
    )
    return (last or 0) + 1


@transaction.atomic
def task_move_card(
    *,
    actor: Any,
    project_id: Any,
    task_id: Any,
    status: Any,
    before_id: Any = None,
    version: int | None,
) -> Task:
    """The kanban's drop: the card goes to ``status``, above ``before_id`` (or last).
    The column is renumbered in one pass (a plan's column holds tens of cards)."""
    project = project_lock(actor, project_id)
    task = _task_of(project, task_id)
    check_version(task, version)
    if status not in TaskStatus.values:
        raise ValidationFailed({"status": _("无效的选项。")})
    before = audit.snapshot(task, ["status", "board_position", "progress"])
    column = list(
        Task.objects.filter(project=project, status=status)
        .exclude(pk=task.pk)
        .order_by("board_position", "id")
    )
    index = len(column)
    if before_id not in (None, ""):
        ids = [t.pk for t in column]
        try:
            index = ids.index(_int_in(before_id, "before_id", 1, MAX_ID))
        except ValueError:
            raise ValidationFailed({"before_id": _("该卡片不在这一列。")}) from None
    task.status = status
    if status == TaskStatus.DONE:
        task.progress = 100
    column.insert(index, task)
    for position, card in enumerate(column, start=1):
        card.board_position = position
    Task.objects.bulk_update([c for c in column if c.pk != task.pk], ["board_position"])
    task.version += 1
    task.save(update_fields=["status", "board_position", "progress", "version", "updated_at"])
    audit.audit_update(actor=actor, obj=task, before=before, customer_id=project.customer_id)
    if before["progress"] != task.progress:
        project_recompute(actor=actor, project=project)
    if before["progress"] != task.progress or before["status"] != task.status:
        _kpi_moved(project)
    return task


# --- links ---------------------------------------------------------------------------------


@transaction.atomic
def link_create(
    *,
    actor: Any,
    project_id: Any,
    predecessor_id: Any,
    successor_id: Any,
    type: Any = "FS",
    lag_days: Any = 0,
) -> TaskLink:
    """A dependency; a cycle is refused naming its tasks (``links``), a lag beyond
    ±``MAX_LAG_DAYS`` working days naming ``lag_days``."""
    project = project_lock(actor, project_id)
    if type not in LinkType.values:
        raise ValidationFailed({"type": _("无效的选项。")})
    lag = _int_in(lag_days, "lag_days", -MAX_LAG_DAYS, MAX_LAG_DAYS)
    predecessor = _task_of(project, predecessor_id, "predecessor_id")
    successor = _task_of(project, successor_id, "successor_id")
    if predecessor.pk == successor.pk:
        raise ValidationFailed({"successor_id": _("任务不能依赖它自己。")})
    if TaskLink.objects.filter(predecessor=predecessor, successor=successor).exists():
        raise Conflict(_("这两个任务之间已有依赖。"), field="successor_id")
    link = TaskLink(
        project=project, predecessor=predecessor, successor=successor, type=type, lag_days=lag
    )
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:
        raise Conflict(_("这两个任务之间已有依赖。"), field="successor_id") from None
    audit.audit_create(actor=actor, obj=link, customer_id=project.customer_id)
    project_recompute(actor=actor, project=project)
    return link


@transaction.atomic
def link_delete(*, actor: Any, project_id: Any, link_id: Any) -> None:
    project = project_lock(actor, project_id)
    link = (
        TaskLink.objects.filter(project=project, pk=link_id).first()
        if (isinstance(link_id, int) and 1 <= link_id <= MAX_ID)
        else None
    )
    if link is None:
        raise NotFound(_("依赖不存在。"), field="link_id")
    audit.audit_delete(actor=actor, obj=link, customer_id=project.customer_id)
    link.delete()
    project_recompute(actor=actor, project=project)
