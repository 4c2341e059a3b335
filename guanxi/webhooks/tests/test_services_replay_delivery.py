"""A replay goes out over HTTP: same event id, a new delivery id."""

from __future__ import annotations

import pytest
from django.db import transaction

from guanxi.webhooks.models import Delivery, DeliveryStatus
from guanxi.webhooks.services import delivery_replay, emit
from guanxi.webhooks.tests.conftest import EVENT, make_subscription


@pytest.mark.django_db(transaction=True)
def test_a_replay_is_delivered_with_the_same_event_id(receiver, admin_user):
    make_subscription(receiver.url)
    with transaction.atomic():
        emit(EVENT, {"n": 7})
    original = Delivery.objects.get()
    delivery_replay(actor=admin_user, delivery_id=original.pk)
    first, again = receiver.requests
    assert first.json()["event_id"] == again.json()["event_id"]
    assert first.json()["data"] == again.json()["data"] == {"n": 7}
    assert first.headers["X-Guanxi-Delivery"] != again.headers["X-Guanxi-Delivery"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
