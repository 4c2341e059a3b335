"""The "合同与回款" panel that contracts add to the customer 360 page (registered in
``ContractsConfig.ready()``): the customer's contracts the reader may see, collected %
and receivables — two queries."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from guanxi.contracts import selectors
from guanxi.customers.models import Customer

PANEL = "contracts/customer_panel.html"


def panel_context(request: HttpRequest, customer: Customer, can_change: bool) -> dict[str, Any]:
    if not selectors.can_use(request.user):
        return {"contracts_visible": False}
    summary = selectors.customer_summary(actor=request.user, customer_id=customer.pk)
    return {"contracts_visible": True, "contract_summary": summary}
