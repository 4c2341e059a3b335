"""The "商机" panel that sales adds to the customer 360 page (registered in
``SalesConfig.ready()``): the customer's opportunities the reader may see."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from guanxi.customers.models import Customer
from guanxi.sales import selectors

PANEL = "sales/customer_panel.html"


def panel_context(request: HttpRequest, customer: Customer, can_change: bool) -> dict[str, Any]:
    return {
        "opportunities": selectors.customer_opportunities(actor=request.user, customer=customer),
        "can_add_opportunity": can_change,
    }
