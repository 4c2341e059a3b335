"""Webhook writes: the transactional outbox (``emit``), subscriptions, delivery and replay.

Delivery runs in the worker. One worker at a time sends a subscription's deliveries (a
lease on the subscription row, taken with a conditional ``UPDATE`` that is atomic on
SQLite and PostgreSQL alike), strictly in ``id`` order: the head of the queue is tried
until it succeeds or runs out of tries, and nothing behind it goes out before.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import default_task_backend

from guanxi.accounts import permissions
from guanxi.core import audit
from guanxi.core.audit import Actor
from guanxi.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.jobs import worker_id
from guanxi.core.models import AuditAction
from guanxi.core.writes import apply_fields, check_version, full_clean, reject_unknown
from guanxi.webhooks import conf, hooks
from guanxi.webhooks.backoff import retry_delay
from guanxi.webhooks.events import UnknownEvent, is_registered
from guanxi.webhooks.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    OutboxEvent,
    Subscription,
)
from guanxi.webhooks.signing import signature
from guanxi.webhooks.transport import Answer, Refused, Sender, parse_url

SUBSCRIPTION_FIELDS = frozenset({"name", "url", "events", "secret", "is_active"})
USER_AGENT = "Guanxi-Webhooks/1"
#: a worker holds a subscription this long past its last try (then another may take over)
LEASE_EXTRA = dt.timedelta(seconds=60)
#: deliveries read per query while a queue drains
BATCH = 100
#: successful sends logged per transaction, at most (or after FLUSH_SECONDS)
FLUSH_EVERY = 50
FLUSH_SECONDS = 1.0


class OutsideTransaction(RuntimeError):
    """``emit`` was called in autocommit mode: the event would not be tied to a change."""


# --- the outbox ----------------------------------------------------------------------------


def _user(actor: Any) -> Any:
    """The signed-in user behind ``actor``, or ``None`` for the system or an anonymous one."""
    return actor if getattr(actor, "is_authenticated", False) else None


def _enqueue_delivery(subscription_ids: list[int]) -> None:
    from guanxi.webhooks.tasks import deliver_subscription_task

    for subscription_id in subscription_ids:
        deliver_subscription_task.enqueue(subscription_id)


def emit(event: str, payload: dict[str, Any], *, actor: Actor = None) -> None:
    """Record ``event`` with ``payload`` in the outbox of the caller's transaction.

    One outbox row and one delivery per active subscription of the event are written in
    the caller's transaction: they exist only if it commits, and a rolled-back change
    sends nothing. Delivery is enqueued on commit. With no subscriber of the event nothing
    is written (one query), so emitting from a hot path costs little while nobody listens.
    """
    if not is_registered(event):
        raise UnknownEvent(event)
    if not transaction.get_connection().in_atomic_block:
        raise OutsideTransaction("webhooks.emit() must be called inside transaction.atomic()")
    # A payload the worker could not serialise must fail the caller's write, not the send.
    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    subscription_ids = [
        pk
        for pk, events in Subscription.objects.filter(is_active=True).values_list("id", "events")
        if isinstance(events, list) and event in events
    ]
    if not subscription_ids:
        return
    user = _user(actor)
    row = OutboxEvent.objects.create(event=event, payload=payload, actor=user)
    Delivery.objects.bulk_create(
        [Delivery(subscription_id=pk, event=row) for pk in subscription_ids]
    )
    transaction.on_commit(lambda: _enqueue_delivery(subscription_ids))


# --- subscriptions -------------------------------------------------------------------------


def _require_admin(actor: Actor) -> None:
    if not permissions.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以管理 Webhook。"))


def _clean_events(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed({"events": _("请选择事件。")})
    keys = sorted(set(value))
    if not keys:
        raise ValidationFailed({"events": _("至少选择一个事件。")})
    unknown = [key for key in keys if not is_registered(key)]
    if unknown:
        raise ValidationFailed(
            {"events": _("未知事件：%(keys)s。") % {"keys": "、".join(unknown[:5])}}
        )
    return keys


def _validate(subscription: Subscription) -> None:
    full_clean(subscription, exclude=["events", "created_by"])
    try:
        parse_url(subscription.url)
    except Refused as exc:
        raise ValidationFailed({"url": exc.message}) from None
    if len(subscription.secret) < 16:
        raise ValidationFailed({"secret": _("密钥至少 16 个字符。")})


#: never copied into the audit log (the secret is recorded as changed, never its value)
_UNAUDITED = frozenset({"secret", "lease_owner", "lease_until"})
_AUDITED = ("name", "url", "events", "is_active", "disabled_at", "disabled_reason")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def subscription_create(*, actor: Actor, data: Mapping[str, Any]) -> Subscription:
    """A subscription; without a ``secret`` one is generated (shown to admins)."""
    _require_admin(actor)
    reject_unknown(data, SUBSCRIPTION_FIELDS)
    values = dict(data)
    events = _clean_events(values.pop("events", None))
    subscription = Subscription(events=events)
    apply_fields(subscription, values)
    if not subscription.secret:
        subscription.secret = new_secret()
    subscription.name = subscription.name.strip()
    subscription.url = subscription.url.strip()
    _validate(subscription)
    subscription.created_by = _user(actor)
    subscription.save()
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=subscription,
        changes={
            k: [None, v]
            for k, v in audit.snapshot(subscription).items()
            if v not in (None, "", [], {}) and k not in _UNAUDITED
        }
        | {"secret": [None, "***"]},
    )
    return subscription


@transaction.atomic
def subscription_update(
    *,
    actor: Actor,
    subscription_id: int,
    data: Mapping[str, Any],
    version: int | None,
) -> Subscription:
    """Change a subscription. Switching it back on clears the failure count and sends what
    waited meanwhile; an empty ``secret`` keeps the current one."""
    _require_admin(actor)
    reject_unknown(data, SUBSCRIPTION_FIELDS)
    subscription = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound(_("订阅不存在。"))
    check_version(subscription, version)
    before = audit.snapshot(subscription, _AUDITED)
    old_secret = subscription.secret
    was_active = subscription.is_active
    values = dict(data)
    if "events" in values:
        subscription.events = _clean_events(values.pop("events"))
    if not values.get("secret", "x"):
        values.pop("secret")
    apply_fields(subscription, values)
    subscription.name = subscription.name.strip()
    subscription.url = subscription.url.strip()
    _validate(subscription)
    if subscription.is_active and not was_active:
        subscription.consecutive_failures = 0
        subscription.disabled_at = None
        subscription.disabled_reason = ""
    secret_changed = subscription.secret != old_secret
    if not audit.diff(before, audit.snapshot(subscription, _AUDITED)) and not secret_changed:
        return subscription
    subscription.version += 1
    subscription.save()
    audit.audit_update(
        actor=actor,
        obj=subscription,
        before=before,
        extra={"secret": ["***", "***"]} if secret_changed else None,
    )
    if subscription.is_active and not was_active:
        pk = subscription.pk
        transaction.on_commit(lambda: _enqueue_delivery([pk]))
    return subscription


@transaction.atomic
def subscription_delete(*, actor: Actor, subscription_id: int, version: int | None) -> None:
    """Delete a subscription and its delivery log (the outbox events stay)."""
    _require_admin(actor)
    subscription = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound(_("订阅不存在。"))
    check_version(subscription, version)
    audit.record(
        actor=actor,
        action=AuditAction.DELETE,
        obj=subscription,
        changes={k: [v, None] for k, v in audit.snapshot(subscription, _AUDITED).items()},
    )
    subscription.delete()


# --- replay --------------------------------------------------------------------------------


class ReplayRefused(DomainError):
    status = 409
    code = "conflict"


@transaction.atomic
def delivery_replay(*, actor: Actor, delivery_id: int) -> Delivery:
    """Send a delivery's event to its subscription once more, as a new delivery at the end
    of the queue (same event id in the body, a new ``X-Guanxi-Delivery``)."""
    _require_admin(actor)
    original = Delivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if original is None:
        raise NotFound(_("投递记录不存在。"))
    if not original.subscription.is_active:
        raise ReplayRefused(_("订阅已停用，请先启用再重放。"), field="subscription")
    replay = Delivery.objects.create(
        subscription=original.subscription,
        event_id=original.event_id,
        replay_of=original,
        created_by=_user(actor),
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=replay,
        changes={"replay_of": [None, str(original.uuid)], "event": [None, original.event_id]},
    )
    pk = original.subscription_id
    transaction.on_commit(lambda: _enqueue_delivery([pk]))
    return replay


# --- delivery ------------------------------------------------------------------------------


def request_body(delivery: Delivery) -> bytes:
    """The JSON body of ``delivery``: the same event id on every delivery of the event
    (receivers deduplicate on it), the delivery's own id, the payload under ``data``."""
    event = delivery.event
    envelope = {
        "id": str(delivery.uuid),
        "event": event.event,
        "event_id": event.pk,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def request_headers(
    delivery: Delivery, subscription: Subscription, body: bytes, *, timestamp: int
) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Guanxi-Event": delivery.event.event,
        "X-Guanxi-Delivery": str(delivery.uuid),
        "X-Guanxi-Timestamp": str(timestamp),
        "X-Guanxi-Signature": signature(subscription.secret, timestamp, body),
    }


