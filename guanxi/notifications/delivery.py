"""Sending deliveries (e-mail, IM robots) from the worker, with retries.

A worker claims a delivery by a conditional update (status pending, attempt count as read,
due) before it sends, so two workers never send the same delivery; a claim is a lease
(``LEASE``): a worker that dies mid-send leaves the delivery to be retried after it. A
failed send is retried with exponential back-off (``BACKOFF * 2**(attempt-1)``) up to
``MAX_ATTEMPTS``, then marked failed with its last error.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.notifications.channels import (
    DeliveryError,
    Message,
    absolute_url,
    email_connection,
    email_message,
    robot_send,
)
from guanxi.notifications.models import Delivery, DeliveryStatus
from guanxi.notifications.registry import Channel

log = logging.getLogger("guanxi.notifications")

MAX_ATTEMPTS = 6
BACKOFF = dt.timedelta(seconds=30)
LEASE = dt.timedelta(minutes=5)
BATCH = 200


def backoff(attempt: int) -> dt.timedelta:
    return BACKOFF * (1 << max(0, attempt - 1))


def _claim(candidates: Sequence[Delivery], now: dt.datetime) -> list[Delivery]:
    claimed = []
    for d in candidates:
        won = Delivery.objects.filter(
            pk=d.pk, status=DeliveryStatus.PENDING, attempts=d.attempts, next_attempt_at__lte=now
        ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
        if won:
            d.attempts += 1
            claimed.append(d)
    return claimed


def deliveries_send(*, ids: Sequence[int] | None = None, now: dt.datetime | None = None) -> int:
    """Send the due pending deliveries (only ``ids`` when given); returns how many were
    sent. Call it again to go on: it handles at most ``BATCH`` per call when ``ids`` is
    not given."""
    now = now or timezone.now()
    qs = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    with transaction.atomic():
        candidates = list(
            qs.select_for_update(skip_locked=True, of=("self",))
            .select_related("notification__recipient", "robot")
            .order_by("next_attempt_at", "id")[: None if ids is not None else BATCH]
        )
        claimed = _claim(candidates, now)
    sent = 0
    connection = None
    try:
        for delivery in claimed:
            if delivery.channel == Channel.EMAIL and connection is None:
                try:
                    connection = email_connection()
                    connection.open()
                except Exception as exc:  # the mail server is down: retried later
                    connection = None
                    _finish(delivery, f"{exc.__class__.__name__}: {exc}"[:1000])
                    continue
            error = _send(delivery, connection)
            _finish(delivery, error)
            if error is not None and delivery.channel == Channel.EMAIL and connection is not None:
                connection.close()  # a broken session would fail the next ones too
                connection = None
            sent += error is None
    finally:
        if connection is not None:
            connection.close()
    return sent


def _message(delivery: Delivery) -> Message:
    n = delivery.notification
    user = n.recipient
    mobiles = (user.phone,) if delivery.channel == Channel.IM and user.phone else ()
    return Message(title=n.title, body=n.body, url=absolute_url(n.url), mention_mobiles=mobiles)


def _send(delivery: Delivery, connection: Any) -> str | None:
    user = delivery.notification.recipient
    message = _message(delivery)
    try:
        if delivery.channel == Channel.EMAIL:
            if not user.email:
                raise DeliveryError("recipient has no e-mail address")
            email_message(
                to=user.email, message=message, language=user.language, connection=connection
            ).send()
        elif delivery.channel == Channel.IM:
            robot = delivery.robot
            if robot is None or not robot.enabled:
                raise DeliveryError("robot removed or disabled")
            with translation.override(user.language or None):
                link_label = _("查看详情")
            robot_send(robot, message, link_label=link_label)
        else:
            raise DeliveryError(f"unknown channel {delivery.channel!r}")
    except DeliveryError as exc:
        return str(exc) or exc.__class__.__name__
    except Exception as exc:  # SMTP and socket errors of any backend: retried
        log.warning("delivery %s failed", delivery.pk, exc_info=True)
        return f"{exc.__class__.__name__}: {exc}"[:1000]
    return None


def _finish(delivery: Delivery, error: str | None) -> None:
    now = timezone.now()
    if error is None:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SENT, sent_at=now, last_error=""
        )
        return
    if delivery.attempts >= MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, last_error=error[:1000]
        )
        return
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=now + backoff(delivery.attempts), last_error=error[:1000]
    )


def delivery_retry(*, delivery_id: int) -> None:
    """Send a failed delivery again (admin action): back to pending, due now."""
    Delivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
