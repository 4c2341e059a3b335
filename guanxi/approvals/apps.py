"""审批 (approvals)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ApprovalsConfig(AppConfig):
    name = "guanxi.approvals"
    label = "approvals"
    verbose_name = _("审批")

    def ready(self) -> None:
        from guanxi.accounts import permissions
        from guanxi.approvals import my_day
        from guanxi.approvals.services import KIND_PENDING, KIND_RESULT, KIND_WITHDRAWN
        from guanxi.core.navigation import register_nav
        from guanxi.notifications.registry import Channel, NotificationKind, register_kind

        register_nav(
            key="approvals",
            label=pgettext_lazy("navigation", "审批"),
            url_name="approvals:inbox",
            visible=permissions.is_staff_actor,
            namespaces=["approvals"],
            order=40,
        )
        # Waiting approvals cannot be switched off in the inbox: the flow stops without them.
        register_kind(
            NotificationKind(
                KIND_PENDING,
                _("待我审批"),
                default_channels=frozenset({Channel.INAPP, Channel.EMAIL}),
                inapp_required=True,
            )
        )
        register_kind(NotificationKind(KIND_RESULT, _("审批结果")))
        register_kind(NotificationKind(KIND_WITHDRAWN, _("审批撤回")))
        my_day.register()
