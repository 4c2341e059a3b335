"""What contracts, payment plans, collections and invoices add to the house through its
registries (called from ``ContractsConfig.ready()``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def register() -> None:
    from guanxi.contracts import attachments, documents, references, reminders, selectors, webhooks
    from guanxi.contracts.panels import PANEL, panel_context
    from guanxi.core.navigation import register_nav
    from guanxi.customers.panels import CustomerPanel, register_panel
    from guanxi.customers.timeline import register_kind

    register_nav(
        key="contracts",
        label=pgettext_lazy("navigation", "合同"),
        url_name="contracts:list",
        visible=selectors.can_use,
        url_names=["contracts:list", "contracts:detail", "contracts:new", "contracts:receivables"],
        order=15,
    )
    register_kind("contract", label=_("合同"), icon="§", color="success")
    register_panel(
        CustomerPanel(
            key="contracts",
            template=PANEL,
            refresh_template=f"{PANEL}#contracts",
            context=panel_context,
            column="side",
            order=25,
        )
    )
    documents.register()
    attachments.register()
    webhooks.register()
    reminders.register()
    references.register()
    _register_aging()


def _merged(*, actor: object, customer_ids: list[int]) -> None:
    from guanxi.contracts.services.aging import aging_refresh

    aging_refresh(customer_ids)


def _register_aging() -> None:
    """The maintained receivables aging: rebuilt by the worker after local midnight (checked
    every five minutes; the first worker to lock the state row does it), and recomputed for
    both customers of a merge (or its undo), in its transaction."""
    from guanxi.contracts.services.aging import aging_rebuild_due
    from guanxi.core.periodic import PeriodicJob, register_periodic
    from guanxi.customers.duplicates.hooks import on_customers_merged

    register_periodic(PeriodicJob("contracts.aging_rebuild", 300.0, aging_rebuild_due))
    on_customers_merged("contracts.aging", _merged)
