"""Login events into the security log. Django's auth signals are the only hook login offers."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest


def _ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR")


def _on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    from guanxi.accounts.services import security_log

    security_log(actor=user, event="login", ip=_ip(request))


def _on_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    from guanxi.accounts.services import security_log

    if user is not None:
        security_log(actor=user, event="logout", ip=_ip(request))


def _on_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    from guanxi.accounts.services import security_log

    security_log(
        actor=None,
        event="login_failed",
        ip=_ip(request),
        username=str(credentials.get("username", ""))[:150],
    )


def connect() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="gx-login")
    user_logged_out.connect(_on_logout, dispatch_uid="gx-logout")
    user_login_failed.connect(_on_failed, dispatch_uid="gx-login-failed")