def _lease_acquire(subscription_id: int, owner: str) -> bool:
    now = timezone.now()
    taken = (
        Subscription.objects.filter(pk=subscription_id, is_active=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner))
        .update(lease_owner=owner, lease_until=now + _lease_length())
    )
    return taken == 1


def _lease_length() -> dt.timedelta:
    return dt.timedelta(seconds=3 * conf.timeout()) + LEASE_EXTRA


def _lease_release(subscription_id: int, owner: str) -> None:
    Subscription.objects.filter(pk=subscription_id, lease_owner=owner).update(
        lease_owner="", lease_until=None
    )


def _head(subscription_id: int) -> Delivery | None:
    return (
        Delivery.objects.filter(subscription_id=subscription_id, status=DeliveryStatus.PENDING)
        .order_by("id")
        .first()
    )


def _has_due(subscription_id: int, now: dt.datetime) -> bool:
    head = _head(subscription_id)
    return (
        head is not None
        and head.next_attempt_at <= now
        and Subscription.objects.filter(pk=subscription_id, is_active=True, lease_owner="").exists()
    )


def _schedule(subscription_id: int, at: dt.datetime) -> None:
    """Wake the subscription's queue at ``at``. A backend that cannot defer (the immediate
    one of tests) gets nothing: ``deliveries_sweep`` finds the due delivery instead."""
    from guanxi.webhooks.tasks import deliver_subscription_task

    if default_task_backend.supports_defer:
        deliver_subscription_task.using(run_after=at).enqueue(subscription_id)


