from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from guanxi.webhooks.signing import signature, verify

secrets_ = st.text(min_size=16, max_size=64)
bodies = st.binary(max_size=512)
times = st.integers(min_value=1_000_000_000, max_value=4_000_000_000)


def test_signature_is_hmac_sha256_over_timestamp_dot_body():
    expected = hmac.new(b"k" * 16, b"1700000000.{}", hashlib.sha256).hexdigest()
    assert signature("k" * 16, 1700000000, b"{}") == f"sha256={expected}"


@given(secret=secrets_, body=bodies, ts=times)
def test_a_signature_verifies_with_its_secret_and_body(secret, body, ts):
    sig = signature(secret, ts, body)
    assert verify(secret, timestamp=str(ts), body=body, signature_header=sig, now=ts)


@given(secret=secrets_, body=bodies, ts=times, flip=st.integers(min_value=0, max_value=511))
def test_a_changed_body_or_secret_does_not_verify(secret, body, ts, flip):
    sig = signature(secret, ts, body)
    changed = bytearray(body or b"x")
    changed[flip % len(changed)] ^= 0x01
    assert not verify(secret, timestamp=str(ts), body=bytes(changed), signature_header=sig, now=ts)
    assert not verify(secret + "x", timestamp=str(ts), body=body, signature_header=sig, now=ts)
    assert not verify(secret, timestamp=str(ts + 1), body=body, signature_header=sig, now=ts)


def test_an_old_timestamp_is_refused():
    sig = signature("k" * 16, 1000, b"{}")
    assert verify("k" * 16, timestamp="1000", body=b"{}", signature_header=sig, now=1300)
    assert not verify("k" * 16, timestamp="1000", body=b"{}", signature_header=sig, now=1301)
    assert not verify("k" * 16, timestamp="abc", body=b"{}", signature_header=sig, now=1000)
