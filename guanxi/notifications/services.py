"""Writes of the notifications app: notify, read marks, preferences, robots, deliveries.

``notify`` is what other apps call; scheduled rules (``reminders.py``) go through the same
bulk path. A notification is written with the change that caused it (same transaction) and
its e-mail / IM deliveries are handed to the worker on commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.jobs import enqueue_on_commit
from guanxi.notifications.models import (
    Delivery,
    Notification,
    Preference,
    Robot,
    RobotProvider,
)
from guanxi.notifications.registry import Channel, Text, get_kind

BATCH = 2000


@dataclass(frozen=True)
class _Item:
    recipient_id: int
    kind: str
    title: Text
    body: Text
    url: str
    subject_model: str
    subject_id: str
    dedupe_key: str | None
    actor_id: int | None


@dataclass(frozen=True)
class _Recipient:
    id: int
    language: str
    email: str
    team_id: int | None


def _render(text: Text, language: str) -> str:
    if isinstance(text, str):
        return text
    with translation.override(language or None):
        return str(text)


def _recipient_ids(recipients: Iterable[Any]) -> list[int]:
    ids: list[int] = []
    seen: set[int] = set()
    for r in recipients:
        pk = int(r.pk if isinstance(r, models.Model) else r)
        if pk not in seen:
            seen.add(pk)
            ids.append(pk)
    return ids


def channels_for(kind: str, overrides: Mapping[str, bool]) -> frozenset[str]:
    """The channels a user gets ``kind`` on: the kind's defaults, changed by their
    preferences (``{channel: enabled}``)."""
    info = get_kind(kind)
    chosen = {c for c in Channel.ALL if overrides.get(c, c in info.default_channels)}
    if info.inapp_required:
        chosen.add(Channel.INAPP)
    return frozenset(chosen)


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    title: Text,
    body: Text = "",
    url: str = "",
    subject: models.Model | None = None,
    dedupe_key: str | None = None,
    actor: Any = None,
) -> int:
    """Notify ``recipients`` (users or user ids) of ``kind``; returns how many notifications
    were created. With ``dedupe_key`` a recipient gets it once ever (a second call with the
    same key creates nothing for them). A lazy ``title``/``body`` (``gettext_lazy``,
    ``format_lazy``) is rendered in each recipient's language. Channels follow each
    recipient's preferences; e-mail and IM go out from the worker after commit."""
    get_kind(kind)  # an unregistered kind is a programming error: fail loudly
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    subject_model = subject._meta.label_lower if subject is not None else ""
    subject_id = str(subject.pk) if subject is not None else ""
    items = [
        _Item(pk, kind, title, body, url[:500], subject_model, subject_id, dedupe_key, actor_id)
        for pk in _recipient_ids(recipients)
    ]
    return notify_items(items)


def notify_items(items: Sequence[_Item]) -> int:
    """The bulk path under ``notify`` and the reminder sweep: ``BATCH`` items per round of
    queries (users, preferences, existing keys, robots, insert)."""
    created = 0
    with transaction.atomic():
        for start in range(0, len(items), BATCH):
            created += _notify_batch(items[start : start + BATCH])
    return created


def _notify_batch(items: Sequence[_Item]) -> int:
    user_ids = {i.recipient_id for i in items}
    users = {
        u["id"]: _Recipient(u["id"], u["language"], u["email"], u["team_id"])
        for u in get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True)
        .values("id", "language", "email", "team_id")
    }
    kinds = {i.kind for i in items}
    prefs: dict[tuple[int, str], dict[str, bool]] = defaultdict(dict)
    for user_id, pkind, channel, enabled in Preference.objects.filter(
        user_id__in=users, kind__in=kinds
    ).values_list("user_id", "kind", "channel", "enabled"):
        prefs[(user_id, pkind)][channel] = enabled
    keys = {i.dedupe_key for i in items if i.dedupe_key}
    existing: set[tuple[int, str | None]] = set()
    if keys:
        existing = set(
            Notification.objects.filter(recipient_id__in=users, dedupe_key__in=keys).values_list(
                "recipient_id", "dedupe_key"
            )
        )
    rows: list[Notification] = []
    wanted: list[frozenset[str]] = []
    for item in items:
        user = users.get(item.recipient_id)
        if user is None:
            continue
        if item.dedupe_key:
            pair = (item.recipient_id, item.dedupe_key)
            if pair in existing:
                continue
            existing.add(pair)
        channels = channels_for(item.kind, prefs.get((item.recipient_id, item.kind), {}))
        if not channels:
            continue
        rows.append(
            Notification(
                recipient_id=item.recipient_id,
                kind=item.kind,
                title=_render(item.title, user.language)[:200],
                body=_render(item.body, user.language),
                url=item.url,
                subject_model=item.subject_model,
                subject_id=item.subject_id,
                actor_id=item.actor_id,
                dedupe_key=item.dedupe_key or None,
                in_inbox=Channel.INAPP in channels,
            )
        )
        wanted.append(channels)
    if not rows:
        return 0
    rows, wanted = _insert(rows, wanted)
    _plan_deliveries(rows, wanted, users)
    return len(rows)


