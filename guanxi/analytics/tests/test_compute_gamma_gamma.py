"""Gamma-Gamma spend model: recovery, density and posterior mean checks, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from guanxi.analytics.compute import gamma_gamma
from guanxi.analytics.compute.gamma_gamma import GammaGammaParams

# Estimates from Fader & Hardie's Gamma-Gamma note (CDNOW, dollars).
NOTE = GammaGammaParams(p=6.25, q=3.74, v=15.44)


def simulate(
    n: int, params: GammaGammaParams, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """x ~ 1 + Geometric, nu ~ Gamma(q, rate v); the sum of x transactions is
    Gamma(p x, rate nu), so the mean is that sum / x."""
    x = rng.geometric(0.3, n).astype(float)
    nu = rng.gamma(params.q, 1.0 / params.v, n)
    return x, rng.gamma(params.p * x, 1.0 / nu) / x


@pytest.fixture(scope="module")
def spend_data() -> tuple[np.ndarray, np.ndarray]:
    return simulate(100_000, NOTE, np.random.default_rng(2013))


def test_fit_recovers_note_parameters(spend_data: tuple[np.ndarray, np.ndarray]) -> None:
    fitted = gamma_gamma.fit(*spend_data)
    # Standard errors at n = 100k: p 2.0%, q 0.7%, v 2.6%; tolerances >= 3.8 SE.
    assert fitted.p == pytest.approx(NOTE.p, rel=0.10)
    assert fitted.q == pytest.approx(NOTE.q, rel=0.05)
    assert fitted.v == pytest.approx(NOTE.v, rel=0.10)
    assert fitted.log_likelihood == pytest.approx(
        gamma_gamma.log_likelihood(fitted, *spend_data), rel=1e-12
    )


def test_fit_ignores_rows_without_spend_information(
    spend_data: tuple[np.ndarray, np.ndarray],
) -> None:
    x, m = spend_data
    x_extra = np.concatenate([x[:5000], [0, 0, 3, 2]])
    m_extra = np.concatenate([m[:5000], [0.0, 12.0, 0.0, -4.0]])
    with_noise = gamma_gamma.fit(x_extra, m_extra)
    clean = gamma_gamma.fit(x[:5000], m[:5000])
    assert with_noise == clean


def test_weights_equal_repeated_rows(spend_data: tuple[np.ndarray, np.ndarray]) -> None:
    x, m = spend_data[0][:50], spend_data[1][:50]
    w = np.arange(1, 51) % 3 + 1
    weighted = gamma_gamma.fit(x, m, weights=w)
    expanded = gamma_gamma.fit(np.repeat(x, w), np.repeat(m, w))
    for name in ("p", "q", "v", "log_likelihood"):
        assert getattr(weighted, name) == pytest.approx(getattr(expanded, name), rel=1e-5)


def test_fit_does_not_depend_on_the_currency_unit(
    spend_data: tuple[np.ndarray, np.ndarray],
) -> None:
    x, m = spend_data[0][:20000], spend_data[1][:20000]
    dollars = gamma_gamma.fit(x, m)
    cents = gamma_gamma.fit(x, m * 100)
    assert cents.v == pytest.approx(dollars.v * 100, rel=1e-5)
    assert cents.p == pytest.approx(dollars.p, rel=1e-5)
    assert cents.q == pytest.approx(dollars.q, rel=1e-5)


def test_gradient_matches_finite_differences() -> None:
    from scipy import optimize

    x = np.array([1.0, 2.0, 5.0, 1.0])
    m = np.array([0.8, 1.3, 1.0, 0.4])
    w = np.array([1.0, 2.0, 1.0, 3.0])
    theta = np.log([3.0, 2.5, 1.7])
    _, grad = gamma_gamma._neg_mean_ll_and_grad(theta, x, m, w)
    numeric = optimize.approx_fprime(
        theta, lambda th: gamma_gamma._neg_mean_ll_and_grad(th, x, m, w)[0], 1e-7
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- closed forms


def _density_by_hand(params: GammaGammaParams, x: int, m: float) -> float:
    """Fader & Hardie (2013) eq. 3 with plain gamma functions."""
    p, q, v = params.p, params.q, params.v
    g = math.gamma
    return (
        g(p * x + q)
        / (g(p * x) * g(q))
        * v**q
        * m ** (p * x - 1)
        * x ** (p * x)
        / ((v + m * x) ** (p * x + q))
    )


def _density_by_integration(params: GammaGammaParams, x: int, m: float) -> float:
    """Integrate nu out: x*m | nu ~ Gamma(p x, rate nu), so m has density
    x * gamma.pdf(x m); nu ~ Gamma(q, rate v)."""

    def integrand(nu: float) -> float:
        return (
            x
            * stats.gamma.pdf(x * m, params.p * x, scale=1 / nu)
            * stats.gamma.pdf(nu, params.q, scale=1 / params.v)
        )

    value, _ = integrate.quad(integrand, 0, np.inf, epsabs=0, epsrel=1e-11, limit=200)
    return value


@pytest.mark.parametrize(("x", "m"), [(1, 20.0), (2, 35.5), (5, 12.0), (10, 60.0)])
def test_log_likelihood_matches_hand_formula_and_integration(x: int, m: float) -> None:
    got = math.exp(gamma_gamma.log_likelihood(NOTE, [x], [m]))
    assert got == pytest.approx(_density_by_hand(NOTE, x, m), rel=1e-12)
    assert got == pytest.approx(_density_by_integration(NOTE, x, m), rel=1e-8)


def test_density_integrates_to_one() -> None:
    def density(m: float) -> float:
        return math.exp(gamma_gamma.log_likelihood(NOTE, [3], [m]))

    total, _ = integrate.quad(density, 0, np.inf, limit=200)
    assert total == pytest.approx(1.0, rel=1e-8)


def test_expected_spend_worked_example() -> None:
    # Population mean p v / (q - 1) = 6.25 * 15.44 / 2.74 = 35.2190...
    population = 6.25 * 15.44 / 2.74
    assert NOTE.population_mean == pytest.approx(population, rel=1e-14)
    # x = 2, m = 50: weight on own mean = p x / (p x + q - 1) = 12.5 / 15.24.
    own_weight = 12.5 / 15.24
    expected = (1 - own_weight) * population + own_weight * 50.0
    got = gamma_gamma.expected_spend(NOTE, [2, 0, 3, 4], [50.0, 0.0, 0.0, -10.0])
    assert got[0] == pytest.approx(expected, rel=1e-14)
    assert got[0] == pytest.approx(47.3425, abs=1e-4)  # 0.1798 * 35.219 + 0.8202 * 50
    # No usable history (x = 0, or a non-positive mean): population mean.
    np.testing.assert_allclose(got[1:], population, rtol=1e-14)


def test_expected_spend_is_the_posterior_mean() -> None:
    """E[p / nu | x, m] with the posterior computed numerically by Bayes' rule."""
    x, m = 3, 20.0

    def likelihood(nu: float) -> float:
        return x * stats.gamma.pdf(x * m, NOTE.p * x, scale=1 / nu)

    def prior(nu: float) -> float:
        return stats.gamma.pdf(nu, NOTE.q, scale=1 / NOTE.v)

    evidence, _ = integrate.quad(lambda nu: likelihood(nu) * prior(nu), 0, np.inf, limit=200)
    moment, _ = integrate.quad(
        lambda nu: NOTE.p / nu * likelihood(nu) * prior(nu), 0, np.inf, limit=200
    )
    got = gamma_gamma.expected_spend(NOTE, [x], [m])[0]
    assert got == pytest.approx(moment / evidence, rel=1e-8)


