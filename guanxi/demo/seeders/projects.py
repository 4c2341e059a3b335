"""The demo's projects (``projects``): three plan templates (tasks in a tree, finish-to-start,
start-to-start, finish-to-finish and start-to-finish links with lags, milestones) and about
twenty delivery projects on the demo customers in every phase and status — some from the
won opportunities of the sales seeder (and their contracts, when the contracts seeder made
one), one a sub-project — with their cross-department team, assignees, gates (those of the
phases behind passed), deliverables, calendar feeds and progress as of the demo's today.

Rows are written with ``bulk_create``; the schedule of each project is computed by the
projects app's own recompute (``plan.project_recompute``: CPM on the working calendar),
so list, Gantt and MS Project export show the dates and floats the services would have
stored. Draws only from ``ctx.rng`` after the seeders before it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from django.utils.translation import gettext_noop

from guanxi.accounts.models import Role, User
from guanxi.contracts.models import Contract
from guanxi.core import audit
from guanxi.core.calendar import add_working_days
from guanxi.core.tokens import token_digest
from guanxi.customers.models import Customer
from guanxi.customers.timeline import ChoiceLabel, TimelineText, timeline_entry
from guanxi.demo.context import Context
from guanxi.projects.feeds import TOKEN_PREFIX
from guanxi.projects.models import (
    PHASE_ORDER,
    CalendarFeed,
    Deliverable,
    FeedKind,
    GateItem,
    LifecycleStage,
    PhaseGate,
    Project,
    ProjectMember,
    ProjectStatus,
    ProjectTemplate,
    Task,
    TaskLink,
    TaskStatus,
    TemplateLink,
    TemplateTask,
)
from guanxi.projects.services.plan import project_recompute
from guanxi.projects.services.projects import DEFAULT_GATE_ITEMS
from guanxi.sales.models import Opportunity, OpportunityStatus

PROJECTS: Final = 20
FROM_OPPORTUNITIES: Final = 8

# (key, name, parent key, offset, duration, estimate hours, milestone)
Row = tuple[str, str, str | None, int, int, int, bool]
# (predecessor key, successor key, type, lag)
Link = tuple[str, str, str, int]


@dataclass(frozen=True)
class Plan:
    name: str
    description: str
    tasks: tuple[Row, ...]
    links: tuple[Link, ...]


PLANS: Final = (
    Plan(
        "软件实施项目",
        "需求调研、方案设计、配置开发、数据迁移、培训上线与验收的标准实施计划。",
        (
            ("kick", "项目启动会", None, 0, 0, 4, True),
            ("req", "需求调研", None, 0, 0, 0, False),
            ("req1", "业务访谈", "req", 0, 5, 40, False),
            ("req2", "需求规格说明书", "req", 0, 4, 32, False),
            ("req3", "需求评审通过", "req", 0, 0, 2, True),
            ("design", "方案设计", None, 0, 0, 0, False),
            ("d1", "系统架构设计", "design", 0, 4, 32, False),
            ("d2", "接口与数据设计", "design", 0, 5, 40, False),
            ("build", "配置与开发", None, 0, 0, 0, False),
            ("b1", "基础配置", "build", 0, 6, 48, False),
            ("b2", "定制开发", "build", 0, 12, 120, False),
            ("b3", "系统测试", "build", 0, 6, 48, False),
            ("mig", "数据迁移", None, 0, 5, 40, False),
            ("train", "用户培训", None, 0, 3, 24, False),
            ("go", "上线切换", None, 0, 0, 8, True),
            ("acc", "项目验收", None, 0, 2, 16, False),
        ),
        (
            ("kick", "req1", "FS", 0),
            ("req1", "req2", "SS", 2),
            ("req2", "req3", "FS", 1),
            ("req3", "d1", "FS", 0),
            ("d1", "d2", "SS", 2),
            ("d2", "b1", "FS", 0),
            ("b1", "b2", "SS", 3),
            ("b2", "b3", "FF", 3),
            ("d2", "mig", "FS", 5),
            ("b3", "train", "FS", 0),
            ("mig", "go", "FS", 0),
            ("train", "go", "FS", 0),
            ("go", "acc", "FS", 2),
        ),
    ),
    Plan(
        "系统集成项目",
        "现场勘察、设备采购、安装调试、联调试运行与竣工验收的集成计划。",
        (
            ("kick", "项目启动", None, 0, 0, 4, True),
            ("survey", "现场勘察", None, 0, 3, 24, False),
            ("buy", "设备采购", None, 0, 0, 0, False),
            ("b1", "设备选型确认", "buy", 0, 2, 16, False),
            ("b2", "采购到货", "buy", 0, 10, 8, False),
            ("inst", "安装调试", None, 0, 0, 0, False),
            ("i1", "布线施工", "inst", 0, 6, 96, False),
            ("i2", "设备安装", "inst", 0, 5, 80, False),
            ("i3", "单机调试", "inst", 0, 3, 48, False),
            ("trial", "联调与试运行", None, 0, 8, 64, False),
            ("handover", "竣工验收", None, 0, 0, 8, True),
        ),
        (
            ("kick", "survey", "FS", 0),
            ("survey", "b1", "FS", 0),
            ("b1", "b2", "FS", 0),
            ("survey", "i1", "FS", 2),
            ("b2", "i2", "FS", 0),
            ("i1", "i2", "FF", 1),
            ("i2", "i3", "SS", 2),
            ("i3", "trial", "FS", 0),
            ("trial", "handover", "FS", 0),
            ("i1", "handover", "SF", 3),
        ),
    ),
    Plan(
        "咨询服务项目",
        "现状诊断、方案规划与落地辅导的咨询计划。",
        (
            ("kick", "启动与访谈计划", None, 0, 1, 8, False),
            ("diag", "现状诊断", None, 0, 8, 64, False),
            ("report", "诊断报告", None, 0, 0, 4, True),
            ("plan", "规划方案", None, 0, 6, 48, False),
            ("review", "方案评审", None, 0, 0, 4, True),
            ("coach", "落地辅导", None, 5, 15, 60, False),
        ),
        (
            ("kick", "diag", "FS", 0),
            ("diag", "report", "FS", 0),
            ("report", "plan", "FS", 1),
            ("plan", "review", "FS", 0),
            ("review", "coach", "FS", 0),
        ),
    ),
)

SUBJECTS: Final = ("CRM 系统实施", "数据中台建设", "ERP 升级改造", "智慧园区集成", "办公网络改造",
                   "移动应用开发", "供应链系统上线", "信息安全咨询", "数字化转型咨询",
                   "视频会议系统集成")  # fmt: skip
ROLES: Final = ("实施顾问", "开发工程师", "测试工程师", "客户经理", "培训讲师")
DELIVERABLES: Final = ("需求规格说明书", "系统设计方案", "测试报告", "用户手册", "验收报告")
SUFFIXES: Final = ("股份有限公司", "有限责任公司", "有限公司", "集团")

# phase → (days since the start, status weights): the older the project, the further on.
PHASE_AGE: Final = {"identify": (-5, 10), "plan": (8, 25), "execute": (30, 110),
                    "close": (120, 200)}  # fmt: skip


def _short(customer: Customer) -> str:
    name = customer.name
    for suffix in SUFFIXES:
        name = name.removesuffix(suffix)
    if customer.city and name.startswith(customer.city):
        name = name[len(customer.city) :]
    return name[:8] or customer.name[:8]


def _templates() -> list[tuple[ProjectTemplate, Plan, dict[str, TemplateTask]]]:
    out = []
    for plan in PLANS:
        template = ProjectTemplate.objects.create(name=plan.name, description=plan.description)
        rows: dict[str, TemplateTask] = {}
        for level in (0, 1):
            batch = []
            for position, (key, name, parent, offset, days, hours, milestone) in enumerate(
                plan.tasks, start=1
            ):
                if (parent is not None) != bool(level):
                    continue
                rows[key] = TemplateTask(
                    template=template, parent=rows.get(parent) if parent else None,
                    position=position, name=name, offset_days=offset,
                    duration_days=0 if milestone else max(days, 1),
                    estimate_hours=Decimal(hours), milestone=milestone,
                )  # fmt: skip
                batch.append(rows[key])
            TemplateTask.objects.bulk_create(batch)
        TemplateLink.objects.bulk_create(
            TemplateLink(template=template, predecessor=rows[a], successor=rows[b], type=kind,
                         lag_days=lag)
            for a, b, kind, lag in plan.links
        )  # fmt: skip
        out.append((template, plan, rows))
    audit.audit_bulk_create(actor=None, objs=[t for t, _p, _r in out], customer_attr=None)
    return out


@dataclass
class _Draft:
    project: Project
    plan: Plan
    members: list[tuple[User, str, int]]
    tasks: dict[str, Task]


def _team(ctx: Context, manager: User, seller: User | None, staff: list[User]) -> list[Any]:
    rng = ctx.rng
    team: list[tuple[User, str, int]] = [(manager, "项目经理", 100)]
    if seller is not None and seller.pk != manager.pk:
        team.append((seller, "客户经理", 20))
    others = [u for u in staff if u.pk not in {m[0].pk for m in team}]
    for user in rng.sample(others, k=min(len(others), rng.randint(1, 3))):
        team.append((user, rng.choice(ROLES[:3] + ROLES[4:]), rng.choice((30, 50, 60, 80))))
    return team


def seed_projects(ctx: Context) -> None:
    rng = ctx.rng
    templates = _templates()
    managers = [u for u in ctx.users.values() if u.role == Role.PROJECT_MANAGER]
    staff = [u for u in ctx.users.values() if u.role not in (Role.PORTAL, Role.ADMIN)]
    customers = [c for c in ctx.customers if c.owner_id and c.kind == "enterprise"]
    if not managers or not customers:
        return
    users = {u.pk: u for u in ctx.users.values()}
    won = list(
        Opportunity.objects.filter(status=OpportunityStatus.WON, customer__in=customers)
        .select_related("customer")
        .order_by("-closed_at", "id")[:FROM_OPPORTUNITIES]
    )
    contracts = _contracts_by_opportunity([o.pk for o in won])
    drafts: list[_Draft] = []
    by_customer = {c.pk: c for c in customers}
    # The first customer (华为, the portal login's company: seeders/portal.py) gets the first
    # project that comes from no opportunity, so the portal's project, approval and
    # acceptance pages have content. The draw is made all the same: the data after it stays.
    portal_company = ctx.customers[0] if ctx.customers and ctx.customers[0] in customers else None
    for i in range(PROJECTS):
        phase = PHASE_ORDER[i % len(PHASE_ORDER)]
        opportunity = won[i] if i < len(won) else None
        customer = by_customer.get(opportunity.customer_id) if opportunity else None
        if i == PROJECTS - 1:  # the sub-project of the first project (分解原则)
            customer = drafts[0].project.customer
        if customer is None:
            customer = rng.choice(customers)
            if i == len(won) and portal_company is not None:
                customer = portal_company  # the portal's demo company has a project too
        manager = managers[i % len(managers)]
        low, high = PHASE_AGE[phase]
        start = add_working_days(ctx.today - dt.timedelta(days=rng.randint(low, high)), 0)
        status = ProjectStatus.ACTIVE
        if phase == "close" and i % 8 == 3:
            status = ProjectStatus.CLOSED
        elif i % 10 == 6:
            status = ProjectStatus.ON_HOLD
        elif i % 10 == 9 and phase != "close":
            status = ProjectStatus.CANCELLED
        template, plan, _rows = templates[i % len(templates)]
        subject = SUBJECTS[i % len(SUBJECTS)]
        name = (opportunity.name if opportunity else f"{_short(customer)}{subject}")[:200]
        budget = (
            opportunity.amount
            if opportunity and opportunity.amount
            else Decimal(rng.randrange(8, 120) * 10_000)
        )
        contract_id = contracts.get(opportunity.pk) if opportunity else None
        project = Project(
            name=name, code=f"PRJ-{ctx.today:%Y}-{i + 1:03d}", customer=customer,
            opportunity=opportunity, contract_id=contract_id, template=template,
            goal=f"按期完成{subject}，通过客户验收并实现预期业务目标。",
            scope=f"{plan.description}不含第三方硬件保修。",
            start_date=start, due_date=add_working_days(start, 70 + rng.randint(0, 40)),
            budget=budget, manager=manager, team_id=manager.team_id,
            lifecycle_stage=(
                LifecycleStage.FEEDBACK if status == ProjectStatus.CLOSED
                else LifecycleStage.PROPOSAL if phase == "identify" and opportunity is None
                else LifecycleStage.ENGAGED
            ),
            phase=phase, status=status,
        )  # fmt: skip
        seller = users.get(customer.owner_id or 0)
        drafts.append(_Draft(project, plan, _team(ctx, manager, seller, staff), {}))
    Project.objects.bulk_create([d.project for d in drafts])
    child = drafts[-1].project
    child.parent = drafts[0].project
    Project.objects.filter(pk=child.pk).update(parent=child.parent)
    audit.audit_bulk_create(actor=None, objs=[d.project for d in drafts])
    _members(drafts)
    _plans(ctx, drafts)
    for d in drafts:
        project_recompute(actor=None, project=d.project)
    _progress(ctx, drafts)
    _gates(ctx, drafts)
    _deliverables(ctx, drafts)
    _feeds(ctx, drafts, managers)
    _timeline(ctx, drafts)
    ctx.counts["projects"] = len(drafts)
    ctx.counts["tasks"] = Task.objects.filter(project__in=[d.project for d in drafts]).count()
    ctx.log(f"项目 {len(drafts)}，任务 {ctx.counts['tasks']}")


def _contracts_by_opportunity(opportunity_ids: list[int]) -> dict[int, int]:
    """The signed contract of each won opportunity, when the contracts seeder made one."""
    out: dict[int, int] = {}
    for pk, opportunity_id in (
        Contract.objects.filter(
            opportunity_id__in=opportunity_ids, status__in=("approved", "active", "finished")
        )
        .order_by("id")
        .values_list("pk", "opportunity_id")
    ):
        out.setdefault(opportunity_id, pk)
    return out


def _members(drafts: list[_Draft]) -> None:
    ProjectMember.objects.bulk_create(
        ProjectMember(project=d.project, user=user, role=role, allocation=allocation)
        for d in drafts
        for user, role, allocation in d.members
    )


def _plans(ctx: Context, drafts: list[_Draft]) -> None:
    """Each project's tasks from its plan (summaries first, then their parts) and links."""
    rng = ctx.rng
    for level in (0, 1):
        batch: list[Task] = []
        for d in drafts:
            people = [m[0] for m in d.members]
            for position, (key, name, parent, offset, days, hours, milestone) in enumerate(
                d.plan.tasks, start=1
            ):
                if (parent is not None) != bool(level):
                    continue
                is_parent = any(row[2] == key for row in d.plan.tasks)
                task = Task(
                    project=d.project, parent=d.tasks.get(parent) if parent else None,
                    position=position, board_position=position, name=name,
                    duration_days=0 if milestone else max(1, days + rng.randint(-1, 2)),
                    milestone=milestone, estimate_hours=Decimal(hours),
                    assignee=None if is_parent else rng.choice(people),
                    start_no_earlier=(add_working_days(d.project.start_date, offset)
                                      if offset else None),
                )  # fmt: skip
                d.tasks[key] = task
                batch.append(task)
        Task.objects.bulk_create(batch, batch_size=1000)
    TaskLink.objects.bulk_create(
        (
            TaskLink(project=d.project, predecessor=d.tasks[a], successor=d.tasks[b], type=kind,
                     lag_days=lag)
            for d in drafts
            for a, b, kind, lag in d.plan.links
        ),
        batch_size=1000,
    )  # fmt: skip


