"""Reads of projects, always scoped by the actor (``accounts.permissions.project_filter``):
a member sees their projects, an account manager the projects of their customers, a
manager the department's, an administrator all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.core.errors import NotFound
from guanxi.projects.cpm import CpmLink, CpmTask, Schedule, schedule
from guanxi.projects.models import (
    Deliverable,
    GateItem,
    PhaseGate,
    Project,
    ProjectMember,
    ProjectTemplate,
    Task,
    TaskLink,
)

__all__ = [
    "can_change",
    "can_use",
    "gantt_payload",
    "project_filter",
    "project_get",
    "project_list",
    "project_schedule",
    "task_list",
]


def can_use(actor: Any) -> bool:
    return permissions.can_use_projects(actor)


def _member_project_ids(actor: Any) -> QuerySet[Any]:
    return ProjectMember.objects.filter(user_id=actor.pk).values("project_id")


def project_filter(actor: Any) -> Q | None:
    if not getattr(actor, "is_authenticated", False):
        return Q(pk__in=[])
    return permissions.project_filter(actor, member_project_ids=_member_project_ids(actor))


def scope(actor: Any, qs: QuerySet[Project]) -> QuerySet[Project]:
    q = project_filter(actor)
    return qs if q is None else qs.filter(q)


def is_member(actor: Any, project: Project) -> bool:
    members = getattr(project, "_prefetched_objects_cache", {}).get("members")
    if members is not None:
        return any(m.user_id == actor.pk for m in members)
    return ProjectMember.objects.filter(project=project, user_id=actor.pk).exists()


def can_change(actor: Any, project: Project) -> bool:
    return permissions.can_change_project(
        actor,
        manager_id=project.manager_id,
        team_id=project.team_id,
        customer=project.customer,
        is_member=is_member(actor, project),
    )


def project_list(
    *,
    actor: Any,
    query: str = "",
    phase: str = "",
    status: str = "",
    customer_id: int | None = None,
) -> QuerySet[Project]:
    qs = scope(actor, Project.objects.select_related("customer", "manager"))
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(code__icontains=query))
    if phase:
        qs = qs.filter(phase=phase)
    if status:
        qs = qs.filter(status=status)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs


def project_get(*, actor: Any, project_id: Any, with_members: bool = True) -> Project:
    """One project the actor reads (with its team unless ``with_members`` is off); 404
    otherwise (also for a bad id)."""
    qs = scope(
        actor,
        Project.objects.select_related("customer", "manager", "opportunity", "parent", "contract"),
    )
    if with_members:
        qs = qs.prefetch_related(
            Prefetch("members", queryset=ProjectMember.objects.select_related("user"))
        )
    try:
        return qs.get(pk=project_id)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("项目不存在。"), field="project_id") from None


def task_choices(*, project: Project) -> QuerySet[Task]:
    """The tasks as choices (parent, dependency ends): outline and name only."""
    return (
        Task.objects.filter(project=project)
        .only("id", "outline", "name")
        .order_by("tree_key", "id")
    )


def task_list(
    *,
    project: Project,
    assignee_id: int | None = None,
    status: str = "",
    critical: bool | None = None,
    milestone: bool | None = None,
    query: str = "",
) -> QuerySet[Task]:
    """The tasks of a project the caller already resolved with ``project_get``."""
    qs = Task.objects.filter(project=project).select_related("assignee")
    if assignee_id is not None:
        qs = qs.filter(assignee_id=assignee_id)
    if status:
        qs = qs.filter(status=status)
    if critical is not None:
        qs = qs.filter(critical=critical)
    if milestone is not None:
        qs = qs.filter(milestone=milestone)
    if query:
        qs = qs.filter(name__icontains=query)
    return qs.order_by("tree_key", "id")


def link_list(*, project: Project) -> QuerySet[TaskLink]:
    return TaskLink.objects.filter(project=project).order_by("id")


def gates(*, project: Project) -> list[PhaseGate]:
    return list(
        PhaseGate.objects.filter(project=project)
        .prefetch_related(Prefetch("items", queryset=GateItem.objects.order_by("position", "id")))
        .order_by("id")
    )


def phase_csat(*, gates: Sequence[PhaseGate]) -> dict[str, Any]:
    """The customer's satisfaction per phase (the passed gates that have a score) and its
    average, from gates already read (``gates``) — no query."""
    scored = [g for g in gates if g.csat_score is not None]
    average = Decimal(sum(g.csat_score or 0 for g in scored)) / len(scored) if scored else None
    return {"phases": scored, "average": average, "count": len(scored)}


def templates() -> QuerySet[ProjectTemplate]:
    return ProjectTemplate.objects.filter(active=True).order_by("name")


def assignable_users(*, project: Project) -> QuerySet[User]:
    """Who a task may be given to: the project's manager and members."""
    ids = set(ProjectMember.objects.filter(project=project).values_list("user_id", flat=True))
    if project.manager_id:
        ids.add(project.manager_id)
    return User.objects.filter(pk__in=ids, is_active=True).order_by("username")


