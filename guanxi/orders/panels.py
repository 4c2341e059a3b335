"""The "purchases" panel that orders add to the customer 360 page (registered in
``OrdersConfig.ready()``): summary, recent orders and the order form."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from guanxi.customers.models import Customer
from guanxi.orders import selectors

PANEL = "orders/customer_panel.html"
PRODUCT_CHOICES_LIMIT = 500


def active_products(request: HttpRequest) -> list[Any]:
    return list(
        selectors.products(actor=request.user)
        .filter(active=True)
        .only("id", "code", "name", "unit_price")[:PRODUCT_CHOICES_LIMIT]
    )


def panel_context(request: HttpRequest, customer: Customer, can_change: bool) -> dict[str, Any]:
    """The "purchases" panel of the 360 page: summary and recent orders."""
    orders, more = selectors.recent_orders_page(customer=customer)
    context: dict[str, Any] = {
        "summary": selectors.purchase_summary(customer=customer),
        "orders": orders,
        "more_orders": more,
    }
    # The order form comes on first opening (``views.order_add`` answers a GET with it).
    return context
