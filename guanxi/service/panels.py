"""The "工单" panel that service adds to the customer 360 page (registered in
``ServiceConfig.ready()``): the customer's tickets the reader may see."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from guanxi.customers.models import Customer
from guanxi.service import selectors

PANEL = "service/customer_panel.html"


def panel_context(request: HttpRequest, customer: Customer, can_change: bool) -> dict[str, Any]:
    return {
        "tickets": selectors.customer_tickets(actor=request.user, customer=customer),
        "can_add_ticket": selectors.can_serve(request.user),
    }
