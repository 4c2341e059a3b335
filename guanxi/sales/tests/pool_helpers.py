"""Scene data of the pool tests: a pool with members, a rule, pooled customers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from guanxi.customers.tests.factories import CustomerFactory
from guanxi.sales.models_pool import Pool, PoolCustomer, PoolMember, PoolRule


def make_pool(*, members: tuple[Any, ...] = (), admins: tuple[Any, ...] = (), **kw: Any) -> Pool:
    kw.setdefault("name", "华东公海")
    kw.setdefault("daily_claim_limit", 0)
    kw.setdefault("reclaim_after_days", 0)
    teams = kw.pop("teams", ())
    pool = Pool.objects.create(**kw)
    pool.teams.set(teams)
    for user in members:
        PoolMember.objects.create(pool=pool, user=user)
    for user in admins:
        PoolMember.objects.create(pool=pool, user=user, is_admin=True)
    return pool


def make_rule(pool: Pool, **kw: Any) -> PoolRule:
    kw.setdefault("kind", "no_follow_up")
    kw.setdefault("days", 30)
    kw.setdefault("remind_days", 3)
    return PoolRule.objects.create(pool=pool, **kw)


def pooled(pool: Pool, *, previous_owner: Any = None, **kw: Any) -> Any:
    """A customer sitting in ``pool`` (no owner, no department)."""
    customer = CustomerFactory(owner=None, team=None, **kw)
    PoolCustomer.objects.create(
        customer=customer, pool=pool, previous_owner=previous_owner, returned_at=timezone.now()
    )
    return customer


def aged(customer: Any, days: int) -> Any:
    """Make ``customer`` look ``days`` days old (created then)."""
    type(customer).all_objects.filter(pk=customer.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days)
    )
    customer.refresh_from_db()
    return customer