@settings(max_examples=200, deadline=None)
@given(
    p=st.floats(1e-3, 1e3),
    q=st.floats(1.0 + 1e-6, 1e3),
    v=st.floats(1e-3, 1e6),
    x=st.integers(0, 100_000),
    m=st.floats(-1e9, 1e12),
)
def test_expected_spend_is_finite_and_between_the_two_means(
    p: float, q: float, v: float, x: int, m: float
) -> None:
    params = GammaGammaParams(p, q, v)
    got = gamma_gamma.expected_spend(params, [x], [m])[0]
    assert math.isfinite(got)
    population = params.population_mean
    own = m if (x > 0 and m > 0) else population
    low, high = min(own, population), max(own, population)
    assert low * (1 - 1e-12) <= got <= high * (1 + 1e-12)


# ---------------------------------------------------------------- errors


def test_q_at_most_one_has_no_expected_spend() -> None:
    with pytest.raises(ValueError, match=r"q = 0\.9 <= 1"):
        gamma_gamma.expected_spend(GammaGammaParams(2.0, 0.9, 10.0), [1], [10.0])


def test_too_few_usable_customers() -> None:
    with pytest.raises(ValueError, match="need at least 10 customers"):
        gamma_gamma.fit([1, 2, 3, 0, 4], [10.0, 20.0, 30.0, 5.0, -1.0])


def test_identical_monetary_values() -> None:
    with pytest.raises(ValueError, match="identical"):
        gamma_gamma.fit([1, 2, 3] * 5, [25.0] * 15)


@pytest.mark.parametrize(
    ("frequency", "monetary", "message"),
    [
        ([1, -2], [1.0, 2.0], "frequency must be non-negative"),
        ([1, 2.5], [1.0, 2.0], "whole numbers"),
        ([1, 2], [1.0], "same length"),
        ([], [], "empty"),
        ([1, 2], [1.0, math.nan], "NaN"),
    ],
)
def test_invalid_input_is_rejected(
    frequency: list[float], monetary: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        gamma_gamma.fit(frequency, monetary)
    with pytest.raises(ValueError, match=message):
        gamma_gamma.expected_spend(NOTE, frequency, monetary)


def test_invalid_parameters_are_rejected() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        GammaGammaParams(0.0, 2.0, 3.0)
