"""BG/NBD model: parameter recovery, closed forms vs direct integration, robustness."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, special, stats

from guanxi.analytics.compute import _hyp, _optim, bgnbd
from guanxi.analytics.compute.bgnbd import BGNBDParams

# CDNOW estimates from Fader, Hardie & Lee (2005), time unit = weeks.
CDNOW = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


def simulate(
    n: int, params: BGNBDParams, T: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw (x, t_x, T) from the BG/NBD generative story, vectorised.

    The customer can drop out only after a repeat purchase, so the number of
    repeat purchases it would ever make is K ~ Geometric(p) on {1, 2, ...}.
    With N ~ Poisson(lambda T) purchase opportunities in (0, T], x = min(N, K),
    and given N the x-th arrival time is T * Beta(x, N - x + 1) (uniform order
    statistics).
    """
    lam = rng.gamma(params.r, 1.0 / params.alpha, n)
    p = rng.beta(params.a, params.b, n)
    k = rng.geometric(p)
    opportunities = rng.poisson(lam * T)
    x = np.minimum(opportunities, k)
    order_stat = rng.beta(np.maximum(x, 1), np.maximum(opportunities - x + 1, 1))
    tx = np.where(x > 0, T * order_stat, 0.0)
    return x.astype(float), tx, T.astype(float)


@pytest.fixture(scope="module")
def cdnow_like() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """200k customers, T between 27 and 39 weeks, times recorded to the day."""
    rng = np.random.default_rng(20050101)
    n = 200_000
    T = np.round(rng.uniform(27, 39, n) * 7) / 7
    x, tx, T = simulate(n, CDNOW, T, rng)
    return x, np.floor(tx * 7) / 7, T


@pytest.fixture(scope="module")
def cdnow_fit(cdnow_like: tuple[np.ndarray, np.ndarray, np.ndarray]) -> BGNBDParams:
    return bgnbd.fit(*cdnow_like)


# ---------------------------------------------------------------- fitting


def test_fit_recovers_cdnow_parameters(cdnow_fit: BGNBDParams) -> None:
    # Standard errors at n = 200k (observed information): r 0.6%, alpha 0.9%,
    # a 2.5%, b 3.1%; the tolerances are >= 4 standard errors.
    assert cdnow_fit.r == pytest.approx(CDNOW.r, rel=0.05)
    assert cdnow_fit.alpha == pytest.approx(CDNOW.alpha, rel=0.05)
    assert cdnow_fit.a == pytest.approx(CDNOW.a, rel=0.12)
    assert cdnow_fit.b == pytest.approx(CDNOW.b, rel=0.15)


def test_fit_is_a_maximum_of_the_reported_log_likelihood(
    cdnow_like: tuple[np.ndarray, np.ndarray, np.ndarray], cdnow_fit: BGNBDParams
) -> None:
    best = (cdnow_fit.r, cdnow_fit.alpha, cdnow_fit.a, cdnow_fit.b)
    assert cdnow_fit.log_likelihood == pytest.approx(
        bgnbd.log_likelihood(best, *cdnow_like), rel=1e-12
    )
    for i in range(4):
        for factor in (0.99, 1.01):
            moved = list(best)
            moved[i] *= factor
            assert bgnbd.log_likelihood(moved, *cdnow_like) < cdnow_fit.log_likelihood


def test_weights_equal_repeated_rows() -> None:
    x = np.array([0, 1, 2, 5, 0, 3, 1])
    tx = np.array([0.0, 4.0, 20.0, 30.0, 0.0, 25.0, 1.0])
    T = np.array([35.0, 30.0, 38.0, 31.0, 28.0, 39.0, 36.0])
    w = np.array([3, 1, 2, 1, 5, 2, 1])
    p = (0.5, 3.0, 0.7, 2.0)
    expanded = [np.repeat(arr, w) for arr in (x, tx, T)]
    assert bgnbd.log_likelihood(p, x, tx, T, weights=w) == pytest.approx(
        bgnbd.log_likelihood(p, *expanded), rel=1e-13
    )


