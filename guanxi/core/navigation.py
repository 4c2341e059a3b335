"""The main navigation, assembled from what each app registers in its ``AppConfig.ready()``.

An entry names its URL, its label, who may see it (a rule from ``accounts.permissions``,
passed in by the app: core imports no app) and which pages it is active on. The
``navigation`` context processor gives a template the entries the current user may use, so
a role's menu shows only what that role can open; a new app adds its menu entry without
touching ``base.html``. An entry registered as a ``landing`` page is where a user whom
its rule admits lands (:func:`home_url`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavEntry:
    key: str  # also the element id: ``nav-<key>``
    label: Any  # a lazy translation
    url_name: str
    visible: Callable[[Any], bool]
    # The entry is active on pages of these URL namespaces / URL names ("ns:name").
    namespaces: frozenset[str] = field(default_factory=frozenset)
    url_names: frozenset[str] = field(default_factory=frozenset)
    exclude_url_names: frozenset[str] = field(default_factory=frozenset)
    order: int = 100
    # A landing page: a signed-in user lands on the first landing entry they may use.
    landing: bool = False


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Any
    url: str
    active: bool
    landing: bool = False


_ENTRIES: dict[str, NavEntry] = {}


def register_nav(
    *,
    key: str,
    label: Any,
    url_name: str,
    visible: Callable[[Any], bool],
    namespaces: Iterable[str] = (),
    url_names: Iterable[str] = (),
    exclude_url_names: Iterable[str] = (),
    order: int = 100,
    landing: bool = False,
) -> None:
    _ENTRIES[key] = NavEntry(
        key=key,
        label=label,
        url_name=url_name,
        visible=visible,
        namespaces=frozenset(namespaces),
        url_names=frozenset(url_names),
        exclude_url_names=frozenset(exclude_url_names),
        order=order,
        landing=landing,
    )


def entries() -> list[NavEntry]:
    return sorted(_ENTRIES.values(), key=lambda e: (e.order, e.key))


def _is_active(entry: NavEntry, request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    full_name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
    if full_name in entry.exclude_url_names:
        return False
    return full_name in entry.url_names or match.namespace in entry.namespaces


def withheld(request: HttpRequest) -> bool:
    """Whether the menu is withheld from this request: a middleware that admits the user
    only part-way (the second factor still owed) sets ``request.nav_withheld``. Core knows
    the flag, not who sets it."""
    return bool(getattr(request, "nav_withheld", False))


def items_for(request: HttpRequest) -> list[NavItem]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or withheld(request):
        return []
    items = []
    for entry in entries():
        if not entry.visible(user):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:  # an entry of an app whose URLs are not mounted
            continue
        items.append(
            NavItem(entry.key, entry.label, url, _is_active(entry, request), entry.landing)
        )
    return items


def _home(items: list[NavItem]) -> str | None:
    for item in items:
        if item.landing:
            return item.url
    return items[0].url if items else None


def home_url(request: HttpRequest) -> str | None:
    """Where a signed-in user lands (after login, and from the brand link): the first
    landing entry the user may use — "my day" for staff, the portal for a portal
    user (each app registers its entry and its rule) — else the first entry; ``None``
    when the user may use none."""
    return _home(items_for(request))


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``nav_items``, the menu of the current user, ``nav_home``,
    where the brand link leads, and ``nav_withheld``: the user is signed in only part-way
    (the chrome then offers nothing but the language and signing out)."""
    items = items_for(request)
    return {"nav_items": items, "nav_home": _home(items) or "/", "nav_withheld": withheld(request)}