def _insert(
    rows: list[Notification], wanted: list[frozenset[str]]
) -> tuple[list[Notification], list[frozenset[str]]]:
    """Insert ``rows``; when a concurrent ``notify`` wrote one of the same keys meanwhile,
    fall back to row by row and keep the ones that were still new."""
    try:
        with transaction.atomic():
            return Notification.objects.bulk_create(rows), wanted
    except IntegrityError:
        pass
    kept: list[Notification] = []
    kept_wanted: list[frozenset[str]] = []
    for row, channels in zip(rows, wanted, strict=True):
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            continue
        kept.append(row)
        kept_wanted.append(channels)
    return kept, kept_wanted


def _plan_deliveries(
    rows: Sequence[Notification], wanted: Sequence[frozenset[str]], users: Mapping[int, _Recipient]
) -> None:
    team_ids: set[int] = {
        users[r.recipient_id].team_id  # type: ignore[misc]
        for r, ch in zip(rows, wanted, strict=True)
        if Channel.IM in ch and users[r.recipient_id].team_id is not None
    }
    robots: dict[int, list[int]] = defaultdict(list)
    if team_ids:
        for robot_id, team_id in Robot.objects.filter(
            team_id__in=team_ids, enabled=True
        ).values_list("id", "team_id"):
            robots[team_id].append(robot_id)
    deliveries: list[Delivery] = []
    now = timezone.now()
    for row, channels in zip(rows, wanted, strict=True):
        user = users[row.recipient_id]
        if Channel.EMAIL in channels and user.email:
            deliveries.append(
                Delivery(notification=row, channel=Channel.EMAIL, next_attempt_at=now)
            )
        if Channel.IM in channels and user.team_id is not None:
            deliveries.extend(
                Delivery(
                    notification=row, channel=Channel.IM, robot_id=robot_id, next_attempt_at=now
                )
                for robot_id in robots.get(user.team_id, ())
            )
    if not deliveries:
        return
    created = Delivery.objects.bulk_create(deliveries)
    from guanxi.notifications import tasks

    ids = [d.pk for d in created]
    for start in range(0, len(ids), 500):
        enqueue_on_commit(tasks.deliver, ids[start : start + 500])


# --- the inbox ---------------------------------------------------------------------------


def _own(actor: Any, notification_id: int) -> Notification:
    row = (
        Notification.objects.select_for_update()
        .filter(pk=notification_id, recipient_id=actor.pk, in_inbox=True)
        .first()
    )
    if row is None:
        raise NotFound(_("通知不存在。"))
    return row


def notification_mark_read(*, actor: Any, notification_id: int, read: bool = True) -> Notification:
    """Mark one of the actor's notifications read (or unread again); anyone else's is a
    404. Read marks are the reader's own state, not business data: not audited."""
    with transaction.atomic():
        row = _own(actor, notification_id)
        if (row.read_at is None) == read:
            row.read_at = timezone.now() if read else None
            row.save(update_fields=["read_at"])
    return row


def notifications_mark_all_read(*, actor: Any) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    return Notification.objects.filter(
        recipient_id=actor.pk, in_inbox=True, read_at__isnull=True
    ).update(read_at=timezone.now())


# --- preferences -------------------------------------------------------------------------


