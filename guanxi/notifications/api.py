"""The inbox REST API (``/api/v1/notifications``): the actor's own notifications, unread
count, read marks, preferences per kind × channel, and "my day". Thin: selectors read,
services write."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, get_args

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Schema

from guanxi.accounts import permissions
from guanxi.core.api.bases import InputSchema, RecordId, StaffRouter, actor
from guanxi.core.api.errors import errors
from guanxi.core.db.keyset import CURSOR_MAX_LENGTH, Cursor
from guanxi.core.errors import ValidationFailed
from guanxi.notifications import selectors, services
from guanxi.notifications.models import Notification
from guanxi.notifications.registry import Channel, kind_label

router = StaffRouter(
    tags=["notifications"],
    allow=permissions.is_staff_actor,
    message=gettext_lazy("客户门户用户无权使用员工端 API。"),
)

ChannelName = Literal["inapp", "email", "im"]
assert set(get_args(ChannelName)) == set(Channel.ALL)


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    body: str
    url: str = Field(..., description="The record it is about (a path of this site), or empty.")
    created_at: dt.datetime
    read_at: dt.datetime | None

    @staticmethod
    def resolve_kind_label(obj: Notification) -> str:
        return str(kind_label(obj.kind))


class InboxFiltersIn(Schema):
    unread: bool = Field(False, description="Only unread notifications.")
    kind: str = Field("", max_length=50, description="Only this kind.")


class InboxPageIn(Schema):
    limit: int = Field(25, ge=1, le=200)
    before: str = Field(
        "",
        max_length=CURSOR_MAX_LENGTH,
        description="The next_before of the previous page; empty for the newest page.",
    )


class InboxPageOut(Schema):
    count: int = Field(..., description="Notifications matching, at most 10,000.")
    count_capped: bool = Field(..., description="True when more than 10,000 match.")
    limit: int
    next_before: str | None = Field(
        ..., description="Pass as before= for the next (older) page; null on the last page."
    )
    items: list[NotificationOut]


class UnreadOut(Schema):
    count: int = Field(..., description=f"Unread notifications, at most {selectors.UNREAD_CAP}.")
    capped: bool = Field(..., description=f"True when more than {selectors.UNREAD_CAP}.")


class ReadIn(InputSchema):
    read: bool = Field(True, description="false marks it unread again.")


class ReadAllOut(Schema):
    updated: int


class NotificationPreferenceOut(Schema):
    kind: str
    label: str
    channels: dict[str, bool]
    locked: list[str] = Field(..., description="Channels that cannot be switched off.")


class PreferenceIn(InputSchema):
    kind: str = Field(..., min_length=1, max_length=50)
    channel: ChannelName
    enabled: bool


class PreferencesIn(InputSchema):
    items: list[PreferenceIn] = Field(..., max_length=500)


class MyDayItemOut(Schema):
    title: str
    url: str
    when: dt.date | None
    note: str
    overdue: bool


class MyDaySectionOut(Schema):
    key: str
    label: str
    count: int
    items: list[MyDayItemOut]


def _preferences(user: Any) -> list[dict[str, Any]]:
    return [
        {
            "kind": row.kind,
            "label": str(row.label),
            "channels": row.channels,
            "locked": sorted(row.locked),
        }
        for row in selectors.preferences(actor=user)
    ]


def _cursor(raw: str, name: str) -> Cursor | None:
    if not raw:
        return None
    try:
        return Cursor.parse(raw)
    except ValueError:
        raise ValidationFailed(
            {name: _("不是有效的分页位置：请使用上一页答复中的 next_before 值。")}
        ) from None


@router.get("/notifications", response={200: InboxPageOut, **errors(403, 422)})
def notification_list(
    request: HttpRequest, filters: Query[InboxFiltersIn], page: Query[InboxPageIn]
) -> dict[str, Any]:
    """The actor's inbox, newest first, a page at a time by keyset: pass the answer's
    ``next_before`` as ``before`` for the next page (``null``: no more). Notifications that
    arrive meanwhile never repeat or skip a row of the later pages."""
    result = selectors.inbox_page(
        actor=actor(request),
        unread=filters.unread,
        kind=filters.kind,
        size=page.limit,
        before=_cursor(page.before, "before"),
    )
    return {
        "count": result.count,
        "count_capped": result.count_capped,
        "limit": page.limit,
        "next_before": str(result.older) if result.older else None,
        "items": result.items,
    }


@router.get("/notifications/unread-count", response={200: UnreadOut, **errors(403)})
def notification_unread_count(request: HttpRequest) -> dict[str, Any]:
    count, capped = selectors.unread_count(actor=actor(request))
    return {"count": count, "capped": capped}


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, **errors(403, 404, 422)},
)
def notification_read(request: HttpRequest, notification_id: RecordId, payload: ReadIn) -> Any:
    """Mark one of the actor's notifications read (or unread); another user's is a 404."""
    return services.notification_mark_read(
        actor=actor(request), notification_id=notification_id, read=payload.read
    )


@router.post("/notifications/read-all", response={200: ReadAllOut, **errors(403)})
def notification_read_all(request: HttpRequest) -> dict[str, Any]:
    return {"updated": services.notifications_mark_all_read(actor=actor(request))}


@router.get(
    "/notifications/preferences", response={200: list[NotificationPreferenceOut], **errors(403)}
)
def preference_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Every notification kind with the channels the actor gets it on."""
    return _preferences(actor(request))


@router.put(
    "/notifications/preferences",
    response={200: list[NotificationPreferenceOut], **errors(403, 422)},
)
def preference_update(request: HttpRequest, payload: PreferencesIn) -> list[dict[str, Any]]:
    """Set channels per kind; an unknown kind is a 422 naming it and nothing is saved."""
    user = actor(request)
    services.preferences_set(
        actor=user, choices={(i.kind, i.channel): i.enabled for i in payload.items}
    )
    return _preferences(user)


@router.get("/my-day", response={200: list[MyDaySectionOut], **errors(403)})
def my_day(request: HttpRequest) -> list[dict[str, Any]]:
    """The actor's "my day": each section of open items with its count."""
    sections = selectors.my_day(actor=actor(request), today=timezone.localdate())
    return [
        {
            "key": s.key,
            "label": str(s.label),
            "count": s.count,
            "items": [
                {
                    "title": i.title,
                    "url": i.url,
                    "when": i.when.date() if isinstance(i.when, dt.datetime) else i.when,
                    "note": i.note,
                    "overdue": i.overdue,
                }
                for i in s.items
            ],
        }
        for s in sections
    ]
