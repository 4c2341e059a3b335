"""Claims racing each other (PostgreSQL: row locks; SQLite serialises every writer anyway):
100 claims of one pooled customer, exactly one succeeds; one member's parallel claims of
different customers stay within the daily limit."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.errors import Conflict
from guanxi.customers.models import Customer
from guanxi.sales.models_pool import PoolEvent
from guanxi.sales.pool import services
from guanxi.sales.tests.pool_helpers import make_pool, pooled

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]
# The test database allows 100 sessions, shared with other runs: the 100 claims go through
# 25 sessions at once (each claim its own transaction, all released together per wave).
SESSIONS = 25


def _race(claims):
    """Run the callables at once, ``SESSIONS`` at a time; each returns "ok" or an error code."""
    gate = threading.Barrier(min(SESSIONS, len(claims)), timeout=60)

    def attempt(claim):
        try:
            with contextlib.suppress(threading.BrokenBarrierError):  # a last, smaller wave
                gate.wait()
            claim()
            return "ok"
        except Conflict as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        return list(pool.map(attempt, claims))


def test_100_parallel_claims_of_one_customer_exactly_one_succeeds():
    members = [UserFactory(username=f"racer{i}", role=Role.ACCOUNT_MANAGER) for i in range(100)]
    pool = make_pool(members=tuple(members))
    customer = pooled(pool)
    claims = [
        (lambda m=m: services.pool_claim(actor=m, pool_id=pool.pk, customer_id=customer.pk))
        for m in members
    ]
    results = _race(claims)
    assert results.count("ok") == 1
    assert set(results) - {"ok"} == {"already_claimed"}
    customer.refresh_from_db()
    winner = members[results.index("ok")]
    assert customer.owner_id == winner.pk
    assert list(PoolEvent.objects.values_list("kind", "owner_id")) == [("claim", winner.pk)]


def test_one_members_parallel_claims_stay_within_the_daily_limit():
    member = UserFactory(username="greedy", role=Role.ACCOUNT_MANAGER)
    pool = make_pool(members=(member,), daily_claim_limit=3)
    customers = [pooled(pool) for _ in range(10)]
    claims = [
        (lambda c=c: services.pool_claim(actor=member, pool_id=pool.pk, customer_id=c.pk))
        for c in customers
    ]
    results = _race(claims)
    assert results.count("ok") == 3
    assert results.count("claim_limit") == 7
    assert Customer.objects.filter(owner=member).count() == 3
