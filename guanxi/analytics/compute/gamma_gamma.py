"""Gamma-Gamma model of average spend per transaction.

Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value"; Colombo &
Jiang (1999).  Each transaction value z ~ Gamma(shape p, rate nu) with the
customer's nu ~ Gamma(shape q, rate v); the observed mean m of x transactions
then has the marginal density

    f(m | x) = G(px+q) / (G(px) G(q)) * v^q * m^(px-1) * x^(px) / (v + m x)^(px+q).

``frequency`` is the number of transactions that ``monetary_value`` averages
(with BG/NBD summaries: the repeat purchases and their mean value).  The model
assumes spend is independent of purchase frequency; check that before use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from . import _optim
from ._arrays import (
    ArrayLike,
    BoolArray,
    FloatArray,
    as_1d_float,
    as_weights,
    check_integer_valued,
    check_non_negative,
    check_same_length,
)

MIN_FIT_CUSTOMERS = 10
# Same role as in bgnbd: an estimate on the edge of e^+-12 (spend scaled to
# mean 1) is reported as not identified.
_LOG_BOUND = 12.0
_PARAM_NAMES = ("p", "q", "v")


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted (or given) parameters; ``log_likelihood`` is NaN if unknown."""

    p: float
    q: float
    v: float
    log_likelihood: float = math.nan

    def __post_init__(self) -> None:
        for name in _PARAM_NAMES:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"Gamma-Gamma parameter {name} must be positive, got {value!r}")

    @property
    def population_mean(self) -> float:
        """E[spend per transaction] = p v / (q - 1); infinite mean unless q > 1."""
        if self.q <= 1:
            raise ValueError(
                f"q = {self.q:.4g} <= 1: the fitted spend distribution has no finite mean, "
                "so expected spend is undefined (heavy-tailed spend; too few customers?)"
            )
        return self.p * self.v / (self.q - 1.0)


def _validate(frequency: ArrayLike, monetary_value: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = as_1d_float(frequency, "frequency")
    m = as_1d_float(monetary_value, "monetary_value")
    check_same_length([x, m], ["frequency", "monetary_value"])
    check_non_negative(x, "frequency")
    check_integer_valued(x, "frequency")
    return x, m


def _usable(x: FloatArray, m: FloatArray) -> BoolArray:
    """Rows that carry spend information: at least one transaction, positive mean."""
    return (x > 0) & (m > 0)


def _row_log_likelihood(p: float, q: float, v: float, x: FloatArray, m: FloatArray) -> FloatArray:
    px = p * x
    ll: FloatArray = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(v + m * x)
    )
    return ll


def log_likelihood(
    params: GammaGammaParams,
    frequency: ArrayLike,
    monetary_value: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Weighted log-likelihood over the usable rows (x > 0 and m > 0)."""
    x, m = _validate(frequency, monetary_value)
    w = as_weights(weights, len(x))
    keep = _usable(x, m)
    ll = _row_log_likelihood(params.p, params.q, params.v, x[keep], m[keep])
    return float(w[keep] @ ll)


def _neg_mean_ll_and_grad(
    theta: FloatArray, x: FloatArray, m: FloatArray, w: FloatArray
) -> tuple[float, FloatArray]:
    p, q, v = np.exp(theta)
    px = p * x
    log_vmx = np.log(v + m * x)
    psi_all = special.digamma(px + q)
    dp = x * (psi_all - special.digamma(px) + np.log(m) + np.log(x) - log_vmx)
    dq = psi_all - special.digamma(q) + np.log(v) - log_vmx
    dv = q / v - (px + q) / (v + m * x)
    total = w.sum()
    grad = np.array([w @ dp * p, w @ dq * q, w @ dv * v]) / total
    return -float(w @ _row_log_likelihood(p, q, v, x, m)) / total, -grad


def _starting_point(x: FloatArray, m: FloatArray, w: FloatArray) -> FloatArray:
    """Grid start; spend is pre-scaled to mean 1, so v ~ (q-1)/p is the natural scale."""
    candidates = [
        np.log([p0, q0, max(q0 - 1.0, 0.5) / p0])
        for p0 in (0.5, 2.0, 8.0)
        for q0 in (1.5, 3.0, 10.0)
    ]
    values = [_neg_mean_ll_and_grad(c, x, m, w)[0] for c in candidates]
    best = min((v, i) for i, v in enumerate(values) if np.isfinite(v))[1]
    return candidates[best]


def fit(
    frequency: ArrayLike, monetary_value: ArrayLike, weights: ArrayLike | None = None
) -> GammaGammaParams:
    """Maximum-likelihood fit on customers with frequency > 0 and monetary_value > 0.

    Other rows are ignored (they carry no spend information).  Spend is rescaled
    to mean 1 while optimising (v is a money scale, p and q are unit-free).
    """
    x, m = _validate(frequency, monetary_value)
    w = as_weights(weights, len(x))
    keep = _usable(x, m) & (w > 0)
    if np.count_nonzero(keep) < MIN_FIT_CUSTOMERS:
        raise ValueError(
            f"need at least {MIN_FIT_CUSTOMERS} customers with repeat purchases and positive "
            f"spend to fit the Gamma-Gamma model, got {np.count_nonzero(keep)}"
        )
    x, m, w = x[keep], m[keep], w[keep]
    if np.ptp(m) <= 1e-12 * np.max(m):
        raise ValueError("all monetary values are identical: spend has no variation to model")
    scale = float(w @ m / w.sum())
    scaled = m / scale

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        return _neg_mean_ll_and_grad(theta, x, scaled, w)

    theta = _optim.minimise(objective, _starting_point(x, scaled, w), _LOG_BOUND)
    _optim.check_interior(theta, _PARAM_NAMES, _LOG_BOUND, "Gamma-Gamma")
    p, q, v_scaled = (float(t) for t in np.exp(theta))
    v = v_scaled * scale
    ll = float(w @ _row_log_likelihood(p, q, v, x, m))
    return GammaGammaParams(p, q, v, ll)


def expected_spend(
    params: GammaGammaParams, frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """E[spend per transaction | x, m] (Fader & Hardie 2013, eq. 5):

        (q-1)/(px+q-1) * p v/(q-1)  +  px/(px+q-1) * m,

    a credibility-weighted average of the population mean and the customer's
    own mean.  Customers with x = 0 or m <= 0 (no usable spend history; the
    same rows the fit ignores) get the population mean p v / (q-1).
    """
    x, m = _validate(frequency, monetary_value)
    population = params.population_mean  # raises for q <= 1
    usable = _usable(x, m)
    px = params.p * np.where(usable, x, 0.0)
    weight_own = px / (px + params.q - 1.0)
    own = np.where(usable, m, 0.0)
    return (1.0 - weight_own) * population + weight_own * own
