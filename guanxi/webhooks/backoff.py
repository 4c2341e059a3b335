"""When a failed delivery is tried again: exponential back-off with "equal jitter".

Try ``n`` (1-based) failed → the next waits between half and all of
``min(cap, base · 2^(n-1))`` seconds. The ceiling doubles until the cap, so a receiver that
is down is asked ever less often; the jitter spreads the retries of many subscriptions
that failed together (one receiver's outage) instead of sending them in one burst.
"""

from __future__ import annotations

import random


def retry_ceiling(attempt: int, *, base: float, cap: float) -> float:
    """The longest wait after failed try ``attempt`` (≥ 1)."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    # 2**attempt overflows a float long after it passed any sane cap: stop doubling there.
    exponent = min(attempt - 1, 64)
    return float(min(cap, base * (2**exponent)))


def retry_delay(
    attempt: int, *, base: float, cap: float, rand: random.Random | None = None
) -> float:
    """Seconds to wait after failed try ``attempt``: in [ceiling / 2, ceiling]."""
    ceiling = retry_ceiling(attempt, base=base, cap=cap)
    draw = (rand or random).random()
    return ceiling / 2 + draw * ceiling / 2
