from __future__ import annotations

import pytest

from guanxi.webhooks.events import Event, UnknownEvent, all_events, get_event, register_event


def test_emitting_apps_register_their_events():
    keys = {e.key for e in all_events()}
    assert {"customer.created", "customer.updated", "customer.merged", "import.finished"} <= keys


def test_unknown_event_is_refused():
    with pytest.raises(UnknownEvent):
        get_event("customer.exploded")


@pytest.mark.parametrize("key", ["", " customer.x", "x" * 101])
def test_bad_keys_are_refused(key):
    with pytest.raises(ValueError):
        register_event(Event(key=key, label="x"))