def test_fit_with_weights_matches_fit_on_expanded_rows(
    cdnow_like: tuple[np.ndarray, np.ndarray, np.ndarray], cdnow_fit: BGNBDParams
) -> None:
    rows = bgnbd.collapse(*cdnow_like)
    assert len(rows.T) < len(cdnow_like[0]) / 2  # day-level data repeats a lot
    assert rows.weights.sum() == len(cdnow_like[0])
    weighted = bgnbd.fit(rows.frequency, rows.recency, rows.T, weights=rows.weights)
    for name in ("r", "alpha", "a", "b", "log_likelihood"):
        assert getattr(weighted, name) == pytest.approx(getattr(cdnow_fit, name), rel=1e-5)


def test_collapse_merges_identical_rows_and_sums_weights() -> None:
    rows = bgnbd.collapse([1, 0, 1, 1], [2.0, 0.0, 2.0, 3.0], [5.0, 5.0, 5.0, 5.0], [1, 2, 3, 4])
    got = sorted(
        zip(rows.frequency, rows.recency, rows.T, rows.weights, strict=True),
    )
    assert got == [(0.0, 0.0, 5.0, 2.0), (1.0, 2.0, 5.0, 4.0), (1.0, 3.0, 5.0, 4.0)]


def test_fit_does_not_depend_on_the_time_unit(
    cdnow_like: tuple[np.ndarray, np.ndarray, np.ndarray], cdnow_fit: BGNBDParams
) -> None:
    x, tx, T = cdnow_like
    in_days = bgnbd.fit(x, tx * 7, T * 7)
    assert in_days.alpha == pytest.approx(cdnow_fit.alpha * 7, rel=1e-5)
    for name in ("r", "a", "b"):
        assert getattr(in_days, name) == pytest.approx(getattr(cdnow_fit, name), rel=1e-5)
    # The density of t_x picks up a 1/7 per repeat purchase.
    shift = x.sum() * math.log(7)
    assert in_days.log_likelihood == pytest.approx(cdnow_fit.log_likelihood - shift, rel=1e-9)


def test_gradient_matches_finite_differences() -> None:
    rows = bgnbd._Prepared.of(
        bgnbd.collapse([0, 1, 4, 2, 7, 1], [0, 0.5, 0.9, 0.2, 1.1, 0.1], [1.0, 1.2, 1, 0.8, 1.3, 1])
    )
    theta = np.log([0.7, 1.3, 0.6, 2.2])
    _, grad = bgnbd._neg_mean_ll_and_grad(theta, rows)
    numeric = optimize.approx_fprime(
        theta, lambda th: bgnbd._neg_mean_ll_and_grad(th, rows)[0], 1e-7
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- closed forms


def _likelihood_by_hand(p: BGNBDParams, x: int, tx: float, T: float) -> float:
    """FHL (2005) eq. 6 written with plain gamma functions (no logs)."""
    g = math.gamma
    a1 = g(p.r + x) * p.alpha**p.r / g(p.r)
    a2 = g(p.a + p.b) * g(p.b + x) / (g(p.b) * g(p.a + p.b + x))
    a3 = (1 / (p.alpha + T)) ** (p.r + x)
    a4 = (p.a / (p.b + x - 1)) * (1 / (p.alpha + tx)) ** (p.r + x) if x > 0 else 0.0
    return a1 * a2 * (a3 + a4)


def _likelihood_by_integration(p: BGNBDParams, x: int, tx: float, T: float) -> float:
    """Integrate the individual likelihood over lambda ~ Gamma, p ~ Beta directly."""

    def inner(lam: float, q: float) -> float:
        alive = (1 - q) ** x * lam**x * math.exp(-lam * T)
        dead = q * (1 - q) ** (x - 1) * lam**x * math.exp(-lam * tx) if x > 0 else 0.0
        mix = stats.gamma.pdf(lam, p.r, scale=1 / p.alpha) * stats.beta.pdf(q, p.a, p.b)
        return (alive + dead) * mix

    value, _ = integrate.dblquad(inner, 0, 1, 0, 5, epsabs=0, epsrel=1e-8)
    return value


WORKED = [(0, 0.0, 38.86), (2, 30.43, 38.86), (1, 1.71, 38.86), (7, 29.43, 32.0)]


@pytest.mark.parametrize(("x", "tx", "T"), WORKED)
def test_log_likelihood_matches_hand_formula(x: int, tx: float, T: float) -> None:
    expected = math.log(_likelihood_by_hand(CDNOW, x, tx, T))
    assert bgnbd.log_likelihood(CDNOW, [x], [tx], [T]) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("x", "tx", "T"), [(0, 0.0, 10.0), (2, 6.0, 10.0), (3, 2.0, 9.0)])
