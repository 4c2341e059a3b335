from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "guanxi.webhooks"
    label = "webhooks"
    verbose_name = _("Webhook")

    def ready(self) -> None:
        # Events are registered by the apps that emit them (customers, imports, …).
        from guanxi.accounts import permissions
        from guanxi.core.navigation import register_nav

        register_nav(
            key="webhooks",
            label=_("Webhook"),
            url_name="webhooks:list",
            visible=permissions.can_manage_settings,
            namespaces=["webhooks"],
            order=90,
        )