def _progress(ctx: Context, drafts: list[_Draft]) -> None:
    """Work done as of the demo's today: finished tasks done, running ones part done."""
    rng = ctx.rng
    changed: list[Task] = []
    for d in drafts:
        if d.project.phase in ("identify",) or d.project.status == ProjectStatus.CANCELLED:
            continue
        for task in Task.objects.filter(project=d.project, is_summary=False).order_by("id"):
            if task.finish_date and task.finish_date < ctx.today:
                task.status, task.progress = TaskStatus.DONE, 100
            elif task.start_date and task.start_date <= ctx.today:
                task.status = rng.choice((TaskStatus.DOING, TaskStatus.DOING, TaskStatus.REVIEW))
                task.progress = rng.choice((20, 40, 50, 60, 80))
            else:
                continue
            if d.project.phase == "close":
                task.status, task.progress = TaskStatus.DONE, 100
            changed.append(task)
    Task.objects.bulk_update(changed, ["status", "progress"], batch_size=1000)


def _gates(ctx: Context, drafts: list[_Draft]) -> None:
    """The four gates of each project: those of the phases behind it passed (their
    checklists done), the current one part ticked; a closed project has passed them all."""
    rng = ctx.rng
    gates: list[PhaseGate] = []
    for d in drafts:
        current = PHASE_ORDER.index(d.project.phase)
        if d.project.status == ProjectStatus.CLOSED:
            current = len(PHASE_ORDER)
        for index, phase in enumerate(PHASE_ORDER):
            passed = index < current
            day = add_working_days(d.project.start_date, 10 + 25 * index)
            gates.append(
                PhaseGate(
                    project=d.project, phase=phase,
                    passed_at=ctx.at(min(day, ctx.today)) if passed else None,
                    passed_by=d.project.manager if passed else None,
                    note="评审通过，进入下一阶段。" if passed else "",
                )
            )  # fmt: skip
    PhaseGate.objects.bulk_create(gates)
    items: list[GateItem] = []
    for gate in gates:
        current = gate.project.phase == gate.phase and gate.passed_at is None
        for position, text in enumerate(DEFAULT_GATE_ITEMS[gate.phase], start=1):
            done = gate.passed_at is not None or (current and rng.random() < 0.5)
            items.append(
                GateItem(gate=gate, position=position, text=text, done=done,
                         done_at=gate.passed_at or (ctx.at(ctx.today) if done else None),
                         done_by=gate.project.manager if done else None)
            )  # fmt: skip
    GateItem.objects.bulk_create(items, batch_size=1000)


