"""The demo's risk registers and closures (``projects``, issue 15 items 4, 6): every running
or closed project gets one to four risks from a catalogue (each status appears; some with
a contingency budget and draws on it); then the CRM signal rule runs once, raising the
risks the demo's own data calls for (overdue visits and collections, falling
satisfaction, …); projects in their last phase are closed with a summary, lessons learned
and — for most — the customer's evaluation, which plans the account manager's visit.

Everything is written by the projects app's services (audit, timeline); only closure
times are moved back to the demo's calendar. Does nothing when no project exists. Draws
only from ``ctx.rng`` after the seeders before it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from guanxi.demo.context import Context
from guanxi.projects import risk_signals
from guanxi.projects.models import Project, ProjectClosure, ProjectStatus, RiskStatus
from guanxi.projects.services.closure import close_project
from guanxi.projects.services.risks import reserve_draw, risk_create, risk_update

# title, category, probability, impact, mitigation, contingency plan (应急预案), budget
CATALOGUE = (
    ("关键技术人员流失", "resource", 3, 4, "关键岗位设 AB 角，文档同步更新",
     "启用外部顾问顶岗两周，必要时调整里程碑", "30000"),
    ("客户需求频繁变更", "scope", 4, 3, "需求冻结前请客户签字确认",
     "按变更流程评估影响，超范围部分另行报价", "0"),
    ("第三方接口延期交付", "schedule", 3, 3, "每周与供应商确认进度",
     "先用模拟接口联调，上线后切换", "15000"),
    ("服务器采购到货延迟", "cost", 2, 4, "提前下单并锁定交期",
     "临时租用云服务器，费用计入应急储备", "20000"),
    ("数据迁移质量不达标", "quality", 2, 5, "迁移前做两轮演练与抽样核对",
     "保留旧系统并行运行一个月", "25000"),
    ("客户关键用户参与不足", "customer", 3, 2, "双周例会邀请客户业务负责人",
     "由客户经理出面协调高层支持", "0"),
)  # fmt: skip
STATUS_ROTATION = (
    RiskStatus.OPEN,
    RiskStatus.MITIGATING,
    RiskStatus.OCCURRED,
    RiskStatus.CLOSED,
)
LESSONS = (
    ("went_well", "每周与客户同步进度，问题当周闭环", "沟通"),
    ("went_well", "关键路径任务提前一周预警，避免了延期", "进度"),
    ("to_change", "需求冻结太晚，后期变更多，下次在计划阶段请客户签字确认", "需求, 变更"),
    ("to_change", "测试环境准备不足，联调阶段等待时间长", "环境"),
)
EVALUATIONS = ((5, "团队专业，响应及时"), (4, "整体满意，文档可以更完善"), (3, "进度有拖延"))


def _seed_register(ctx: Context, project: Project, offset: int) -> tuple[int, int]:
    rng = ctx.rng
    manager = project.manager
    assert manager is not None  # the seeder takes projects with a manager only
    made = draws = 0
    for k in range(rng.randint(1, 4)):
        title, category, p, i, mitigation, plan, budget = CATALOGUE[(offset + k) % len(CATALOGUE)]
        risk = risk_create(
            actor=manager, project_id=project.pk,
            data={"title": title, "category": category, "probability": p, "impact": i,
                  "owner_id": manager.pk, "mitigation": mitigation, "contingency_plan": plan,
                  "contingency_budget": budget, "triggers": "周报中连续两周出现相关问题",
                  "review_date": ctx.today + dt.timedelta(days=rng.randint(3, 30))},
        )  # fmt: skip
        made += 1
        status = STATUS_ROTATION[(offset + k) % len(STATUS_ROTATION)]
        if Decimal(budget) > 0 and status in (RiskStatus.OCCURRED, RiskStatus.CLOSED):
            amount = (Decimal(budget) * Decimal(rng.choice(("0.2", "0.35", "0.5")))).quantize(
                Decimal("0.01")
            )
            reserve_draw(
                actor=manager, project_id=project.pk, risk_id=risk.pk, amount=amount,
                date=ctx.today - dt.timedelta(days=rng.randint(1, 20)), note="启用应急预案",
            )  # fmt: skip
            draws += 1
            risk.refresh_from_db()
        if status != RiskStatus.OPEN:
            risk_update(
                actor=manager, project_id=project.pk, risk_id=risk.pk, data={"status": status},
                version=risk.version,
            )  # fmt: skip
    return made, draws


def seed_project_risks(ctx: Context) -> None:
    projects = list(
        Project.objects.filter(manager__isnull=False)
        .exclude(status=ProjectStatus.CANCELLED)
        .select_related("manager", "customer")
        .order_by("pk")
    )
    if not projects:
        return
    risks = draws = 0
    for offset, project in enumerate(projects):
        made, drawn = _seed_register(ctx, project, offset)
        risks += made
        draws += drawn
    raised = risk_signals.risk_sweep(ctx.today)
    closures = 0
    for project in projects:
        if project.phase != "close" or ProjectClosure.objects.filter(project=project).exists():
            continue
        project.refresh_from_db()
        evaluation = None
        if ctx.rng.random() < 0.75:
            score, comment = ctx.rng.choice(EVALUATIONS)
            evaluation = {"score": score, "comment": comment}
        closure = close_project(
            actor=project.manager, project_id=project.pk, version=project.version,
            summary="项目按合同范围交付，客户完成验收。",
            lessons=[{"category": c, "text": t, "tags": g} for c, t, g in LESSONS],
            evaluation=evaluation, force_reason="客户已验收，剩余事项转入运维",
        )  # fmt: skip
        closed_on = min(ctx.today, project.due_date or ctx.today)
        moved = {"closed_at": ctx.at(closed_on, 16)}
        if evaluation is not None:
            moved["evaluated_at"] = ctx.at(closed_on, 17)
        ProjectClosure.objects.filter(pk=closure.pk).update(**moved)
        closures += 1
    ctx.counts["project_risks"] += risks + len(raised)
    ctx.counts["risk_reserve_draws"] += draws
    ctx.counts["project_closures"] += closures
    total = risks + len(raised)
    ctx.log(f"风险 {total}（信号触发 {len(raised)}），储备动用 {draws}，结项 {closures}")
