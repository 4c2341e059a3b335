"""Analytics selectors: scope, filters and the dashboard's figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from guanxi.analytics import selectors, services
from guanxi.analytics.tests import builders
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.orders.models import Order

AS_OF = builders.AS_OF
ALL = selectors.ValueFilters()


@pytest.fixture
def two_teams(admin_user, am_a, am_b):
    """Team A's account manager owns the grid; team B's owns three big, frequent buyers."""
    services.analytics_settings_update(
        actor=admin_user, version=builders.settings_version(),
        changes={"cycle_threshold_short": 30, "cycle_threshold_long": 90,
                 "amount_threshold_small": 100, "amount_threshold_large": 500},
    )  # fmt: skip
    grid = builders.grid_book(owner=am_a, province="浙江")
    team_b = []
    for i in range(3):
        customer = CustomerFactory(owner=am_b, name=f"华南大客户{i}", province="广东")
        builders.add_orders(customer, builders.regular_orders(7, Decimal("2000.00")))
        team_b.append(customer)
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    return {"grid": grid, "team_b": team_b}


def cell_counts(matrix):
    return {c["cell"]: c["count"] for c in matrix["cells"]}


def test_an_account_manager_sees_only_their_customers_in_the_matrix(two_teams, am_a, am_b):
    mine = selectors.value_matrix(actor=am_a, filters=ALL)
    assert mine["total"] == 9
    assert cell_counts(mine)["large-short"] == 1
    theirs = selectors.value_matrix(actor=am_b, filters=ALL)
    assert theirs["total"] == 3
    assert cell_counts(theirs) == {**{k: 0 for k in cell_counts(mine)}, "large-short": 3}


def test_the_admin_sees_all_and_filters_by_team_owner_and_region(two_teams, admin_user, am_b):
    assert selectors.value_matrix(actor=admin_user, filters=ALL)["total"] == 12
    by_team = selectors.ValueFilters(team_id=am_b.team_id)
    assert selectors.value_matrix(actor=admin_user, filters=by_team)["total"] == 3
    by_owner = selectors.ValueFilters(owner_id=am_b.pk)
    assert selectors.value_matrix(actor=admin_user, filters=by_owner)["total"] == 3
    by_region = selectors.ValueFilters(region="浙江")
    assert selectors.value_matrix(actor=admin_user, filters=by_region)["total"] == 9


def test_a_manager_sees_the_team(two_teams, manager_a):
    assert selectors.value_matrix(actor=manager_a, filters=ALL)["total"] == 9


def test_matrix_revenue_and_classes(two_teams, admin_user):
    matrix = selectors.value_matrix(actor=admin_user, filters=ALL)
    cell = next(c for c in matrix["cells"] if c["cell"] == "large-short")
    assert cell["count"] == 4
    assert cell["revenue"] == pytest.approx(3 * 900 + 3 * 3 * 2000)
    assert cell["value_class"] == "platinum"
    classes = {c["code"]: c for c in matrix["classes"]}
    assert classes["platinum"]["count"] == 4
    assert classes["silver"]["count"] == 3
    assert classes["insufficient"]["count"] == 0


def test_silver_cells_get_the_seeds_different_advice(two_teams, admin_user):
    matrix = selectors.value_matrix(actor=admin_user, filters=ALL)
    advice = {c["cell"]: c["strategy"] for c in matrix["cells"] if c["value_class"] == "silver"}
    assert len(set(advice.values())) == 3
    assert "缩短其消费周期" in advice["large-long"]
    assert "不是营销重点" in advice["small-short"]


def test_customer_value_of_another_team_is_not_found(two_teams, am_a):
    theirs = two_teams["team_b"][0]
    with pytest.raises(NotFound):
        selectors.customer_value_get(actor=am_a, customer_id=theirs.pk)
    mine = two_teams["grid"][("large", "short")]
    assert selectors.customer_value_get(actor=am_a, customer_id=mine.pk).value_class == "platinum"


def test_portal_users_see_nothing(two_teams, portal_user):
    with pytest.raises(PermissionDenied):
        selectors.value_matrix(actor=portal_user, filters=ALL)


def test_value_list_filters_by_class_cell_and_sorts(two_teams, admin_user):
    page = selectors.value_list(
        actor=admin_user, filters=selectors.ValueFilters(value_class="gold", sort="-revenue")
    )
    assert [v.customer.name for v in page.items] == ["large-medium客户", "medium-short客户"]
    page = selectors.value_list(actor=admin_user, filters=selectors.ValueFilters(cell="small-long"))
    assert [v.customer.name for v in page.items] == ["small-long客户"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"owner": "x"}, "owner"),
        ({"team": "-3"}, "team"),
        ({"value_class": "diamond"}, "value_class"),
        ({"cell": "huge-short"}, "cell"),
        ({"cell": "large"}, "cell"),
        ({"segment": "vip"}, "segment"),
        ({"sort": "name"}, "sort"),
        ({"key_account": "maybe"}, "key_account"),
        ({"region": "省" * 21}, "region"),
    ],
)
def test_bad_filters_name_the_parameter(raw, field):
    with pytest.raises(ValidationFailed) as raised:
        selectors.validate_value_filters(raw)
    assert list(raw.keys()) == [field]
    assert field in raised.value.errors


def test_pareto_curve_top_share_and_key_accounts(two_teams, admin_user):
    pareto = selectors.pareto_curve(actor=admin_user, filters=ALL)
    revenues = sorted(
        [3 * float(a) for a in builders.AMOUNTS.values() for _c in range(3)] + [6000.0] * 3,
        reverse=True,
    )
    total = sum(revenues)
    # 12 customers: the top 20 % is ceil(2.4) = 3 of them
    assert pareto["top_share"] == pytest.approx(sum(revenues[:3]) / total, abs=1e-4)
    assert pareto["points"][0] == {"customers": 0.0, "revenue": 0.0}
    assert pareto["points"][-1] == {"customers": 1.0, "revenue": 1.0}
    assert pareto["key_accounts"] == 5  # 18000 + 2 × 2700 ≥ 80 % of 28350
    assert [v.customer.name for v in pareto["key_list"]][:3] == [
        "华南大客户0", "华南大客户1", "华南大客户2"
    ]  # fmt: skip


def test_rfm_grid_counts_every_customer_once(two_teams, am_a):
    rfm = selectors.rfm_grid(actor=am_a, filters=ALL)
    assert sum(map(sum, rfm["grid"])) == 9
    assert sum(s["count"] for s in rfm["segments"]) == 9


def test_company_wide_figures_from_the_run_equal_the_ones_computed_live(admin_user, am_a):
    """The admin's unfiltered Pareto curve and cohorts come from the run; filtered ones are
    computed from the stored values. With one owner, both describe the same customers."""
    builders.grid_book(owner=am_a)
    builders.simulated_book(60, owner=am_a)
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    same_customers = selectors.ValueFilters(owner_id=am_a.pk)
    from_run = selectors.pareto_curve(actor=admin_user, filters=ALL)
    live = selectors.pareto_curve(actor=admin_user, filters=same_customers)
    for key in ("points", "top_share", "key_accounts", "customers"):
        assert from_run[key] == live[key], key
    assert [v.pk for v in from_run["key_list"]] == [v.pk for v in live["key_list"]]
    cohorts = selectors.cohort_table(actor=admin_user, filters=ALL)
    assert cohorts == selectors.cohort_table(actor=admin_user, filters=same_customers)
    assert cohorts["cohorts"]  # the grid's customers started buying within the year


def test_class_movement_says_which_band_changed(two_teams, admin_user, am_a, am_b):
    grid = two_teams["grid"]
    # medium-medium buys more each time (amount band up: silver → gold); large-long stays.
    Order.objects.filter(customer=grid[("medium", "medium")]).update(total=Decimal("800.00"))
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    moved = selectors.class_movement(actor=admin_user, filters=ALL)
    assert moved["moved"] == 1
    assert moved["matrix"] == [
        {"old_class": "silver", "new_class": "gold", "n": 1, "old_label": "白银客户",
         "new_label": "黄金客户"}
    ]  # fmt: skip
    (mover,) = moved["movers"]
    assert mover["name"] == "medium-medium客户"
    assert mover["reason"] == "amount"
    assert (mover["old_amount"], mover["new_amount"]) == (Decimal("300.00"), Decimal("800.00"))
    assert selectors.class_movement(actor=am_b, filters=ALL)["moved"] == 0
    only_gold = selectors.class_movement(actor=am_a, filters=ALL, from_class="gold")
    assert only_gold["movers"] == []


def test_class_movement_tells_threshold_shifts_from_customer_changes(admin_user, am_a):
    grid = builders.grid_book(owner=am_a)  # tercile thresholds
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    # Four new big buyers move the amount terciles up; nobody in the grid changed.
    for _ in range(4):
        customer = CustomerFactory(owner=am_a)
        builders.add_orders(customer, builders.regular_orders(60, Decimal("5000.00")))
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    moved = selectors.class_movement(actor=admin_user, filters=ALL)
    assert moved["moved"] > 0
    names = {m["name"] for m in moved["movers"]}
    assert names <= {c.name for c in grid.values()}
    assert {m["reason"] for m in moved["movers"]} == {"thresholds"}


def test_movement_between_any_two_snapshots(admin_user, am_a):
    grid = builders.grid_book(owner=am_a)
    explicit = {"cycle_threshold_short": 30, "cycle_threshold_long": 90,
                "amount_threshold_small": 100, "amount_threshold_large": 500}  # fmt: skip
    services.analytics_settings_update(
        actor=admin_user, version=builders.settings_version(), changes=explicit
    )
    first = services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    Order.objects.filter(customer=grid[("medium", "medium")]).update(total=Decimal("800.00"))
    second = services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    third = services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    assert selectors.class_movement(actor=admin_user, filters=ALL)["moved"] == 0  # 3rd vs 2nd
    # the second snapshot carries the first's columns; the first and the third are joined
    for old, new in ((first, second), (first, third)):
        moved = selectors.class_movement(
            actor=admin_user, filters=ALL, from_run=old.pk, to_run=new.pk
        )
        rows = [(m["name"], m["old_class"], m["new_class"], m["reason"]) for m in moved["movers"]]
        assert rows == [("medium-medium客户", "silver", "gold", "amount")]
        assert moved["from_run"].pk == old.pk and moved["to_run"].pk == new.pk


def test_movement_between_unknown_runs_is_a_bad_request(two_teams, admin_user):
    with pytest.raises(ValidationFailed) as raised:
        selectors.class_movement(actor=admin_user, filters=ALL, from_run=999)
    assert "from_run" in raised.value.errors


def test_churn_risk_lists_customers_slipping_away_most_valuable_first(admin_user, am_a):
    builders.simulated_book(200, owner=am_a)
    run = services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    assert run.bgnbd is not None, run.prediction_message
    page = selectors.churn_risk(actor=admin_user, filters=ALL, limit=200)
    assert page.items
    # Below even odds, or (one purchase only: no P(alive), 历史不足) dormant.
    assert all(
        v.p_alive < selectors.CHURN_RISK_THRESHOLD
        if v.p_alive is not None
        else v.history_insufficient and v.dormant
        for v in page.items
    )
    assert any(v.p_alive is not None for v in page.items)
    ranks = [v.revenue_rank for v in page.items]
    assert ranks == sorted(ranks)
    top = selectors.propensity_list(actor=admin_user, filters=ALL, limit=5)
    scores = [v.propensity for v in top.items]
    assert scores == sorted(scores, reverse=True)


def test_profitability_totals(admin_user, am_a):
    services.analytics_settings_update(
        actor=admin_user, version=builders.settings_version(), changes={"cost_per_order": "500"}
    )
    small = CustomerFactory(owner=am_a)
    builders.add_orders(small, builders.regular_orders(30, Decimal("100.00"), count=2))
    big = CustomerFactory(owner=am_a)
    builders.add_orders(big, builders.regular_orders(30, Decimal("2000.00"), count=2))
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    result = selectors.profitability(actor=am_a, filters=ALL)
    assert result["revenue"] == Decimal("4200.00")
    assert result["cost"] == Decimal("2000.00")
    assert result["profit"] == Decimal("2200.00")
    assert result["unprofitable"] == 1
    assert result["least"][0].customer_id == small.pk


def test_dashboard_figures_are_cached_per_run_and_scope(two_teams, admin_user, am_a):
    first = selectors.dashboard(actor=am_a, filters=ALL)
    assert first["matrix"]["total"] == 9
    assert selectors.dashboard(actor=admin_user, filters=ALL)["matrix"]["total"] == 12
    builders.add_orders(CustomerFactory(owner=am_a), [(dt.date(2025, 6, 1), Decimal("1.00"))])
    assert selectors.dashboard(actor=am_a, filters=ALL)["matrix"]["total"] == 9  # same run
    services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    assert selectors.dashboard(actor=am_a, filters=ALL)["matrix"]["total"] == 10
