"""Reactions of other apps to changes of accounts data.

Accounts must not import the apps above it, yet a user's move to another department
(``team``) must move the records that carry the owner's department with it (customers,
and later opportunities, tickets…). Each app registers a handler in its
``AppConfig.ready()``; accounts calls them inside the transaction of the change, so the
records move with the user or not at all. Handlers write through their own services and
audit what they change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class UserTeamChanged(Protocol):
    def __call__(
        self, *, actor: Any, user_id: int, old_team_id: int | None, new_team_id: int | None
    ) -> Any: ...


_USER_TEAM_CHANGED: dict[str, UserTeamChanged] = {}


def on_user_team_changed(name: str, handler: UserTeamChanged) -> None:
    """Register ``handler`` under ``name`` (registering a name again replaces it, so a
    reloaded app does not run twice)."""
    _USER_TEAM_CHANGED[name] = handler


def user_team_changed(
    *, actor: Any, user_id: int, old_team_id: int | None, new_team_id: int | None
) -> None:
    """Run every registered handler; called by ``accounts.services`` and the admin after
    a user's department changed, in the same transaction."""
    for handler in list(_USER_TEAM_CHANGED.values()):
        handler(actor=actor, user_id=user_id, old_team_id=old_team_id, new_team_id=new_team_id)


def registered_user_team_handlers() -> dict[str, Callable[..., Any]]:
    return dict(_USER_TEAM_CHANGED)
