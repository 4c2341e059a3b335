"""Names of users and departments in history and timeline rows (``core.references``):
staff readers see their active colleagues' and the departments' names."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from guanxi.core.references import register_reference


def user_names(actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    from guanxi.accounts import selectors

    return selectors.user_names(actor=actor, ids=ids)


def team_names(actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    from guanxi.accounts import selectors

    return selectors.team_names(actor=actor, ids=ids)


def register() -> None:
    register_reference("accounts.user", user_names)
    register_reference("accounts.team", team_names)