def _deliverables(ctx: Context, drafts: list[_Draft]) -> None:
    rng = ctx.rng
    rows = []
    for d in drafts:
        finish = d.project.scheduled_finish or d.project.start_date
        span = max(1, (finish - d.project.start_date).days)
        for n, name in enumerate(rng.sample(DELIVERABLES, k=rng.randint(2, 4)), start=1):
            due = d.project.start_date + dt.timedelta(days=span * n // 4)
            rows.append(
                Deliverable(project=d.project, name=name, due_date=due,
                            done=due < ctx.today and d.project.phase != "identify")
            )  # fmt: skip
    Deliverable.objects.bulk_create(rows)
    audit.audit_bulk_create(actor=None, objs=rows, customer_attr=None)


def _feeds(ctx: Context, drafts: list[_Draft], managers: list[User]) -> None:
    """A personal feed for each project manager and a project feed of their first project
    (demo tokens: only their hash is kept, as for any feed)."""
    feeds = []
    for manager in managers:
        mine = [d.project for d in drafts if d.project.manager_id == manager.pk]
        for kind, project in ((FeedKind.USER, None), (FeedKind.PROJECT, mine[0] if mine else None)):
            if kind == FeedKind.PROJECT and project is None:
                continue
            raw = f"{TOKEN_PREFIX}{ctx.rng.getrandbits(128):032x}"
            feeds.append(
                CalendarFeed(owner=manager, kind=kind, project=project,
                             token_hash=token_digest(raw),
                             token_prefix=raw[6:14])
            )  # fmt: skip
    CalendarFeed.objects.bulk_create(feeds)


def _timeline(ctx: Context, drafts: list[_Draft]) -> None:
    """On each customer's timeline: the project's start and every gate it passed."""
    for d in drafts:
        p = d.project
        ctx.timeline.append(
            timeline_entry(
                customer_id=p.customer_id, kind="project", occurred_at=ctx.at(p.start_date),
                title=TimelineText(gettext_noop("项目 %(name)s 启动"), {"name": p.name}),
                actor=p.manager, subject=p, data={"phase": "identify", "status": "active"},
            )
        )  # fmt: skip
    for gate in PhaseGate.objects.filter(
        project__in=[d.project for d in drafts], passed_at__isnull=False
    ).select_related("project", "project__manager"):
        p = gate.project
        assert gate.passed_at is not None
        ctx.timeline.append(
            timeline_entry(
                customer_id=p.customer_id, kind="project", occurred_at=gate.passed_at,
                title=TimelineText(
                    gettext_noop("项目 %(name)s 通过阶段评审：%(gate)s"),
                    {"name": p.name, "gate": ChoiceLabel("projects.phasegate", "phase",
                                                         gate.phase)},
                ),
                actor=p.manager, subject=p, data={"phase": p.phase, "status": p.status},
            )
        )  # fmt: skip


def refresh_kpis() -> str:
    """After commit: every demo project's KPI snapshot, computed by the projects app's own
    refresh (the baselines, time, costs and acceptances of the later seeders included)."""
    from guanxi.projects.services.kpi import kpi_refresh_due

    done = kpi_refresh_due(project_ids=Project.objects.values_list("pk", flat=True))
    return f"项目KPI已计算（{done:,} 个项目）。 Project KPIs computed."
