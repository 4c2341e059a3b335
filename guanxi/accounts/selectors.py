"""Reads of accounts data, scoped by the acting user."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from guanxi.accounts.models import ApiToken
from guanxi.accounts.scope import is_staff_actor


def tokens_of(*, actor: Any) -> QuerySet[ApiToken]:
    """The actor's own API tokens, newest first (revoked ones included, for the record)."""
    if not is_staff_actor(actor):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=actor).order_by("-created_at", "-id")
