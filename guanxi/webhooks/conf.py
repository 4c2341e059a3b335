"""The webhook settings, with their defaults (``config/settings.py`` sets only what differs)."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def timeout() -> float:
    """Seconds to connect, and to wait for each read of the answer."""
    return float(_get("WEBHOOKS_TIMEOUT", 10))


def max_attempts() -> int:
    """Tries of one delivery before it is marked failed (and the next one goes out)."""
    return max(1, int(_get("WEBHOOKS_MAX_ATTEMPTS", 12)))


def backoff_base() -> float:
    return float(_get("WEBHOOKS_BACKOFF_BASE", 10))


def backoff_cap() -> float:
    return float(_get("WEBHOOKS_BACKOFF_CAP", 6 * 3600))


def disable_after() -> int:
    """Consecutive failed tries (across deliveries) after which a subscription is switched
    off; the default, with the default back-off, is about a day of a dead receiver."""
    return max(1, int(_get("WEBHOOKS_DISABLE_AFTER", 15)))


def allowed_networks() -> list[Network]:
    """Non-public networks a receiver may still be in (``WEBHOOKS_ALLOWED_NETWORKS``, e.g.
    ``["10.0.0.0/8"]`` for an intranet receiver). Empty by default: private, loopback,
    link-local and reserved addresses are refused (SSRF)."""
    raw = _get("WEBHOOKS_ALLOWED_NETWORKS", [])
    if isinstance(raw, str):
        raw = [part for part in raw.replace(",", " ").split() if part]
    return [ipaddress.ip_network(str(net), strict=False) for net in raw]
