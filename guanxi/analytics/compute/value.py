"""Descriptive customer-value formulas (F1-F5, F7), vectorised over NumPy arrays.

Every formula, its conventions and its boundary behaviour are written out in
docs/analytics.md; the docstrings here only summarise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from ._arrays import (
    ArrayLike,
    FloatArray,
    IntArray,
    as_1d_float,
    check_integer_valued,
    check_non_negative,
    check_rate,
    check_same_length,
)

StrArray: TypeAlias = npt.NDArray[np.str_]

# --------------------------------------------------------------------------- F1


def customer_values(cash_flows: ArrayLike, rate: float) -> FloatArray:
    """F1 per customer: CV = sum_{i=0}^{n-1} S_i / (1 + r)^i for each row of a
    (customers x periods) matrix; column 0 is the current period (undiscounted)."""
    r = check_rate(rate)
    try:
        flows = np.asarray(cash_flows, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError("cash_flows must be numeric") from exc
    if flows.ndim != 2 or flows.shape[1] == 0:
        raise ValueError("cash_flows must be a non-empty (customers x periods) matrix")
    if not np.all(np.isfinite(flows)):
        raise ValueError("cash_flows contains NaN or infinite values")
    discount = (1.0 + r) ** -np.arange(flows.shape[1], dtype=np.float64)
    result: FloatArray = flows @ discount
    return result


def customer_value(cash_flows: ArrayLike, rate: float) -> float:
    """F1 for one customer: ``cash_flows`` is S_0, S_1, ... (S_0 = current period)."""
    flows = as_1d_float(cash_flows, "cash_flows")
    return float(customer_values(flows[np.newaxis, :], rate)[0])


# --------------------------------------------------------------------------- F2


def value_check(
    cycle: ArrayLike,
    amount: ArrayLike,
    remaining_lifetime: ArrayLike,
    rate: float = 0.0,
    period: float = 30.0,
) -> FloatArray:
    """F2 "value check" model: value of the purchases expected in the remaining lifetime.

    With cycle T, amount M, remaining lifetime L, n = L / T purchases, purchase k
    at time k*T and discount factor per cycle d = (1 + rate)^(-T / period):

        V = M * (d + d^2 + ... + d^n) = M * d * (1 - d^n) / (1 - d),   V = M * n if rate = 0.

    The closed form extends the sum to fractional n continuously.  ``period`` is
    the length (same unit as T and L) of the period ``rate`` applies to.
    """
    t = as_1d_float(cycle, "cycle")
    m = as_1d_float(amount, "amount")
    life = as_1d_float(remaining_lifetime, "remaining_lifetime")
    check_same_length([t, m, life], ["cycle", "amount", "remaining_lifetime"])
    if np.any(t <= 0):
        raise ValueError("cycle must be positive (average time between purchases)")
    check_non_negative(life, "remaining_lifetime")
    r = check_rate(rate)
    if not (math.isfinite(period) and period > 0):
        raise ValueError("period must be a positive finite number")
    n = life / t
    delta = (t / period) * math.log1p(r)  # log-discount per cycle
    with np.errstate(divide="ignore", invalid="ignore"):
        # d (1 - d^n)/(1 - d) via expm1 so small rates do not cancel; the limit at
        # delta = 0 is n.
        discounted = np.exp(-delta) * np.expm1(-n * delta) / np.expm1(-delta)
    return m * np.where(delta == 0.0, n, discounted)


# --------------------------------------------------------------------------- F3

CYCLE_CLASSES = ("short", "medium", "long")
AMOUNT_CLASSES = ("small", "medium", "large")
INSUFFICIENT = "insufficient"
# (amount class, cycle class) -> value class; short cycle = frequent buyer.
VALUE_CLASSES: dict[tuple[str, str], str] = {
    ("large", "short"): "platinum",
    ("large", "medium"): "gold",
    ("medium", "short"): "gold",
    ("large", "long"): "silver",
    ("medium", "medium"): "silver",
    ("small", "short"): "silver",
    ("medium", "long"): "development",
    ("small", "medium"): "development",
    ("small", "long"): "adjust",
}


@dataclass(frozen=True)
class ValueMatrix:
    cycle_class: StrArray
    amount_class: StrArray
    value_class: StrArray
    cycle_thresholds: tuple[float, float]
    amount_thresholds: tuple[float, float]


def _thresholds(
    values: FloatArray, given: Sequence[float] | None, name: str
) -> tuple[float, float]:
    if given is None:
        if len(values) == 0:
            return (math.nan, math.nan)
        low, high = np.quantile(values, [1.0 / 3.0, 2.0 / 3.0])
        return (float(low), float(high))
    if len(given) != 2:
        raise ValueError(f"{name} must be two numbers (lower, upper)")
    low, high = float(given[0]), float(given[1])
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ValueError(f"{name} must be finite with lower <= upper, got {given!r}")
    return (low, high)


def _band(values: FloatArray, thresholds: tuple[float, float]) -> IntArray:
    """0, 1, 2 for v <= t1, t1 < v <= t2, v > t2: a value equal to a threshold
    falls in the lower band (shorter cycle / smaller amount)."""
    return np.searchsorted(np.asarray(thresholds), values, side="left").astype(np.int64)


def value_matrix(
    n_purchases: ArrayLike,
    cycle: ArrayLike,
    amount: ArrayLike,
    cycle_thresholds: Sequence[float] | None = None,
    amount_thresholds: Sequence[float] | None = None,
) -> ValueMatrix:
    """F3: classify purchase cycle x amount into platinum ... adjust.

    Customers with fewer than two purchases have no cycle and are classed
    ``"insufficient"`` (their cycle/amount may be NaN).  Default thresholds are
    the population terciles (numpy "linear" quantiles) over eligible customers.
    """
    n = as_1d_float(n_purchases, "n_purchases")
    check_non_negative(n, "n_purchases")
    check_integer_valued(n, "n_purchases")
    t = np.atleast_1d(np.asarray(cycle, dtype=np.float64))
    m = np.atleast_1d(np.asarray(amount, dtype=np.float64))
    check_same_length([n, t, m], ["n_purchases", "cycle", "amount"])
    eligible = n >= 2
    if not (np.all(np.isfinite(t[eligible])) and np.all(np.isfinite(m[eligible]))):
        raise ValueError("cycle and amount must be finite for customers with 2+ purchases")
    if np.any(t[eligible] < 0):
        raise ValueError("cycle must be non-negative")
    cycle_t = _thresholds(t[eligible], cycle_thresholds, "cycle_thresholds")
    amount_t = _thresholds(m[eligible], amount_thresholds, "amount_thresholds")
    cycle_class = np.full(len(n), INSUFFICIENT, dtype="<U12")
    amount_class = np.full(len(n), INSUFFICIENT, dtype="<U12")
    value_class = np.full(len(n), INSUFFICIENT, dtype="<U12")
    cycle_class[eligible] = np.asarray(CYCLE_CLASSES)[_band(t[eligible], cycle_t)]
    amount_class[eligible] = np.asarray(AMOUNT_CLASSES)[_band(m[eligible], amount_t)]
    value_class[eligible] = [
        VALUE_CLASSES[(a, c)]
        for a, c in zip(amount_class[eligible], cycle_class[eligible], strict=True)
    ]
    return ValueMatrix(cycle_class, amount_class, value_class, cycle_t, amount_t)


# --------------------------------------------------------------------------- F4


def quintile_scores(values: ArrayLike, higher_is_better: bool = True) -> IntArray:
    """Score 1-5: 1 + floor(5 * (#customers strictly worse) / n).

    Tied customers are strictly worse than none of each other, so they always
    share a score and the result does not depend on input order.
    """
    v = as_1d_float(values, "values")
    check_same_length([v], ["values"])
    ordered = np.sort(v)
    if higher_is_better:
        worse = np.searchsorted(ordered, v, side="left")
    else:
        worse = len(v) - np.searchsorted(ordered, v, side="right")
    return (1 + (5 * worse) // len(v)).astype(np.int64)


@dataclass(frozen=True)
class RFMScores:
    recency: IntArray
    frequency: IntArray
    monetary: IntArray
    fm: IntArray  # ceil((F + M) / 2): the F and M average, halves rounded up


def rfm_scores(
    days_since_last_purchase: ArrayLike, frequency: ArrayLike, monetary: ArrayLike
) -> RFMScores:
    """F4 quintile scores; recency here is time *since* the last purchase (lower is better)."""
    rec = as_1d_float(days_since_last_purchase, "days_since_last_purchase")
    freq = as_1d_float(frequency, "frequency")
    mon = as_1d_float(monetary, "monetary")
    check_same_length([rec, freq, mon], ["days_since_last_purchase", "frequency", "monetary"])
    check_non_negative(rec, "days_since_last_purchase")
    r = quintile_scores(rec, higher_is_better=False)
    f = quintile_scores(freq)
    m = quintile_scores(mon)
    return RFMScores(r, f, m, (f + m + 1) // 2)


@dataclass(frozen=True)
class SegmentRule:
    """Customers with r_min <= R <= r_max and fm_min <= FM <= fm_max."""

    name: str
    r_min: int
    r_max: int
    fm_min: int
    fm_max: int


# One rule per cell block of the 5x5 R x FM grid; see docs/analytics.md.
DEFAULT_SEGMENTS: tuple[SegmentRule, ...] = (
    SegmentRule("champions", 5, 5, 4, 5),
    SegmentRule("loyal", 3, 4, 4, 5),
    SegmentRule("potential_loyalists", 4, 5, 2, 3),
    SegmentRule("new", 5, 5, 1, 1),
    SegmentRule("promising", 4, 4, 1, 1),
    SegmentRule("need_attention", 3, 3, 3, 3),
    SegmentRule("about_to_sleep", 3, 3, 1, 2),
    SegmentRule("cant_lose", 1, 2, 5, 5),
    SegmentRule("at_risk", 1, 2, 3, 4),
    SegmentRule("hibernating", 2, 2, 1, 2),
    SegmentRule("lost", 1, 1, 1, 2),
)
UNCLASSIFIED = "unclassified"


def rfm_segments(
    r_scores: ArrayLike,
    fm_scores: ArrayLike,
    rules: Sequence[SegmentRule] = DEFAULT_SEGMENTS,
) -> StrArray:
    """Name of the first matching rule per customer; ``"unclassified"`` if none."""
    r = as_1d_float(r_scores, "r_scores")
    fm = as_1d_float(fm_scores, "fm_scores")
    check_same_length([r, fm], ["r_scores", "fm_scores"])
    width = max([len(UNCLASSIFIED), *(len(rule.name) for rule in rules)])
    out = np.full(len(r), UNCLASSIFIED, dtype=f"<U{width}")
    unmatched = np.ones(len(r), dtype=bool)
    for rule in rules:
        hit = unmatched & (r >= rule.r_min) & (r <= rule.r_max)
        hit &= (fm >= rule.fm_min) & (fm <= rule.fm_max)
        out[hit] = rule.name
        unmatched &= ~hit
    return out


# --------------------------------------------------------------------------- F5

# Shares are compared with this slack so 0.8 written as a float still selects
# the customers whose exact share is 80%.
_SHARE_SLACK = 1e-12


@dataclass(frozen=True)
class Pareto:
    order: IntArray  # customer indices by revenue, descending; ties by index
    cumulative_share: FloatArray  # revenue share of the top k customers, k = 1..n
    customer_share: FloatArray  # k / n
    top_share: float  # revenue share of the top ceil(top_fraction * n) customers
    key_accounts: IntArray  # smallest prefix of ``order`` covering key_share


def _count_for_fraction(fraction: float, n: int) -> int:
    return max(1, math.ceil(fraction * n - 1e-9))


def pareto(revenue: ArrayLike, key_share: float = 0.8, top_fraction: float = 0.2) -> Pareto:
    """F5 Pareto / ABC analysis of revenue per customer."""
    rev = as_1d_float(revenue, "revenue")
    check_same_length([rev], ["revenue"])
    check_non_negative(rev, "revenue")
    if not 0 < key_share <= 1:
        raise ValueError("key_share must be in (0, 1]")
    if not 0 < top_fraction <= 1:
        raise ValueError("top_fraction must be in (0, 1]")
    total = rev.sum()
    if total <= 0:
        raise ValueError("total revenue is zero: no revenue shares to compute")
    order = np.lexsort((np.arange(len(rev)), -rev)).astype(np.int64)
    cumulative = np.cumsum(rev[order]) / total
    customer_share = np.arange(1, len(rev) + 1) / len(rev)
    top = float(cumulative[_count_for_fraction(top_fraction, len(rev)) - 1])
    n_key = int(np.searchsorted(cumulative, key_share - _SHARE_SLACK, side="left")) + 1
    n_key = min(n_key, len(rev))  # rounding can leave the last cumsum a hair below 1
    return Pareto(order, cumulative, customer_share, top, order[:n_key])


# --------------------------------------------------------------------------- F7


@dataclass(frozen=True)
class Retention:
    cohorts: IntArray  # first-purchase period of each cohort (row)
    cohort_sizes: IntArray
    active: IntArray  # customers of cohort c active in period c + k (0 if unobserved)
    retention: FloatArray  # active / cohort size; NaN where c + k > end_period
    periods: IntArray  # calendar periods p for the period rates (first + 1 .. end)
    period_retention: FloatArray  # share of customers active in p - 1 also active in p
    period_churn: FloatArray  # 1 - period_retention (NaN if nobody was active in p - 1)


def cohort_retention(
    customer_ids: ArrayLike, periods: ArrayLike, end_period: int | None = None
) -> Retention:
    """F7 cohort table from purchase rows (customer id, integer period index).

    A customer's cohort is its first purchase period; it is *active* in a period
    when it bought at least once in it.  ``end_period`` (default: the last
    period in the data) is the last period observed.
    """
    ids = np.atleast_1d(np.asarray(customer_ids))
    per = as_1d_float(periods, "periods")
    if ids.ndim != 1:
        raise ValueError("customer_ids must be one-dimensional")
    if len(ids) != len(per):
        raise ValueError(
            f"inputs must have the same length (customer_ids={len(ids)}, periods={len(per)})"
        )
    check_same_length([per], ["periods"])
    check_integer_valued(per, "periods")
    period = per.astype(np.int64)
    end = int(period.max()) if end_period is None else int(end_period)
    if period.max() > end:
        raise ValueError("purchases after end_period")
    _, customer = np.unique(ids, return_inverse=True)
    start = int(period.min())
    span = end - start + 1
    keys = np.unique(customer.astype(np.int64) * span + (period - start))  # one per active (c, p)
    cust, offset = keys // span, keys % span
    first = np.full(int(cust.max()) + 1, span, dtype=np.int64)
    np.minimum.at(first, cust, offset)
    cohort_offsets = np.unique(first[cust])
    row = np.searchsorted(cohort_offsets, first[cust])
    active = np.zeros((len(cohort_offsets), span), dtype=np.int64)
    np.add.at(active, (row, offset - first[cust]), 1)
    sizes = active[:, 0].copy()
    ages = np.arange(span)
    observed = ages[np.newaxis, :] <= (span - 1 - cohort_offsets)[:, np.newaxis]
    retention = np.where(observed, active / sizes[:, np.newaxis], np.nan)
    period_rate = _period_retention(keys, offset, span)
    return Retention(
        cohorts=cohort_offsets + start,
        cohort_sizes=sizes,
        active=active,
        retention=retention,
        periods=np.arange(start + 1, end + 1, dtype=np.int64),
        period_retention=period_rate,
        period_churn=1.0 - period_rate,
    )


def _period_retention(keys: IntArray, offset: IntArray, span: int) -> FloatArray:
    """Retained(p) / active(p-1) for p = 1 .. span-1 (offsets from the first period)."""
    active = np.bincount(offset, minlength=span)
    # key + 1 is the same customer one period later (never wraps: offset < span - 1).
    stays = (offset < span - 1) & np.isin(keys + 1, keys)
    retained = np.bincount(offset[stays] + 1, minlength=span)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(active[:-1] > 0, retained[1:] / active[:-1], np.nan)
    return rate.astype(np.float64)
