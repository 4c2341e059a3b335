"""Predictive CLV: the discrete discounting formula, term by term."""

from __future__ import annotations

import numpy as np
import pytest

from guanxi.analytics.compute import bgnbd, clv, gamma_gamma
from guanxi.analytics.compute.bgnbd import BGNBDParams
from guanxi.analytics.compute.gamma_gamma import GammaGammaParams

# CDNOW parameters rescaled to days (alpha in weeks * 7).
PURCHASES = BGNBDParams(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)
SPEND = GammaGammaParams(p=6.25, q=3.74, v=15.44)
X = np.array([0, 2, 7, 1])
TX = np.array([0.0, 200.0, 250.0, 10.0])
T = np.array([270.0, 270.0, 260.0, 270.0])
M = np.array([0.0, 50.0, 20.0, 120.0])


def test_clv_matches_the_documented_sum() -> None:
    rate, length, periods = 0.01, 30.0, 12
    spend = gamma_gamma.expected_spend(SPEND, X, M)
    expected = np.zeros(len(X))
    previous = np.zeros(len(X))
    for k in range(1, periods + 1):
        cumulative = bgnbd.expected_purchases(PURCHASES, k * length, X, TX, T)
        expected += (cumulative - previous) * spend / (1 + rate) ** k
        previous = cumulative
    got = clv.customer_lifetime_value(
        PURCHASES, SPEND, X, TX, T, M, periods=periods, period_length=length, discount_rate=rate
    )
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_undiscounted_clv_telescopes_to_purchases_over_the_horizon() -> None:
    got = clv.customer_lifetime_value(PURCHASES, SPEND, X, TX, T, M, periods=6, discount_rate=0.0)
    purchases = bgnbd.expected_purchases(PURCHASES, 180.0, X, TX, T)
    np.testing.assert_allclose(got, purchases * gamma_gamma.expected_spend(SPEND, X, M))


def test_margin_scales_and_discounting_lowers_value() -> None:
    base = clv.customer_lifetime_value(PURCHASES, SPEND, X, TX, T, M, discount_rate=0.0)
    half = clv.customer_lifetime_value(PURCHASES, SPEND, X, TX, T, M, margin=0.5, discount_rate=0.0)
    discounted = clv.customer_lifetime_value(PURCHASES, SPEND, X, TX, T, M, discount_rate=0.02)
    np.testing.assert_allclose(half, base / 2)
    assert np.all(discounted < base)
    assert np.all(discounted > 0)


def test_per_period_purchases_are_nonnegative_and_sum_to_the_horizon() -> None:
    per_period = clv.expected_purchases_by_period(
        PURCHASES, X, TX, T, periods=24, period_length=30.0
    )
    assert per_period.shape == (4, 24)
    assert np.all(per_period >= 0)
    np.testing.assert_allclose(
        per_period.sum(axis=1), bgnbd.expected_purchases(PURCHASES, 720.0, X, TX, T), rtol=1e-10
    )


def test_clv_rejects_bad_options() -> None:
    with pytest.raises(ValueError, match="periods must be at least 1"):
        clv.customer_lifetime_value(PURCHASES, SPEND, X, TX, T, M, periods=0)
    with pytest.raises(ValueError, match="period_length"):
        clv.customer_lifetime_value(PURCHASES, SPEND, X, TX, T, M, period_length=0.0)
    with pytest.raises(ValueError, match="discount_rate"):
        clv.customer_lifetime_value(PURCHASES, SPEND, X, TX, T, M, discount_rate=-1.0)
    with pytest.raises(ValueError, match=r"q = 0\.5"):
        clv.customer_lifetime_value(PURCHASES, GammaGammaParams(1.0, 0.5, 1.0), X, TX, T, M)
