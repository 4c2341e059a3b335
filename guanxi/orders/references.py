"""Names of products in history and timeline rows (``core.references``)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from guanxi.core.references import register_reference


def product_names(actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    from guanxi.orders import selectors

    return dict(selectors.products(actor=actor).filter(pk__in=list(ids)).values_list("pk", "name"))


def register() -> None:
    register_reference("orders.product", product_names)