def test_likelihood_matches_integration_over_lambda_and_p(x: int, tx: float, T: float) -> None:
    params = BGNBDParams(r=2.0, alpha=3.0, a=1.5, b=2.5)
    expected = _likelihood_by_integration(params, x, tx, T)
    got = math.exp(bgnbd.log_likelihood(params, [x], [tx], [T]))
    assert got == pytest.approx(expected, rel=1e-6)


def test_p_alive_worked_examples() -> None:
    # x = 2, t_x = 30.43, T = 38.86 with the CDNOW parameters, step by step.
    odds = (0.793 / (2.426 + 2 - 1)) * ((4.414 + 38.86) / (4.414 + 30.43)) ** (0.243 + 2)
    expected = 1 / (1 + odds)
    got = bgnbd.p_alive(CDNOW, [2, 0, 5], [30.43, 0, 38.86], [38.86, 38.86, 38.86])
    assert got[0] == pytest.approx(expected, rel=1e-12)
    # 0.793/3.426 = 0.23147; (43.274/34.844)^2.243 = 1.24194^2.243 = 1.62576;
    # odds = 0.37631; P(alive) = 1/1.37631 = 0.72658.
    assert got[0] == pytest.approx(0.72658, abs=1e-5)
    assert got[1] == 1.0  # no repeat purchase: cannot have dropped out yet
    # Last purchase right at T: odds = a / (b + x - 1).
    assert got[2] == pytest.approx(1 / (1 + 0.793 / (2.426 + 4)), rel=1e-12)


def _conditional_expectation_by_integration(
    p: BGNBDParams, t: float, x: int, tx: float, T: float
) -> float:
    """P(alive) * E[(1 - exp(-lambda p t)) / p] over the posterior of an alive customer,
    lambda ~ Gamma(r + x, alpha + T), p ~ Beta(a, b + x).  The lambda expectation is
    the Gamma Laplace transform E[exp(-lambda u)] = (1 + u/(alpha + T))^-(r + x); the
    p expectation is integrated numerically.  No hypergeometric function involved."""
    alive = float(bgnbd.p_alive(p, [x], [tx], [T])[0])

    def integrand(q: float) -> float:
        laplace = (1 + q * t / (p.alpha + T)) ** -(p.r + x)
        return (1 - laplace) / q * stats.beta.pdf(q, p.a, p.b + x)

    mean = p.a / (p.a + p.b + x)
    value, _ = integrate.quad(integrand, 0, 1, points=[mean], epsabs=0, epsrel=1e-11, limit=500)
    return alive * value


def _conditional_expectation_double_integral(
    p: BGNBDParams, t: float, x: int, tx: float, T: float
) -> float:
    """The same expectation as a plain double integral over (lambda, p)."""
    alive = float(bgnbd.p_alive(p, [x], [tx], [T])[0])

    def inner(lam: float, q: float) -> float:
        density = stats.gamma.pdf(lam, p.r + x, scale=1 / (p.alpha + T)) * stats.beta.pdf(
            q, p.a, p.b + x
        )
        return -math.expm1(-lam * q * t) / q * density

    upper = stats.gamma.ppf(1 - 1e-14, p.r + x, scale=1 / (p.alpha + T))
    value, _ = integrate.dblquad(inner, 0, 1, 0, upper, epsabs=1e-12, epsrel=1e-9)
    return alive * value


def _conditional_expectation_paper(p: BGNBDParams, t: float, x: int, tx: float, T: float) -> float:
    """FHL (2005) eq. 10 verbatim with scipy's hyp2f1 (fine for these moderate inputs)."""
    z = t / (p.alpha + T + t)
    hyp = special.hyp2f1(p.r + x, p.b + x, p.a + p.b + x - 1, z)
    bracket = 1 - ((p.alpha + T) / (p.alpha + T + t)) ** (p.r + x) * hyp
    numerator = (p.a + p.b + x - 1) / (p.a - 1) * bracket
    odds = (p.a / (p.b + x - 1)) * ((p.alpha + T) / (p.alpha + tx)) ** (p.r + x) if x else 0.0
    return numerator / (1 + odds)


