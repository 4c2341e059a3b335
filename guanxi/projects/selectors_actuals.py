"""A project's actuals (SPEC E3): approved hours, and the actual cost (AC) — approved time
× the person's rate on that day, plus approved cost entries — by day and by task.

Approval prices each entry once (``TimeEntry.cost``, see ``services.timesheets``), so AC
is a grouped sum in the database, not a pricing loop over every entry of the project.

These take a project id the caller already resolved for the actor (``project_get``): they
are the numbers of one project, for earned value and the cost tab, not a scoped list.
Each time entry's cost is rounded to cents on its own (when it is priced), so the totals
by day and by task add up to the same amount.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.core.errors import NotFound
from guanxi.core.limits import MAX_ID
from guanxi.core.money import CENT
from guanxi.projects.models import (
    CostEntry,
    CostRate,
    CostStatus,
    Project,
    ProjectMember,
    Task,
    TimeEntry,
    TimeStatus,
)

__all__ = [
    "ApprovalGroup",
    "RateTable",
    "Week",
    "WeekRow",
    "actual_cost_by_category",
    "actual_cost_by_day",
    "actual_cost_by_task",
    "actual_cost_total",
    "actual_hours_by_task",
    "can_approve_time",
    "cost_entry_get",
    "cost_entry_list",
    "cost_rate_list",
    "loggable_tasks",
    "rate_people",
    "rate_table",
    "reopenable_time_entries",
    "time_approval_queue",
    "time_entries",
    "time_rates",
    "timesheet_week",
]

ZERO = Decimal("0")
#: The key of cost entries on no task in ``actual_cost_by_task``.
NO_TASK = 0


@dataclass
class _Series:
    days: list[dt.date] = field(default_factory=list)
    rates: list[Decimal] = field(default_factory=list)

    def on(self, day: dt.date) -> Decimal | None:
        index = bisect.bisect_right(self.days, day) - 1
        return self.rates[index] if index >= 0 else None


@dataclass
class RateTable:
    """Cost rates in memory: the rate of a person (or else of their role) on a day."""

    by_user: dict[int, _Series] = field(default_factory=dict)
    by_role: dict[str, _Series] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Iterable[tuple[int | None, str, dt.date, Decimal]]) -> RateTable:
        table = cls()
        for user_id, role, valid_from, rate in sorted(rows, key=lambda r: r[2]):
            series = (
                table.by_user.setdefault(user_id, _Series())
                if user_id is not None
                else table.by_role.setdefault(role, _Series())
            )
            series.days.append(valid_from)
            series.rates.append(rate)
        return table

    def rate(self, user_id: int, role: str, day: dt.date) -> Decimal:
        """The latest person rate valid on ``day``; else the role's; else zero."""
        person = self.by_user.get(user_id)
        found = person.on(day) if person is not None else None
        if found is None and role:
            series = self.by_role.get(role)
            found = series.on(day) if series is not None else None
        return found if found is not None else ZERO


def rate_table(*, user_ids: Iterable[int] | None = None, roles: Iterable[str] = ()) -> RateTable:
    """The rates of these people and roles (all rates when ``user_ids`` is ``None``)."""
    qs = CostRate.objects.all()
    if user_ids is not None:
        qs = qs.filter(Q(user_id__in=list(user_ids)) | Q(user__isnull=True, role__in=list(roles)))
    return RateTable.of(qs.values_list("user_id", "role", "valid_from", "hourly_rate"))


def time_rates(entries: Iterable[TimeEntry]) -> list[Decimal]:
    """The hourly rate of each entry's person on its day (their rate, else their role's on
    the entry's project, else zero), in order: what approval prices the entries at (two
    queries for any number of entries and projects)."""
    entries = list(entries)
    if not entries:
        return []
    roles = {
        (project_id, user_id): role
        for project_id, user_id, role in ProjectMember.objects.filter(
            project_id__in={e.project_id for e in entries}
        ).values_list("project_id", "user_id", "role")
    }
    table = rate_table(user_ids={e.user_id for e in entries}, roles=set(roles.values()) - {""})
    return [
        table.rate(e.user_id, roles.get((e.project_id, e.user_id), ""), e.date) for e in entries
    ]


def _approved_time(project_id: int) -> QuerySet[TimeEntry]:
    return TimeEntry.objects.filter(project_id=project_id, status=TimeStatus.APPROVED)


def _approved_costs(project_id: int) -> QuerySet[CostEntry]:
    return CostEntry.objects.filter(project_id=project_id, status=CostStatus.APPROVED)


def actual_cost_by_day(project_id: int) -> dict[dt.date, Decimal]:
    """AC by date: the approved time's priced cost plus approved cost entries (two grouped
    sums in the database)."""
    totals: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for day, cost in (
        _approved_time(project_id)
        .values("date")
        .annotate(total=Sum("cost"))
        .values_list("date", "total")
    ):
        totals[day] += cost
    for day, amount in (
        _approved_costs(project_id)
        .values("date")
        .annotate(total=Sum("amount"))
        .values_list("date", "total")
    ):
        totals[day] += amount
    # SQLite sums decimals to a bare number ("19581951"): cents, like every amount.
    return {day: totals[day].quantize(CENT) for day in sorted(totals)}


