"""MS Project interchange (issue 14 item 5): a plan file becomes a project's tasks and
links, and a project's computed schedule becomes a plan file (``mspdi``).

Import is all or nothing: the file is read and checked in full (``mspdi.parse``: hostile
XML, limits, cycles), then the project, its tasks and links are written in one
transaction with their audit rows and a timeline entry on the customer, and the schedule
is computed; anything refused leaves nothing behind.

Units: the file counts working minutes, the project working days. A duration becomes the
whole working days it needs (4 hours take a day), a lag the nearest whole day; a plan we
wrote ourselves (whole days) comes back unchanged. A task's assigned resource becomes its
assignee when a staff user of that name exists (username or display name), and joins the
project's team.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.accounts.services import security_log
from guanxi.core import audit, calendar
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.models import Customer
from guanxi.projects import mspdi, selectors
from guanxi.projects.models import (
    MAX_DURATION_DAYS,
    MAX_ESTIMATE_HOURS,
    MAX_LAG_DAYS,
    MAX_OUTLINE_DEPTH,
    Project,
    ProjectMember,
    Task,
    TaskLink,
)

__all__ = [
    "PlanImport",
    "customer_by_name",
    "plan_apply",
    "plan_export",
    "plan_file_name",
    "plan_import",
]

DAY_START: Final = dt.time(8, 0)
DAY_END: Final = dt.time(17, 0)
MINUTES_PER_DAY: Final = 480


@dataclass(frozen=True)
class PlanImport:
    project: Project
    tasks: int
    links: int


def customer_by_name(*, actor: Any, name: str) -> Customer:
    """The one customer named ``name`` the actor may read (the command line's
    ``--customer``); a clear error when none or several match."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationFailed({"customer": _("请填写客户名称（最多 200 个字符）。")})
    qs = Customer.objects.filter(name=name)
    if actor is not None:
        qs = permissions.scope_customers(actor, qs)
    found = list(qs.only("id", "name", "owner_id", "team_id")[:2])
    if not found:
        raise ValidationFailed({"customer": _("没有名为“%(name)s”的客户。") % {"name": name}})
    if len(found) > 1:
        raise ValidationFailed(
            {"customer": _("有多个名为“%(name)s”的客户，请用客户编号。") % {"name": name}}
        )
    return found[0]


def _days(minutes: int, per_day: int) -> int:
    return math.ceil(minutes / per_day) if minutes > 0 else 0


def _match_people(names: set[str]) -> dict[str, User]:
    if not names:
        return {}
    users = User.objects.filter(
        Q(username__in=names) | Q(display_name__in=names), is_active=True
    ).exclude(role="portal")
    out: dict[str, User] = {}
    for user in users.order_by("id"):
        for key in (user.username, user.display_name):
            if key in names:
                out.setdefault(key, user)
    return out


def _check_numbers(plan: mspdi.Plan) -> None:
    per_day = plan.minutes_per_day
    for task in plan.tasks:
        where = _("任务“%(name)s”（UID %(uid)s）") % {"name": task.name, "uid": task.uid}
        if task.outline_level > MAX_OUTLINE_DEPTH:
            raise mspdi.MspdiError(
                _("%(where)s的大纲级别超过 %(max)s 级。")
                % {"where": where, "max": MAX_OUTLINE_DEPTH}
            )
        if _days(task.duration_minutes, per_day) > MAX_DURATION_DAYS:
            raise mspdi.MspdiError(
                _("%(where)s的工期超过 %(max)s 个工作日。")
                % {"where": where, "max": MAX_DURATION_DAYS}
            )
        if task.work_minutes and Decimal(task.work_minutes) / 60 > MAX_ESTIMATE_HOURS:
            raise mspdi.MspdiError(
                _("%(where)s的工时超过 %(max)s 小时。")
                % {"where": where, "max": MAX_ESTIMATE_HOURS}
            )
        for link in task.links:
            if abs(round(link.lag_minutes / per_day)) > MAX_LAG_DAYS:
                raise mspdi.MspdiError(
                    _("%(where)s的链接延隔超过 %(max)s 个工作日。")
                    % {"where": where, "max": MAX_LAG_DAYS}
                )