def subscription_deliver(
    *,
    subscription_id: int,
    sender: Sender | None = None,
    clock: Callable[[], dt.datetime] = timezone.now,
) -> int:
    """Send the due deliveries of a subscription in order; the number delivered. Does
    nothing if another worker is sending them (it looks again before it lets go)."""
    owner = f"{worker_id()}:{uuid.uuid4().hex[:8]}"
    own_sender = sender is None
    active = sender or Sender()
    delivered = 0
    try:
        while True:
            if not _lease_acquire(subscription_id, owner):
                return delivered
            try:
                delivered += _drain(subscription_id, owner, active, clock)
            finally:
                _lease_release(subscription_id, owner)
            # A delivery committed while we held the lease had its task turned away.
            if not _has_due(subscription_id, clock()):
                return delivered
    finally:
        if own_sender:
            active.close()


def _drain(
    subscription_id: int, owner: str, sender: Sender, clock: Callable[[], dt.datetime]
) -> int:
    subscription = Subscription.objects.filter(pk=subscription_id, is_active=True).first()
    if subscription is None:
        return 0
    delivered = 0
    done: list[tuple[Delivery, Answer, dt.datetime]] = []
    flushed_at = time.monotonic()

    def flush() -> bool:
        nonlocal flushed_at, delivered
        flushed_at = time.monotonic()
        if not done:
            return True
        kept = _record_successes(done, subscription, owner)
        if kept:
            delivered += len(done)
        done.clear()
        return kept

    while True:
        batch = list(
            Delivery.objects.filter(subscription_id=subscription_id, status=DeliveryStatus.PENDING)
            .select_related("event")
            .order_by("id")[:BATCH]
        )
        if not batch:
            flush()
            return delivered
        for delivery in batch:
            now = clock()
            if delivery.next_attempt_at > now:
                flush()
                _schedule(subscription_id, delivery.next_attempt_at)
                return delivered
            body = request_body(delivery)
            headers = request_headers(delivery, subscription, body, timestamp=int(now.timestamp()))
            answer = sender.post(subscription.url, body, headers)
            if answer.ok:
                done.append((delivery, answer, now))
                if (len(done) >= FLUSH_EVERY or time.monotonic() - flushed_at > FLUSH_SECONDS) and (
                    not flush()
                ):
                    return delivered  # lease lost: another worker took the queue over
                continue
            if flush():
                _record_failure(delivery, subscription, answer, now, owner)
            return delivered
        if not flush():
            return delivered


