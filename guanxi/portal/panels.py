"""The "客户门户" card the portal adds to the customer 360 page (registered in
``PortalConfig.ready()``): a link for whoever may change the customer to its portal
accounts. No query: the page's own ``can_change`` decides."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

PANEL = "portal/customer_panel.html"


def panel_context(request: HttpRequest, customer: Any, can_change: bool) -> dict[str, Any]:
    return {}