def plan_apply(
    *,
    actor: Any,
    project: Project,
    plan: mspdi.Plan,
    reschedule: Callable[[Project], Any] | None = None,
) -> PlanImport:
    """Write ``plan``'s tasks and links into ``project``, which must have no tasks yet;
    audited in bulk, in the caller's transaction. ``reschedule`` computes and stores the
    schedule afterwards (the planning service's)."""
    _check_numbers(plan)
    if Task.objects.filter(project=project).exists():
        raise ValidationFailed({"file": _("项目已有任务，只能把计划导入空项目。")})
    per_day = plan.minutes_per_day
    parents = plan.parent_uids()
    people = _match_people({t.resource for t in plan.tasks if t.resource})
    positions: dict[int | None, int] = {}
    by_uid: dict[int, Task] = {}
    # Level by level, so a child's parent has its id when the child is inserted.
    depth = max((t.outline_level for t in plan.tasks), default=0)
    for level in range(1, depth + 1):
        batch = []
        for t in plan.tasks:
            if t.outline_level != level:
                continue
            parent_uid = parents[t.uid]
            positions[parent_uid] = positions.get(parent_uid, 0) + 1
            assignee = people.get(t.resource) if t.resource else None
            work = Decimal(t.work_minutes or 0) / 60
            task = Task(
                project=project,
                parent=by_uid[parent_uid] if parent_uid is not None else None,
                position=positions[parent_uid],
                outline=t.outline_number[:60],
                name=t.name[:200],
                notes=t.notes[:4000],
                estimate_hours=work.quantize(Decimal("0.01")),
                duration_days=0 if t.milestone else _days(t.duration_minutes, per_day),
                milestone=t.milestone,
                assignee=assignee,
                progress=max(0, min(100, t.percent_complete)),
                start_no_earlier=t.start_no_earlier.date() if t.start_no_earlier else None,
                is_summary=t.summary,
            )
            batch.append((t.uid, task))
        Task.objects.bulk_create([task for _uid, task in batch])
        by_uid.update(batch)
    links: list[TaskLink] = []
    seen: set[tuple[int, int]] = set()
    for t in plan.tasks:
        for link in t.links:
            pair = (link.predecessor_uid, t.uid)
            if pair in seen:
                continue
            seen.add(pair)
            links.append(
                TaskLink(
                    project=project,
                    predecessor=by_uid[link.predecessor_uid],
                    successor=by_uid[t.uid],
                    type=link.type,
                    lag_days=round(link.lag_minutes / per_day),
                )
            )
    TaskLink.objects.bulk_create(links, batch_size=1000)
    members = set(ProjectMember.objects.filter(project=project).values_list("user_id", flat=True))
    new_members = [
        ProjectMember(project=project, user=u, allocation=100)
        for u in {u.pk: u for u in people.values()}.values()
        if u.pk not in members
    ]
    ProjectMember.objects.bulk_create(new_members)
    audit.audit_bulk_create(actor=actor, objs=by_uid.values(), customer_attr=None)
    audit.audit_bulk_create(actor=actor, objs=links, customer_attr=None)
    audit.audit_bulk_create(actor=actor, objs=new_members, customer_attr=None)
    if reschedule is not None:
        reschedule(project)
    return PlanImport(project=project, tasks=len(by_uid), links=len(links))


@transaction.atomic(durable=True)
def plan_import(*, actor: Any, data: bytes, customer_id: Any, name: str = "") -> PlanImport:
    """A new project on the customer, with the plan file's tasks, links and schedule; all
    or nothing. A user goes through ``project_create`` (its rights, gates, team and
    timeline entry); the system (the command line without ``--as``) gets the same project
    without a manager."""
    from guanxi.projects.services import projects as project_services
    from guanxi.projects.services.plan import CycleRefused, project_recompute

    if actor is not None and not permissions.can_create_project(actor):
        raise PermissionDenied(_("你的角色不能创建项目。"))
    plan = mspdi.parse(data)
    if not plan.tasks:
        raise mspdi.MspdiError(_("文件里没有任务。"))
    title = (name or "").strip() or plan.name or _("导入的项目计划")
    if len(title) > 200:
        raise ValidationFailed({"name": _("项目名称最多 200 个字符。")})
    start = (plan.start or timezone.now()).date()
    fields = {"name": title, "start_date": start}
    if actor is not None:
        cid = int(customer_id) if _valid_id(customer_id) else 0
        try:
            project = project_services.project_create(actor=actor, customer_id=cid, data=fields)
        except NotFound as exc:
            raise ValidationFailed({"customer": exc.message}) from None
    else:
        customer = Customer.objects.filter(pk=customer_id).first() if _valid_id(
            customer_id) else None  # fmt: skip
        if customer is None:
            raise ValidationFailed({"customer": _("客户不存在。")})
        project = Project.objects.create(customer=customer, **fields)
        project_services._create_gates(project)
        audit.audit_create(actor=None, obj=project, customer_id=customer.pk)
        project_services._timeline(project, None, gettext_noop("项目 %(name)s 启动"))
    try:
        result = plan_apply(
            actor=actor, project=project, plan=plan,
            reschedule=lambda p: project_recompute(actor=actor, project=p),
        )  # fmt: skip
    except CycleRefused as exc:
        # A link on a summary task that runs into its own children: a cycle the file's
        # links alone do not show, named by the schedule.
        raise mspdi.MspdiError(exc.message) from None
    project_services._timeline(
        project, actor, gettext_noop("导入项目计划 %(name)s：%(tasks)s 个任务"),
        {"tasks": result.tasks},
    )  # fmt: skip
    return result


