"""The demo's customer portal (``portal``): portal accounts for three customer companies —
the demo's portal login ``huawei_it`` and two more, each tied to a contact of its company —
and a few tickets they raised in the portal, one waiting for the customer's answer. Runs
after the service desk and draws only from ``ctx.rng``, so the data before it stays as it
was. The logins are printed with the other demo users (``ctx.users``)."""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.utils.translation import gettext_noop

from guanxi.accounts.models import Role, User
from guanxi.core import audit
from guanxi.customers.timeline import TimelineText, timeline_entry
from guanxi.demo.context import Context
from guanxi.portal.models import PortalAccount, PortalRole
from guanxi.service.models import (
    MessageKind,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketMessage,
    TicketStatus,
)

PORTAL_USERNAME: Final = "huawei_it"
# (username, display name, portal role) of the logins added here; huawei_it is an approver.
MORE: Final = [
    ("kehu_li", "李敏（客户门户）", PortalRole.REQUESTER),
    ("kehu_zhou", "周平（客户门户）", PortalRole.VIEWER),
]
# (subject, category, status) of each company's portal tickets
TICKETS: Final = [
    ("门户登录后看不到上月对账单", TicketCategory.INQUIRY, TicketStatus.WAITING),
    ("会议室投影仪无法连接", TicketCategory.REPAIR, TicketStatus.OPEN),
]


def seed_portal(ctx: Context) -> None:
    customers = [c for c in ctx.customers if c.owner_id and ctx.contacts.get(c.pk)][:3]
    first = ctx.users.get(PORTAL_USERNAME)
    if first is None or not customers:
        return
    users = [first]
    for username, display, _role in MORE:
        users.append(
            User(
                username=username,
                display_name=display,
                role=Role.PORTAL,
                email=f"{username}@example.com.cn",
                password=first.password,
            )
        )
    User.objects.bulk_create(users[1:])
    audit.audit_bulk_create(actor=None, objs=users[1:], customer_attr=None)
    roles = [PortalRole.APPROVER, *(role for _u, _d, role in MORE)]
    accounts = []
    for user, customer, role in zip(users, customers, roles, strict=False):
        contact = ctx.contacts[customer.pk][0]
        accounts.append(
            PortalAccount(
                user=user,
                customer=customer,
                contact=contact,
                contact_bound=True,
                role=role,
                invited_by_id=customer.owner_id,
            )
        )
    PortalAccount.objects.bulk_create(accounts)
    audit.audit_bulk_create(actor=None, objs=accounts)
    tickets, messages = [], []
    customer_of: dict[int, int] = {}
    for account in accounts:
        if account.role == PortalRole.VIEWER:
            continue
        for subject, category, status in TICKETS:
            created = ctx.at(ctx.today - dt.timedelta(days=ctx.rng.randint(1, 5)))
            ticket = Ticket(
                subject=subject,
                category=category,
                status=status,
                channel=TicketChannel.PORTAL,
                customer=account.customer,
                contact=account.contact,
                requester_name=account.user.display_name,
                requester_email=account.user.email,
                created_by=account.user,
                first_responded_at=created + dt.timedelta(hours=1),
                clock_started_at=created if status == TicketStatus.OPEN else None,
            )
            tickets.append((ticket, created))
            customer_of[id(ticket)] = account.customer.pk
    Ticket.objects.bulk_create([t for t, _c in tickets])
    for ticket, created in tickets:
        ticket.created_at = created
        messages.append(
            TicketMessage(
                ticket=ticket,
                kind=MessageKind.INCOMING,
                from_email=ticket.requester_email,
                body=ticket.subject + "，麻烦尽快看一下。",
            )
        )
        reply = "请问是哪个账号登录的？方便的话请截图给我们。"
        if ticket.status == TicketStatus.OPEN:
            reply = "已安排工程师明天上午到场检查。"
        messages.append(TicketMessage(ticket=ticket, kind=MessageKind.REPLY, body=reply))
        ctx.timeline.append(
            timeline_entry(
                customer_id=customer_of[id(ticket)],
                kind="ticket",
                occurred_at=created,
                title=TimelineText(
                    gettext_noop("新建工单 #%(number)s：%(subject)s"),
                    {"number": ticket.pk, "subject": ticket.subject},
                ),
                subject=ticket,
                data={"status": ticket.status, "category": ticket.category},
            )
        )
    Ticket.objects.bulk_update([t for t, _c in tickets], ["created_at"])
    TicketMessage.objects.bulk_create(messages)
    audit.audit_bulk_create(actor=None, objs=[t for t, _c in tickets])
    for user in users[1:]:
        ctx.users[user.username] = user
    ctx.counts["portal_accounts"] = len(accounts)
    ctx.log(f"门户账号 {len(accounts)}，门户工单 {len(tickets)}")
