"""Delivery by the worker: retries with back-off, order per subscription, automatic
disable, the delivery log; against receivers on 127.0.0.1."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from guanxi.core.models import AuditEntry
from guanxi.webhooks import hooks
from guanxi.webhooks.models import Delivery, DeliveryStatus, Subscription
from guanxi.webhooks.services import (
    deliveries_sweep,
    emit,
    subscription_deliver,
)
from guanxi.webhooks.testing import Receiver
from guanxi.webhooks.tests.conftest import EVENT, make_subscription

pytestmark = pytest.mark.django_db(transaction=True)


def later(minutes: float):
    moment = timezone.now() + dt.timedelta(minutes=minutes)
    return lambda: moment


def emit_all(*numbers: int) -> None:
    for n in numbers:
        with transaction.atomic():
            emit(EVENT, {"n": n})


def test_a_500_is_retried_and_delivered_once_in_order():
    with Receiver(statuses=[500]) as receiver:
        sub = make_subscription(receiver.url)
        emit_all(1, 2, 3)
        # The first try of n=1 failed: it waits for its retry, and n=2, n=3 wait behind it.
        assert [r.json()["data"]["n"] for r in receiver.requests] == [1]
        head = Delivery.objects.order_by("id").first()
        assert head.status == DeliveryStatus.PENDING
        assert head.attempts == 1 and head.last_status_code == 500
        assert head.next_attempt_at > timezone.now()
        assert Subscription.objects.get(pk=sub.pk).consecutive_failures == 1
        # Nothing is due yet: a sweep now sends nothing.
        assert deliveries_sweep() == 0
        assert deliveries_sweep(clock=later(60)) == 3
        assert [r.json()["data"]["n"] for r in receiver.requests] == [1, 1, 2, 3]
        assert [r.status for r in receiver.requests] == [500, 200, 200, 200]
        assert [r.json()["data"]["n"] for r in receiver.delivered()] == [1, 2, 3]
    # the retry is the same delivery (same id), not a second one
    assert (
        receiver.requests[0].headers["X-Guanxi-Delivery"]
        == (receiver.requests[1].headers["X-Guanxi-Delivery"])
    )
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
    head.refresh_from_db()
    assert [(a.number, a.status_code, a.succeeded) for a in head.log.order_by("number")] == [
        (1, 500, False),
        (2, 200, True),
    ]
    assert head.log.get(number=1).response_excerpt == '{"error":"receiver says no"}'
    assert Subscription.objects.get(pk=sub.pk).consecutive_failures == 0
    assert deliveries_sweep(clock=later(120)) == 0  # delivered once: nothing left to send


def test_subscriptions_are_independent_queues():
    with Receiver(statuses=[503]) as failing, Receiver() as fine:
        make_subscription(failing.url, name="down")
        make_subscription(fine.url, name="up")
        emit_all(1, 2)
    assert [r.json()["data"]["n"] for r in fine.requests] == [1, 2]
    assert [r.json()["data"]["n"] for r in failing.requests] == [1]


@override_settings(WEBHOOKS_MAX_ATTEMPTS=2, WEBHOOKS_DISABLE_AFTER=100)
def test_a_delivery_out_of_tries_fails_and_the_next_goes_out():
    with Receiver(statuses=[500, 500]) as receiver:
        make_subscription(receiver.url)
        emit_all(1, 2)
        deliveries_sweep(clock=later(60))
    first, second = Delivery.objects.order_by("id")
    assert first.status == DeliveryStatus.FAILED and first.attempts == 2
    assert first.finished_at is not None
    assert second.status == DeliveryStatus.SUCCEEDED
    assert [r.json()["data"]["n"] for r in receiver.requests] == [1, 1, 2]


@override_settings(WEBHOOKS_DISABLE_AFTER=3)
def test_consecutive_failures_disable_the_subscription_and_tell_the_listeners():
    told = []
    hooks.register_disabled_listener(told.append)
    try:
        with Receiver(statuses=[500] * 10) as receiver:
            sub = make_subscription(receiver.url)
            emit_all(1)
            deliveries_sweep(clock=later(60))
            deliveries_sweep(clock=later(600))
            sent = len(receiver.requests)
            deliveries_sweep(clock=later(6000))  # switched off: nothing more goes out
            assert len(receiver.requests) == sent == 3
    finally:
        hooks.unregister_disabled_listener(told.append)
    sub.refresh_from_db()
    assert not sub.is_active
    assert sub.disabled_at is not None
    assert "3" in sub.disabled_reason
    assert [s.pk for s in told] == [sub.pk]
    entry = AuditEntry.objects.filter(model="webhooks.subscription", action="update").get()
    assert entry.actor is None and entry.actor_label == "system"
    assert entry.changes["is_active"] == [True, False]
    # the delivery still waits: switching the subscription back on sends it
    assert Delivery.objects.get().status == DeliveryStatus.PENDING


def test_a_success_resets_the_failure_count():
    with Receiver(statuses=[500, 500]) as receiver:
        sub = make_subscription(receiver.url)
        emit_all(1)
        deliveries_sweep(clock=later(60))
        assert Subscription.objects.get(pk=sub.pk).consecutive_failures == 2
        deliveries_sweep(clock=later(600))
    assert Subscription.objects.get(pk=sub.pk).consecutive_failures == 0


def test_redirects_are_not_followed():
    with Receiver() as target, Receiver(statuses=[302]) as receiver:
        make_subscription(receiver.url)
        emit_all(1)
    assert target.requests == []
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code == 302


def test_a_receiver_that_is_down_is_logged_as_an_error():
    with Receiver() as receiver:
        url = receiver.url
    make_subscription(url)  # the port is closed now
    emit_all(1)
    delivery = Delivery.objects.get()
    [attempt] = delivery.log.all()
    assert attempt.status_code is None and not attempt.succeeded
    assert attempt.error
    assert delivery.status == DeliveryStatus.PENDING


def test_a_queue_held_by_another_worker_is_left_to_it(receiver):
    sub = make_subscription(receiver.url)
    Subscription.objects.filter(pk=sub.pk).update(
        lease_owner="other-host:1", lease_until=timezone.now() + dt.timedelta(minutes=5)
    )
    emit_all(1)
    assert receiver.requests == []
    assert subscription_deliver(subscription_id=sub.pk) == 0
    # … until its lease runs out (a worker that died): then anyone may take the queue
    Subscription.objects.filter(pk=sub.pk).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert deliveries_sweep() == 1
    assert len(receiver.requests) == 1
    assert Subscription.objects.get(pk=sub.pk).lease_owner == ""


def test_keep_alive_connections_are_reused(receiver):
    make_subscription(receiver.url)
    Subscription.objects.update(lease_owner="paused", lease_until=timezone.now() + dt.timedelta(1))
    emit_all(1, 2, 3, 4, 5)
    Subscription.objects.update(lease_owner="", lease_until=None)
    assert deliveries_sweep() == 5
    assert [r.json()["data"]["n"] for r in receiver.requests] == [1, 2, 3, 4, 5]


@override_settings(WEBHOOKS_ALLOWED_NETWORKS=[])
def test_loopback_receivers_are_refused_in_production(receiver):
    make_subscription(receiver.url.replace("127.0.0.1", "localhost"))
    emit_all(1)
    assert receiver.requests == []
    [attempt] = Delivery.objects.get().log.all()
    assert attempt.status_code is None
    assert attempt.error == "不允许发送到内网、本机或保留地址。"
