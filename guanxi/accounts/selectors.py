"""Reads of accounts data, scoped by the acting user."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db.models import QuerySet

from guanxi.accounts.models import ApiToken, Role, Team, User
from guanxi.accounts.permissions import is_staff_actor


def tokens_of(*, actor: Any) -> QuerySet[ApiToken]:
    """The actor's own API tokens, newest first (revoked ones included, for the record)."""
    if not is_staff_actor(actor):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=actor).order_by("-created_at", "-id")


def live_token_count(*, actor: Any) -> int:
    """How many of the actor's own tokens still work (not revoked; expired ones count:
    revoking them is harmless and the page says how many)."""
    return ApiToken.objects.filter(user=actor, revoked_at__isnull=True).count()


def user_names(*, actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    """``{id: name}`` of staff users (former colleagues included) for a staff reader; portal
    users' names are not shown to anyone through a reference."""
    if not is_staff_actor(actor):
        return {}
    qs = User.objects.filter(pk__in=list(ids)).exclude(role=Role.PORTAL)
    return {u.pk: str(u) for u in qs.only("username", "display_name", "first_name", "last_name")}


def team_names(*, actor: Any, ids: Collection[Any]) -> dict[Any, str]:
    """``{id: name}`` of departments for a staff reader."""
    if not is_staff_actor(actor):
        return {}
    return dict(Team.objects.filter(pk__in=list(ids)).values_list("pk", "name"))
