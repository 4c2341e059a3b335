"""Names of contracts in history and timeline rows, within the reader's scope."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from guanxi.core.references import register_reference


def contract_names(actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    from guanxi.contracts import selectors

    return selectors.contract_names(actor=actor, ids=ids)


def register() -> None:
    register_reference("contracts.contract", contract_names)
