"""Seed formulas F1-F5, F7: hand-computed examples and boundary behaviour."""

from __future__ import annotations

import math

import numpy as np
import pytest

from guanxi.analytics.compute import value
from guanxi.analytics.compute.value import SegmentRule

# ---------------------------------------------------------------- F1


def test_customer_value_discounts_from_the_current_period() -> None:
    # 100 + 100/1.1 + 100/1.21 = 100 + 90.909091 + 82.644628 = 273.553719
    assert value.customer_value([100, 100, 100], 0.10) == pytest.approx(273.553719, abs=1e-6)
    assert value.customer_value([100, 100, 100], 0.0) == 300.0
    assert value.customer_value([42.0], 0.5) == 42.0  # S_0 is never discounted


def test_customer_values_is_row_wise() -> None:
    flows = np.array([[100.0, 100.0, 100.0], [0.0, 121.0, -121.0]])
    got = value.customer_values(flows, 0.10)
    np.testing.assert_allclose(got, [273.553719, 110.0 - 100.0], atol=1e-6)


@pytest.mark.parametrize(
    ("flows", "rate", "message"),
    [
        ([100.0], -1.0, "greater than -1"),
        ([100.0], math.nan, "greater than -1"),
        ([], 0.1, "empty"),
        ([1.0, math.inf], 0.1, "NaN or infinite"),
    ],
)
def test_customer_value_rejects_bad_input(flows: list[float], rate: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        value.customer_value(flows, rate)


# ---------------------------------------------------------------- F2


def test_value_check_undiscounted_is_lifetime_over_cycle_times_amount() -> None:
    got = value.value_check([30.0, 30.0, 10.0], [100.0, 100.0, 8.0], [360.0, 45.0, 0.0])
    np.testing.assert_allclose(got, [1200.0, 150.0, 0.0])


def test_value_check_discounted_monthly() -> None:
    # Monthly purchases of 100 for a year at 1% a month:
    # 100 * (1 - 1.01^-12) / 0.01 = 100 * 11.2550775 = 1125.50775
    got = value.value_check([30.0], [100.0], [360.0], rate=0.01, period=30.0)
    assert got[0] == pytest.approx(1125.50775, abs=1e-5)
    # Bi-monthly cycle, 1% a month: d = 1.01^-2, n = 6.
    d = 1.01**-2
    expected = 100 * sum(d**k for k in range(1, 7))
    got = value.value_check([60.0], [100.0], [360.0], rate=0.01, period=30.0)
    assert got[0] == pytest.approx(expected, rel=1e-12)


def test_value_check_tiny_rate_approaches_undiscounted() -> None:
    got = value.value_check([30.0], [100.0], [360.0], rate=1e-15)
    assert got[0] == pytest.approx(1200.0, rel=1e-9)


def test_value_check_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="cycle must be positive"):
        value.value_check([0.0], [1.0], [1.0])
    with pytest.raises(ValueError, match="remaining_lifetime must be non-negative"):
        value.value_check([1.0], [1.0], [-1.0])
    with pytest.raises(ValueError, match="same length"):
        value.value_check([1.0, 2.0], [1.0], [1.0])
    with pytest.raises(ValueError, match="period must be"):
        value.value_check([1.0], [1.0], [1.0], period=0.0)


# ---------------------------------------------------------------- F3

CYCLE_T = (30.0, 90.0)
AMOUNT_T = (100.0, 500.0)
# (cycle, amount) -> expected value class; one customer per cell.
CELLS = {
    (10.0, 900.0): "platinum",  # short & large
    (60.0, 900.0): "gold",  # medium & large
    (10.0, 300.0): "gold",  # short & medium
    (120.0, 900.0): "silver",  # long & large
    (60.0, 300.0): "silver",  # medium & medium
    (10.0, 50.0): "silver",  # short & small
    (120.0, 300.0): "development",  # long & medium
    (60.0, 50.0): "development",  # medium & small
    (120.0, 50.0): "adjust",  # long & small
}


def test_value_matrix_every_cell() -> None:
    cycles = [c for c, _ in CELLS]
    amounts = [a for _, a in CELLS]
    got = value.value_matrix([5] * len(CELLS), cycles, amounts, CYCLE_T, AMOUNT_T)
    assert list(got.value_class) == list(CELLS.values())
    assert got.cycle_thresholds == CYCLE_T
    assert got.amount_thresholds == AMOUNT_T


def test_value_matrix_boundaries_go_to_the_lower_band() -> None:
    cycles = [30.0, 30.000001, 90.0, 90.000001, 0.0]
    amounts = [100.0, 100.000001, 500.0, 500.000001, 0.0]
    got = value.value_matrix([2] * 5, cycles, amounts, CYCLE_T, AMOUNT_T)
    assert list(got.cycle_class) == ["short", "medium", "medium", "long", "short"]
    assert list(got.amount_class) == ["small", "medium", "medium", "large", "small"]


