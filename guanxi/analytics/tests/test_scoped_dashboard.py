"""Issue 10 items 4, 24, 27: every figure of the latest run and of the dashboard is the
reader's (his own customers, his team's, or all), the dashboard's cache never hands one
reader's or one language's figures to another, and a recompute prepares each scope's
figures so that the first render reads one row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.core.cache import cache
from django.db.models import Count, Sum

from guanxi.analytics import selectors, services
from guanxi.analytics.compute import value
from guanxi.analytics.models import CustomerValue, DashboardAggregate
from guanxi.analytics.tests import builders
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.customers.tests.test_api_support import Api
from guanxi.orders.models import Order, OrderStatus

AS_OF = builders.AS_OF


def _book(owner, spec):
    """Customers of ``owner``: one per (cycle days, amount, purchases) in ``spec``."""
    for cycle, amount, count in spec:
        customer = CustomerFactory(owner=owner)
        builders.add_orders(customer, builders.regular_orders(cycle, Decimal(amount), count=count))


@pytest.fixture
def books(admin_user, am_a, am_a2, am_b, manager_a):
    cache.clear()
    _book(am_a, [(10, "900.00", 4), (60, "300.00", 3), (120, "50.00", 2), (30, "80.00", 1)])
    _book(am_a2, [(7, "2000.00", 5), (45, "150.00", 3)])
    _book(am_b, [(20, "500.00", 3)])
    # an order after the as-of date and a cancelled one: neither counts
    late = CustomerFactory(owner=am_a)
    builders.add_orders(late, [(AS_OF + dt.timedelta(days=3), Decimal("999.00"))])
    builders.add_orders(late, [(AS_OF, Decimal("777.00"))], status=OrderStatus.CANCELLED)
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)


def direct(**customer_filter):
    """The run's totals computed straight from the orders and values of these customers."""
    orders = Order.objects.filter(
        status=OrderStatus.CONFIRMED, order_date__lte=AS_OF,
        **{f"customer__{k}": v for k, v in customer_filter.items()},
    )  # fmt: skip
    totals = orders.aggregate(
        customers=Count("customer_id", distinct=True), orders=Count("id"), revenue=Sum("total")
    )
    values = CustomerValue.objects.filter(
        **{f"customer__{k}": v for k, v in customer_filter.items()}
    )
    counts = dict(values.values_list("value_class").annotate(n=Count("pk")).order_by())
    revenue = np.array([float(r) for r in values.values_list("revenue", flat=True)])
    pareto = value.pareto(revenue, key_share=0.8)
    return {
        "customers": totals["customers"],
        "orders": totals["orders"],
        "revenue": f"{totals['revenue']:.2f}",
        "class_counts": counts,
        "key_accounts": len(pareto.key_accounts),
        "pareto_top_share": pytest.approx(pareto.top_share, abs=1e-6),
    }


def api_totals(user):
    body = Api(user).get("/analytics/runs/latest").json()
    return {
        "customers": body["customers"],
        "orders": body["orders"],
        "revenue": body["revenue"],
        "class_counts": {k: v for k, v in body["class_counts"].items() if v},
        "key_accounts": body["key_accounts"],
        "pareto_top_share": body["pareto_top_share"],
    }


def test_two_account_managers_get_their_own_run_totals(books, am_a, am_a2):
    mine, theirs = api_totals(am_a), api_totals(am_a2)
    assert mine == direct(owner=am_a)
    assert theirs == direct(owner=am_a2)
    assert mine["customers"] == 4 and theirs["customers"] == 2
    assert mine["revenue"] != theirs["revenue"]


def test_a_manager_gets_his_teams_totals_and_the_admin_the_companys(
    books, manager_a, admin_user, am_a
):
    assert api_totals(manager_a) == direct(team=am_a.team)
    everything = api_totals(admin_user)
    assert everything["customers"] == 7
    assert everything == {**direct(), "key_accounts": everything["key_accounts"]}


def test_the_runs_list_withholds_company_totals_of_older_runs(books, am_a, admin_user):
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    newest, older = Api(am_a).get("/analytics/runs").json()[:2]
    assert newest["customers"] == 4 and newest["scoped"]
    assert older["customers"] is None and older["revenue"] is None and older["message"] == ""
    assert Api(admin_user).get("/analytics/runs").json()[1]["customers"] == 7


def test_the_dashboard_header_counts_the_readers_customers(client, books, am_a, am_a2):
    for user, n in ((am_a, 4), (am_a2, 2)):
        client.force_login(user)
        html = client.get("/analytics/").content.decode()
        header = html[html.index('id="run-info"') :][:400]
        assert f"{n} 位有购买的客户" in header, header
        revenue = direct(owner=user)["revenue"]
        assert f"¥{Decimal(revenue):,.2f}" in html


def test_the_dashboard_labels_follow_the_language_after_a_cached_render(client, books, am_a):
    client.force_login(am_a)
    chinese = client.get("/analytics/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "铂金客户" in chinese.content.decode()
    english = client.get("/analytics/", HTTP_ACCEPT_LANGUAGE="en")
    labels = {c["class_label"] for c in english.context["data"]["matrix"]["cells"]}
    assert "Platinum customer" in labels and "铂金客户" not in labels
    html = english.content.decode()
    assert "Monthly churn rate (%)" in html and "月流失率（%）" not in html


def test_two_scopes_never_share_a_cached_or_prepared_figure(client, books, am_a, am_a2):
    for drop_prepared in (False, True):
        cache.clear()
        if drop_prepared:
            DashboardAggregate.objects.all().delete()
        for user, n in ((am_a, 4), (am_a2, 2), (am_a, 4)):
            client.force_login(user)
            data = client.get("/analytics/").context["data"]
            assert data["matrix"]["total"] == n
            assert data["profitability"]["customers"] == n


def test_a_recompute_prepares_every_scope_as_the_reader_would_compute_it(
    books, admin_user, am_a, am_a2, am_b, manager_a
):
    run = selectors.latest_run(actor=admin_user)
    rows = dict(DashboardAggregate.objects.filter(run=run).values_list("key", "figures"))
    users = (admin_user, am_a, am_a2, am_b, manager_a)
    keys = {selectors.prepared_key(selectors.scope_key(u), selectors.ValueFilters()) for u in users}
    assert keys <= set(rows)
    for user in users:
        key = selectors.prepared_key(selectors.scope_key(user), selectors.ValueFilters())
        assert rows[key] == selectors.dashboard_figures(
            actor=user, filters=selectors.ValueFilters(), run=run
        )
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    newest = selectors.latest_run(actor=admin_user)
    assert set(DashboardAggregate.objects.values_list("run_id", flat=True)) == {newest.pk}


def test_prepared_figures_are_only_for_the_latest_run(books, admin_user):
    run = selectors.latest_run(actor=admin_user)
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    assert services.dashboard_prepare(run_id=run.pk) == 0
    assert not DashboardAggregate.objects.filter(run=run).exists()