def _attempt_row(delivery: Delivery, answer: Answer, now: dt.datetime) -> DeliveryAttempt:
    return DeliveryAttempt(
        delivery=delivery,
        number=delivery.attempts + 1,
        started_at=now,
        duration_ms=answer.duration_ms,
        status_code=answer.status_code,
        succeeded=answer.ok,
        response_excerpt=answer.excerpt,
        error=answer.error,
    )


@transaction.atomic
def _record_successes(
    done: list[tuple[Delivery, Answer, dt.datetime]], subscription: Subscription, owner: str
) -> bool:
    """Log a run of successful sends in one transaction (and renew the lease). Sent but
    not yet logged when a worker dies, they go out again: delivery is at least once, and
    receivers deduplicate on ``event_id`` / ``X-Guanxi-Delivery``."""
    fields: dict[str, Any] = {"lease_until": timezone.now() + _lease_length()}
    if subscription.consecutive_failures:
        fields["consecutive_failures"] = 0
        subscription.consecutive_failures = 0
    if not Subscription.objects.filter(pk=subscription.pk, lease_owner=owner).update(**fields):
        return False
    DeliveryAttempt.objects.bulk_create([_attempt_row(d, a, now) for d, a, now in done])
    finished = timezone.now()
    by_code: dict[int | None, list[int]] = {}
    for delivery, answer, _now in done:
        by_code.setdefault(answer.status_code, []).append(delivery.pk)
    for code, ids in by_code.items():
        Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SUCCEEDED,
            attempts=F("attempts") + 1,
            last_status_code=code,
            finished_at=finished,
        )
    return True


@transaction.atomic
def _record_failure(
    delivery: Delivery,
    subscription: Subscription,
    answer: Answer,
    now: dt.datetime,
    owner: str,
) -> None:
    locked = (
        Subscription.objects.select_for_update()
        .filter(pk=subscription.pk, lease_owner=owner)
        .first()
    )
    if locked is None:
        return
    _attempt_row(delivery, answer, now).save()
    attempts = delivery.attempts + 1
    update: dict[str, Any] = {"attempts": attempts, "last_status_code": answer.status_code}
    if attempts >= conf.max_attempts():
        update |= {"status": DeliveryStatus.FAILED, "finished_at": timezone.now()}
    else:
        wait = retry_delay(attempts, base=conf.backoff_base(), cap=conf.backoff_cap())
        update["next_attempt_at"] = now + dt.timedelta(seconds=wait)
    Delivery.objects.filter(pk=delivery.pk).update(**update)
    locked.consecutive_failures += 1
    if locked.consecutive_failures < conf.disable_after():
        Subscription.objects.filter(pk=locked.pk).update(
            consecutive_failures=locked.consecutive_failures
        )
        if "next_attempt_at" in update:
            at = update["next_attempt_at"]
            transaction.on_commit(lambda: _schedule(locked.pk, at))
        return
    _disable(locked)


def _disable(subscription: Subscription) -> None:
    before = audit.snapshot(subscription, _AUDITED)
    subscription.is_active = False
    subscription.disabled_at = timezone.now()
    subscription.disabled_reason = _("连续 %(count)s 次投递失败，已自动停用。") % {
        "count": subscription.consecutive_failures
    }
    subscription.version += 1
    subscription.save(
        update_fields=[
            "is_active",
            "disabled_at",
            "disabled_reason",
            "consecutive_failures",
            "version",
            "updated_at",
        ]
    )
    audit.audit_update(actor=None, obj=subscription, before=before)
    transaction.on_commit(lambda: hooks.subscription_disabled(subscription))


def deliveries_sweep(*, clock: Callable[[], dt.datetime] = timezone.now) -> int:
    """Deliver for every active subscription whose queue head is due and that no worker
    holds; the number delivered. The safety net for a wake-up that was lost (a worker
    killed mid-send, a backend without deferred tasks): run it from the worker or cron."""
    now = clock()
    due = (
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            subscription__is_active=True,
        )
        .filter(Q(subscription__lease_until__isnull=True) | Q(subscription__lease_until__lt=now))
        .values_list("subscription_id", flat=True)
        .distinct()
    )
    delivered = 0
    with Sender() as sender:
        for subscription_id in sorted(set(due)):
            delivered += subscription_deliver(
                subscription_id=subscription_id, sender=sender, clock=clock
            )
    return delivered
