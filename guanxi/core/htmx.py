"""The htmx request details of django-htmx's middleware, typed (no hand-parsed HX headers)."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


def htmx(request: HttpRequest) -> HtmxDetails:
    """``request.htmx``: truthy for an htmx request; ``.target``, ``.boosted``, …"""
    details: HtmxDetails = request.htmx  # type: ignore[attr-defined]
    return details


def htmx_target(request: HttpRequest) -> str | None:
    """The id of the element an htmx request will swap into (``None`` for other requests)."""
    details = htmx(request)
    return details.target if details else None