# --- the schedule --------------------------------------------------------------------------

_TASK_FIELDS = (
    "id",
    "parent_id",
    "name",
    "duration_days",
    "milestone",
    "start_no_earlier",
    "estimate_hours",
    "progress",
)


def plan_rows(project_id: int) -> tuple[list[CpmTask], list[CpmLink]]:
    """The project's plan as plain data for ``cpm.schedule`` (two queries)."""
    tasks = [
        CpmTask(
            id=row[0],
            parent=row[1],
            name=row[2],
            duration=0 if row[4] else row[3],
            start_no_earlier=row[5],
            work=row[6],
            progress=row[7],
        )
        for row in Task.objects.filter(project_id=project_id)
        .order_by("tree_key", "id")
        .values_list(*_TASK_FIELDS)
    ]
    links = [
        CpmLink(p, s, kind, lag)
        for p, s, kind, lag in TaskLink.objects.filter(project_id=project_id)
        .order_by("id")
        .values_list("predecessor_id", "successor_id", "type", "lag_days")
    ]
    return tasks, links


def project_schedule(*, project: Project) -> Schedule:
    tasks, links = plan_rows(project.pk)
    return schedule(tasks, links, start=project.start_date)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def gantt_payload(
    *, project: Project, tasks: Sequence[Mapping[str, Any]], links: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """What the Gantt page draws (frappe-gantt's task shape): stored schedule rows of the
    project, their dependencies, and which bars and arrows are critical."""
    deps: dict[int, list[str]] = {}
    critical_links: list[list[int]] = []
    critical = {t["id"] for t in tasks if t["critical"]}
    for link in links:
        deps.setdefault(link["successor_id"], []).append(str(link["predecessor_id"]))
        if link["predecessor_id"] in critical and link["successor_id"] in critical:
            critical_links.append([link["predecessor_id"], link["successor_id"]])
    bars = []
    for t in tasks:
        classes = []
        if t["critical"]:
            classes.append("gx-critical")
        if t["milestone"]:
            classes.append("gx-milestone")
        if t["is_summary"]:
            classes.append("gx-summary")
        start = t["start_date"] or project.start_date
        bars.append(
            {
                "id": str(t["id"]),
                "name": f"{t['outline']} {t['name']}".strip(),
                "start": _iso(start),
                "end": _iso(t["finish_date"] or start),
                "progress": t["progress"],
                "dependencies": ",".join(deps.get(t["id"], [])),
                "custom_class": " ".join(classes),
                "critical": t["critical"],
                "summary": t["is_summary"],
                "milestone": t["milestone"],
                "total_float": t["total_float"],
                "free_float": t["free_float"],
                "version": t["version"],
            }
        )
    return {
        "project": project.pk,
        "start": _iso(project.start_date),
        "finish": _iso(project.scheduled_finish),
        "tasks": bars,
        "critical_links": critical_links,
    }


GANTT_TASK_FIELDS = (
    "id",
    "outline",
    "name",
    "start_date",
    "finish_date",
    "progress",
    "critical",
    "milestone",
    "is_summary",
    "total_float",
    "free_float",
    "version",
)


def gantt(*, project: Project) -> dict[str, Any]:
    tasks = list(
        Task.objects.filter(project=project).order_by("tree_key", "id").values(*GANTT_TASK_FIELDS)
    )
    links = list(TaskLink.objects.filter(project=project).values("predecessor_id", "successor_id"))
    return gantt_payload(project=project, tasks=tasks, links=links)


def can_read(actor: Any, project: Project) -> bool:
    q = project_filter(actor)
    return q is None or Project.objects.filter(q, pk=project.pk).exists()


# --- the customer's own view (the portal) -----------------------------------------------------


def customer_projects(*, customer_id: int) -> QuerySet[Project]:
    """The projects of one customer company, for that company's portal accounts (the portal
    resolves the company from the account, so staff scope does not apply), newest first,
    with the mean progress of their work tasks as ``progress_avg`` (None: no tasks yet)."""
    return (
        Project.objects.filter(customer_id=customer_id)
        .select_related("manager")
        .annotate(progress_avg=Avg("tasks__progress", filter=Q(tasks__is_summary=False)))
        .order_by("-start_date", "-id")
    )


def customer_project_get(*, customer_id: int, project_id: Any) -> Project:
    """One project of the customer; 404 for another company's (or a missing) project."""
    try:
        return customer_projects(customer_id=customer_id).get(pk=project_id)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("项目不存在。"), field="project_id") from None


def project_milestones(*, project: Project) -> QuerySet[Task]:
    return (
        Task.objects.filter(project=project, milestone=True)
        .only("id", "name", "outline", "start_date", "finish_date", "progress", "status")
        .order_by("finish_date", "tree_key", "id")
    )


def project_deliverables(*, project: Project) -> QuerySet[Deliverable]:
    return Deliverable.objects.filter(project=project).order_by("due_date", "id")