def actual_cost_by_task(project_id: int) -> dict[int, Decimal]:
    """AC by task id; approved cost entries on no task under key 0."""
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for task_id, cost in (
        _approved_time(project_id)
        .values("task_id")
        .annotate(total=Sum("cost"))
        .values_list("task_id", "total")
    ):
        totals[task_id] += cost
    for task_id, amount in (
        _approved_costs(project_id)
        .values("task_id")
        .annotate(total=Sum("amount"))
        .values_list("task_id", "total")
    ):
        totals[task_id or NO_TASK] += amount
    return {task_id: total.quantize(CENT) for task_id, total in totals.items()}


def actual_hours_by_task(project_id: int) -> dict[int, Decimal]:
    """Approved hours by task id."""
    return {
        task_id: hours
        for task_id, hours in _approved_time(project_id)
        .values("task_id")
        .annotate(total=Sum("hours"))
        .values_list("task_id", "total")
    }


def actual_cost_by_category(project_id: int) -> dict[str, Decimal]:
    """Approved cost entries by category, and approved time under ``"time"``."""
    time = _approved_time(project_id).aggregate(total=Sum("cost"))["total"]
    totals: dict[str, Decimal] = {"time": (time if time is not None else ZERO).quantize(CENT)}
    for category, amount in (
        _approved_costs(project_id)
        .values("category")
        .annotate(total=Sum("amount"))
        .values_list("category", "total")
    ):
        totals[category] = amount.quantize(CENT)
    return totals


def actual_cost_total(project_id: int) -> Decimal:
    return sum(actual_cost_by_category(project_id).values(), ZERO)


# --- the records behind the actuals, for pages and the API (scoped by the actor) ----------


def _readable_projects(actor: Any) -> QuerySet[Project]:
    from guanxi.projects import selectors

    return selectors.scope(actor, Project.objects.all())


def cost_entry_list(*, project: Project, status: str = "") -> QuerySet[CostEntry]:
    """The cost entries of a project the caller resolved with ``project_get``."""
    qs = CostEntry.objects.filter(project=project).select_related("task", "created_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-date", "-id")


def cost_entry_get(*, actor: Any, entry_id: Any) -> CostEntry:
    """One cost entry on a project the actor reads; 404 otherwise (also for a bad id)."""
    if isinstance(entry_id, bool) or not isinstance(entry_id, int) or not 1 <= entry_id <= MAX_ID:
        raise NotFound(_("成本记录不存在。"), field="entry_id")
    entry = (
        CostEntry.objects.select_related("project", "project__customer", "task", "created_by")
        .filter(pk=entry_id, project__in=_readable_projects(actor).values("pk"))
        .first()
    )
    if entry is None:
        raise NotFound(_("成本记录不存在。"), field="entry_id")
    return entry


def cost_rate_list() -> QuerySet[CostRate]:
    """Every cost rate (the rates page is for those who keep them:
    ``permissions.can_manage_cost_rates``)."""
    return CostRate.objects.select_related("user").order_by(
        "user__username", "role", "-valid_from", "id"
    )


def rate_people(limit: int = 1000) -> QuerySet[User]:
    """The people a rate may be for: active staff (no portal accounts)."""
    return (
        User.objects.filter(is_active=True)
        .exclude(role="portal")
        .only("id", "username", "display_name", "first_name", "last_name")
        .order_by("username")[:limit]
    )


