from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "guanxi.portal"
    label = "portal"
    verbose_name = _("客户门户")

    def ready(self) -> None:
        from guanxi.accounts import permissions
        from guanxi.core.navigation import register_nav
        from guanxi.core.periodic import PeriodicJob, register_periodic
        from guanxi.customers.panels import CustomerPanel, register_panel
        from guanxi.customers.timeline import register_kind
        from guanxi.portal.panels import PANEL, panel_context

        # A portal user's only menu entry, and so where the user lands (``/``, after login).
        register_nav(
            key="portal",
            label=_("客户门户"),
            url_name="portal:home",
            visible=permissions.is_portal_actor,
            namespaces=["portal"],
            order=5,
            landing=True,
        )
        register_kind("portal", label=_("客户门户"), icon="⌂", color="info")
        register_panel(
            CustomerPanel(
                key="portal",
                template=PANEL,
                refresh_template=PANEL,
                context=panel_context,
                column="side",
                order=90,
            )
        )
        register_periodic(PeriodicJob("portal.accounts_sweep", 3600.0, _sweep))
        # Who decides change requests and deliverables for a customer: the projects app
        # asks the portal (a higher layer) through these hooks.
        from guanxi.portal import selectors
        from guanxi.projects.services.changes import register_portal_hooks

        register_portal_hooks(
            customer_ids=selectors.customer_ids, is_approver=selectors.is_approver
        )
        _register_shared_kinds()


def _register_shared_kinds() -> None:
    """The record types whose files staff may share with the customer, and which of a
    company's records the company sees: the portal shows shared files of its own tickets,
    contracts, projects, deliverables and change requests (a cost entry's receipt is never
    shareable)."""
    from guanxi.attachments.registry import SharedKind, register_shared_kind
    from guanxi.contracts.selectors_portal import customer_contract_records
    from guanxi.projects.selectors_portal import (
        customer_change_request_records,
        customer_deliverable_records,
        customer_project_records,
    )
    from guanxi.service.selectors_portal import customer_ticket_records

    register_shared_kind(SharedKind("ticket", customer_ticket_records))
    register_shared_kind(SharedKind("contract", customer_contract_records))
    register_shared_kind(SharedKind("project", customer_project_records))
    register_shared_kind(SharedKind("deliverable", customer_deliverable_records))
    register_shared_kind(SharedKind("change_request", customer_change_request_records))


def _sweep() -> int:
    from guanxi.portal.services import accounts_sweep

    return accounts_sweep()
