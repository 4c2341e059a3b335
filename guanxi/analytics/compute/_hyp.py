"""The one special function the BG/NBD predictions need, evaluated robustly.

Both the conditional (eq. 10 of Fader, Hardie & Lee 2005) and the unconditional
expected number of purchases reduce to

    h(A, a, B, s) = E[(1 - (1 + p*s)^(-A)) / p],   p ~ Beta(a, B),

i.e. the expected number of purchases in a window of length t of a customer who
is alive at its start, with A = r + x, B = b + x and s = t / (alpha + T).  The
paper writes this with the Gaussian hypergeometric function:

    h = C/(a-1) * [1 - (1+s)^(-A) * 2F1(A, B; C; s/(1+s))],   C = a + B - 1.

That form overflows (2F1 ~ (1-z)^(C-A-B) and C-A-B -> -inf as x grows), cancels
catastrophically for small s and is 0/0 at a = 1.  We therefore evaluate it as

* a power series in s when s is small (all parameters, including a = 1);
* otherwise the Pfaff-transformed form
      h = C/(a-1) * [1 - (1+s)^(1-a) * 2F1(C-A, a-1; C; s/(1+s))],
  whose first parameter C - A = a + b - 1 - r does not grow with x, so the
  hypergeometric function stays bounded; a within 1e-5 of 1 is bridged by
  linear interpolation across the removable singularity;
* and, for any element whose result is non-finite or violates the bounds
  0 <= h <= A*s, by direct numerical integration of the Beta expectation.
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, special

from ._arrays import FloatArray

# The series is used where its terms shrink at least this fast (alternating
# signs, so the truncation error is below the first omitted term).
_SERIES_MAX_RATIO = 0.5
_SERIES_MAX_TERMS = 80
# Half-width of the window around a = 1 bridged by interpolation: balances the
# cancellation error (~1e-16 / width) against the interpolation error (~width^2).
_A_ONE_HALF_WIDTH = 1e-5


def expected_while_alive(A: FloatArray, a: float, B: FloatArray, s: FloatArray) -> FloatArray:
    """h(A, a, B, s) elementwise; A, B, s are broadcast to a common shape."""
    A, B, s = np.broadcast_arrays(
        np.asarray(A, dtype=np.float64),
        np.asarray(B, dtype=np.float64),
        np.asarray(s, dtype=np.float64),
    )
    out = np.zeros(A.shape, dtype=np.float64)
    positive = s > 0  # h(., 0) = 0 exactly
    C = a + B - 1.0
    ratio = s * np.maximum(1.0, (A + 1.0) / (C + 1.0)) * max(1.0, a / 2.0)
    series = positive & (ratio <= _SERIES_MAX_RATIO)
    closed = positive & ~series
    out[series] = _series(A[series], a, C[series], s[series])
    out[closed] = _closed_form(A[closed], a, B[closed], s[closed])
    suspicious = positive & (~np.isfinite(out) | (out < 0) | (out > A * s * (1 + 1e-9)))
    for idx in zip(*np.nonzero(suspicious), strict=True):
        out[idx] = quadrature(float(A[idx]), a, float(B[idx]), float(s[idx]))
    return out


def _series(A: FloatArray, a: float, C: FloatArray, s: FloatArray) -> FloatArray:
    """sum_k>=1 (-1)^(k+1) s^k (A)_k (a)_(k-1) / ((C+1)_(k-1) k!), no 1/(a-1) in sight."""
    term = A * s
    total = term.copy()
    for k in range(1, _SERIES_MAX_TERMS):
        term = term * (-s) * (A + k) * (a + k - 1.0) / ((C + k) * (k + 1.0))
        total += term
        if np.all(np.abs(term) <= 1e-17 * np.abs(total)):
            break
    return total


def _closed_form(A: FloatArray, a: float, B: FloatArray, s: FloatArray) -> FloatArray:
    if abs(a - 1.0) >= _A_ONE_HALF_WIDTH:
        return _pfaff(A, a, B, s)
    lo, hi = 1.0 - _A_ONE_HALF_WIDTH, 1.0 + _A_ONE_HALF_WIDTH
    h_lo, h_hi = _pfaff(A, lo, B, s), _pfaff(A, hi, B, s)
    return h_lo + (a - lo) / (hi - lo) * (h_hi - h_lo)


def _pfaff(A: FloatArray, a: float, B: FloatArray, s: FloatArray) -> FloatArray:
    C = a + B - 1.0
    z = s / (1.0 + s)
    with np.errstate(all="ignore"):  # failures are caught by the caller's bounds check
        f = special.hyp2f1(C - A, a - 1.0, C, z)
        bracket = 1.0 - np.exp((1.0 - a) * np.log1p(s)) * f
        result: FloatArray = C / (a - 1.0) * bracket
    return result


def quadrature(A: float, a: float, B: float, s: float) -> float:
    """h by integrating over u = logit(p), where the Beta density is smooth and
    unimodal with no endpoint singularities whatever a and B are."""
    if s <= 0:
        return 0.0
    log_norm = float(special.betaln(a, B))

    def integrand(u: float) -> float:
        log_p = -np.logaddexp(0.0, -u)
        log_q = -np.logaddexp(0.0, u)
        p = np.exp(log_p)
        g = A * s if p * s < 1e-300 else -np.expm1(-A * np.log1p(p * s)) / p
        return float(np.exp(a * log_p + B * log_q - log_norm) * g)

    mode = float(np.log(a) - np.log(B))
    left, _ = integrate.quad(integrand, -np.inf, mode, epsabs=0.0, epsrel=1e-10, limit=400)
    right, _ = integrate.quad(integrand, mode, np.inf, epsabs=0.0, epsrel=1e-10, limit=400)
    return float(left + right)