@pytest.mark.parametrize(("x", "tx", "T"), WORKED)
@pytest.mark.parametrize("t", [1.0, 39.0, 200.0])
def test_conditional_expectation_matches_paper_formula(
    t: float, x: int, tx: float, T: float
) -> None:
    expected = _conditional_expectation_paper(CDNOW, t, x, tx, T)
    got = bgnbd.expected_purchases(CDNOW, t, [x], [tx], [T])[0]
    assert got == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("params", "t", "x", "tx", "T"),
    [
        (CDNOW, 39.0, 2, 30.43, 38.86),
        (CDNOW, 10.0, 0, 0.0, 20.0),
        (BGNBDParams(r=2.0, alpha=3.0, a=1.5, b=2.5), 5.0, 4, 8.0, 10.0),
        (BGNBDParams(r=0.5, alpha=10.0, a=1.0, b=3.0), 52.0, 3, 20.0, 30.0),  # a = 1 exactly
    ],
)
def test_conditional_expectation_matches_direct_integration(
    params: BGNBDParams, t: float, x: int, tx: float, T: float
) -> None:
    expected = _conditional_expectation_by_integration(params, t, x, tx, T)
    got = bgnbd.expected_purchases(params, t, [x], [tx], [T])[0]
    assert got == pytest.approx(expected, rel=1e-9)


def test_conditional_expectation_matches_double_integral() -> None:
    params = BGNBDParams(r=2.0, alpha=3.0, a=1.5, b=2.5)
    expected = _conditional_expectation_double_integral(params, 5.0, 4, 8.0, 10.0)
    got = bgnbd.expected_purchases(params, 5.0, [4], [8.0], [10.0])[0]
    assert got == pytest.approx(expected, rel=1e-6)


def test_unconditional_expectation_matches_paper_and_simulation() -> None:
    t = np.array([0.0, 1.0, 39.0, 78.0])
    z = t / (CDNOW.alpha + t)
    hyp = special.hyp2f1(CDNOW.r, CDNOW.b, CDNOW.a + CDNOW.b - 1, z)
    paper = (
        (CDNOW.a + CDNOW.b - 1)
        / (CDNOW.a - 1)
        * (1 - (CDNOW.alpha / (CDNOW.alpha + t)) ** CDNOW.r * hyp)
    )
    got = bgnbd.expected_purchases_new(CDNOW, t)
    np.testing.assert_allclose(got, paper, rtol=1e-10, atol=1e-15)
    # The simulator agrees with the formula (checks both): 400k customers.
    rng = np.random.default_rng(7)
    x, _, _ = simulate(400_000, CDNOW, np.full(400_000, 39.0), rng)
    standard_error = x.std() / math.sqrt(len(x))
    assert abs(x.mean() - got[2]) < 4 * standard_error


def test_new_customer_equals_conditional_with_empty_history() -> None:
    # A customer acquired at the end of the window (x = 0, T = 0) is a new customer.
    t = [0.5, 13.0, 104.0]
    new = bgnbd.expected_purchases_new(CDNOW, t)
    conditional = [bgnbd.expected_purchases(CDNOW, h, [0], [0.0], [0.0])[0] for h in t]
    np.testing.assert_allclose(new, conditional, rtol=1e-13)


# ---------------------------------------------------------------- the h function


def _h_by_quad(A: float, a: float, B: float, s: float) -> float:
    def integrand(q: float) -> float:
        return -math.expm1(-A * math.log1p(q * s)) / q * stats.beta.pdf(q, a, B)

    mean = a / (a + B)
    value, _ = integrate.quad(integrand, 0, 1, points=[mean], epsabs=0, epsrel=1e-11, limit=500)
    return value


