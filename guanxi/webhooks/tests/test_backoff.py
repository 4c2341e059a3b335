"""The retry schedule: exponential with jitter, capped."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.webhooks.backoff import retry_ceiling, retry_delay

attempts = st.integers(min_value=1, max_value=10_000)
bases = st.floats(min_value=0.1, max_value=600)
caps = st.floats(min_value=1, max_value=7 * 24 * 3600)
seeds = st.integers(min_value=0, max_value=2**32)


@given(attempt=attempts, base=bases, cap=caps, seed=seeds)
def test_delay_is_between_half_and_all_of_the_ceiling(attempt, base, cap, seed):
    delay = retry_delay(attempt, base=base, cap=cap, rand=random.Random(seed))
    ceiling = retry_ceiling(attempt, base=base, cap=cap)
    assert ceiling / 2 <= delay <= ceiling <= cap
    assert delay > 0


@given(attempt=attempts, base=bases, cap=caps)
def test_ceiling_never_shrinks_and_doubles_until_the_cap(attempt, base, cap):
    this = retry_ceiling(attempt, base=base, cap=cap)
    nxt = retry_ceiling(attempt + 1, base=base, cap=cap)
    assert nxt >= this
    assert nxt == pytest.approx(min(cap, 2 * this)) or this >= cap


@given(base=bases, cap=caps)
def test_first_retry_waits_the_base(base, cap):
    assert retry_ceiling(1, base=base, cap=cap) == min(cap, base)


@given(attempt=attempts, base=bases, cap=caps, seeds=st.lists(seeds, min_size=2, max_size=5))
def test_jitter_spreads_retries(attempt, base, cap, seeds):
    delays = {retry_delay(attempt, base=base, cap=cap, rand=random.Random(s)) for s in seeds}
    # Different seeds give different delays (the same second for everyone is the burst
    # the jitter is there to avoid) — unless the seeds collide.
    assert len(delays) == len(set(seeds)) or len(set(seeds)) < len(seeds)


def test_attempt_counts_from_one():
    with pytest.raises(ValueError):
        retry_ceiling(0, base=1, cap=1)