def preferences_set(*, actor: Any, choices: Mapping[tuple[str, str], bool]) -> int:
    """Set the actor's channels per kind (``{(kind, channel): enabled}``); an unknown kind
    or channel is a ``ValidationError`` naming it and nothing is written. A choice equal to
    the kind's default removes the row. Audited (old → new). Returns how many changed."""
    errors: dict[str, list[str]] = {}
    for kind, channel in choices:
        try:
            info = get_kind(kind)
        except LookupError:
            errors.setdefault("kind", []).append(_("未知的通知类型：%(kind)s") % {"kind": kind})
            continue
        if channel not in Channel.ALL:
            errors.setdefault("channel", []).append(
                _("未知的通知渠道：%(channel)s") % {"channel": channel}
            )
        elif info.inapp_required and channel == Channel.INAPP and not choices[(kind, channel)]:
            errors.setdefault("channel", []).append(
                _("“%(kind)s”的站内通知不能关闭。") % {"kind": info.label}
            )
    if errors:
        raise ValidationFailed(errors)
    changed = 0
    with transaction.atomic():
        current = {
            (p.kind, p.channel): p
            for p in Preference.objects.select_for_update().filter(
                user_id=actor.pk, kind__in={k for k, _c in choices}
            )
        }
        for (kind, channel), enabled in choices.items():
            default = channel in get_kind(kind).default_channels
            row = current.get((kind, channel))
            before = row.enabled if row is not None else default
            if before == enabled:
                continue
            if enabled == default:
                assert row is not None
                row.delete()
            elif row is not None:
                row.enabled = enabled
                row.save(update_fields=["enabled", "updated_at"])
            else:
                row = Preference.objects.create(
                    user_id=actor.pk, kind=kind, channel=channel, enabled=enabled
                )
            audit.record(
                actor=actor,
                action="update",
                obj=row,
                changes={f"{kind}.{channel}": [before, enabled]},
            )
            changed += 1
    return changed


# --- robots ------------------------------------------------------------------------------

_ROBOT_FIELDS = ("team_id", "name", "provider", "webhook_url", "secret", "enabled")


def _robot_snapshot(robot: Robot) -> dict[str, Any]:
    values = audit.snapshot(robot, _ROBOT_FIELDS)
    values["secret"] = "******" if robot.secret else ""  # never in the audit log
    return values


# The platforms' robot endpoints: a robot posts nowhere else (a webhook URL typed by an
# admin must not make the worker call internal services), unless the host is listed in
# ``settings.NOTIFICATIONS_ROBOT_EXTRA_HOSTS``.
ROBOT_HOSTS: dict[str, frozenset[str]] = {
    RobotProvider.WECOM: frozenset({"qyapi.weixin.qq.com"}),
    RobotProvider.DINGTALK: frozenset({"oapi.dingtalk.com"}),
    RobotProvider.FEISHU: frozenset({"open.feishu.cn", "open.larksuite.com"}),
}


def robot_url_error(provider: str, url: str) -> str | None:
    """Why ``url`` is not a robot address of ``provider`` (``None`` when it is one)."""
    hosts = ROBOT_HOSTS.get(provider)
    if hosts is None:
        return None
    parts = urlsplit(url)
    if parts.hostname in settings.NOTIFICATIONS_ROBOT_EXTRA_HOSTS and parts.scheme in (
        "http",
        "https",
    ):
        return None
    if parts.hostname in hosts and parts.scheme == "https":
        return None
    return _("Webhook 地址必须是%(provider)s的机器人地址（%(hosts)s）。") % {
        "provider": RobotProvider(provider).label,
        "hosts": "、".join(f"https://{h}" for h in sorted(hosts)),
    }


def robot_errors(robot: Robot) -> dict[str, list[str]]:
    """What is wrong with ``robot``'s settings, by field (empty when nothing)."""
    errors: dict[str, list[str]] = {}
    try:
        robot.full_clean()
    except DjangoValidationError as exc:
        errors = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    if "webhook_url" not in errors:
        url_error = robot_url_error(robot.provider, robot.webhook_url)
        if url_error:
            errors["webhook_url"] = [url_error]
    return errors


def robot_save(*, actor: Any, robot: Robot, before: Mapping[str, Any] | None = None) -> Robot:
    """Create or update a team's robot (admin): validated (``ValidationFailed`` naming the
    field), audited old → new with the secret masked. ``before`` is the masked snapshot
    (:func:`robot_snapshot`) taken before the edit."""
    errors = robot_errors(robot)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        creating = robot.pk is None
        robot.save()
        after = _robot_snapshot(robot)
        if creating:
            audit.record(
                actor=actor, action="create", obj=robot,
                changes={k: [None, v] for k, v in after.items() if v not in (None, "")},
            )  # fmt: skip
        else:
            changes = audit.diff(before or {}, after)
            if changes:
                audit.record(actor=actor, action="update", obj=robot, changes=changes)
    return robot


def robot_snapshot(robot: Robot) -> dict[str, Any]:
    return _robot_snapshot(robot)


def robot_delete(*, actor: Any, robot: Robot) -> None:
    with transaction.atomic():
        before = _robot_snapshot(robot)
        changes = {k: [v, None] for k, v in before.items() if v not in (None, "")}
        audit.record(actor=actor, action="delete", obj=robot, changes=changes)
        robot.delete()
