from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrdersConfig(AppConfig):
    name = "guanxi.orders"
    label = "orders"
    verbose_name = _("订单")

    def ready(self) -> None:
        # What orders add to the customer record: their timeline kind and the 360 page's
        # "purchases" panel (the customers app does not import this one).
        from guanxi.accounts import permissions
        from guanxi.core.navigation import register_nav
        from guanxi.customers.panels import CustomerPanel, register_panel
        from guanxi.customers.timeline import register_kind
        from guanxi.orders import references
        from guanxi.orders.panels import PANEL, panel_context

        references.register()
        register_nav(
            key="orders",
            label=pgettext_lazy("navigation", "订单"),
            url_name="orders:list",
            visible=permissions.is_staff_actor,
            url_names=["orders:list"],
            order=15,
        )

        register_kind("order", label=_("订单"), icon="¥", color="success")
        register_panel(
            CustomerPanel(
                key="purchases",
                template=PANEL,
                refresh_template=f"{PANEL}#purchases",
                context=panel_context,
                column="side",
                order=20,
            )
        )
