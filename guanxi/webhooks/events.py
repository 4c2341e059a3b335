"""The webhook event registry: each emitting app registers its events in ``ready()``.

Webhooks sit below customers, imports and the other domain apps, so they do not know their
events: ``customers`` registers ``customer.created`` and calls
:func:`guanxi.webhooks.services.emit`.
A subscription may choose only registered events, and ``emit`` refuses an unknown key (a
typo would otherwise be an event nobody could ever subscribe to).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    key: str  # "<noun>.<past verb>", e.g. "customer.created"; part of the public contract
    label: Any  # a lazy translation shown in the subscription form
    description: Any = ""  # what the payload's "data" holds (shown in the UI)


class UnknownEvent(LookupError):
    pass


_EVENTS: dict[str, Event] = {}


def register_event(event: Event) -> None:
    """Register (or re-register, e.g. on a test's app reload) ``event`` under its key."""
    key = event.key.strip()
    if not key or len(key) > 100 or key != event.key:
        raise ValueError(f"bad webhook event key {event.key!r}")
    _EVENTS[key] = event


def get_event(key: str) -> Event:
    try:
        return _EVENTS[key]
    except KeyError:
        raise UnknownEvent(key) from None


def is_registered(key: str) -> bool:
    return key in _EVENTS


def all_events() -> list[Event]:
    """Every registered event, by key."""
    return [_EVENTS[key] for key in sorted(_EVENTS)]


def unregister_event(key: str) -> None:
    """For tests that register an event of their own."""
    _EVENTS.pop(key, None)
