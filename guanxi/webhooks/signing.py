"""The signature of a webhook request, for senders and receivers alike.

``X-Guanxi-Signature: sha256=<hex>`` is HMAC-SHA256, keyed with the subscription's secret,
over ``"<X-Guanxi-Timestamp>.<raw body>"``. A receiver recomputes it over the bytes it
received and refuses a timestamp older than a few minutes (a replayed capture).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SCHEME = "sha256"
#: how far a receiver should accept the timestamp from its own clock, in seconds
DEFAULT_TOLERANCE = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SCHEME}={mac.hexdigest()}"


def verify(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    signature_header: str,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether ``signature_header`` signs ``body`` at ``timestamp`` with ``secret``, and the
    timestamp is within ``tolerance`` seconds of ``now``."""
    if not timestamp.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        return False
    expected = signature(secret, int(timestamp), body)
    return hmac.compare_digest(expected.encode(), signature_header.strip().encode())
