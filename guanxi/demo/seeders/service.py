"""The demo's service desk (``service``): SLA policies (tighter for platinum and gold
customers and for urgent tickets) and a year of tickets in every state, with their
conversation, on the customers of the account managers, assigned to the service agent
and the owners. Runs after the seeders before it and draws only from ``ctx.rng``, so
their data stays as it was."""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.utils.translation import gettext_noop

from guanxi.accounts.models import Role
from guanxi.core import audit
from guanxi.customers.timeline import TimelineText, timeline_entry
from guanxi.demo.context import Context
from guanxi.service.clock import add_business_seconds
from guanxi.service.models import (
    MessageKind,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketMessage,
    TicketPriority,
    TicketStatus,
)

TICKETS: Final = 300
OPEN_RECENT_DAYS: Final = 10  # tickets still open were opened in the last days

# (name, priority, value class, first response minutes, resolution minutes)
POLICIES: Final = [
    ("标准服务", "", "", 240, 2 * 9 * 60),
    ("紧急工单", TicketPriority.URGENT, "", 30, 4 * 60),
    ("铂金客户", "", "platinum", 60, 9 * 60),
    ("黄金客户", "", "gold", 120, 12 * 60),
    ("铂金客户紧急", TicketPriority.URGENT, "platinum", 15, 2 * 60),
]

SUBJECTS: Final = {
    TicketCategory.INQUIRY: ["发票开具咨询", "如何导出对账单", "合同续签流程", "产品保修期限"],
    TicketCategory.COMPLAINT: ["送货延迟三天", "安装人员态度差", "账单金额有误", "产品有划痕"],
    TicketCategory.REPAIR: ["设备无法开机", "打印机频繁卡纸", "空调不制冷", "网络经常中断"],
    TicketCategory.SUGGESTION: ["希望增加微信通知", "建议延长服务时间", "希望提供英文说明书"],
}
REPLIES: Final = ["您好，已收到，我们正在处理。", "已安排工程师上门，请保持电话畅通。",
                  "问题已解决，请确认。", "请提供设备序列号以便核查。"]  # fmt: skip


def _state(ctx: Context, created: dt.date) -> str:
    if (ctx.today - created).days <= OPEN_RECENT_DAYS:
        return ctx.rng.choice([TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING,
                               TicketStatus.RESOLVED])  # fmt: skip
    return ctx.rng.choices([TicketStatus.CLOSED, TicketStatus.RESOLVED], [9, 1])[0]


def seed_service(ctx: Context) -> None:
    rng = ctx.rng
    policies = [
        SlaPolicy(name=name, priority=priority, value_class=value_class, order=i,
                  first_response_minutes=response, resolution_minutes=resolution)
        for i, (name, priority, value_class, response, resolution) in enumerate(POLICIES)
    ]  # fmt: skip
    SlaPolicy.objects.bulk_create(policies)
    agents = [u for u in ctx.users.values() if u.role == Role.SERVICE_AGENT]
    customers = [c for c in ctx.customers if c.owner_id]
    if not customers:
        return
    owners = {u.pk: u for u in ctx.users.values()}
    planned: list[tuple[Ticket, dt.datetime, list[TicketMessage]]] = []
    customer_ids: list[int] = []
    for i in range(TICKETS):
        customer = customers[0] if i == 0 else rng.choice(customers)
        category = rng.choices(list(SUBJECTS), [4, 2, 3, 1])[0]
        days_ago = rng.randint(0, OPEN_RECENT_DAYS) if i < 30 else rng.randint(0, 365)
        created_day = ctx.today - dt.timedelta(days=days_ago)
        created = ctx.at(created_day)
        priority = rng.choices(list(TicketPriority.values), [2, 6, 2, 1])[0]
        policy = policies[1] if priority == TicketPriority.URGENT else policies[0]
        assignee = (
            rng.choice(agents)
            if agents and rng.random() < 0.7
            else owners.get(customer.owner_id or 0)
        )
        contacts = ctx.contacts.get(customer.pk) or []
        contact = rng.choice(contacts) if contacts else None
        status = _state(ctx, created_day)
        ticket = Ticket(
            subject=rng.choice(SUBJECTS[category]), category=category, priority=priority,
            channel=rng.choices(list(TicketChannel.values), [4, 4, 1, 2, 1])[0],
            status=status, customer=customer, contact=contact,
            requester_name=contact.name if contact else "",
            requester_email=contact.email if contact else "",
            assignee=assignee, team_id=assignee.team_id if assignee else None, sla_policy=policy,
            first_response_target=policy.first_response_minutes * 60,
            resolution_target=policy.resolution_minutes * 60,
            warn_before=policy.warn_before_minutes * 60,
        )  # fmt: skip
        ticket.first_response_due = add_business_seconds(created, ticket.first_response_target)
        ticket.first_response_warn_at = add_business_seconds(
            created, max(ticket.first_response_target - ticket.warn_before, 0)
        )
        responded = created + dt.timedelta(minutes=rng.randint(5, 300))
        messages = [TicketMessage(kind=MessageKind.INCOMING, body=ticket.subject + "，请尽快处理。",
                                  from_email=ticket.requester_email)]  # fmt: skip
        if status != TicketStatus.NEW:
            ticket.first_responded_at = responded
            messages.append(TicketMessage(kind=MessageKind.REPLY, author=assignee,
                                          body=rng.choice(REPLIES)))  # fmt: skip
        if status in (TicketStatus.NEW, TicketStatus.OPEN):
            ticket.clock_started_at = created
            ticket.resolution_due = add_business_seconds(created, ticket.resolution_target)
            ticket.resolution_warn_at = add_business_seconds(
                created, max(ticket.resolution_target - ticket.warn_before, 0)
            )
        elif status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            ticket.resolved_at = responded + dt.timedelta(hours=rng.randint(1, 72))
            ticket.resolution_elapsed = min(ticket.resolution_target, rng.randint(1800, 30000))
            if status == TicketStatus.CLOSED:
                ticket.closed_at = ticket.resolved_at + dt.timedelta(days=rng.randint(1, 3))
        planned.append((ticket, created, messages))
        customer_ids.append(customer.pk)
    tickets = [p[0] for p in planned]
    Ticket.objects.bulk_create(tickets, batch_size=500)
    for ticket, created, _messages in planned:
        ticket.created_at = created
    Ticket.objects.bulk_update(tickets, ["created_at"], batch_size=500)
    rows = []
    for ticket, _created, messages in planned:
        for message in messages:
            message.ticket = ticket
            rows.append(message)
    TicketMessage.objects.bulk_create(rows, batch_size=1000)
    audit.audit_bulk_create(actor=None, objs=tickets)
    for (ticket, created, _messages), customer_id in zip(planned, customer_ids, strict=True):
        ctx.timeline.append(
            timeline_entry(
                customer_id=customer_id, kind="ticket", occurred_at=created,
                title=TimelineText(gettext_noop("新建工单 #%(number)s：%(subject)s"),
                                   {"number": ticket.pk, "subject": ticket.subject}),
                actor=ticket.assignee, subject=ticket,
                data={"status": ticket.status, "category": ticket.category},
            )
        )  # fmt: skip
    _seed_satisfaction(ctx, [t for t in tickets if t.closed_at and t.requester_email])
    ctx.counts["sla_policies"] += len(policies)
    ctx.counts["tickets"] += len(tickets)
    ctx.counts["ticket_messages"] += len(rows)
    ctx.log(f"工单 {len(tickets)}，工单消息 {len(rows)}")


