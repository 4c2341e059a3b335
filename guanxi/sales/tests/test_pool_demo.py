"""The demo's pool (``guanxi.demo.seeders.pool``): the pool page has content for the demo
account manager on the first visit, and its data keeps the pool's invariants."""

import datetime as dt

import pytest
from django.urls import reverse

from guanxi.accounts.models import User
from guanxi.customers.models import Customer, TimelineEntry
from guanxi.demo.build import build_demo
from guanxi.sales.models_pool import Pool, PoolCustomer, PoolEvent

TODAY = dt.date(2026, 11, 24)
pytestmark = pytest.mark.django_db


def test_the_demo_pool_has_rules_members_and_pooled_customers(client):
    build_demo(customers=60, today=TODAY)
    pool = Pool.objects.get()
    assert pool.rules.count() == 2
    pooled = PoolCustomer.objects.filter(pool=pool)
    assert pooled.count() >= 5
    # A pooled customer has no owner, a previous one, its history and its timeline entry.
    for state in pooled:
        customer = Customer.objects.get(pk=state.customer_id)
        assert customer.owner_id is None and customer.team_id is None
        assert state.previous_owner_id is not None
        assert PoolEvent.objects.filter(customer=customer).count() == 1
        assert TimelineEntry.objects.filter(customer=customer, kind="pool").count() == 1
    lina = User.objects.get(username="lina")
    client.force_login(lina)
    page = client.get(reverse("sales:pool:detail", args=[pool.pk])).content.decode()
    assert page.count("<tr data-customer=") == pooled.count()
    assert 'id="nav-pool"' in page
    history = client.get(reverse("sales:pool:history", args=[pool.pk])).content.decode()
    assert "超过 30 天无跟进，自动退回公海" in history