@pytest.mark.parametrize(
    ("A", "a", "B", "s"),
    [
        (0.24, 0.79, 2.43, 1e-3),  # series branch
        (0.24, 0.79, 2.43, 0.3),
        (0.24, 0.79, 2.43, 5.0),  # hypergeometric branch
        (12.24, 0.79, 14.43, 40.0),
        (3.0, 1.0, 4.0, 2.0),  # a = 1: interpolated across the removable singularity
        (3.0, 1.0 + 3e-6, 4.0, 2.0),
        (2.5, 4.0, 1.5, 0.8),  # a > 1
        (0.3, 0.2, 0.8, 3.0),  # x = 0 with a + b < 1: negative c in 2F1
        (0.3, 0.4, 0.6, 3.0),  # a + b = 1: c = 0, 2F1 undefined -> quadrature
    ],
)
def test_expected_while_alive_matches_quadrature(A: float, a: float, B: float, s: float) -> None:
    expected = _h_by_quad(A, a, B, s)
    got = _hyp.expected_while_alive(np.array([A]), a, np.array([B]), np.array([s]))[0]
    assert got == pytest.approx(expected, rel=1e-8)
    assert _hyp.quadrature(A, a, B, s) == pytest.approx(expected, rel=1e-8)


def test_series_and_hypergeometric_branches_agree_where_both_apply() -> None:
    A = np.array([0.24, 2.24, 10.24, 300.24])
    B = A + 2.19
    s = np.full(4, 0.45)
    series = _hyp._series(A, 0.79, 0.79 + B - 1, s)
    closed = _hyp._closed_form(A, 0.79, B, s)
    np.testing.assert_allclose(series, closed, rtol=1e-11)


# ---------------------------------------------------------------- extremes


def test_extreme_customers_give_finite_sensible_predictions() -> None:
    x = np.array([10_000, 10_000, 0, 3, 3, 1, 50])
    tx = np.array([1e-6, 1e6, 0, 1e-9, 1e6, 0, 52.0])
    T = np.array([1e-6, 1e6, 1e-9, 1e-9, 1e6, 1e6, 52.0])
    alive = bgnbd.p_alive(CDNOW, x, tx, T)
    assert np.all(np.isfinite(alive))
    assert np.all((alive >= 0) & (alive <= 1))
    for t in (1e-9, 1.0, 52.0, 1e4, 1e8):
        expected = bgnbd.expected_purchases(CDNOW, t, x, tx, T)
        assert np.all(np.isfinite(expected)), t
        assert np.all(expected >= 0), t
    # A customer with 10,000 purchases in a blink and no gap since keeps buying
    # at about (r + x) / (alpha + T) per unit time in the short run.
    short = bgnbd.expected_purchases(CDNOW, 1e-9, [10_000], [1e-6], [1e-6])[0]
    assert short == pytest.approx(1e-9 * (CDNOW.r + 10_000) / (CDNOW.alpha + 1e-6), rel=1e-3)


def test_long_silence_after_many_purchases_means_dead() -> None:
    alive = bgnbd.p_alive(CDNOW, [10_000], [1.0], [1e6])[0]
    assert alive == 0.0 or alive < 1e-300


# ---------------------------------------------------------------- hypothesis

param = st.floats(min_value=1e-3, max_value=1e3)
times = st.floats(min_value=0.0, max_value=1e6)


@st.composite
def customers(draw: st.DrawFn) -> tuple[int, float, float]:
    x = draw(st.one_of(st.just(0), st.integers(1, 10_000)))
    T = draw(times)
    share = draw(st.floats(0.0, 1.0))
    return x, (share * T if x > 0 else 0.0), T


@settings(max_examples=150, deadline=None)
@given(r=param, alpha=param, a=param, b=param, customer=customers())
def test_p_alive_is_a_probability(
    r: float, alpha: float, a: float, b: float, customer: tuple[int, float, float]
) -> None:
    x, tx, T = customer
    value = bgnbd.p_alive((r, alpha, a, b), [x], [tx], [T])[0]
    assert math.isfinite(value)
    assert 0.0 <= value <= 1.0


@settings(max_examples=150, deadline=None)
@given(
    r=param,
    alpha=param,
    a=param,
    b=param,
    customer=customers(),
    horizons=st.lists(st.floats(0.0, 1e5), min_size=2, max_size=6),
)
def test_expected_purchases_finite_nonnegative_nondecreasing(
    r: float,
    alpha: float,
    a: float,
    b: float,
    customer: tuple[int, float, float],
    horizons: list[float],
) -> None:
    x, tx, T = customer
    t = np.sort(np.asarray(horizons))
    values = np.array([bgnbd.expected_purchases((r, alpha, a, b), h, [x], [tx], [T])[0] for h in t])
    assert np.all(np.isfinite(values))
    assert np.all(values >= 0)
    # Exactly monotone in exact arithmetic; allow rounding-level wiggle.
    assert np.all(np.diff(values) >= -1e-8 * np.abs(values[1:]) - 1e-300)


