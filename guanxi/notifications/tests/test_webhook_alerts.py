"""A webhook subscription switched off after repeated failures tells the administrators in
their inbox (and by e-mail), once, with a link to the subscription; nobody else hears."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.notifications.models import Delivery, Notification
from guanxi.notifications.webhook_alerts import WEBHOOK_DISABLED
from guanxi.webhooks import hooks
from guanxi.webhooks.events import Event, register_event, unregister_event
from guanxi.webhooks.services import deliveries_sweep, emit
from guanxi.webhooks.testing import Receiver
from guanxi.webhooks.tests.conftest import make_subscription

pytestmark = pytest.mark.django_db(transaction=True)

EVENT = "alerts_test.happened"


@pytest.fixture(autouse=True)
def event():
    register_event(Event(key=EVENT, label=_("测试事件"), description="data.n"))
    yield
    unregister_event(EVENT)


def _later(minutes: float):
    moment = timezone.now() + dt.timedelta(minutes=minutes)
    return lambda: moment


@override_settings(WEBHOOKS_DISABLE_AFTER=3)
def test_the_admins_hear_once_that_a_subscription_was_switched_off():
    UserFactory(username="boss", role=Role.ADMIN, email="boss@example.cn", language="en")
    UserFactory(username="root", role=Role.ACCOUNT_MANAGER, is_superuser=True)
    UserFactory(username="gone", role=Role.ADMIN, is_active=False)
    UserFactory(username="wang", role=Role.ACCOUNT_MANAGER)
    with Receiver(statuses=[500] * 10) as receiver:
        sub = make_subscription(receiver.url, events=[EVENT], name="ERP 对接")
        with transaction.atomic():
            emit(EVENT, {"n": 1})
        deliveries_sweep(clock=_later(60))
        assert Notification.objects.count() == 0  # two failures: still on
        deliveries_sweep(clock=_later(600))

    sub.refresh_from_db()
    assert not sub.is_active
    notes = Notification.objects.filter(kind=WEBHOOK_DISABLED).order_by("recipient__username")
    assert [n.recipient.username for n in notes] == ["boss", "root"]
    boss = notes[0]
    assert boss.title == "Webhook subscription “ERP 对接” switched off automatically"
    assert boss.url == f"/webhooks/{sub.pk}/" and boss.body == sub.disabled_reason
    assert (boss.subject_model, boss.subject_id) == ("webhooks.subscription", str(sub.pk))
    assert Delivery.objects.filter(notification=boss, channel="email").exists()

    hooks.subscription_disabled(sub)  # told twice of the same disabling
    assert Notification.objects.filter(kind=WEBHOOK_DISABLED).count() == 2