def time_entries(
    *,
    actor: Any,
    user_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    status: str = "",
    project_id: int | None = None,
) -> QuerySet[TimeEntry]:
    """Time entries on projects the actor reads — their own, or (with ``user_id``) one
    person's; the actor's own when neither is given."""
    qs = TimeEntry.objects.filter(
        project__in=_readable_projects(actor).values("pk"),
        user_id=actor.pk if user_id is None else user_id,
    ).select_related("task", "project", "user")
    if date_from is not None:
        qs = qs.filter(date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(date__lte=date_to)
    if status:
        qs = qs.filter(status=status)
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    return qs.order_by("date", "task_id", "id")


@dataclass
class WeekRow:
    task: Task
    cells: list[TimeEntry | None]
    total: Decimal


@dataclass
class Week:
    monday: dt.date
    days: list[dt.date]
    rows: list[WeekRow]
    day_totals: list[Decimal]
    total: Decimal
    editable: bool  # some cell may still change (not all submitted or approved)
    submittable: int  # draft and rejected entries


def timesheet_week(*, actor: Any, monday: dt.date, extra_task_ids: Iterable[int] = ()) -> Week:
    """The actor's week grid: a row per task with hours that week (plus ``extra_task_ids``,
    the rows being added), totals per day and task (two queries)."""
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    entries = list(
        TimeEntry.objects.filter(user_id=actor.pk, date__gte=days[0], date__lte=days[-1])
        .select_related("task", "task__project")
        .order_by("task_id", "date")
    )
    by_task: dict[int, list[TimeEntry | None]] = {}
    tasks: dict[int, Task] = {}
    for entry in entries:
        tasks[entry.task_id] = entry.task
        by_task.setdefault(entry.task_id, [None] * 7)[(entry.date - monday).days] = entry
    extra = [i for i in extra_task_ids if i not in tasks]
    if extra:
        for task in Task.objects.filter(
            pk__in=extra, project__in=_readable_projects(actor).values("pk")
        ).select_related("project"):
            tasks[task.pk] = task
            by_task.setdefault(task.pk, [None] * 7)
    rows = [
        WeekRow(
            task=tasks[task_id],
            cells=cells,
            total=sum((c.hours for c in cells if c is not None), ZERO),
        )
        for task_id, cells in sorted(
            by_task.items(), key=lambda item: (tasks[item[0]].project.name, tasks[item[0]].tree_key)
        )
    ]
    day_totals = [ZERO] * 7
    for entry in entries:
        day_totals[(entry.date - monday).days] += entry.hours
    open_states = (TimeStatus.DRAFT, TimeStatus.REJECTED)
    return Week(
        monday=monday,
        days=days,
        rows=rows,
        day_totals=day_totals,
        total=sum(day_totals, ZERO),
        editable=not entries or any(e.status in open_states for e in entries),
        submittable=sum(1 for e in entries if e.status in open_states),
    )


def loggable_tasks(*, actor: Any, query: str = "", limit: int = 50) -> list[Task]:
    """Leaf tasks of active projects the actor is on (member or manager), for the "add a
    row" picker."""
    from guanxi.projects.models import ProjectStatus

    member_of = ProjectMember.objects.filter(user_id=actor.pk).values("project_id")
    qs = (
        Task.objects.filter(
            Q(project__in=member_of) | Q(project__manager_id=actor.pk),
            project__status=ProjectStatus.ACTIVE,
            is_summary=False,
        )
        .select_related("project")
        .order_by("project__name", "tree_key", "id")
    )
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(project__name__icontains=query))
    return list(qs[:limit])


def can_approve_time(actor: Any, *, person: User, project: Project) -> bool:
    """The project's manager, or someone whose write scope reaches the person — never the
    person themselves (an administrator excepted)."""
    if not permissions.can_use_projects(actor):
        return False
    if actor.is_superuser:
        return True
    if person.pk == actor.pk:
        return False
    if project.manager_id is not None and project.manager_id == actor.pk:
        return True
    return permissions.can_change_record(actor, owner_id=person.pk, team_id=person.team_id)


def reopenable_time_entries(*, actor: Any, limit: int = 50) -> list[TimeEntry]:
    """Approved (priced) entries the actor may take back with ``time_entries_reopen``:
    on projects the actor reads, of people whose time the actor may approve, the latest
    days first (at most ``limit``, one query)."""
    qs = TimeEntry.objects.filter(
        status=TimeStatus.APPROVED, project__in=_readable_projects(actor).values("pk")
    )
    if not actor.is_superuser:  # nobody approves, so nobody reopens, their own time
        qs = qs.exclude(user_id=actor.pk)
    entries = list(qs.select_related("user", "project", "task").order_by("-date", "-id")[:limit])
    allowed: dict[tuple[int, int], bool] = {}
    for entry in entries:
        key = (entry.user_id, entry.project_id)
        if key not in allowed:
            allowed[key] = can_approve_time(actor, person=entry.user, project=entry.project)
    return [e for e in entries if allowed[(e.user_id, e.project_id)]]


@dataclass
class ApprovalGroup:
    """One person's submitted entries of one week on one project, to approve together."""

    user: Any
    project: Project
    monday: dt.date
    entries: list[TimeEntry]
    hours: Decimal


def time_approval_queue(*, actor: Any, limit: int = 500) -> list[ApprovalGroup]:
    """Submitted entries the actor may approve, grouped by person, project and week."""
    qs = TimeEntry.objects.filter(
        status=TimeStatus.SUBMITTED, project__in=_readable_projects(actor).values("pk")
    )
    if not actor.is_superuser:  # nobody approves their own time
        qs = qs.exclude(user_id=actor.pk)
    entries = list(
        qs.select_related("user", "project", "task").order_by(
            "user_id", "project_id", "date", "id"
        )[:limit]
    )
    groups: dict[tuple[int, int, dt.date], ApprovalGroup] = {}
    allowed: dict[tuple[int, int], bool] = {}
    for entry in entries:
        key = (entry.user_id, entry.project_id)
        if key not in allowed:
            allowed[key] = can_approve_time(actor, person=entry.user, project=entry.project)
        if not allowed[key]:
            continue
        monday = entry.date - dt.timedelta(days=entry.date.weekday())
        group = groups.setdefault(
            (entry.user_id, entry.project_id, monday),
            ApprovalGroup(entry.user, entry.project, monday, [], ZERO),
        )
        group.entries.append(entry)
        group.hours += entry.hours
    return list(groups.values())
