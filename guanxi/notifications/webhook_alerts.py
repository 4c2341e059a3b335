"""The administrators hear of a webhook subscription switched off after repeated failures
(``webhooks.hooks``: webhooks does not know notifications; this app listens to it).
Registered from ``NotificationsConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.notifications.registry import Channel, NotificationKind, register_kind
from guanxi.notifications.services import notify
from guanxi.webhooks.hooks import register_disabled_listener

WEBHOOK_DISABLED = "webhook_disabled"


def _managers() -> list[User]:
    """Who may switch the subscription back on: the users the webhooks pages admit."""
    return [u for u in User.objects.filter(is_active=True) if permissions.can_manage_settings(u)]


def subscription_disabled(subscription: Any) -> None:
    """Runs after the disabling committed. Once per disabling: a listener called twice
    for it (a retried task) notifies nobody twice."""
    disabled_at = subscription.disabled_at.isoformat() if subscription.disabled_at else ""
    notify(
        recipients=_managers(),
        kind=WEBHOOK_DISABLED,
        title=format_lazy(_("Webhook 订阅“{name}”已自动停用"), name=subscription.name),
        body=subscription.disabled_reason,
        url=reverse("webhooks:detail", args=[subscription.pk]),
        subject=subscription,
        dedupe_key=f"webhook-disabled:{subscription.pk}:{disabled_at}",
    )


def register() -> None:
    register_kind(
        NotificationKind(
            WEBHOOK_DISABLED,
            _("Webhook 自动停用"),
            default_channels=frozenset({Channel.INAPP, Channel.EMAIL}),
        )
    )
    register_disabled_listener(subscription_disabled)
