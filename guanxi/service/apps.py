from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ServiceConfig(AppConfig):
    name = "guanxi.service"
    label = "service"
    verbose_name = _("客户服务")

    def ready(self) -> None:
        # What the service desk adds to the house through its registries: the menu entry,
        # the "ticket" timeline kind, the 360 page's "工单" panel, tickets as attachable
        # records, webhook events, notification kinds with the SLA sweep, and the names
        # of tickets in history rows.
        from guanxi.core.navigation import register_nav
        from guanxi.customers.panels import CustomerPanel, register_panel
        from guanxi.customers.timeline import register_kind
        from guanxi.service import attachments, references, reminders, selectors, webhooks
        from guanxi.service.panels import PANEL, panel_context

        register_nav(
            key="service",
            label=pgettext_lazy("navigation", "客服"),
            url_name="service:home",
            visible=selectors.can_serve,
            namespaces=["service"],
            order=18,
        )
        register_kind("ticket", label=_("工单"), icon="✉", color="warning")
        register_kind("survey", label=_("满意度"), icon="☺", color="success")
        register_kind("visit", label=_("回访"), icon="☏", color="info")
        register_panel(
            CustomerPanel(
                key="tickets",
                template=PANEL,
                refresh_template=f"{PANEL}#tickets",
                context=panel_context,
                column="side",
                order=35,
            )
        )
        attachments.register()
        webhooks.register()
        reminders.register()  # SLA warning / breach kinds, the sweep, the "my day" card
        references.register()
        register_cost_sources()


def register_cost_sources() -> None:
    """The customer's costs to serve from the service desk (analytics F8): compensation
    paid on complaints, and the effort of the tickets handled (priced at the analytics
    setting "cost per ticket")."""
    import datetime as dt
    from collections.abc import Collection

    from guanxi.analytics.cost_sources import day_end, register_cost_source
    from guanxi.service import selectors

    def complaints(customer_ids: Collection[int] | None, *, as_of: dt.date | None) -> Any:
        before = day_end(as_of) if as_of is not None else None
        return selectors.complaint_cost_by_customer(
            actor=None, customer_ids=customer_ids, before=before
        )

    def tickets(customer_ids: Collection[int] | None, *, as_of: dt.date | None) -> Any:
        before = day_end(as_of) if as_of is not None else None
        return selectors.tickets_by_customer(customer_ids=customer_ids, before=before)

    register_cost_source("service.complaints", _("投诉补偿"), complaints)
    register_cost_source("service.tickets", _("工单服务"), tickets, rate="cost_per_ticket")
