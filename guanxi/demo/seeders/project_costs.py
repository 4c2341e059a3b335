"""The demo's time and cost (``projects``, issue 15 item 1): hourly cost rates by project
role and for some people (one raised mid-way), six weeks of timesheets of each project's
team (approved mostly, last week submitted, this week drafts, a few rejected), and cost
entries in every state — below the approval limit approved on submit, above it through
the "项目成本审批" flow (pending, approved, rejected). Runs after the projects seeders and
draws only from ``ctx.rng``; with no projects it does nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final

from guanxi.accounts.models import Role, User
from guanxi.approvals.models import ApproverKind, Flow, FlowStep
from guanxi.approvals.selectors import request_for_document
from guanxi.approvals.services import approval_decide
from guanxi.core import audit
from guanxi.demo.context import Context
from guanxi.projects.models import (
    CostCategory,
    CostRate,
    Project,
    ProjectMember,
    ProjectStatus,
    Task,
    TimeEntry,
    TimeStatus,
)
from guanxi.projects.services import costs, timesheets

WEEKS: Final = 6
MAX_PROJECTS: Final = 12
ROLE_RATES: Final = {
    "项目经理": Decimal("380"),
    "客户经理": Decimal("300"),
    "架构师": Decimal("420"),
    "开发工程师": Decimal("260"),
    "测试工程师": Decimal("200"),
    "实施顾问": Decimal("280"),
    "培训讲师": Decimal("220"),
}
DEFAULT_ROLE_RATE: Final = Decimal("240")
# (category, description, low, high) in yuan
COSTS: Final = [
    (CostCategory.TRAVEL, "客户现场差旅（高铁、住宿）", 800, 4_000),
    (CostCategory.MATERIALS, "服务器内存与硬盘", 2_000, 30_000),
    (CostCategory.SUBCONTRACTING, "数据迁移外包", 20_000, 80_000),
    (CostCategory.OTHER, "客户培训场地租用", 1_000, 6_000),
    (CostCategory.TRAVEL, "项目启动会差旅", 1_500, 7_000),
]


def _rates(ctx: Context, members: list[ProjectMember]) -> None:
    first = ctx.today - dt.timedelta(days=365)
    roles = sorted({m.role for m in members if m.role})
    rates = [
        CostRate(role=role, hourly_rate=ROLE_RATES.get(role, DEFAULT_ROLE_RATE), valid_from=first)
        for role in roles
    ]
    people = sorted({m.user_id for m in members})
    for user_id in ctx.rng.sample(people, k=min(len(people), 3)):
        base = Decimal(ctx.rng.randrange(240, 460, 20))
        rates.append(CostRate(user_id=user_id, hourly_rate=base, valid_from=first))
        raised = ctx.today - dt.timedelta(days=ctx.rng.randint(14, 30))
        rates.append(CostRate(user_id=user_id, hourly_rate=base + 40, valid_from=raised))
    CostRate.objects.bulk_create(rates)
    audit.audit_bulk_create(actor=None, objs=rates, customer_attr=None)


def _timesheets(ctx: Context, projects: list[Project], members: list[ProjectMember]) -> int:
    rng = ctx.rng
    monday = ctx.today - dt.timedelta(days=ctx.today.weekday())
    first_monday = monday - dt.timedelta(days=7 * (WEEKS - 1))
    leaves: dict[int, list[int]] = {}
    for task_id, project_id in (
        Task.objects.filter(project__in=projects, is_summary=False, milestone=False)
        .order_by("project_id", "tree_key", "id")
        .values_list("id", "project_id")
    ):
        leaves.setdefault(project_id, []).append(task_id)
    by_project = {p.pk: p for p in projects}
    day_hours: dict[tuple[int, dt.date], Decimal] = {}
    entries: list[TimeEntry] = []
    approved_at = ctx.at(ctx.today)
    for member in members:
        project = by_project[member.project_id]
        tasks = leaves.get(project.pk)
        if not tasks:
            continue
        share = Decimal(member.allocation) / 100
        for day_index in range(7 * WEEKS):
            day = first_monday + dt.timedelta(days=day_index)
            if day > ctx.today or day.weekday() >= 5 or day < project.start_date:
                continue
            hours = (Decimal(rng.choice((4, 6, 8))) * share).quantize(Decimal("0.5"))
            used = day_hours.get((member.user_id, day), Decimal("0"))
            if hours <= 0 or used + hours > 10:
                continue
            day_hours[(member.user_id, day)] = used + hours
            week_monday = day - dt.timedelta(days=day.weekday())
            if week_monday == monday:
                status = TimeStatus.DRAFT
            elif week_monday == monday - dt.timedelta(days=7):
                status = TimeStatus.SUBMITTED
            else:
                status = rng.choices([TimeStatus.APPROVED, TimeStatus.REJECTED], [24, 1])[0]
            decided = status in (TimeStatus.APPROVED, TimeStatus.REJECTED)
            entries.append(
                TimeEntry(
                    user_id=member.user_id,
                    project=project,
                    task_id=rng.choice(tasks),
                    date=day,
                    hours=hours,
                    status=status,
                    note="" if rng.random() < 0.8 else "与客户确认需求细节",
                    submitted_at=approved_at if status != TimeStatus.DRAFT else None,
                    approved_by_id=project.manager_id if status == TimeStatus.APPROVED else None,
                    approved_at=approved_at if decided else None,
                    reject_reason="工时与任务不符，请调整后重新提交"
                    if status == TimeStatus.REJECTED
                    else "",
                )
            )
    # One entry per person, task and day: the random task choice may repeat one.
    unique: dict[tuple[int, int, dt.date], TimeEntry] = {}
    for entry in entries:
        unique.setdefault((entry.user_id, entry.task_id, entry.date), entry)
    rows = list(unique.values())
    timesheets.price_time_entries(rows)  # approved time carries its cost, as approval sets
    TimeEntry.objects.bulk_create(rows, batch_size=1000)
    audit.audit_bulk_create(actor=None, objs=rows, customer_attr=None)
    return len(rows)


def _approver(ctx: Context) -> User | None:
    return next((u for u in ctx.users.values() if u.role == Role.MANAGER), None)


def _flow(approver: User) -> None:
    if Flow.objects.filter(document_type=costs.DOCUMENT_COST, active=True).exists():
        return
    flow = Flow.objects.create(
        document_type=costs.DOCUMENT_COST,
        name="项目成本审批",
        description="超过审批限额的项目成本（材料、差旅、分包）由部门经理审批。",
    )
    FlowStep.objects.create(
        flow=flow, position=1, name="部门经理审批", approver_kind=ApproverKind.USER,
        user=approver,
    )  # fmt: skip


def _cost_entries(ctx: Context, projects: list[Project], approver: User | None) -> int:
    rng = ctx.rng
    limit = costs.approval_limit()
    made = 0
    users = {u.pk: u for u in ctx.users.values()}
    for i, project in enumerate(projects):
        manager = users.get(project.manager_id or 0)
        if manager is None:
            continue
        task_ids = list(
            Task.objects.filter(project=project, is_summary=False).values_list("id", flat=True)
        )
        for j, (category, text, low, high) in enumerate(COSTS):
            amount = Decimal(rng.randint(low, high))
            day = ctx.day_between(max(project.start_date, ctx.today - dt.timedelta(days=60)),
                                  ctx.today)  # fmt: skip
            entry = costs.cost_entry_create(
                actor=manager, project_id=project.pk,
                data={"category": category, "amount": amount, "date": day, "description": text,
                      "task_id": rng.choice(task_ids) if task_ids and j % 2 else None},
            )  # fmt: skip
            made += 1
            # Every state: the last one stays a draft; above the limit one waits, one is
            # rejected, the others approved by the flow.
            state = (i + j) % 5
            if state == 4 or (amount > limit and approver is None):
                continue
            entry = costs.cost_entry_submit(actor=manager, entry_id=entry.pk, version=entry.version)
            if amount <= limit or state == 3 or approver is None:
                continue
            request = request_for_document(document_type=costs.DOCUMENT_COST, object_id=entry.pk)
            if request is None:
                continue
            rejected = state == 2
            approval_decide(
                actor=approver, request_id=request.pk,
                decision="reject" if rejected else "approve", version=request.version,
                comment="请补充发票后重新提交" if rejected else "同意",
            )  # fmt: skip
    return made


def seed_project_costs(ctx: Context) -> None:
    projects = list(
        Project.objects.filter(status__in=(ProjectStatus.ACTIVE, ProjectStatus.CLOSED))
        .select_related("customer")
        .order_by("id")[:MAX_PROJECTS]
    )
    if not projects:
        return
    members = list(
        ProjectMember.objects.filter(project__in=projects)
        .exclude(user__role=Role.PORTAL)
        .order_by("project_id", "id")
    )
    _rates(ctx, members)
    ctx.counts["time_entries"] = _timesheets(ctx, projects, members)
    approver = _approver(ctx)
    if approver is not None:
        _flow(approver)
    ctx.counts["cost_entries"] = _cost_entries(ctx, projects, approver)
    ctx.log(f"工时 {ctx.counts['time_entries']}，成本记录 {ctx.counts['cost_entries']}")
