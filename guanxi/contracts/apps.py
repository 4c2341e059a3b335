from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "guanxi.contracts"
    label = "contracts"
    verbose_name = _("合同与回款")

    def ready(self) -> None:
        # Quotes: the timeline kind, the "quote discount" approval, the expiry job; price
        # terms and discount limits in the admin.
        from guanxi.contracts import admin_quotes, quote_registry  # noqa: F401

        quote_registry.register()
        # Contracts, plans, collections, invoices: the menu entry, the "contract" timeline
        # kind, the 360 page's panel, approval documents, attachable contracts, webhook
        # events, the instalment reminders with the overdue rule and the "my day" card.
        from guanxi.contracts import registry as contracts_registry

        contracts_registry.register()
