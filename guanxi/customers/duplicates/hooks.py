"""Reactions of other apps to a merge of two customers (and its undo).

The merge moves every record that points at the merged customer by introspection; data
other apps *derive* per customer (the contracts' maintained receivables aging) is
recomputed by a handler registered here in the app's ``AppConfig.ready()``. Handlers run
inside the merge's (or undo's) transaction, after the records moved, with both customers'
ids; they write through their own services.
"""

from __future__ import annotations

from typing import Any, Protocol


class CustomersMerged(Protocol):
    def __call__(self, *, actor: Any, customer_ids: list[int]) -> Any: ...


_HANDLERS: dict[str, CustomersMerged] = {}


def on_customers_merged(name: str, handler: CustomersMerged) -> None:
    """Register ``handler`` under ``name`` (registering a name again replaces it)."""
    _HANDLERS[name] = handler


def customers_merged(*, actor: Any, customer_ids: list[int]) -> None:
    """Run every registered handler; called by the merge and its undo."""
    for handler in list(_HANDLERS.values()):
        handler(actor=actor, customer_ids=customer_ids)
