"""Panels of the customer 360 page that other apps contribute.

The customers app does not import the apps that build on it (orders, sales, service,
projects): each registers a :class:`CustomerPanel` in its ``AppConfig.ready()``. The 360
page renders every panel of a column in ``order``; after an inline write names the panel's
``key`` in ``HX-Trigger`` (``gx:<key>``), the panel reloads itself through
``customers:section``, which renders ``refresh_template``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from django.http import HttpRequest

    from guanxi.customers.models import Customer

# (request, customer, can_change) → what the panel's template needs
PanelContext = Callable[["HttpRequest", "Customer", bool], dict[str, Any]]


@dataclass(frozen=True)
class CustomerPanel:
    key: str
    template: str  # the whole panel (a card), included in the 360 page
    refresh_template: str  # the part that reloads, "app/template.html#partial"
    context: PanelContext
    column: Literal["main", "side"] = "side"
    order: int = 100


_PANELS: dict[str, CustomerPanel] = {}


def register_panel(panel: CustomerPanel) -> None:
    """Add (or replace, on a second ``ready()``) a panel of the 360 page."""
    _PANELS[panel.key] = panel


def panel(key: str) -> CustomerPanel | None:
    return _PANELS.get(key)


def panels(column: Literal["main", "side"]) -> list[CustomerPanel]:
    return sorted((p for p in _PANELS.values() if p.column == column), key=lambda p: p.order)
