"""The session authentication backend."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from guanxi.accounts import permissions
from guanxi.accounts.models import User


class ScopedModelBackend(ModelBackend):
    """Django's ``ModelBackend`` that loads the user with their role's scope levels in the
    same query: every scoped page reads them, and a query more on every request is what
    the pinned query counts are there to prevent."""

    def get_user(self, user_id: Any) -> User | None:
        user = permissions.with_role_scope(User._default_manager.filter(pk=user_id)).first()
        return user if user is not None and self.user_can_authenticate(user) else None
