"""Login events into the security log (Django's auth signals are the only hook login
offers) and the page django-axes answers with once an account is locked at an address."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


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


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the lockout explained in the user's language (the
    request's, set by the locale middleware), with the wait in minutes; 429 like axes."""
    from axes.helpers import get_cool_off, get_failure_limit

    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else 0
    context = {"failure_limit": get_failure_limit(request, credentials), "minutes": minutes}
    return render(
        request,
        "accounts/locked_out.html",
        context,
        status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429),
    )
