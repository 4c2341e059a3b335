"""Names of tickets in history and timeline rows, within the reader's scope."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from guanxi.core.references import register_reference


def ticket_names(actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    from guanxi.service import selectors

    return selectors.ticket_names(actor=actor, ids=ids)


def register() -> None:
    register_reference("service.ticket", ticket_names)
