"""The demo's public pool (公海池): one pool over every department with two rules (30 days
without follow-up; half a year without a deal, for the 优化客户 level), the sellers as its
members and the managers as its admins, and a handful of dormant or lost customers already
returned to it — some by the rule, one by its owner — each with its history and timeline.
Runs last and draws only from ``ctx.rng``, so the data before it stays as it was."""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.utils.translation import gettext_noop

from guanxi.accounts.models import Role
from guanxi.core import audit
from guanxi.customers.models import Customer, CustomerCollaborator, CustomerStatus
from guanxi.customers.timeline import TimelineText, timeline_entry
from guanxi.demo.context import Context
from guanxi.sales.models import Opportunity, OpportunityStatus
from guanxi.sales.models_pool import (
    Pool,
    PoolCustomer,
    PoolEvent,
    PoolEventKind,
    PoolMember,
    PoolRule,
    PoolRuleKind,
)
from guanxi.sales.pool.rules import RECYCLE_TITLES, TIMELINE_KIND

POOLED: Final = 8
FOLLOW_UP_DAYS: Final = 30


def seed_pool(ctx: Context) -> None:
    rng = ctx.rng
    pool = Pool.objects.create(
        name="公共客户池", description="超过 30 天无跟进的客户自动退回，所有销售可领取",
        daily_claim_limit=5, reclaim_after_days=30, mask_contacts=True,
    )  # fmt: skip
    follow_up = PoolRule.objects.create(
        pool=pool, kind=PoolRuleKind.NO_FOLLOW_UP, days=FOLLOW_UP_DAYS, remind_days=3
    )
    PoolRule.objects.create(pool=pool, kind=PoolRuleKind.NO_DEAL, days=180, value_class="adjust",
                            remind_days=7)  # fmt: skip
    staff = sorted(ctx.users.values(), key=lambda u: u.username)
    members = [
        PoolMember(pool=pool, user=u, is_admin=u.role in (Role.MANAGER, Role.ADMIN))
        for u in staff
        if u.role in (Role.ACCOUNT_MANAGER, Role.MANAGER, Role.ADMIN)
    ]
    PoolMember.objects.bulk_create(members)
    # Not the customers other steps show off: open opportunities, shared ones.
    busy = set(
        Opportunity.objects.filter(status=OpportunityStatus.OPEN).values_list(
            "customer_id", flat=True
        )
    ) | set(CustomerCollaborator.objects.values_list("customer_id", flat=True))
    quiet = [
        c for c in ctx.customers[1:]
        if c.owner_id and c.pk not in busy
        and c.status in (CustomerStatus.DORMANT, CustomerStatus.LOST, CustomerStatus.PROSPECT)
    ]  # fmt: skip
    chosen = rng.sample(quiet, min(POOLED, len(quiet)))
    users = {u.pk: u for u in staff}
    for n, customer in enumerate(chosen):
        owner_id, team_id = customer.owner_id, customer.team_id
        day = ctx.today - dt.timedelta(days=rng.randint(1, 20))
        at = ctx.at(day)
        by_owner = n == 0
        Customer.all_objects.filter(pk=customer.pk).update(
            owner=None, team=None, version=customer.version + 1
        )
        customer.owner, customer.team, customer.version = None, None, customer.version + 1
        PoolCustomer.objects.create(customer=customer, pool=pool, previous_owner_id=owner_id,
                                    returned_at=at)  # fmt: skip
        event = PoolEvent.objects.create(
            pool=pool, customer=customer, at=at,
            kind=PoolEventKind.RETURN if by_owner else PoolEventKind.RECYCLE,
            actor=users.get(owner_id or 0) if by_owner else None, previous_owner_id=owner_id,
            rule=None if by_owner else follow_up, rule_kind="" if by_owner else follow_up.kind,
            rule_days=None if by_owner else FOLLOW_UP_DAYS,
            reason="客户暂无采购计划" if by_owner else "",
        )  # fmt: skip
        title = (
            TimelineText(gettext_noop("退回公海“%(pool)s”"), {"pool": pool.name})
            if by_owner
            else TimelineText(RECYCLE_TITLES[PoolRuleKind.NO_FOLLOW_UP], {"days": FOLLOW_UP_DAYS})
        )
        ctx.timeline.append(
            timeline_entry(
                customer_id=customer.pk,
                kind=TIMELINE_KIND,
                occurred_at=at,
                title=title,
                actor=event.actor,
                subject=event,
            )
        )
        audit.record(
            actor=None, action="update", obj=customer, customer_id=customer.pk,
            changes={"owner_id": [owner_id, None], "team_id": [team_id, None]},
        )  # fmt: skip
    ctx.counts["pooled_customers"] = len(chosen)
    ctx.log(f"公海池 1 个，公海客户 {len(chosen)}")
