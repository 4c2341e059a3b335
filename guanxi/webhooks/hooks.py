"""Reactions to webhook happenings, registered by higher or sibling apps.

Webhooks may not import ``notifications`` (the two are independent layers), so telling the
admins that a subscription was switched off goes through this registry: the notifications
app (or any other) registers a listener in its ``ready()``::

    from guanxi.webhooks.hooks import register_disabled_listener
    register_disabled_listener(lambda subscription: notify(...admins..., subscription))

Listeners run after the disabling transaction committed; one that raises is logged and
does not stop the others. Until one is registered, the disabling is audited and logged
(``guanxi.webhooks`` logger, level WARNING), and the subscription list shows it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("guanxi.webhooks")

DisabledListener = Callable[[Any], None]

_DISABLED: list[DisabledListener] = []


def register_disabled_listener(listener: DisabledListener) -> None:
    if listener not in _DISABLED:
        _DISABLED.append(listener)


def unregister_disabled_listener(listener: DisabledListener) -> None:
    if listener in _DISABLED:
        _DISABLED.remove(listener)


def subscription_disabled(subscription: Any) -> None:
    log.warning(
        "webhook subscription %s (%s) disabled: %s",
        subscription.pk,
        subscription.url,
        subscription.disabled_reason,
    )
    for listener in list(_DISABLED):
        try:
            listener(subscription)
        except Exception:
            log.exception("webhook disabled listener %r failed", listener)
