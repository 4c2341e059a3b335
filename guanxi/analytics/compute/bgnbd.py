"""BG/NBD ("beta-geometric / negative binomial distribution") purchase model.

Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An
Alternative to the Pareto/NBD Model", Marketing Science 24(2).

Conventions (one time unit throughout, e.g. days or weeks):

* ``frequency`` x: number of *repeat* purchases (total purchases - 1);
* ``recency`` t_x: time from the first to the last purchase (0 when x = 0);
* ``T``: time from the first purchase to the end of the observation window.

Model: while alive a customer buys as a Poisson process with rate
lambda ~ Gamma(r, alpha); after each repeat purchase it drops out with
probability p ~ Beta(a, b).  See docs/analytics.md for the formulas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from . import _hyp, _optim
from ._arrays import (
    ArrayLike,
    FloatArray,
    IntArray,
    as_1d_float,
    as_weights,
    check_integer_valued,
    check_non_negative,
    check_same_length,
)

# Log-parameter box, in units where mean T = 1.  Real customer bases give
# estimates well inside [e^-12, e^12]; an optimum on the edge means the
# likelihood keeps improving towards 0 or infinity (e.g. no visible drop-out),
# which we report as "not identified" instead of returning absurd numbers.
_LOG_BOUND = 12.0
_PARAM_NAMES = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class BGNBDParams:
    """Fitted (or given) BG/NBD parameters; ``log_likelihood`` is NaN if unknown."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = math.nan

    def __post_init__(self) -> None:
        for name in _PARAM_NAMES:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"BG/NBD parameter {name} must be positive, got {value!r}")


@dataclass(frozen=True)
class CustomerRows:
    """Validated (frequency, recency, T) rows with a multiplicity per row."""

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    weights: FloatArray


ParamsLike = BGNBDParams | Sequence[float]


def _as_params(params: ParamsLike) -> BGNBDParams:
    if isinstance(params, BGNBDParams):
        return params
    values = [float(v) for v in params]
    if len(values) != 4:
        raise ValueError("params must be BGNBDParams or a sequence (r, alpha, a, b)")
    return BGNBDParams(*values)


# --------------------------------------------------------------------------- inputs