# --- export -----------------------------------------------------------------------------


def _at(day: dt.date | None, time: dt.time) -> dt.datetime | None:
    return dt.datetime.combine(day, time) if day is not None else None


def _exceptions(start: dt.date, finish: dt.date) -> list[mspdi.PlanException]:
    """The platform calendar's holidays on weekdays and make-up working days (调休) on
    weekends between ``start`` and ``finish``, as MSPDI calendar exceptions."""
    out: list[mspdi.PlanException] = []
    day = start
    while day <= finish:
        working = calendar.is_working_day(day)
        if working != (day.isoweekday() <= 5):
            name = calendar.holiday_name(day) or (_("调休上班") if working else "")
            last = out[-1] if out else None
            if (last is not None and last.working == working and last.name == name
                    and last.finish == day - dt.timedelta(days=1)):  # fmt: skip
                last.finish = day
            else:
                out.append(mspdi.PlanException(day, day, working, name[:255]))
        day += dt.timedelta(days=1)
    return out


def plan_export(*, actor: Any, project_id: Any) -> tuple[Project, bytes]:
    """The project's plan and last computed schedule as an MSPDI file (the actor must read
    the project); security-logged as an export."""
    if actor is not None and not selectors.can_use(actor):
        raise PermissionDenied(_("你的角色不能使用此功能。"))
    if actor is None:
        project = Project.objects.filter(pk=project_id).first() if _valid_id(project_id) else None
        if project is None:
            raise NotFound(_("项目不存在。"), field="project_id")
    else:
        project = selectors.project_get(actor=actor, project_id=project_id)
    rows = list(
        Task.objects.filter(project=project).select_related("assignee").order_by("outline", "id")
    )
    children: dict[int | None, list[Task]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    for siblings in children.values():
        siblings.sort(key=lambda r: (r.position, r.id))
    ordered: list[tuple[Task, int]] = []
    stack: list[tuple[Task, int]] = [(r, 1) for r in reversed(children.get(None, []))]
    while stack:
        row, level = stack.pop()
        ordered.append((row, level))
        stack.extend((c, level + 1) for c in reversed(children.get(row.pk, [])))
    preds: dict[int, list[mspdi.PlanLink]] = {}
    for link in TaskLink.objects.filter(project=project).order_by("id"):
        preds.setdefault(link.successor_id, []).append(
            mspdi.PlanLink(link.predecessor_id, link.type, link.lag_days * MINUTES_PER_DAY)
        )
    tasks = []
    for row, level in ordered:
        summary = row.pk in children
        tasks.append(
            mspdi.PlanTask(
                uid=row.pk,
                name=row.name,
                outline_level=level,
                outline_number=row.outline,
                duration_minutes=(0 if row.milestone else row.duration_days) * MINUTES_PER_DAY,
                work_minutes=int(row.estimate_hours * 60) if row.estimate_hours else None,
                start=_at(row.start_date, DAY_START),
                finish=_at(row.finish_date, DAY_END),
                milestone=row.milestone,
                summary=summary,
                percent_complete=row.progress,
                notes=row.notes,
                start_no_earlier=_at(row.start_no_earlier, DAY_START),
                resource=(row.assignee.display_name or row.assignee.username)
                if row.assignee
                else "",
                links=preds.get(row.pk, []),
                early_start=_at(row.start_date, DAY_START),
                early_finish=_at(row.finish_date, DAY_END),
                late_start=_at(row.late_start, DAY_START),
                late_finish=_at(row.late_finish, DAY_END),
                total_slack_minutes=None
                if row.total_float is None
                else row.total_float * MINUTES_PER_DAY,
                free_slack_minutes=None
                if row.free_float is None
                else row.free_float * MINUTES_PER_DAY,
                critical=row.critical,
            )
        )
    finish = project.scheduled_finish or project.due_date or project.start_date
    cal = mspdi.PlanCalendar(
        uid=1, name=_("标准"), exceptions=_exceptions(project.start_date, max(finish,
                                                                              project.start_date))
    )  # fmt: skip
    plan = mspdi.Plan(
        name=project.name,
        start=_at(project.start_date, DAY_START),
        finish=_at(finish, DAY_END),
        calendar_uid=1,
        calendars=[cal],
        tasks=tasks,
    )
    data = mspdi.render(plan)
    security_log(
        actor=actor, event="project_plan_export", project=project.pk, tasks=len(tasks),
        at=timezone.now().isoformat(),
    )  # fmt: skip
    return project, data


def _valid_id(value: Any) -> bool:
    try:
        return 1 <= int(value) <= 2**63 - 1
    except (TypeError, ValueError):
        return False


def plan_file_name(project: Project) -> str:
    """A download name: the project's code or id, ASCII-safe."""
    base = project.code or f"project-{project.pk}"
    safe = "".join(c if (c.isalnum() and c.isascii()) or c in "-_" else "_" for c in base)
    return f"{safe or 'project'}.xml"
