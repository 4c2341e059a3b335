"""The demo's sales (``sales``): two pipelines with their stages, lost reasons, two years of
won and lost opportunities, an open pipeline of about sixty cards owned by the account
managers on their own customers, follow-ups (跟进记录), lead assignment rules and a few
leads — some of them converted. Runs after every other seeder and draws only from
``ctx.rng``, so the data before it stays as it was."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final

from django.utils.translation import gettext_noop

from guanxi.accounts.models import Role, User
from guanxi.core import audit
from guanxi.core.text.cleaning import normalize_phone
from guanxi.core.text.keys import stored_name_key
from guanxi.customers.models import Customer, CustomerKind, CustomerStatus
from guanxi.customers.timeline import ChoiceLabel, TimelineText, timeline_entry
from guanxi.demo.context import Context
from guanxi.demo.words import CITIES, EAST, KEY, SOUTH, brand, mobile, person_name
from guanxi.sales.models import (
    Activity,
    ActivityKind,
    AssignmentMethod,
    AssignmentRule,
    Lead,
    LeadSource,
    LeadStatus,
    LostReason,
    Opportunity,
    OpportunityLine,
    OpportunityStatus,
    Pipeline,
    Stage,
    StageKind,
)
from guanxi.sales.models_forecast import rebuild as rebuild_forecast_rollup

GAP: Final = 1024  # the kanban's rank step (``sales.services.opportunities.GAP``)
OPEN_OPPORTUNITIES: Final = 60
HISTORY_OPPORTUNITIES: Final = 140  # closed in the last two years
LEADS: Final = 15

# (name, team, [(stage, win probability, kind, required fields)])
PIPELINES: Final = [
    ("标准销售流程", None, [
        ("初步接触", 10, StageKind.OPEN, []),
        ("需求确认", 25, StageKind.OPEN, []),
        ("方案报价", 50, StageKind.OPEN, ["amount", "expected_close"]),
        ("商务谈判", 75, StageKind.OPEN, ["amount", "expected_close"]),
        ("赢单", 100, StageKind.WON, []),
        ("输单", 0, StageKind.LOST, []),
    ]),
    ("大客户项目流程", KEY, [
        ("线索确认", 10, StageKind.OPEN, []),
        ("立项评估", 20, StageKind.OPEN, []),
        ("技术交流", 40, StageKind.OPEN, ["next_step"]),
        ("招投标", 60, StageKind.OPEN, ["amount", "expected_close"]),
        ("合同谈判", 80, StageKind.OPEN, ["amount", "expected_close"]),
        ("赢单", 100, StageKind.WON, []),
        ("输单", 0, StageKind.LOST, []),
    ]),
]  # fmt: skip
# (code, label, also for invalid)
REASONS: Final = [
    ("price", "价格过高", False),
    ("competitor", "选择了竞争对手", False),
    ("budget", "预算取消", False),
    ("timing", "项目延期", False),
    ("product_fit", "产品功能不满足", False),
    ("no_contact", "联系不上", True),
    ("duplicate", "重复商机", True),
]
COMPETITORS: Final = ["销售易", "纷享销客", "悟空CRM", "Salesforce", "用友", "金蝶", "八百客"]
TOPICS: Final = ["CRM 升级", "全员移动办公", "经营分析平台", "数据接口改造", "电子签章上线",
                 "客服系统", "年度续费", "分公司推广", "私有化部署", "数据迁移"]  # fmt: skip
NEXT_STEPS: Final = ["发送报价单", "安排产品演示", "约技术交流", "确认预算", "提交方案",
                     "拜访决策人", "准备投标文件", "合同条款确认", "试用账号开通"]  # fmt: skip
NOTES: Final = {
    ActivityKind.CALL: ["电话沟通需求，客户关注移动端和报表", "电话确认预算范围",
                        "电话跟进报价反馈"],
    ActivityKind.VISIT: ["上门拜访信息中心负责人", "现场演示产品，客户反馈良好", "拜访采购部门"],
    ActivityKind.EMAIL: ["邮件发送方案和报价", "邮件发送案例资料", "邮件确认会议纪要"],
    ActivityKind.WECHAT: ["微信沟通试用情况", "微信发送产品资料", "微信约下周见面"],
    ActivityKind.MEETING: ["线上会议讲解方案", "与客户 IT 部门开技术交流会", "商务谈判会议"],
}  # fmt: skip
LEAD_MESSAGES: Final = ["想了解一下 CRM 的价格", "我们有 50 人销售团队，需要移动办公",
                        "请发一份产品资料", "希望安排一次演示", ""]  # fmt: skip


def seed_sales(ctx: Context) -> None:
    rng = ctx.rng
    stages_by_pipeline = _pipelines(ctx)
    reasons = _reasons(ctx)
    sellers = [u for u in ctx.users.values() if u.role in (Role.ACCOUNT_MANAGER, Role.MANAGER)]
    seller_ids = {u.pk for u in sellers}
    # Customers of the sellers that buy (prospects have open opportunities only).
    customers = [c for c in ctx.customers if c.owner_id in seller_ids]
    if not customers:
        return
    users = {u.pk: u for u in sellers}
    planned: list[tuple[Opportunity, list[OpportunityLine], dt.date]] = []
    history_pool = [c for c in customers if c.status != CustomerStatus.PROSPECT] or customers
    live = [c for c in customers if c.status not in (CustomerStatus.LOST, CustomerStatus.DORMANT)]
    live = live or customers
    # Every seller first gets a won and a lost deal and a card in each open stage of their
    # pipeline, so each page has content for whoever logs in; the rest is drawn at random.
    for seller in sellers:
        mine = [c for c in live if c.owner_id == seller.pk]
        if not mine:
            continue
        for status in (OpportunityStatus.WON, OpportunityStatus.LOST):
            planned.append(_history(ctx, rng.choice(mine), seller, stages_by_pipeline, reasons,
                                    status=status))  # fmt: skip
        for stage in _pipeline_for(seller, stages_by_pipeline):
            if stage.kind == StageKind.OPEN:
                planned.append(_open(ctx, rng.choice(mine), seller, stages_by_pipeline, stage))
    n_history = sum(1 for p in planned if p[0].closed_at is not None)
    for _i in range(max(0, HISTORY_OPPORTUNITIES - n_history)):
        c = rng.choice(history_pool)
        planned.append(_history(ctx, c, users[c.owner_id or 0], stages_by_pipeline, reasons))
    n_open = len(planned) - max(HISTORY_OPPORTUNITIES, n_history)
    for i in range(max(1, OPEN_OPPORTUNITIES - n_open)):
        c = customers[0] if i == 0 else rng.choice(live)  # 华为 has one
        planned.append(_open(ctx, c, users[c.owner_id or 0], stages_by_pipeline))
    # Ranks: open columns in the order drawn, closed columns newest first.
    ranks: dict[int, int] = {}
    for opp, _lines, _created in sorted(
        planned, key=lambda p: -(p[0].closed_at.timestamp()) if p[0].closed_at else 0
    ):
        if opp.status == OpportunityStatus.INVALID:
            continue
        ranks[opp.stage_id] = ranks.get(opp.stage_id, 0) + GAP
        opp.position = ranks[opp.stage_id]
    opps = [p[0] for p in planned]
    Opportunity.objects.bulk_create(opps, batch_size=500)
    for opp, _lines, created in planned:
        opp.created_at = ctx.at(created)
    Opportunity.objects.bulk_update(opps, ["created_at"], batch_size=500)
    lines = []
    for opp, opp_lines, _created in planned:
        for line in opp_lines:
            line.opportunity = opp
            lines.append(line)
    OpportunityLine.objects.bulk_create(lines, batch_size=1000)
    audit.audit_bulk_create(actor=None, objs=opps)
    stage_names = {s.pk: s.name for stages in stages_by_pipeline.values() for s in stages}
    reason_labels = {r.pk: r.label for r in reasons}
    for opp, _lines, _created in planned:
        _opportunity_timeline(ctx, opp, stage_names, reason_labels)
    activities = _activities(ctx, planned)
    leads = _leads(ctx, customers, users, opps)
    ctx.counts["opportunities"] = len(opps)
    ctx.counts["opportunity_lines"] = len(lines)
    ctx.counts["activities"] = len(activities)
    ctx.counts["leads"] = len(leads)
    ctx.log(f"商机 {len(opps)}，跟进记录 {len(activities)}，线索 {len(leads)}")
    _forecast_and_targets(ctx, sellers, opps)
    # The win-probability model learns the history just made (scores on every open card).
    from guanxi.sales.scoring import train

    model = train()
    if model is not None:
        ctx.log(f"赢率模型：{model.closed_count} 个已关闭商机，AUC {model.metrics.get('auc')}")


def _pipelines(ctx: Context) -> dict[int, list[Stage]]:
    out: dict[int, list[Stage]] = {}
    pipelines, all_stages = [], []
    for order, (name, team, stages) in enumerate(PIPELINES):
        pipeline = Pipeline(
            name=name, team=ctx.teams[team] if team else None, is_default=order == 0, order=order
        )
        pipeline.save()
        pipelines.append(pipeline)
        rows = [
            Stage(pipeline=pipeline, name=s, order=i, win_probability=p, kind=k,
                  required_fields=list(req))
            for i, (s, p, k, req) in enumerate(stages)
        ]  # fmt: skip
        Stage.objects.bulk_create(rows)
        all_stages.extend(rows)
        out[pipeline.pk] = rows
    audit.audit_bulk_create(actor=None, objs=[*pipelines, *all_stages], customer_attr=None)
    ctx.counts["pipelines"] = len(pipelines)
    return out


def _reasons(ctx: Context) -> list[LostReason]:
    rows = [
        LostReason(code=code, label=label, applies_to_invalid=invalid, order=i)
        for i, (code, label, invalid) in enumerate(REASONS)
    ]
    LostReason.objects.bulk_create(rows)
    audit.audit_bulk_create(actor=None, objs=rows, customer_attr=None)
    return rows


def _pipeline_for(owner: User, by_pipeline: dict[int, list[Stage]]) -> list[Stage]:
    standard, key = list(by_pipeline.values())
    return key if owner.team is not None and owner.team.name == KEY else standard


def _lines(ctx: Context, c: Customer) -> list[OpportunityLine]:
    rng = ctx.rng
    n = 1 if c.kind == CustomerKind.INDIVIDUAL else rng.choice([1, 1, 2, 3])
    chosen = {p.code: p for p in (rng.choice(ctx.products) for _ in range(n))}
    lines = []
    for p in chosen.values():
        qty = Decimal(rng.randint(1, 20) if p.unit_price < 5000 else rng.randint(1, 3))
        price = p.unit_price
        if rng.random() < 0.3:
            price = (price * Decimal(rng.choice(["0.95", "0.9", "0.85"]))).quantize(Decimal("0.01"))
        lines.append(OpportunityLine(product=p, quantity=qty, unit_price=price))
    return lines


def _total(lines: list[OpportunityLine]) -> Decimal:
    return sum((li.quantity * li.unit_price for li in lines), Decimal("0")).quantize(
        Decimal("0.01")
    )


def _name(ctx: Context, c: Customer) -> str:
    short = c.name.removesuffix("股份有限公司").removesuffix("有限公司")
    return f"{short[:30]} {ctx.rng.choice(TOPICS)}"


def _history(
    ctx: Context, c: Customer, owner: User, by_pipeline: dict[int, list[Stage]],
    reasons: list[LostReason], status: str | None = None,
) -> tuple[Opportunity, list[OpportunityLine], dt.date]:  # fmt: skip
    rng = ctx.rng
    stages = _pipeline_for(owner, by_pipeline)
    won = next(s for s in stages if s.kind == StageKind.WON)
    lost = next(s for s in stages if s.kind == StageKind.LOST)
    closed = ctx.today - dt.timedelta(days=rng.randint(3, 730))
    created = closed - dt.timedelta(days=rng.randint(10, 120))
    lines = _lines(ctx, c)
    r = rng.random()
    status = status or (OpportunityStatus.WON if r < 0.42 else OpportunityStatus.LOST if r < 0.92
              else OpportunityStatus.INVALID)  # fmt: skip
    opp = Opportunity(
        customer_id=c.pk, pipeline_id=won.pipeline_id, name=_name(ctx, c), amount=_total(lines),
        expected_close=closed, owner=owner, team_id=owner.team_id, status=status,
        closed_at=ctx.at(closed), created_by=owner,
        stage=won if status == OpportunityStatus.WON else lost,
        competitors=rng.sample(COMPETITORS, rng.randint(0, 2)),
    )  # fmt: skip
    if status == OpportunityStatus.INVALID:
        opp.stage = stages[0]
        opp.reason = rng.choice([x for x in reasons if x.applies_to_invalid])
    elif status == OpportunityStatus.LOST:
        opp.reason = rng.choice([x for x in reasons if not x.applies_to_invalid])
        if opp.reason.code == "competitor":
            opp.reason_note = f"客户选择了{rng.choice(COMPETITORS)}"
    return opp, lines, created


def _open(
    ctx: Context, c: Customer, owner: User, by_pipeline: dict[int, list[Stage]],
    stage: Stage | None = None,
) -> tuple[Opportunity, list[OpportunityLine], dt.date]:  # fmt: skip
    rng = ctx.rng
    stages = [s for s in _pipeline_for(owner, by_pipeline) if s.kind == StageKind.OPEN]
    stage = stage or rng.choices(stages, weights=[5, 4, 3, 2, 1][: len(stages)])[0]
    lines = _lines(ctx, c) if rng.random() < 0.8 or stage.required_fields else []
    opp = Opportunity(
        customer_id=c.pk, pipeline_id=stage.pipeline_id, stage=stage, name=_name(ctx, c),
        amount=_total(lines) if lines else Decimal(rng.randrange(20_000, 400_000, 1000)),
        expected_close=ctx.today + dt.timedelta(days=rng.randint(5, 150)),
        owner=owner, team_id=owner.team_id, created_by=owner,
        next_step=rng.choice(NEXT_STEPS),
        next_step_due=ctx.today + dt.timedelta(days=rng.randint(-5, 14)),
        competitors=rng.sample(COMPETITORS, rng.randint(0, 2)),
    )  # fmt: skip
    created = ctx.today - dt.timedelta(days=rng.randint(1, 90))
    return opp, lines, created


def _opportunity_timeline(
    ctx: Context, opp: Opportunity, stage_names: dict[int, str], reasons: dict[int, str]
) -> None:
    data = {"amount": str(opp.amount), "status": opp.status}
    ctx.timeline.append(
        timeline_entry(
            customer_id=opp.customer_id,
            kind="opportunity",
            occurred_at=opp.created_at,
            title=TimelineText(
                gettext_noop("新建商机 %(name)s，金额 ¥%(amount)s"),
                {"name": opp.name, "amount": f"{opp.amount:,.2f}"},
            ),
            actor=opp.owner,
            subject=opp,
            data=data,
        )
    )
    if opp.closed_at is None:
        return
    if opp.status == OpportunityStatus.WON:
        title = TimelineText(gettext_noop("商机 %(name)s 赢单，金额 ¥%(amount)s"),
                             {"name": opp.name, "amount": f"{opp.amount:,.2f}"})  # fmt: skip
    elif opp.status == OpportunityStatus.LOST:
        title = TimelineText(gettext_noop("商机 %(name)s 输单：%(reason)s"),
                             {"name": opp.name, "reason": reasons[opp.reason_id or 0]})  # fmt: skip
    else:
        title = TimelineText(gettext_noop("商机 %(name)s 已标记为无效：%(reason)s"),
                             {"name": opp.name, "reason": reasons[opp.reason_id or 0]})  # fmt: skip
    ctx.timeline.append(
        timeline_entry(
            customer_id=opp.customer_id,
            kind="opportunity",
            occurred_at=opp.closed_at,
            title=title,
            actor=opp.owner,
            subject=opp,
            data=data,
        )
    )


def _activities(
    ctx: Context, planned: list[tuple[Opportunity, list[OpportunityLine], dt.date]]
) -> list[Activity]:
    rng = ctx.rng
    rows: list[Activity] = []
    for opp, _lines, created in planned:
        end = opp.closed_at.date() if opp.closed_at else ctx.today
        for _i in range(rng.randint(1, 4) if opp.closed_at is None else rng.randint(0, 2)):
            kind = rng.choice(ActivityKind.values)
            at = ctx.at(ctx.day_between(created, end))
            if at > ctx.at(ctx.today, 12) and opp.closed_at is None:
                at = ctx.at(ctx.today - dt.timedelta(days=1))
            rows.append(
                Activity(customer_id=opp.customer_id, opportunity=opp, kind=kind,
                         note=rng.choice(NOTES[ActivityKind(kind)]), at=at, actor=opp.owner)
            )  # fmt: skip
    Activity.objects.bulk_create(rows, batch_size=1000)
    audit.audit_bulk_create(actor=None, objs=rows)
    for a in rows:
        assert a.opportunity is not None
        ctx.timeline.append(
            timeline_entry(
                customer_id=a.customer_id,
                kind="activity",
                occurred_at=a.at,
                title=TimelineText(
                    gettext_noop("%(kind)s跟进：%(subject)s"),
                    {"kind": ChoiceLabel.of(a, "kind"), "subject": a.opportunity.name},
                ),
                body=a.note,
                actor=a.actor,
                subject=a,
            )
        )
    return rows


def _leads(
    ctx: Context, customers: list[Customer], users: dict[int, User], opps: list[Opportunity]
) -> list[Lead]:
    """The assignment rules (华南 by region, 华东 in turn) and leads in every status: four
    converted into a demo customer with an opening opportunity, one that the duplicate
    check will match to an existing customer, the rest new."""
    rng = ctx.rng
    rules = [
        AssignmentRule(name="华南地区线索", method=AssignmentMethod.REGION,
                       team=ctx.teams[SOUTH], regions=["广东", "广西", "福建", "海南"], order=0),
        AssignmentRule(name="华东轮流分配", method=AssignmentMethod.ROUND_ROBIN,
                       team=ctx.teams[EAST], order=1),
    ]  # fmt: skip
    AssignmentRule.objects.bulk_create(rules)
    audit.audit_bulk_create(actor=None, objs=rules, customer_attr=None)
    first_open: dict[int, Opportunity] = {}
    for o in opps:
        if o.status == OpportunityStatus.OPEN:
            first_open.setdefault(o.customer_id, o)
    statuses = ([LeadStatus.CONVERTED] * 4 + [LeadStatus.NEW] * 5 + [LeadStatus.WORKING] * 3
                + [LeadStatus.QUALIFIED] * 2 + [LeadStatus.DISQUALIFIED])  # fmt: skip
    companies = [c for c in customers if c.kind != CustomerKind.INDIVIDUAL and c.pk in first_open]
    rows: list[Lead] = []
    for i, status in enumerate(statuses[:LEADS]):
        province, city = rng.choice(CITIES)[:2]
        lead = Lead(
            source=rng.choice(LeadSource.values), status=status, name=person_name(rng),
            region=province, message=rng.choice(LEAD_MESSAGES),
            qualification={k: rng.random() < 0.5 for k in ("budget", "need")},
        )  # fmt: skip
        phone = mobile(rng)
        converted = status == LeadStatus.CONVERTED and i < len(companies)
        if converted or (
            i == 4 and companies
        ):  # i == 4: a new lead of an existing customer (查重 finds it)
            customer = companies[i if converted else -1]
            owner = users[customer.owner_id or 0]
            lead.company = customer.name
            if converted:
                lead.converted_customer_id = customer.pk
                lead.converted_opportunity = first_open[customer.pk]
                lead.converted_at = ctx.at(ctx.today - dt.timedelta(days=rng.randint(5, 60)))
        else:
            if status == LeadStatus.CONVERTED:
                lead.status = LeadStatus.QUALIFIED
            owner = rng.choice(list(users.values()))
            lead.company = f"{city}{brand(rng)}科技有限公司"
        lead.owner, lead.team_id = owner, owner.team_id
        lead.phone, lead.phone_key = phone, normalize_phone(phone)
        lead.company_key = stored_name_key(lead.company)
        rows.append(lead)
    Lead.objects.bulk_create(rows)
    audit.audit_bulk_create(actor=None, objs=rows, customer_attr="converted_customer_id")
    return rows


def _forecast_and_targets(ctx: Context, sellers: list[User], opps: list[Opportunity]) -> None:
    """Forecast categories on the open cards, and monthly targets (业绩目标) of each
    account manager and department around their won history — one account manager's set
    far above it and one department's not adding up to its members', so the warnings have
    something to show (seed 003 目标设定不合理)."""
    from guanxi.sales.models_targets import ForecastCategory, Target, TargetMetric

    rng = ctx.rng
    for opp in opps:
        if opp.status == OpportunityStatus.OPEN:
            p = opp.stage.win_probability
            opp.forecast_category = (
                ForecastCategory.COMMIT if p >= 60 and rng.random() < 0.7
                else ForecastCategory.BEST_CASE if p >= 25 and rng.random() < 0.5
                else ForecastCategory.OMITTED if rng.random() < 0.05
                else ForecastCategory.PIPELINE
            )  # fmt: skip
    Opportunity.objects.bulk_update(opps, ["forecast_category"], batch_size=500)
    rebuild_forecast_rollup()  # the bulk writes above bypass Opportunity.save()
    won: dict[int, Decimal] = {}
    since = ctx.today - dt.timedelta(days=365)
    for opp in opps:
        recent = opp.closed_at is not None and opp.closed_at.date() >= since
        if opp.status == OpportunityStatus.WON and recent and opp.owner_id:
            won[opp.owner_id] = won.get(opp.owner_id, Decimal("0")) + opp.amount
    months = [(ctx.today.year * 12 + ctx.today.month - 1 + k) for k in range(-5, 3)]
    rows: list[Target] = []
    team_sums: dict[tuple[int, int], Decimal] = {}
    managers = [u for u in sellers if u.role == Role.ACCOUNT_MANAGER and u.team_id]
    for i, seller in enumerate(managers):
        monthly = max(Decimal("20000"), (won.get(seller.pk, Decimal("0")) / 12))
        for index in months:
            year, month = index // 12, index % 12 + 1
            factor = Decimal("4") if i == 0 else Decimal(rng.randint(80, 130)) / 100
            value = (monthly * factor / 1000).quantize(Decimal("1")) * 1000
            rows.append(Target(metric=TargetMetric.REVENUE, year=year, month=month, owner=seller,
                               team_id=seller.team_id, value=value))  # fmt: skip
            rows.append(Target(metric=TargetMetric.NEW_CUSTOMERS, year=year, month=month,
                               owner=seller, team_id=seller.team_id,
                               value=Decimal(rng.randint(1, 3))))  # fmt: skip
            key = (seller.team_id or 0, index)
            team_sums[key] = team_sums.get(key, Decimal("0")) + value
    teams = sorted({t for t, _i in team_sums})
    for (team_id, index), total in sorted(team_sums.items()):
        off = team_id == teams[-1] and len(teams) > 1  # this one does not add up
        rows.append(Target(metric=TargetMetric.REVENUE, year=index // 12, month=index % 12 + 1,
                           owner=None, team_id=team_id,
                           value=total * Decimal("1.1") if off else total))  # fmt: skip
    Target.objects.bulk_create(rows, batch_size=500)
    audit.audit_bulk_create(actor=None, objs=rows, customer_attr=None)
    ctx.counts["targets"] = len(rows)
