"""通知与提醒 (notifications)."""

import os

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "guanxi.notifications"
    label = "notifications"
    verbose_name = _("通知与提醒")

    def ready(self) -> None:
        from django.utils.translation import pgettext_lazy

        from guanxi.accounts import permissions
        from guanxi.core.navigation import register_nav
        from guanxi.core.periodic import PeriodicJob, register_periodic
        from guanxi.notifications import digest, webhook_alerts
        from guanxi.notifications.registry import (
            Channel,
            NotificationKind,
            Rule,
            register_kind,
            register_rule,
        )

        register_nav(
            key="my_day",
            label=pgettext_lazy("navigation", "我的一天"),
            url_name="notifications:my_day",
            visible=permissions.is_staff_actor,
            namespaces=["notifications"],
            order=5,
            # Staff land here after login (before the customer list's landing entry, order
            # 10); portal users are not admitted by the rule and land on the portal.
            landing=True,
        )
        register_kind(
            NotificationKind(
                digest.DIGEST_KIND, digest.DIGEST_LABEL, default_channels=frozenset({Channel.EMAIL})
            )
        )
        webhook_alerts.register()  # admins hear of a subscription switched off
        # After every other rule: the digest lists what they wrote this morning.
        register_rule(Rule(digest.DIGEST_KIND, digest.DIGEST_LABEL, digest.digest_dues, order=1000))

        def sweep_reminders() -> None:
            from guanxi.notifications.reminders import reminders_run

            reminders_run()

        def retry_deliveries() -> None:
            from guanxi.notifications.delivery import deliveries_send

            while deliveries_send():
                pass

        every = float(os.environ.get("GUANXI_REMINDERS_EVERY", "300"))
        register_periodic(PeriodicJob("notifications.reminders", every, sweep_reminders))
        register_periodic(PeriodicJob("notifications.deliveries", 30.0, retry_deliveries))
