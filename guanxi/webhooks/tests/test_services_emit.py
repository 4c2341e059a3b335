"""emit(): the transactional outbox."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from guanxi.webhooks.events import UnknownEvent
from guanxi.webhooks.models import Delivery, DeliveryStatus, OutboxEvent
from guanxi.webhooks.services import OutsideTransaction, emit
from guanxi.webhooks.signing import verify
from guanxi.webhooks.tests.conftest import EVENT, make_subscription


class Boom(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_is_delivered_signed(receiver, admin_user):
    sub = make_subscription(receiver.url, secret="topsecret-topsecret")
    with transaction.atomic():
        emit(EVENT, {"n": 1, "名称": "华为"}, actor=admin_user)
    [request] = receiver.requests
    body = request.json()
    headers = request.headers
    assert body["event"] == EVENT
    assert body["data"] == {"n": 1, "名称": "华为"}
    delivery = Delivery.objects.get()
    assert body["id"] == str(delivery.uuid) == headers["X-Guanxi-Delivery"]
    assert body["event_id"] == delivery.event_id
    assert headers["X-Guanxi-Event"] == EVENT
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert verify(
        sub.secret,
        timestamp=headers["X-Guanxi-Timestamp"],
        body=request.body,
        signature_header=headers["X-Guanxi-Signature"],
    )
    assert not verify(
        "another-secret-value",
        timestamp=headers["X-Guanxi-Timestamp"],
        body=request.body,
        signature_header=headers["X-Guanxi-Signature"],
    )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    [attempt] = delivery.log.all()
    assert attempt.succeeded and attempt.status_code == 200
    assert attempt.response_excerpt == '{"ok":true}'
    assert attempt.duration_ms >= 0
    assert OutboxEvent.objects.get().actor == admin_user


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_outbox_row_and_sends_nothing(receiver):
    make_subscription(receiver.url)
    with pytest.raises(Boom), transaction.atomic():
        emit(EVENT, {"n": 1})
        assert OutboxEvent.objects.count() == 1  # written in the caller's transaction …
        raise Boom
    assert OutboxEvent.objects.count() == 0  # … and gone with it
    assert Delivery.objects.count() == 0
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_takes_its_event_along(receiver):
    make_subscription(receiver.url)
    with transaction.atomic():
        emit(EVENT, {"n": 1})
        with pytest.raises(Boom), transaction.atomic():
            emit(EVENT, {"n": 2})
            raise Boom
    assert [r.json()["data"]["n"] for r in receiver.requests] == [1]


@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_is_refused(receiver):
    make_subscription(receiver.url)
    with pytest.raises(OutsideTransaction):
        emit(EVENT, {"n": 1})
    assert OutboxEvent.objects.count() == 0


def test_an_unknown_event_is_refused(db):
    with pytest.raises(UnknownEvent):
        emit("nobody.registered", {})


def test_a_payload_json_cannot_hold_fails_the_callers_write(subscription):
    with pytest.raises(TypeError):
        emit(EVENT, {"n": object()})
    assert OutboxEvent.objects.count() == 0


def test_no_subscriber_writes_nothing_in_one_query(db, django_assert_num_queries, receiver):
    make_subscription(receiver.url, events=["customer.created"])
    make_subscription(receiver.url, is_active=False)
    with django_assert_num_queries(1):
        emit(EVENT, {"n": 1})
    assert OutboxEvent.objects.count() == 0


def test_emit_to_subscribers_takes_three_queries(
    db, django_assert_num_queries, django_capture_on_commit_callbacks, receiver
):
    for i in range(3):
        make_subscription(receiver.url, name=f"s{i}")
    # subscriptions, the event, its deliveries
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(3):
        emit(EVENT, {"n": 1})
    assert Delivery.objects.count() == 3
    assert len(callbacks) == 1


def test_only_active_subscribers_of_the_event_get_a_delivery(
    db, django_capture_on_commit_callbacks, receiver
):
    wanted = make_subscription(receiver.url, name="wanted")
    make_subscription(receiver.url, name="other", events=["customer.created"])
    make_subscription(receiver.url, name="off", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        emit(EVENT, {"n": 1})
    assert list(Delivery.objects.values_list("subscription_id", flat=True)) == [wanted.pk]
    assert len(receiver.requests) == 1


def test_dates_and_decimals_in_payloads_are_json(db, django_capture_on_commit_callbacks, receiver):
    import datetime as dt
    from decimal import Decimal

    make_subscription(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        emit(EVENT, {"when": dt.date(2026, 12, 2), "amount": Decimal("12.50")})
    assert json.loads(receiver.requests[0].body)["data"] == {
        "when": "2026-12-02",
        "amount": "12.50",
    }
