"""The pool's writes: claim (limits, reclaim wait, cap), assign, return, lock, recycle; each
audited and on the customer's timeline, and nothing written when refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import Customer, TimelineEntry
from guanxi.customers.tests.factories import CommunicationFactory, CustomerFactory
from guanxi.customers.timeline import display_title
from guanxi.sales.models_pool import PoolCustomer, PoolEvent
from guanxi.sales.pool import rules, services
from guanxi.sales.tests.factories import OpportunityFactory, StageFactory
from guanxi.sales.tests.pool_helpers import aged, make_pool, make_rule, pooled

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 3)


def _snapshot(customer):
    customer.refresh_from_db()
    return (
        customer.owner_id,
        customer.team_id,
        customer.version,
        PoolEvent.objects.count(),
        AuditEntry.objects.count(),
        TimelineEntry.objects.count(),
    )


def test_a_member_claims_a_pooled_customer(am_a):
    pool = make_pool(members=(am_a,))
    customer = pooled(pool)
    services.pool_claim(actor=am_a, pool_id=pool.pk, customer_id=customer.pk)
    customer.refresh_from_db()
    assert (customer.owner_id, customer.team_id) == (am_a.pk, am_a.team_id)
    state = PoolCustomer.objects.get(customer=customer)
    assert state.pool_id is None and state.owner_since is not None
    event = PoolEvent.objects.get(customer=customer)
    assert (event.kind, event.owner_id, event.actor_id) == ("claim", am_a.pk, am_a.pk)
    audit = AuditEntry.objects.get(model="customers.customer", object_id=str(customer.pk))
    assert audit.changes == {"owner_id": [None, am_a.pk], "team_id": [None, am_a.team_id]}
    entry = TimelineEntry.objects.get(customer=customer, kind="pool")
    assert display_title(entry) == "从公海“华东公海”领取"


def test_a_non_member_cannot_claim_and_nothing_changes(am_a, am_b):
    pool = make_pool(members=(am_a,))
    customer = pooled(pool)
    before = _snapshot(customer)
    with pytest.raises(NotFound):
        services.pool_claim(actor=am_b, pool_id=pool.pk, customer_id=customer.pk)
    assert _snapshot(customer) == before


def test_a_customer_of_another_pool_is_not_found(am_a):
    pool = make_pool(members=(am_a,))
    other = make_pool(name="华南公海", members=(am_a,))
    customer = pooled(other)
    with pytest.raises(NotFound):
        services.pool_claim(actor=am_a, pool_id=pool.pk, customer_id=customer.pk)


def test_a_claimed_customer_cannot_be_claimed_again(am_a, am_a2):
    pool = make_pool(members=(am_a, am_a2))
    customer = pooled(pool)
    services.pool_claim(actor=am_a, pool_id=pool.pk, customer_id=customer.pk)
    with pytest.raises(Conflict) as exc:
        services.pool_claim(actor=am_a2, pool_id=pool.pk, customer_id=customer.pk)
    assert exc.value.code == "already_claimed"
    customer.refresh_from_db()
    assert customer.owner_id == am_a.pk


def test_the_daily_claim_limit_holds(am_a):
    pool = make_pool(members=(am_a,), daily_claim_limit=2)
    customers = [pooled(pool) for _ in range(3)]
    for c in customers[:2]:
        services.pool_claim(actor=am_a, pool_id=pool.pk, customer_id=c.pk)
    before = _snapshot(customers[2])
    with pytest.raises(Conflict) as exc:
        services.pool_claim(actor=am_a, pool_id=pool.pk, customer_id=customers[2].pk)
    assert exc.value.code == "claim_limit"
    assert "2" in exc.value.message
    assert _snapshot(customers[2]) == before


def test_claims_of_yesterday_do_not_count_today(am_a):
    pool = make_pool(members=(am_a,), daily_claim_limit=1)
    first, second = pooled(pool), pooled(pool)
    services.pool_claim(actor=am_a, pool_id=pool.pk, customer_id=first.pk)
    PoolEvent.objects.update(at=timezone.now() - dt.timedelta(days=1))
    services.pool_claim(actor=am_a, pool_id=pool.pk, customer_id=second.pk)
    assert Customer.objects.filter(owner=am_a).count() == 2


def test_the_previous_owner_waits_before_reclaiming(am_a):
    pool = make_pool(members=(am_a,), reclaim_after_days=7)
    customer = CustomerFactory(owner=am_a)
    services.pool_return(actor=am_a, pool_id=pool.pk, customer_id=customer.pk, reason="不再跟进")
    with pytest.raises(Conflict) as exc:
        services.pool_claim(actor=am_a, pool_id=pool.pk, customer_id=customer.pk)
    assert exc.value.code == "reclaim_blocked"
    PoolEvent.objects.update(at=timezone.now() - dt.timedelta(days=8))
    services.pool_claim(actor=am_a, pool_id=pool.pk, customer_id=customer.pk)
    customer.refresh_from_db()
    assert customer.owner_id == am_a.pk


def test_the_holding_cap_counts_won_customers_only_when_told(am_a):
    pool = make_pool(members=(am_a,), hold_cap=1, cap_counts_won=False)
    won_customer = CustomerFactory(owner=am_a)
    OpportunityFactory(customer=won_customer, stage=StageFactory(kind="won"), status="won",
                       closed_at=timezone.now(), position=None)  # fmt: skip
    first, second = pooled(pool), pooled(pool)
    services.pool_claim(actor=am_a, pool_id=pool.pk, customer_id=first.pk)  # the won one is free
    with pytest.raises(Conflict) as exc:
        services.pool_claim(actor=am_a, pool_id=pool.pk, customer_id=second.pk)
    assert exc.value.code == "hold_cap"
    pool.cap_counts_won = True
    pool.hold_cap = 3
    pool.save()
    services.pool_claim(actor=am_a, pool_id=pool.pk, customer_id=second.pk)
    with pytest.raises(Conflict):
        services.pool_claim(actor=am_a, pool_id=pool.pk, customer_id=pooled(pool).pk)


def test_a_role_that_holds_no_customers_cannot_claim(agent):
    pool = make_pool(members=(agent,))
    customer = pooled(pool)
    with pytest.raises(PermissionDenied):
        services.pool_claim(actor=agent, pool_id=pool.pk, customer_id=customer.pk)


def test_an_admin_assigns_to_a_member_only(manager_a, am_a, am_b):
    pool = make_pool(members=(am_a,), admins=(manager_a,))
    customer = pooled(pool)
    with pytest.raises(ValidationFailed) as exc:
        services.pool_assign(actor=manager_a, pool_id=pool.pk, customer_id=customer.pk,
                             user_id=am_b.pk)  # fmt: skip
    assert "user_id" in exc.value.errors
    services.pool_assign(actor=manager_a, pool_id=pool.pk, customer_id=customer.pk, user_id=am_a.pk)
    customer.refresh_from_db()
    assert customer.owner_id == am_a.pk
    event = PoolEvent.objects.get(customer=customer)
    assert (event.kind, event.actor_id, event.owner_id) == ("assign", manager_a.pk, am_a.pk)


def test_a_member_cannot_assign(am_a, am_a2):
    pool = make_pool(members=(am_a, am_a2))
    customer = pooled(pool)
    with pytest.raises(PermissionDenied):
        services.pool_assign(actor=am_a, pool_id=pool.pk, customer_id=customer.pk, user_id=am_a2.pk)


def test_the_owner_returns_a_customer_with_a_reason(am_a):
    pool = make_pool(members=(am_a,))
    customer = CustomerFactory(owner=am_a)
    services.pool_return(actor=am_a, pool_id=pool.pk, customer_id=customer.pk, reason="预算取消")
    customer.refresh_from_db()
    assert (customer.owner_id, customer.team_id) == (None, None)
    state = PoolCustomer.objects.get(customer=customer)
    assert (state.pool_id, state.previous_owner_id) == (pool.pk, am_a.pk)
    entry = TimelineEntry.objects.get(customer=customer, kind="pool")
    assert display_title(entry) == "退回公海“华东公海”" and entry.body == "预算取消"


def test_someone_else_cannot_return_my_customer(am_a, am_b):
    pool = make_pool(members=(am_a, am_b))
    customer = CustomerFactory(owner=am_a)
    with pytest.raises(NotFound):
        services.pool_return(actor=am_b, pool_id=pool.pk, customer_id=customer.pk)
    assert not PoolCustomer.objects.exists()


def test_a_too_long_reason_is_refused_by_field(am_a):
    pool = make_pool(members=(am_a,))
    customer = CustomerFactory(owner=am_a)
    with pytest.raises(ValidationFailed) as exc:
        services.pool_return(
            actor=am_a, pool_id=pool.pk, customer_id=customer.pk, reason="长" * 201
        )
    assert list(exc.value.errors) == ["reason"]


def test_only_managers_lock_and_a_lock_is_audited(manager_a, am_a):
    customer = CustomerFactory(owner=am_a)
    with pytest.raises(PermissionDenied):
        services.pool_customer_set_locked(actor=am_a, customer_id=customer.pk, locked=True)
    services.pool_customer_set_locked(actor=manager_a, customer_id=customer.pk, locked=True)
    assert PoolCustomer.objects.get(customer=customer).locked
    audit = AuditEntry.objects.get(model="sales.poolcustomer")
    assert audit.changes == {"locked": [False, True]}


def test_recycle_returns_a_customer_without_follow_up_and_writes_everything(am_a):
    pool = make_pool(members=(am_a,))
    make_rule(pool, days=30)
    stale = aged(CustomerFactory(owner=am_a, name="沉睡公司"), 60)
    fresh = aged(CustomerFactory(owner=am_a, name="活跃公司"), 60)
    CommunicationFactory(customer=fresh, occurred_at=timezone.now() - dt.timedelta(days=5))
    assert rules.recycle(today=timezone.localdate()) == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.owner_id is None and stale.team_id is None and fresh.owner_id == am_a.pk
    state = PoolCustomer.objects.get(customer=stale)
    assert (state.pool_id, state.previous_owner_id) == (pool.pk, am_a.pk)
    event = PoolEvent.objects.get(customer=stale)
    assert (event.kind, event.rule_kind, event.rule_days, event.previous_owner_id) == (
        "recycle", "no_follow_up", 30, am_a.pk)  # fmt: skip
    entry = TimelineEntry.objects.get(customer=stale, kind="pool")
    assert display_title(entry) == "超过 30 天无跟进，自动退回公海"
    audit = AuditEntry.objects.get(model="customers.customer", object_id=str(stale.pk))
    assert audit.changes == {"owner_id": [am_a.pk, None], "team_id": [am_a.team_id, None]}
    assert (audit.actor_id, audit.source) == (None, "system")


def test_recycle_leaves_locked_and_exempt_customers(am_a):
    pool = make_pool(members=(am_a,))
    make_rule(pool, days=30, exempt_open_opportunity=True)
    locked = aged(CustomerFactory(owner=am_a), 60)
    PoolCustomer.objects.create(customer=locked, locked=True)
    busy = aged(CustomerFactory(owner=am_a), 60)
    OpportunityFactory(customer=busy)
    assert rules.recycle(today=timezone.localdate()) == 0


def test_recycle_only_takes_customers_of_the_pools_departments(am_a, am_b, team_b):
    pool = make_pool(teams=[team_b])
    make_rule(pool, days=30)
    aged(CustomerFactory(owner=am_a), 60)
    theirs = aged(CustomerFactory(owner=am_b), 60)
    assert rules.recycle(today=timezone.localdate()) == 1
    assert PoolCustomer.objects.get().customer_id == theirs.pk


def test_the_clock_restarts_when_a_customer_is_claimed(am_a):
    pool = make_pool(members=(am_a,))
    make_rule(pool, days=30)
    customer = aged(pooled(pool), 90)
    services.pool_claim(actor=am_a, pool_id=pool.pk, customer_id=customer.pk)
    assert rules.recycle(today=timezone.localdate()) == 0
    later = timezone.localdate() + dt.timedelta(days=31)
    assert rules.recycle(today=later) == 1


def test_a_recycle_run_twice_returns_a_customer_once(am_a):
    pool = make_pool()
    make_rule(pool, days=30)
    aged(CustomerFactory(owner=am_a), 60)
    assert rules.recycle(today=timezone.localdate()) == 1
    assert rules.recycle(today=timezone.localdate()) == 0
    assert PoolEvent.objects.count() == 1
