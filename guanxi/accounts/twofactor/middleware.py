"""Sign-in is complete only after the second factor.

After the password, a user who has an authenticator (or must have one: administrators,
when ``GUANXI_2FA_REQUIRED_FOR_ADMINS`` is on) is sent to the code page — or to enrolment
— for every page until the code is given; the REST API answers 403 to such a session
(API tokens are their own credential and are not affected). Whether a session still owes
a code is kept in the session at sign-in, so pages cost no query for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from guanxi.accounts import permissions
from guanxi.accounts.twofactor.services import has_two_factor

SESSION_KEY = "gx_2fa"
VERIFY, ENROL, DONE = "verify", "enrol", "done"
# What a session that still owes its second factor may open.
ALWAYS_OPEN = frozenset({"twofactor:verify", "accounts:logout", "set_language"})
OPEN_FOR_ENROLMENT = frozenset({"twofactor:setup", "twofactor:enrol", "twofactor:confirm"})


def owed(user: Any) -> str:
    if has_two_factor(user):
        return VERIFY
    if permissions.two_factor_required(user):
        return ENROL
    return DONE


def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """``user_logged_in``: note in the new session what the user still owes."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = owed(user)


def mark_done(request: HttpRequest) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = DONE


def _url_name(request: HttpRequest) -> str:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return ""
    return match.view_name


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = self._state(request)
        if state in (VERIFY, ENROL) and not request.user.is_verified():  # type: ignore[union-attr]
            # The code and enrolment pages show no menu, bell or account links: nothing
            # behind them opens before the code is given (``core.navigation.withheld``).
            request.nav_withheld = True  # type: ignore[attr-defined]
            blocked = self._blocked(request, state)
            if blocked is not None:
                return blocked
        return self.get_response(request)

    @staticmethod
    def _state(request: HttpRequest) -> str:
        session = getattr(request, "session", None)
        if session is None or not request.user.is_authenticated:
            return DONE
        state = session.get(SESSION_KEY)
        if state is None:  # a session from before 2FA existed: decide once
            state = session[SESSION_KEY] = owed(request.user)
        return str(state)

    @staticmethod
    def _blocked(request: HttpRequest, state: str) -> HttpResponse | None:
        if request.path_info.startswith(settings.STATIC_URL):
            return None
        name = _url_name(request)
        if name in ALWAYS_OPEN or (state == ENROL and name in OPEN_FOR_ENROLMENT):
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {"code": "two_factor_required", "message": _("请先完成两步验证。")}, status=403
            )
        # This middleware runs before django-htmx's, so it reads the headers itself through
        # django-htmx's class. A fragment request (the bell loading on the code page, a list
        # reloading) must not get the code page to swap in: that page's own bell would ask
        # again, for ever. It is refused (htmx swaps nothing on a 403); the page around it
        # is the code page already or leads there on its next load.
        details = HtmxDetails(request)
        if details and not details.boosted:
            return HttpResponse(status=403)
        target = "twofactor:verify" if state == VERIFY else "twofactor:setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
