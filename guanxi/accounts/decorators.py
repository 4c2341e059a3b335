"""Entry-point guards for the staff web UI."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase

from guanxi.accounts.permissions import is_staff_actor
from guanxi.core.errors import NotFound, PermissionDenied

View = Callable[..., HttpResponseBase]


def staff_required(view: View) -> View:
    """Anonymous users go to the login page; signed-in users without staff access (portal
    users, deactivated accounts) get 403 — redirecting them to a login they already passed
    would loop. Domain ``NotFound``/``PermissionDenied`` escaping the view become 404/403,
    so "not yours" and "does not exist" look the same."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_actor(request.user):
            raise DjangoPermissionDenied
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from exc

    return wrapper