def validate_customers(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Check the (x, t_x, T) summary; raise ValueError naming the first problem."""
    x = as_1d_float(frequency, "frequency")
    tx = as_1d_float(recency, "recency")
    t_end = as_1d_float(T, "T")
    check_same_length([x, tx, t_end], ["frequency", "recency", "T"])
    for arr, name in ((x, "frequency"), (tx, "recency"), (t_end, "T")):
        check_non_negative(arr, name)
    check_integer_valued(x, "frequency")
    if np.any(tx > t_end):
        raise ValueError("recency must not exceed T (last purchase after end of observation)")
    if np.any((x == 0) & (tx != 0)):
        # The usual mistake is passing "time since last purchase" (RFM recency).
        raise ValueError(
            "recency must be 0 when frequency is 0; recency is the time from the first "
            "to the last purchase, not the time since the last purchase"
        )
    return x, tx, t_end


def collapse(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, weights: ArrayLike | None = None
) -> CustomerRows:
    """Validate and merge identical (x, t_x, T) rows, summing their weights.

    Summary data measured in whole days repeats heavily, so the likelihood is
    evaluated on far fewer rows.  Uses lexsort rather than ``np.unique(axis=0)``,
    which is several times slower on millions of rows.
    """
    x, tx, t_end = validate_customers(frequency, recency, T)
    w = as_weights(weights, len(x))
    order = np.lexsort((t_end, tx, x))
    xs, txs, ts, ws = x[order], tx[order], t_end[order], w[order]
    starts = np.ones(len(xs), dtype=bool)
    starts[1:] = (np.diff(xs) != 0) | (np.diff(txs) != 0) | (np.diff(ts) != 0)
    first = np.flatnonzero(starts)
    summed = np.add.reduceat(ws, first)
    keep = summed > 0
    return CustomerRows(xs[first][keep], txs[first][keep], ts[first][keep], summed[keep])


# --------------------------------------------------------------------------- likelihood


@dataclass(frozen=True)
class _Prepared:
    """Rows plus the distinct frequencies: the gamma/digamma terms depend on x
    only, and evaluating them once per distinct x (tens of values) instead of
    once per row is most of the cost of a likelihood evaluation."""

    rows: CustomerRows
    x_values: FloatArray
    x_index: IntArray

    @classmethod
    def of(cls, rows: CustomerRows) -> _Prepared:
        x_values, x_index = np.unique(rows.frequency, return_inverse=True)
        return cls(rows, x_values, x_index.astype(np.int64))


def _row_log_likelihood(
    r: float, alpha: float, a: float, b: float, prep: _Prepared
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-row log-likelihood plus the two log-terms needed for the gradient.

    L = A1 * A2 * (A3 + [x>0] A4) with (FHL 2005, eq. 6)
      ln A1 = lnG(r+x) - lnG(r) + r ln(alpha)
      ln A2 = lnG(a+b) + lnG(b+x) - lnG(b) - lnG(a+b+x)
      ln A3 = -(r+x) ln(alpha+T)
      ln A4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x)
    """
    x, tx, t_end = prep.rows.frequency, prep.rows.recency, prep.rows.T
    ux = prep.x_values
    repeat = ux > 0
    # b + x - 1 > 0 whenever x >= 1; the placeholder keeps log() quiet for x = 0.
    ln_b = np.where(repeat, np.log(np.where(repeat, b + ux - 1.0, 1.0)), 0.0)
    per_x = (
        special.gammaln(r + ux)
        + special.gammaln(b + ux)
        - special.gammaln(a + b + ux)
        + (special.gammaln(a + b) - special.gammaln(b) - special.gammaln(r) + r * np.log(alpha))
    )
    ln_a3 = -(r + x) * np.log(alpha + t_end)
    ln_a4 = np.where(
        x > 0,
        np.log(a) - ln_b[prep.x_index] - (r + x) * np.log(alpha + tx),
        -np.inf,
    )
    return per_x[prep.x_index] + np.logaddexp(ln_a3, ln_a4), ln_a3, ln_a4


def log_likelihood(
    params: ParamsLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Sum of weighted individual log-likelihoods; ``params`` may be (r, alpha, a, b)."""
    p = _as_params(params)
    x, tx, t_end = validate_customers(frequency, recency, T)
    rows = CustomerRows(x, tx, t_end, as_weights(weights, len(x)))
    ll, _, _ = _row_log_likelihood(p.r, p.alpha, p.a, p.b, _Prepared.of(rows))
    return float(np.dot(rows.weights, ll))


def _neg_mean_ll_and_grad(theta: FloatArray, prep: _Prepared) -> tuple[float, FloatArray]:
    """Objective in log-parameters: -(weighted mean log-likelihood) and its gradient.

    Using the mean keeps the objective O(1) whatever the number of customers,
    so the optimiser's tolerances mean the same thing for 100 or 10^6 rows.
    """
    r, alpha, a, b = np.exp(theta)
    rows, ux, idx = prep.rows, prep.x_values, prep.x_index
    x, tx, t_end, w = rows.frequency, rows.recency, rows.T, rows.weights
    ll, ln_a3, ln_a4 = _row_log_likelihood(r, alpha, a, b, prep)
    # Share of A4 in (A3 + A4): the gradient of the log-sum-exp.
    w4 = np.exp(ln_a4 - np.logaddexp(ln_a3, ln_a4))
    w3 = 1.0 - w4
    inv_b = np.where(ux > 0, 1.0 / np.where(ux > 0, b + ux - 1.0, 1.0), 0.0)[idx]
    dr = (
        (special.digamma(r + ux) - special.digamma(r) + np.log(alpha))[idx]
        - w3 * np.log(alpha + t_end)
        - w4 * np.log(alpha + tx)
    )
    dalpha = r / alpha - (r + x) * (w3 / (alpha + t_end) + w4 / (alpha + tx))
    dab = (special.digamma(a + b) - special.digamma(a + b + ux))[idx]
    da = dab + w4 / a
    db = dab + (special.digamma(b + ux) - special.digamma(b))[idx] - w4 * inv_b
    total = w.sum()
    grad = np.array([w @ dr * r, w @ dalpha * alpha, w @ da * a, w @ db * b]) / total
    return -float(w @ ll) / total, -grad


def _starting_point(prep: _Prepared) -> FloatArray:
    """Best of a small grid: the likelihood surface has long flat valleys in (a, b)
    and a bad start can stall L-BFGS-B there.  T is already scaled to mean 1."""
    rows = prep.rows
    mean_x = float(rows.weights @ rows.frequency / rows.weights.sum())
    candidates = [
        np.log([r0, r0 / max(mean_x, 1e-3), a0, b0])
        for r0 in (0.25, 1.0, 4.0)
        for a0 in (0.5, 2.0)
        for b0 in (0.5, 2.0, 8.0)
    ]
    values = [_neg_mean_ll_and_grad(c, prep)[0] for c in candidates]
    finite = [(v, i) for i, v in enumerate(values) if np.isfinite(v)]
    return np.clip(candidates[min(finite)[1]], -_LOG_BOUND + 1, _LOG_BOUND - 1)


def fit(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> BGNBDParams:
    """Maximum-likelihood BG/NBD fit; ``weights`` are multiplicities of the rows.

    Identical rows are merged first.  Time is rescaled to mean T = 1 for the
    optimisation (alpha is a time scale, the other parameters are unit-free),
    then alpha is scaled back, so days, weeks or years behave the same.
    """
    rows = collapse(frequency, recency, T, weights)
    if not np.any(rows.frequency > 0):
        raise ValueError("every customer has frequency 0: no repeat purchases to fit to")
    scale = float(rows.weights @ rows.T / rows.weights.sum())
    scale = scale if scale > 0 else 1.0
    scaled = _Prepared.of(
        CustomerRows(rows.frequency, rows.recency / scale, rows.T / scale, rows.weights)
    )

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        return _neg_mean_ll_and_grad(theta, scaled)

    theta = _optim.minimise(objective, _starting_point(scaled), _LOG_BOUND)
    _optim.check_interior(theta, _PARAM_NAMES, _LOG_BOUND, "BG/NBD")
    r, alpha_scaled, a, b = (float(v) for v in np.exp(theta))
    alpha = alpha_scaled * scale
    ll, _, _ = _row_log_likelihood(r, alpha, a, b, _Prepared(rows, scaled.x_values, scaled.x_index))
    return BGNBDParams(r, alpha, a, b, float(rows.weights @ ll))


# --------------------------------------------------------------------------- predictions


def _log_odds_dead(p: BGNBDParams, x: FloatArray, tx: FloatArray, t_end: FloatArray) -> FloatArray:
    """ln[a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)] for x > 0, -inf for x = 0."""
    repeat = x > 0
    safe_b = np.where(repeat, p.b + x - 1.0, 1.0)
    # log1p of the gap keeps precision when t_x is close to T.
    ratio = np.log1p((t_end - tx) / (p.alpha + tx))
    return np.where(repeat, np.log(p.a) - np.log(safe_b) + (p.r + x) * ratio, -np.inf)


def p_alive(
    params: ParamsLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(customer still alive at T | x, t_x, T) (FHL 2005, eq. 12), computed in log space."""
    p = _as_params(params)
    x, tx, t_end = validate_customers(frequency, recency, T)
    result: FloatArray = special.expit(-_log_odds_dead(p, x, tx, t_end))
    return result


def _horizon(t: ArrayLike, length: int) -> FloatArray:
    horizon = as_1d_float(t, "t")
    check_non_negative(horizon, "t")
    if len(horizon) == 1:
        return np.full(length, horizon[0])
    if len(horizon) != length:
        raise ValueError(f"t must be a scalar or have one value per customer ({length})")
    return horizon


def expected_purchases(
    params: ParamsLike, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """E[purchases in (T, T+t] | x, t_x, T] (FHL 2005, eq. 10).

    = P(alive) * E[(1 - (1 + p t/(alpha+T))^-(r+x)) / p], p ~ Beta(a, b+x),
    which equals the paper's (a+b+x-1)/(a-1) [1 - ... 2F1(...)] expression but is
    evaluated without its overflow and cancellation problems (see ``_hyp``).
    """
    p = _as_params(params)
    x, tx, t_end = validate_customers(frequency, recency, T)
    horizon = _horizon(t, len(x))
    alive: FloatArray = special.expit(-_log_odds_dead(p, x, tx, t_end))
    s = horizon / (p.alpha + t_end)
    return alive * _hyp.expected_while_alive(p.r + x, p.a, p.b + x, s)


def expected_purchases_new(params: ParamsLike, t: ArrayLike) -> FloatArray:
    """E[X(t)] for a customer just acquired (FHL 2005, eq. 7), one value per t."""
    p = _as_params(params)
    horizon = as_1d_float(t, "t")
    check_non_negative(horizon, "t")
    ones = np.ones_like(horizon)
    return _hyp.expected_while_alive(p.r * ones, p.a, p.b * ones, horizon / p.alpha)
