"""Input coercion and validation shared by the compute modules.

Everything here raises ``ValueError`` with a message that names the offending
argument, because these functions sit behind user-facing analytics pages and a
precise message is the only debugging aid an operator gets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
ArrayLike: TypeAlias = npt.ArrayLike


def as_1d_float(values: ArrayLike, name: str) -> FloatArray:
    """Coerce to a finite 1-D float64 array (scalars become length 1)."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric") from exc
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_non_negative(arr: FloatArray, name: str) -> None:
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative")


def check_integer_valued(arr: FloatArray, name: str) -> None:
    if np.any(arr != np.round(arr)):
        raise ValueError(f"{name} must contain whole numbers (counts)")


def check_same_length(arrays: Sequence[FloatArray], names: Sequence[str]) -> int:
    """Return the common length; reject empty or mismatched inputs."""
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        detail = ", ".join(f"{n}={len(a)}" for n, a in zip(names, arrays, strict=True))
        raise ValueError(f"inputs must have the same length ({detail})")
    (length,) = lengths
    if length == 0:
        raise ValueError("inputs are empty")
    return length


def as_weights(weights: ArrayLike | None, length: int) -> FloatArray:
    """Multiplicities of rows: default 1 each; must be finite, >= 0, not all zero."""
    if weights is None:
        return np.ones(length, dtype=np.float64)
    w = as_1d_float(weights, "weights")
    if len(w) != length:
        raise ValueError(f"weights has length {len(w)}, expected {length}")
    check_non_negative(w, "weights")
    if not np.any(w > 0):
        raise ValueError("weights are all zero")
    return w


def check_positive_scalar(value: float, name: str) -> float:
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return v


def check_rate(rate: float, name: str = "rate") -> float:
    """A per-period discount rate; > -1 so the discount factor stays positive."""
    r = float(rate)
    if not np.isfinite(r) or r <= -1:
        raise ValueError(f"{name} must be a finite number greater than -1, got {rate!r}")
    return r