def test_value_matrix_needs_two_purchases() -> None:
    got = value.value_matrix(
        [0, 1, 2], [math.nan, math.nan, 10.0], [0.0, 80.0, 900.0], CYCLE_T, AMOUNT_T
    )
    assert list(got.value_class) == ["insufficient", "insufficient", "platinum"]
    assert list(got.cycle_class) == ["insufficient", "insufficient", "short"]


def test_value_matrix_default_thresholds_are_population_terciles() -> None:
    # Cycles 1..9: terciles 1 + 8/3 and 1 + 16/3 -> 1-3 short, 4-6 medium, 7-9 long.
    # Amounts run the other way so the diagonal of the matrix is visited.
    cycles = np.arange(1.0, 10.0)
    amounts = np.arange(9.0, 0.0, -1.0)
    got = value.value_matrix(np.full(9, 3), cycles, amounts)
    assert got.cycle_thresholds == pytest.approx((11 / 3, 19 / 3))
    assert list(got.cycle_class) == ["short"] * 3 + ["medium"] * 3 + ["long"] * 3
    assert list(got.value_class) == ["platinum"] * 3 + ["silver"] * 3 + ["adjust"] * 3
    # The one-purchase customer is excluded from the terciles.
    with_single = value.value_matrix(
        np.append(np.full(9, 3), 1), np.append(cycles, 1000.0), np.append(amounts, 1e6)
    )
    assert with_single.cycle_thresholds == got.cycle_thresholds
    assert with_single.value_class[-1] == "insufficient"


def test_value_matrix_ties_at_a_tercile_stay_together() -> None:
    # Terciles of [1, 1, 1, 1, 2, 3] are 1 and 4/3: every 1 sits on the lower
    # threshold and so all four are "short", none "medium".
    got = value.value_matrix([2] * 6, [1.0, 1.0, 1.0, 1.0, 2.0, 3.0], [5.0] * 6)
    assert got.cycle_thresholds[0] == 1.0
    assert list(got.cycle_class[:4]) == ["short"] * 4


def test_value_matrix_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="lower <= upper"):
        value.value_matrix([2], [1.0], [1.0], cycle_thresholds=(90.0, 30.0))
    with pytest.raises(ValueError, match="two numbers"):
        value.value_matrix([2], [1.0], [1.0], amount_thresholds=(1.0,))
    with pytest.raises(ValueError, match="finite for customers with 2"):
        value.value_matrix([2], [math.nan], [1.0])
    with pytest.raises(ValueError, match="whole numbers"):
        value.value_matrix([2.5], [1.0], [1.0])


# ---------------------------------------------------------------- F4


def test_quintile_scores_distinct_values() -> None:
    got = value.quintile_scores(np.arange(1.0, 11.0))
    assert list(got) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    reversed_scores = value.quintile_scores(np.arange(1.0, 11.0), higher_is_better=False)
    assert list(reversed_scores) == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_quintile_scores_ties_share_a_score_independent_of_order() -> None:
    # The three 5s each beat one customer: 1 + floor(5 * 1 / 4) = 2.
    assert list(value.quintile_scores([5.0, 5.0, 5.0, 1.0])) == [2, 2, 2, 1]
    assert list(value.quintile_scores([1.0, 5.0, 5.0, 5.0])) == [1, 2, 2, 2]
    assert list(value.quintile_scores([7.0, 7.0])) == [1, 1]


def test_rfm_scores_and_fm_rounding() -> None:
    # Five customers; recency is days since the last purchase (fewer = better).
    scores = value.rfm_scores([1, 10, 30, 90, 365], [9, 5, 5, 2, 1], [50, 400, 20, 300, 10])
    assert list(scores.recency) == [5, 4, 3, 2, 1]
    assert list(scores.frequency) == [5, 3, 3, 2, 1]  # the two 5s beat 2 of 5 customers
    assert list(scores.monetary) == [3, 5, 2, 4, 1]
    assert list(scores.fm) == [4, 4, 3, 3, 1]  # ceil((F + M) / 2)


GRID = {
    5: ["new", "potential_loyalists", "potential_loyalists", "champions", "champions"],
    4: ["promising", "potential_loyalists", "potential_loyalists", "loyal", "loyal"],
    3: ["about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"],
    2: ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"],
    1: ["lost", "lost", "at_risk", "at_risk", "cant_lose"],
}