def _seed_satisfaction(ctx: Context, closed: list[Ticket]) -> None:
    """Answered CSAT surveys (most satisfied, a few low) and the follow-up visit of each
    closed ticket, done for the older ones, pending (some overdue) for the recent. The
    tokens are random and thrown away: demo surveys are answered already or unanswerable."""
    import random

    from guanxi.core.tokens import token_digest
    from guanxi.service.models import FollowUp, Survey
    from guanxi.service.services.satisfaction import new_token

    # Its own generator: the seeders after this one draw from ctx.rng as before.
    rng = random.Random(f"guanxi-demo-satisfaction-{len(closed)}")
    surveys, visits = [], []
    for ticket in closed:
        assert ticket.closed_at is not None and ticket.customer is not None
        sent = ticket.resolved_at or ticket.closed_at
        score = rng.choices([5, 4, 3, 2, 1], [45, 30, 12, 8, 5])[0]
        answered = rng.random() < 0.6
        surveys.append(Survey(
            kind="csat", token_hash=token_digest(new_token()), ticket=ticket,
            customer=ticket.customer, contact=ticket.contact, email=ticket.requester_email,
            owner_id=ticket.customer.owner_id, team_id=ticket.team_id or ticket.customer.team_id,
            category=ticket.category, sent_at=sent, expires_at=sent + dt.timedelta(days=14),
            score=score if answered else None,
            answered_at=sent + dt.timedelta(hours=rng.randint(1, 72)) if answered else None,
        ))  # fmt: skip
        due = ticket.closed_at.date() + dt.timedelta(days=14)
        done = (ctx.today - due).days > 7 or rng.random() < 0.3
        visits.append(FollowUp(
            reason="closed", customer=ticket.customer, ticket=ticket,
            owner_id=ticket.customer.owner_id, team_id=ticket.customer.team_id, due_date=due,
            status="done" if done else "pending",
            outcome=rng.choice(["satisfied", "satisfied", "needs_action", "unreachable"])
            if done else "",
            note="电话回访，客户确认问题已解决。" if done else "",
            done_at=ctx.at(min(due, ctx.today)) if done else None,
        ))  # fmt: skip
    Survey.objects.bulk_create(surveys, batch_size=500)
    FollowUp.objects.bulk_create(visits, batch_size=500)
    audit.audit_bulk_create(actor=None, objs=surveys)
    audit.audit_bulk_create(actor=None, objs=visits)
    ctx.counts["surveys"] += len(surveys)
    ctx.counts["follow_up_visits"] += len(visits)
    ctx.log(f"满意度调查 {len(surveys)}，回访 {len(visits)}")
