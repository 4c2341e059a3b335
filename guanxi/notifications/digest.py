"""The daily e-mail digest: a rule of the notifications app itself.

Each morning a user with unread inbox notifications of the past day gets one e-mail listing
them (kind ``digest``: e-mail only by default; switchable in the preferences)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guanxi.notifications.models import Notification
from guanxi.notifications.registry import Due

DIGEST_KIND = "digest"
MAX_LINES = 20


def _title(count: int) -> str:
    return ngettext("每日摘要：%(count)d 条未读通知", "每日摘要：%(count)d 条未读通知", count) % {
        "count": count
    }


# rendered when ``notify`` writes the row, in the recipient's language
_lazy_title = lazy(_title, str)


def _day_start(day: dt.date) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def digest_dues(today: dt.date) -> Iterator[Due]:
    since = _day_start(today - dt.timedelta(days=1))
    rows = (
        Notification.objects.filter(in_inbox=True, read_at__isnull=True, created_at__gte=since)
        .exclude(kind=DIGEST_KIND)
        .order_by("recipient_id", "-id")
        .values_list("recipient_id", "title")
    )
    titles: dict[int, list[str]] = defaultdict(list)
    counts: dict[int, int] = defaultdict(int)
    for recipient_id, title in rows.iterator(chunk_size=5000):
        counts[recipient_id] += 1
        if len(titles[recipient_id]) < MAX_LINES:
            titles[recipient_id].append(title)
    inbox = reverse("notifications:inbox")
    for recipient_id, count in counts.items():
        lines = [f"• {t}" for t in titles[recipient_id]]
        if count > MAX_LINES:
            lines.append(f"… (+{count - MAX_LINES})")
        yield Due(
            kind=DIGEST_KIND,
            recipient_ids=[recipient_id],
            title=_lazy_title(count),
            body="\n".join(lines),
            url=inbox,
            dedupe_key=f"digest:{today.isoformat()}",
        )


DIGEST_LABEL = _("每日邮件摘要")