def test_default_segments_cover_the_whole_grid() -> None:
    r = np.repeat(np.arange(1, 6), 5)
    fm = np.tile(np.arange(1, 6), 5)
    got = value.rfm_segments(r, fm)
    for r_score, fm_score, name in zip(r, fm, got, strict=True):
        assert name == GRID[int(r_score)][int(fm_score) - 1], (r_score, fm_score)
    assert set(got) == {rule.name for rule in value.DEFAULT_SEGMENTS}


def test_custom_segment_rules_first_match_wins() -> None:
    rules = [SegmentRule("vip", 4, 5, 4, 5), SegmentRule("recent", 4, 5, 1, 5)]
    got = value.rfm_segments([5, 5, 1], [5, 1, 5], rules)
    assert list(got) == ["vip", "recent", "unclassified"]


# ---------------------------------------------------------------- F5


def test_pareto_worked_example() -> None:
    result = value.pareto([10.0, 50.0, 5.0, 30.0, 5.0])
    assert list(result.order) == [1, 3, 0, 2, 4]  # ties (5.0) by index
    np.testing.assert_allclose(result.cumulative_share, [0.5, 0.8, 0.9, 0.95, 1.0])
    np.testing.assert_allclose(result.customer_share, [0.2, 0.4, 0.6, 0.8, 1.0])
    assert result.top_share == pytest.approx(0.5)  # top 20% = 1 customer
    assert list(result.key_accounts) == [1, 3]  # exactly 80% is enough


def test_pareto_key_share_and_top_fraction_options() -> None:
    revenue = [10.0, 50.0, 5.0, 30.0, 5.0]
    assert list(value.pareto(revenue, key_share=0.81).key_accounts) == [1, 3, 0]
    assert list(value.pareto(revenue, key_share=1.0).key_accounts) == [1, 3, 0, 2, 4]
    # top 30% of 5 customers = ceil(1.5) = 2 customers.
    assert value.pareto(revenue, top_fraction=0.3).top_share == pytest.approx(0.8)


def test_pareto_top_count_is_not_fooled_by_float_rounding() -> None:
    # 0.2 * 15 = 3.0000000000000004 in floating point; still the top 3.
    revenue = np.arange(15.0, 0.0, -1.0)
    assert value.pareto(revenue).top_share == pytest.approx((15 + 14 + 13) / revenue.sum())


def test_pareto_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="total revenue is zero"):
        value.pareto([0.0, 0.0])
    with pytest.raises(ValueError, match="revenue must be non-negative"):
        value.pareto([10.0, -1.0])
    with pytest.raises(ValueError, match="key_share"):
        value.pareto([1.0], key_share=0.0)
    with pytest.raises(ValueError, match="empty"):
        value.pareto([])


# ---------------------------------------------------------------- F7


def test_cohort_retention_worked_example() -> None:
    # A buys in 0, 1, 3; B in 0, 2; C twice in 1 and once in 2; D in 3.
    ids = ["A", "A", "A", "B", "B", "C", "C", "C", "D"]
    periods = [0, 1, 3, 0, 2, 1, 1, 2, 3]
    got = value.cohort_retention(ids, periods)
    assert list(got.cohorts) == [0, 1, 3]
    assert list(got.cohort_sizes) == [2, 1, 1]
    np.testing.assert_array_equal(got.active, [[2, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]])
    nan = math.nan
    np.testing.assert_allclose(
        got.retention,
        [[1.0, 0.5, 0.5, 0.5], [1.0, 1.0, 0.0, nan], [1.0, nan, nan, nan]],
    )
    # Active sets: 0 {A,B}, 1 {A,C}, 2 {B,C}, 3 {A,D}.
    assert list(got.periods) == [1, 2, 3]
    np.testing.assert_allclose(got.period_retention, [0.5, 0.5, 0.0])
    np.testing.assert_allclose(got.period_churn, [0.5, 0.5, 1.0])


def test_cohort_retention_gaps_and_explicit_end() -> None:
    # Nobody buys in period 11; the window runs to period 13.
    got = value.cohort_retention([1, 1, 2], [10, 12, 10], end_period=13)
    assert list(got.cohorts) == [10]
    np.testing.assert_allclose(got.retention, [[1.0, 0.0, 0.5, 0.0]])
    assert list(got.periods) == [11, 12, 13]
    np.testing.assert_allclose(got.period_retention, [0.0, math.nan, 0.0])


def test_cohort_retention_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="after end_period"):
        value.cohort_retention([1, 2], [1, 5], end_period=4)
    with pytest.raises(ValueError, match="whole numbers"):
        value.cohort_retention([1], [1.5])
    with pytest.raises(ValueError, match="same length"):
        value.cohort_retention([1, 2], [1])
    with pytest.raises(ValueError, match="empty"):
        value.cohort_retention([], [])
