"""Reads of the notifications app, always the actor's own: their inbox, unread count,
preferences and "my day"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from guanxi.accounts import permissions
from guanxi.core.db.keyset import Cursor, KeysetPage, keyset_page
from guanxi.notifications.models import Notification, Preference
from guanxi.notifications.registry import (
    Channel,
    MyDayItem,
    Section,
    kinds,
    my_day_sections,
)

UNREAD_CAP = 99  # the bell shows "99+" past it: counting further costs without informing

_INBOX_FIELDS = ("id", "kind", "title", "body", "url", "created_at", "read_at")


def inbox(*, actor: Any, unread: bool = False, kind: str = "") -> QuerySet[Notification]:
    """The actor's inbox, newest first (served by the indexes on recipient, -created_at,
    -id: ``notification_inbox``, ``notification_unread`` for ``unread``)."""
    if not getattr(actor, "is_authenticated", False):
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient_id=actor.pk, in_inbox=True)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.only(*_INBOX_FIELDS).order_by("-created_at", "-id")


def inbox_page(
    *,
    actor: Any,
    size: int,
    unread: bool = False,
    kind: str = "",
    before: Cursor | None = None,
    after: Cursor | None = None,
) -> KeysetPage:
    """A page of the actor's inbox by keyset on ``(created_at, id)`` (``before``: the next,
    older page; ``after``: the previous one): the same few index seeks on any page, and
    notifications that arrive while the reader pages never repeat or hide a row."""
    return keyset_page(
        inbox(actor=actor, unread=unread, kind=kind), size=size, before=before, after=after
    )


def unread_count(*, actor: Any, cap: int = UNREAD_CAP) -> tuple[int, bool]:
    """(count, capped): the actor's unread notifications, counted up to ``cap`` + 1."""
    if not getattr(actor, "is_authenticated", False):
        return 0, False
    n = inbox(actor=actor, unread=True).order_by()[: cap + 1].count()
    return min(n, cap), n > cap


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: Any
    channels: dict[str, bool]
    locked: frozenset[str]  # channels the user cannot change for this kind


def preferences(*, actor: Any) -> list[PreferenceRow]:
    """Every registered kind with the actor's channels (their choice, else the default)."""
    chosen: dict[tuple[str, str], bool] = {
        (k, c): e
        for k, c, e in Preference.objects.filter(user_id=actor.pk).values_list(
            "kind", "channel", "enabled"
        )
    }
    rows = []
    for info in kinds():
        channels = {c: chosen.get((info.key, c), c in info.default_channels) for c in Channel.ALL}
        locked = frozenset({Channel.INAPP}) if info.inapp_required else frozenset()
        if info.inapp_required:
            channels[Channel.INAPP] = True
        rows.append(PreferenceRow(info.key, info.label, channels, locked))
    return rows


@dataclass(frozen=True)
class MyDaySection:
    key: str
    label: Any
    items: list[MyDayItem]
    count: int
    more_url: str


def my_day(*, actor: Any, today: dt.date) -> list[MyDaySection]:
    """The actor's "my day": each registered section they may see, with its items (each
    section's own reader scopes them to the actor) and its count."""
    if not permissions.is_staff_actor(actor):
        return []
    out = []
    for section in my_day_sections():
        if not section.visible(actor):
            continue
        out.append(_section(section, actor, today))
    return out


def _section(section: Section, actor: Any, today: dt.date) -> MyDaySection:
    items = list(section.items(actor, today))[: section.limit]
    count = section.count(actor, today) if section.count is not None else len(items)
    return MyDaySection(section.key, section.label, items, count, section.more_url)
