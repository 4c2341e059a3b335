"""Calendar feeds (issue 14 item 7): creating and revoking a feed's secret URL (services,
audited and security-logged) and the events a feed lists (read as the feed's owner).

A user feed lists the owner's open tasks by due date, the milestones of the projects they
manage or are on, and their pending follow-up visits (回访); a project feed lists the
project's milestones and its tasks' due dates. The token travels in the URL (calendar apps
cannot send headers), so it is long and random, stored only as a SHA-256 digest, and a
feed can be revoked at any time.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Final

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.services import security_log
from guanxi.core import audit
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.tokens import token_digest
from guanxi.projects import ical, selectors
from guanxi.projects.models import CalendarFeed, FeedKind, Project, ProjectMember, Task, TaskStatus

__all__ = [
    "feed_calendar",
    "feed_create",
    "feed_list",
    "feed_resolve",
    "feed_revoke",
]

TOKEN_PREFIX: Final = "gxcal_"  # noqa: S105 - a public prefix, not a secret
#: live feeds one user may hold (a runaway script cannot fill the table)
MAX_FEEDS: Final = 50
#: how far back and ahead a feed lists events
PAST_DAYS: Final = 90
AHEAD_DAYS: Final = 400
MAX_EVENTS: Final = 2000


def feed_list(*, actor: Any) -> QuerySet[CalendarFeed]:
    """The actor's own live feeds (nobody lists another person's)."""
    return (
        CalendarFeed.objects.filter(owner_id=actor.pk, revoked_at__isnull=True)
        .select_related("project")
        .order_by("-created_at", "-id")
    )


@transaction.atomic(durable=True)
def feed_create(
    *, actor: Any, kind: str, project_id: int | None = None
) -> tuple[CalendarFeed, str]:
    """A new feed of ``actor``'s; returns it with the raw token (shown once, never stored)."""
    if not selectors.can_use(actor):
        raise PermissionDenied(_("你的角色不能使用此功能。"))
    if kind not in FeedKind.values:
        raise ValidationFailed(
            {"kind": _("可选：%(values)s") % {"values": "、".join(FeedKind.values)}}
        )
    project: Project | None = None
    if kind == FeedKind.PROJECT:
        if project_id is None:
            raise ValidationFailed({"project_id": _("项目日程须指定项目。")})
        project = selectors.project_get(actor=actor, project_id=project_id)
    elif project_id is not None:
        raise ValidationFailed({"project_id": _("我的日程不指定项目。")})
    if CalendarFeed.objects.filter(owner_id=actor.pk, revoked_at__isnull=True).count() >= MAX_FEEDS:
        raise ValidationFailed(
            {"kind": _("订阅太多（最多 %(max)s 个），请先撤销不用的。") % {"max": MAX_FEEDS}}
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        owner=actor,
        kind=kind,
        project=project,
        token_hash=token_digest(raw),
        token_prefix=raw[6:14],
    )
    audit.audit_create(actor=actor, obj=feed, customer_id=project.customer_id if project else None)
    security_log(actor=actor, event="calendar_feed_create", feed=feed.pk, kind=kind)
    return feed, raw


@transaction.atomic(durable=True)
def feed_revoke(*, actor: Any, feed_id: int) -> CalendarFeed:
    """Revoke one of the actor's feeds; its URL answers 404 from now on."""
    feed = (
        CalendarFeed.objects.select_for_update()
        .filter(pk=feed_id, owner_id=getattr(actor, "pk", None))
        .first()
    )
    if feed is None:
        raise NotFound(_("订阅不存在。"), field="feed_id")
    if feed.revoked_at is None:
        before = audit.snapshot(feed, ["revoked_at"])
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at", "updated_at"])
        audit.audit_update(actor=actor, obj=feed, before=before)
        security_log(actor=actor, event="calendar_feed_revoke", feed=feed.pk)
    return feed


def feed_resolve(raw: str) -> CalendarFeed:
    """The live feed of a URL's token, with its owner; ``NotFound`` for anything else (a
    bad, revoked or foreign token, an inactive owner: all look the same)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        raise NotFound(_("订阅不存在。"))
    feed = (
        CalendarFeed.objects.select_related("owner", "project")
        .filter(token_hash=token_digest(raw), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not feed.owner.is_active:
        raise NotFound(_("订阅不存在。"))
    return feed


def _task_event(task: Task, base_url: str, project_name: str) -> ical.Event:
    day = task.finish_date or task.start_date
    assert day is not None
    if task.milestone:
        summary = _("◆ 里程碑：%(name)s") % {"name": task.name}
    else:
        summary = _("任务到期：%(name)s") % {"name": task.name}
    description = _("项目：%(project)s") % {"project": project_name}
    if task.notes:
        description += "\n" + task.notes[:500]
    return ical.Event(
        uid=f"task-{task.pk}@guanxi",
        summary=summary,
        start=day,
        description=description,
        url=f"{base_url}/projects/{task.project_id}/",
        categories=(_("里程碑") if task.milestone else _("任务"),),
        modified=task.updated_at,
    )


def feed_calendar(*, feed: CalendarFeed, base_url: str, now: dt.datetime | None = None) -> str:
    """The feed's iCalendar text, read with the owner's scope as of now."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    first, last = today - dt.timedelta(days=PAST_DAYS), today + dt.timedelta(days=AHEAD_DAYS)
    owner = feed.owner
    projects = Project.objects.all()
    q = selectors.project_filter(owner)
    if q is not None:
        projects = projects.filter(q)
    dated = Q(finish_date__range=(first, last)) | Q(
        finish_date__isnull=True, start_date__range=(first, last)
    )
    tasks = Task.objects.filter(dated, project__in=projects.values("pk"), is_summary=False)
    events: list[ical.Event] = []
    if feed.kind == FeedKind.PROJECT:
        assert feed.project is not None
        if not projects.filter(pk=feed.project.pk).exists():
            raise NotFound(_("订阅不存在。"))
        name = _("%(project)s · 项目日程") % {"project": feed.project.name}
        rows = tasks.filter(project_id=feed.project.pk).select_related("project")
        rows = rows.exclude(~Q(milestone=True) & Q(status=TaskStatus.DONE))
    else:
        name = _("%(user)s · 我的日程") % {"user": str(owner)}
        mine = ProjectMember.objects.filter(user_id=owner.pk).values("project_id")
        rows = tasks.filter(
            Q(assignee_id=owner.pk, milestone=False) & ~Q(status=TaskStatus.DONE)
            | Q(milestone=True) & (Q(project__in=mine) | Q(project__manager_id=owner.pk))
        ).select_related("project")
    for task in rows.order_by("finish_date", "id")[:MAX_EVENTS]:
        events.append(_task_event(task, base_url, task.project.name))
    if feed.kind == FeedKind.USER:
        from guanxi.service import selectors as service_selectors

        visits = service_selectors.my_followups(actor=owner).filter(due_date__range=(first, last))
        for visit in visits[:MAX_EVENTS]:
            events.append(
                ical.Event(
                    uid=f"followup-{visit.pk}@guanxi",
                    summary=_("回访：%(customer)s") % {"customer": visit.customer.name},
                    start=visit.due_date,
                    description=visit.note[:500],
                    url=f"{base_url}/service/",
                    categories=(_("回访"),),
                    modified=visit.updated_at,
                )
            )
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return ical.calendar(name=name, events=events, now=now)
