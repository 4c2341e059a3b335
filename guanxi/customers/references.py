"""Names of customers and contacts in history and timeline rows, within the reader's scope
(``core.references``)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from guanxi.core.references import register_reference


def customer_names(actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    from guanxi.customers import selectors

    return selectors.customer_names(actor=actor, ids=ids)


def contact_names(actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    from guanxi.customers import selectors

    return selectors.contact_names(actor=actor, ids=ids)


def register() -> None:
    register_reference("customers.customer", customer_names)
    register_reference("customers.contact", contact_names)
