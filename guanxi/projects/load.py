"""Resource load (SPEC E10): each person's planned hours per week across projects, against
the working hours of that week, with over-allocation flagged. Reads only, scoped by the
actor: the load counts the projects the actor may read (``selectors.project_filter``), so
a manager's heat map shows the work of the department's projects and a member's own panel
the projects they are on.

How a task loads its assignee: its hours are spread evenly over its scheduled working days
(the last schedule's ``start_date`` … ``finish_date``). A task with an estimate spreads the
estimate; one without spreads ``allocation %`` of a working day per day — the share of the
person's time the project's team list gives them (100 % when they are not on the list).
Done tasks, milestones and summary tasks (their work is their children's) load nobody.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from django.db.models import Q

from guanxi.accounts.models import User
from guanxi.core import calendar
from guanxi.projects import selectors
from guanxi.projects.models import Project, ProjectMember, Task, TaskStatus

__all__ = ["HOURS_PER_DAY", "MAX_WEEKS", "PersonLoad", "WeekLoad", "load_by_person", "week_start"]

HOURS_PER_DAY: Final = Decimal("8")
#: a heat map spans at most this many weeks (a year)
MAX_WEEKS: Final = 52
#: a load above this share of the week's working hours is over-allocation
OVER: Final = Decimal("1.00")
_ONE_DAY = dt.timedelta(days=1)


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


@dataclass
class WeekLoad:
    week: dt.date  # Monday
    hours: Decimal
    capacity: Decimal  # working hours of the week (holidays and 调休 counted)
    #: project id → hours
    projects: dict[int, Decimal] = field(default_factory=dict)

    @property
    def ratio(self) -> Decimal:
        if not self.capacity:
            return Decimal("0") if not self.hours else Decimal("9.99")
        return (self.hours / self.capacity).quantize(Decimal("0.01"))

    @property
    def percent(self) -> int:
        return int(self.ratio * 100)

    @property
    def over(self) -> bool:
        return self.ratio > OVER


@dataclass
class PersonLoad:
    user_id: int
    name: str
    weeks: list[WeekLoad]

    @property
    def over_weeks(self) -> int:
        return sum(1 for w in self.weeks if w.over)

    @property
    def peak(self) -> int:
        return max((w.percent for w in self.weeks), default=0)


def _working_days(start: dt.date, finish: dt.date) -> list[dt.date]:
    out, day = [], start
    while day <= finish:
        if calendar.is_working_day(day):
            out.append(day)
        day += _ONE_DAY
    return out


def load_by_person(
    *,
    actor: Any,
    start: dt.date,
    weeks: int = 12,
    user_ids: list[int] | None = None,
) -> list[PersonLoad]:
    """The weekly load of the people who have open tasks, in the projects ``actor`` reads,
    from the week of ``start`` for ``weeks`` weeks; ``user_ids`` narrows to those people.
    People are ordered by their peak load, the most loaded first. Three queries."""
    weeks = max(1, min(int(weeks), MAX_WEEKS))
    first = week_start(start)
    end = first + dt.timedelta(days=7 * weeks - 1)
    projects = Project.objects.all()
    q = selectors.project_filter(actor)
    if q is not None:
        projects = projects.filter(q)
    tasks = Task.objects.filter(
        project__in=projects.values("pk"),
        assignee__isnull=False,
        milestone=False,
        is_summary=False,
        start_date__isnull=False,
        start_date__lte=end,
    ).filter(Q(finish_date__gte=first) | Q(finish_date__isnull=True))
    tasks = tasks.exclude(status=TaskStatus.DONE)
    if user_ids is not None:
        tasks = tasks.filter(assignee_id__in=user_ids)
    rows = list(
        tasks.values_list(
            "project_id", "assignee_id", "start_date", "finish_date", "estimate_hours"
        )
    )
    pairs = {(p, u) for p, u, *_ in rows}
    allocation = {
        (p, u): Decimal(a)
        for p, u, a in ProjectMember.objects.filter(
            project_id__in={p for p, _ in pairs}, user_id__in={u for _, u in pairs}
        ).values_list("project_id", "user_id", "allocation")
    }
    days_cache: dict[tuple[dt.date, dt.date], list[dt.date]] = {}
    hours: dict[int, dict[dt.date, dict[int, Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(Decimal))
    )
    for project_id, user_id, task_start, task_finish, estimate in rows:
        if task_start is None:  # excluded by the query; for the type checker
            continue
        finish = task_finish or task_start
        key = (task_start, finish)
        days = days_cache.get(key)
        if days is None:
            days = days_cache[key] = _working_days(task_start, finish)
        if not days:
            continue
        if estimate:
            per_day = Decimal(estimate) / len(days)
        else:
            per_day = HOURS_PER_DAY * allocation.get((project_id, user_id), Decimal(100)) / 100
        for day in days:
            if first <= day <= end:
                hours[user_id][week_start(day)][project_id] += per_day
    capacity = {}
    for i in range(weeks):
        monday = first + dt.timedelta(days=7 * i)
        capacity[monday] = HOURS_PER_DAY * len(_working_days(monday, monday + dt.timedelta(days=6)))
    names = {
        u.pk: str(u)
        for u in User.objects.filter(pk__in=list(hours)).only(
            "id", "username", "first_name", "last_name", "display_name"
        )
    }
    out = []
    for user_id, by_week in hours.items():
        series = []
        for monday, cap in capacity.items():
            per_project = {
                p: h.quantize(Decimal("0.1")) for p, h in by_week.get(monday, {}).items()
            }
            total = sum(by_week.get(monday, {}).values(), Decimal("0")).quantize(Decimal("0.1"))
            series.append(WeekLoad(monday, total, cap, per_project))
        out.append(PersonLoad(user_id, names.get(user_id, str(user_id)), series))
    out.sort(key=lambda p: (-p.peak, p.name, p.user_id))
    return out