@settings(max_examples=100, deadline=None)
@given(r=param, alpha=param, a=param, b=param, t=st.floats(0.0, 1e5))
def test_expected_purchases_new_finite_and_bounded(
    r: float, alpha: float, a: float, b: float, t: float
) -> None:
    value = bgnbd.expected_purchases_new((r, alpha, a, b), [t])[0]
    assert math.isfinite(value)
    # (1 - (1 + p s)^-r) / p <= r s, so E[X(t)] <= r t / alpha.
    # (absolute slack for subnormal t, where the two roundings differ)
    assert 0.0 <= value <= r * t / alpha * (1 + 1e-9) + 1e-300


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([1, -1], [1.0, 0.0], [2.0, 2.0], "frequency must be non-negative"),
        ([1, 1], [-1.0, 1.0], [2.0, 2.0], "recency must be non-negative"),
        ([1, 1], [1.0, 1.0], [2.0, -2.0], "T must be non-negative"),
        ([1, 2], [3.0, 1.0], [2.0, 2.0], "recency must not exceed T"),
        ([1.5, 2], [1.0, 1.0], [2.0, 2.0], "whole numbers"),
        ([1, 2], [1.0], [2.0, 2.0], "same length"),
        ([], [], [], "empty"),
        ([0, 1], [1.0, 1.0], [2.0, 2.0], "recency must be 0 when frequency is 0"),
        ([1, np.nan], [1.0, 1.0], [2.0, 2.0], "NaN"),
        ([[1, 2]], [[1.0, 1.0]], [[2.0, 2.0]], "one-dimensional"),
    ],
)
def test_invalid_input_is_rejected(
    frequency: list[float], recency: list[float], T: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        bgnbd.fit(frequency, recency, T)
    with pytest.raises(ValueError, match=message):
        bgnbd.p_alive(CDNOW, frequency, recency, T)


def test_all_zero_frequency_cannot_be_fitted() -> None:
    with pytest.raises(ValueError, match="every customer has frequency 0"):
        bgnbd.fit([0, 0, 0], [0.0, 0.0, 0.0], [5.0, 6.0, 7.0])


def test_unidentifiable_data_is_rejected() -> None:
    with pytest.raises(ValueError, match="cannot identify"):
        bgnbd.fit([1], [5.0], [10.0])


def test_bad_weights_are_rejected() -> None:
    with pytest.raises(ValueError, match="weights"):
        bgnbd.fit([1, 2], [1.0, 1.0], [2.0, 2.0], weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="weights are all zero"):
        bgnbd.fit([1, 2], [1.0, 1.0], [2.0, 2.0], weights=[0.0, 0.0])
    with pytest.raises(ValueError, match="weights has length"):
        bgnbd.fit([1, 2], [1.0, 1.0], [2.0, 2.0], weights=[1.0])


def test_non_convergence_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    failed = optimize.OptimizeResult(
        x=np.zeros(4), fun=1.0, success=False, message="simulated failure"
    )
    monkeypatch.setattr(_optim.optimize, "minimize", lambda *args, **kwargs: failed)
    with pytest.raises(ValueError, match="did not converge: simulated failure"):
        bgnbd.fit([1, 2, 0], [1.0, 2.0, 0.0], [3.0, 3.0, 3.0])


@pytest.mark.parametrize(
    "bad", [(0.0, 1.0, 1.0, 1.0), (1.0, -1.0, 1.0, 1.0), (1.0, 1.0, math.inf, 1.0)]
)
def test_invalid_parameters_are_rejected(bad: tuple[float, float, float, float]) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        bgnbd.p_alive(bad, [1], [1.0], [2.0])


def test_negative_or_mismatched_horizon_is_rejected() -> None:
    with pytest.raises(ValueError, match="t must be non-negative"):
        bgnbd.expected_purchases(CDNOW, -1.0, [1], [1.0], [2.0])
    with pytest.raises(ValueError, match="one value per customer"):
        bgnbd.expected_purchases(CDNOW, [1.0, 2.0, 3.0], [1, 1], [1.0, 1.0], [2.0, 2.0])
