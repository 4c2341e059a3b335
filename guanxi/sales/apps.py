from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SalesConfig(AppConfig):
    name = "guanxi.sales"
    label = "sales"
    verbose_name = _("销售")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from guanxi.sales.models_forecast import fill_if_missing

        post_migrate.connect(fill_if_missing, sender=self)
        # What sales adds to the house through its registries: the menu entry, two kinds
        # of customer timeline entries, the 360 page's "商机" panel and webhook events.
        from guanxi.accounts import permissions
        from guanxi.core.navigation import register_nav
        from guanxi.customers.panels import CustomerPanel, register_panel
        from guanxi.customers.timeline import register_kind
        from guanxi.sales import references, reminders, webhooks
        from guanxi.sales.panels import PANEL, panel_context

        register_nav(
            key="sales",
            label=pgettext_lazy("navigation", "销售"),
            url_name="sales:home",
            visible=permissions.can_create_customer,  # the roles that hold customers sell
            namespaces=["sales"],
            order=15,
        )
        register_kind("opportunity", label=_("商机"), icon="◆", color="success")
        register_kind("activity", label=_("跟进记录"), icon="✆", color="primary")
        register_panel(
            CustomerPanel(
                key="opportunities",
                template=PANEL,
                refresh_template=f"{PANEL}#opportunities",
                context=panel_context,
                column="side",
                order=30,
            )
        )
        webhooks.register()
        reminders.register()  # the "next step due" rule and the "my day" card
        references.register()  # names of sales records in history rows, scoped
        from guanxi.sales import targets_card

        targets_card.register()  # "my day": this month's targets and their attainment
        from guanxi.sales.pool import registry as pool_registry

        pool_registry.register()  # the public pool: menu, timeline, 360 panel, filter, rules
        from guanxi.core.periodic import PeriodicJob, register_periodic
        from guanxi.sales.scoring import train_scheduled

        # The win-probability model learns the day's closed deals (``sales.scoring``).
        register_periodic(PeriodicJob("sales.train_win_model", 3600.0, train_scheduled))
