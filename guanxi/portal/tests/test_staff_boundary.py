"""The staff side is closed to portal users (SPEC G4): every URL pattern of the site,
walked from the URL configuration itself so a new staff URL cannot be forgotten, answers a
portal session 403 — GET or POST, whatever the ids — except the portal's own pages and the
few shared ones; the staff API answers 403 in its JSON error shape before it reads a body;
the site root sends a portal user to the portal home."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from guanxi.portal.middleware import OPEN_NAMESPACES, OPEN_VIEWS

pytestmark = pytest.mark.django_db

ARG = re.compile(r"<(?:(\w+):)?(\w+)>")


def _walk(resolver: URLResolver, prefix: str = "", namespaces: tuple[str, ...] = ()):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from _walk(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = ":".join((*namespaces, pattern.name)) if pattern.name else ""
            yield prefix + str(pattern.pattern), set(namespaces), name


def _url(route: str) -> str:
    return "/" + ARG.sub(lambda m: str(uuid.uuid4()) if m.group(1) == "uuid" else "1", route)


def _staff_routes() -> list[tuple[str, str]]:
    routes = []
    for route, namespaces, name in _walk(get_resolver()):
        if "admin" in namespaces or namespaces & OPEN_NAMESPACES or name in OPEN_VIEWS:
            continue
        if route.startswith("api/v1/portal/") or route == "":
            continue
        assert "(?P" not in route and not route.startswith("^"), route  # a regex route: extend
        routes.append((route, name))
    return routes


def test_every_staff_url_answers_a_portal_session_403(client, company_a):
    client.force_login(company_a.user)
    routes = _staff_routes()
    api = 0
    for route, name in routes:
        url = _url(route)
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 403, (name, url, method.__name__, response.status_code)
        if route.startswith("api/"):
            assert response.json()["code"] == "forbidden", url
            api += 1
    assert len(routes) > 300 and api > 150  # the walk saw the site, not an empty list


def test_the_site_root_sends_a_portal_user_to_the_portal(client, company_a):
    client.force_login(company_a.user)

    response = client.get("/")

    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert client.post("/").status_code == 403


def test_the_shared_pages_open_without_a_staff_menu(client, company_a):
    client.force_login(company_a.user)
    for name in ("accounts:password_change", "twofactor:setup"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert 'id="nav-customers"' not in response.content.decode(), name
    assert client.get("/api/v1/portal/me").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_staff_are_not_held_at_the_boundary(client, am_a):
    client.force_login(am_a)

    assert client.get("/customers/").status_code == 200
    assert client.post("/api/v1/customers", {}, content_type="application/json").status_code in (
        400,
        422,
    )
