"""Predictive customer lifetime value from BG/NBD purchases and Gamma-Gamma spend.

Discrete monthly approximation (docs/analytics.md, "Predictive CLV"):

    CLV_i = margin * spend_i * sum_{k=1..K} (E_i[X(k d)] - E_i[X((k-1) d)]) / (1 + r)^k

where E_i[X(t)] is the BG/NBD conditional expected number of purchases in
(T_i, T_i + t], d the period length in the model's time unit, r the discount
rate per period and spend_i the Gamma-Gamma expected spend per purchase.
Purchases expected during period k are discounted as if they all happened at
its end, which slightly under-values (by at most one period's discount) any
customer compared with continuous discounting.
"""

from __future__ import annotations

import numpy as np

from . import bgnbd, gamma_gamma
from ._arrays import ArrayLike, FloatArray, check_positive_scalar, check_rate


def expected_purchases_by_period(
    params: bgnbd.BGNBDParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    periods: int,
    period_length: float,
) -> FloatArray:
    """Matrix (customers x periods) of expected purchases within each period."""
    if periods < 1:
        raise ValueError(f"periods must be at least 1, got {periods}")
    check_positive_scalar(period_length, "period_length")
    cumulative = np.column_stack(
        [
            bgnbd.expected_purchases(params, k * period_length, frequency, recency, T)
            for k in range(1, periods + 1)
        ]
    )
    increments = np.diff(cumulative, axis=1, prepend=0.0)
    # E[X(t)] is non-decreasing in t; clip rounding-level negatives so no period
    # ever contributes negative value.
    return np.maximum(increments, 0.0)


def customer_lifetime_value(
    purchase_params: bgnbd.BGNBDParams,
    spend_params: gamma_gamma.GammaGammaParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    *,
    periods: int = 12,
    period_length: float = 30.0,
    discount_rate: float = 0.01,
    margin: float = 1.0,
) -> FloatArray:
    """Discounted expected value of each customer's next ``periods`` periods.

    ``period_length`` is in the same time unit as recency and T (30 for months
    when T is in days); ``discount_rate`` is per period (monthly by default).
    """
    rate = check_rate(discount_rate, "discount_rate")
    if not np.isfinite(margin):
        raise ValueError("margin must be finite")
    per_period = expected_purchases_by_period(
        purchase_params, frequency, recency, T, periods=periods, period_length=period_length
    )
    discount = (1.0 + rate) ** -np.arange(1, periods + 1, dtype=np.float64)
    spend = gamma_gamma.expected_spend(spend_params, frequency, monetary_value)
    result: FloatArray = margin * spend * (per_period @ discount)
    return result
