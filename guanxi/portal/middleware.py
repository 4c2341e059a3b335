"""A signed-in portal user stays in the portal.

The staff views guard themselves (``staff_required``, the API's ``StaffRouter``), but each
in its own way and order: a staff API write checks its body before the role, so a portal
session learnt a 400 or 422 where it should learn nothing. This one check, before any view
runs, answers every staff page and staff API operation with 403 for a portal session —
whatever the method, the ids or the body — and sends the site's root to the portal home,
so a customer who types the address never meets a 403 page. A new staff URL is closed by
default; what a portal user may open is the list below.

Token requests are not sessions: a portal token authenticates on the portal API only
(the staff token check refuses it), so they need nothing here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.core.errors import PermissionDenied

# Whole namespaces a portal user uses: the portal, and the optional second factor.
OPEN_NAMESPACES = frozenset({"portal", "twofactor"})
# Single pages shared with staff or open to anyone (signing in and out, the password, the
# language, the landing redirect, the public survey link, web form and calendar feed).
OPEN_VIEWS = frozenset({
    "accounts:login", "accounts:logout", "accounts:password_change",
    "accounts:password_reset", "accounts:password_reset_done",
    "accounts:password_reset_confirm", "accounts:password_reset_complete",
    "home", "set_language", "service:survey", "sales:web_lead", "projects:feed_ics",
    "api:openapi-json", "api:openapi-view",
})  # fmt: skip
SITE_ROOT = "/"


class PortalBoundaryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self._prefixes: tuple[str, str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def _api_prefixes(self) -> tuple[str, str]:
        """The API root and the portal API's root (``/api/v1/``, ``/api/v1/portal/``)."""
        if self._prefixes is None:
            root = reverse("api:openapi-json").removesuffix("openapi.json")
            self._prefixes = (root, f"{root}portal/")
        return self._prefixes

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponseBase | None:
        if not permissions.is_portal_actor(getattr(request, "user", None)):
            return None
        match = request.resolver_match
        if match is not None and (
            OPEN_NAMESPACES.intersection(match.namespaces) or match.view_name in OPEN_VIEWS
        ):
            return None
        api_root, portal_api = self._api_prefixes()
        path = request.path_info
        if path.startswith(portal_api):
            return None
        if path == SITE_ROOT and request.method in ("GET", "HEAD"):
            return redirect("portal:home")
        message = _("客户门户账号不能访问员工页面。")
        if path.startswith(api_root):
            return JsonResponse(PermissionDenied(message).as_dict(), status=403)
        raise DjangoPermissionDenied(message)
