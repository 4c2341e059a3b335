"""Subscriptions: admin only, validated, audited (the secret never in the log)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.webhooks.models import Delivery, DeliveryStatus, OutboxEvent, Subscription
from guanxi.webhooks.services import (
    ReplayRefused,
    delivery_replay,
    emit,
    subscription_create,
    subscription_delete,
    subscription_update,
)
from guanxi.webhooks.tests.conftest import EVENT, make_subscription

pytestmark = pytest.mark.django_db

GOOD = {"name": "ERP", "url": "https://erp.example.com/hooks", "events": [EVENT]}


def test_an_admin_creates_a_subscription_with_a_generated_secret(admin_user):
    sub = subscription_create(actor=admin_user, data=GOOD)
    assert sub.events == [EVENT] and sub.is_active
    assert len(sub.secret) >= 32
    assert sub.created_by == admin_user
    entry = AuditEntry.objects.get(model="webhooks.subscription", action="create")
    assert entry.actor == admin_user
    assert entry.changes["url"] == [None, GOOD["url"]]
    assert entry.changes["secret"] == [None, "***"]
    assert sub.secret not in str(entry.changes)


def test_a_given_secret_is_kept(admin_user):
    sub = subscription_create(actor=admin_user, data={**GOOD, "secret": "x" * 20})
    assert sub.secret == "x" * 20


@pytest.mark.parametrize("user", ["am_a", "manager_a", "agent", "portal_user"])
def test_only_admins_manage_subscriptions(request, user):
    actor = request.getfixturevalue(user)
    with pytest.raises(PermissionDenied):
        subscription_create(actor=actor, data=GOOD)
    assert Subscription.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "ftp://erp.example.com/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://user:pw@erp.example.com/"}, "url"),
        ({"url": ""}, "url"),
        ({"events": []}, "events"),
        ({"events": ["customer.exploded"]}, "events"),
        ({"events": "customer.created"}, "events"),
        ({"secret": "short"}, "secret"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(admin_user, data, field):
    with pytest.raises(ValidationFailed) as exc:
        subscription_create(actor=admin_user, data={**GOOD, **data})
    assert field in exc.value.errors
    assert Subscription.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@override_settings(WEBHOOKS_ALLOWED_NETWORKS=[])
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.1.2.3/",
        "http://192.168.0.1:8080/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
    ],
)
def test_internal_addresses_are_refused(admin_user, url):
    with pytest.raises(ValidationFailed) as exc:
        subscription_create(actor=admin_user, data={**GOOD, "url": url})
    assert exc.value.errors["url"] == ["不允许发送到内网、本机或保留地址。"]


@override_settings(WEBHOOKS_ALLOWED_NETWORKS=["10.0.0.0/8"])
def test_an_allowed_network_may_be_used(admin_user):
    sub = subscription_create(actor=admin_user, data={**GOOD, "url": "http://10.1.2.3/h"})
    assert sub.url == "http://10.1.2.3/h"


def test_update_checks_the_version_and_audits_old_and_new(admin_user):
    sub = subscription_create(actor=admin_user, data=GOOD)
    with pytest.raises(Conflict):
        subscription_update(actor=admin_user, subscription_id=sub.pk, data={"name": "x"}, version=9)
    sub = subscription_update(
        actor=admin_user,
        subscription_id=sub.pk,
        data={"name": "ERP 2", "secret": "n" * 24},
        version=1,
    )
    assert sub.version == 2 and sub.secret == "n" * 24
    entry = AuditEntry.objects.get(model="webhooks.subscription", action="update")
    assert entry.changes["name"] == ["ERP", "ERP 2"]
    assert entry.changes["secret"] == ["***", "***"]
    assert "n" * 24 not in str(entry.changes)


def test_an_empty_secret_keeps_the_current_one(admin_user):
    sub = subscription_create(actor=admin_user, data=GOOD)
    old = sub.secret
    sub = subscription_update(
        actor=admin_user, subscription_id=sub.pk, data={"secret": ""}, version=1
    )
    assert sub.secret == old and sub.version == 1  # nothing changed, nothing written


def test_switching_back_on_clears_the_failures(admin_user, django_capture_on_commit_callbacks):
    sub = make_subscription("https://erp.example.com/h", is_active=False, consecutive_failures=15)
    Subscription.objects.filter(pk=sub.pk).update(disabled_reason="连续 15 次投递失败")
    with django_capture_on_commit_callbacks() as callbacks:
        sub = subscription_update(
            actor=admin_user, subscription_id=sub.pk, data={"is_active": True}, version=1
        )
    assert sub.consecutive_failures == 0 and sub.disabled_reason == "" and sub.is_active
    assert len(callbacks) == 1  # its waiting deliveries are sent


def test_missing_subscription_is_not_found(admin_user):
    with pytest.raises(NotFound):
        subscription_update(actor=admin_user, subscription_id=999, data={}, version=1)
    with pytest.raises(NotFound):
        subscription_delete(actor=admin_user, subscription_id=999, version=1)


def test_delete_removes_the_log_and_is_audited(admin_user):
    sub = subscription_create(actor=admin_user, data=GOOD)
    emit(EVENT, {"n": 1})
    subscription_delete(actor=admin_user, subscription_id=sub.pk, version=1)
    assert Subscription.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert OutboxEvent.objects.count() == 1
    assert AuditEntry.objects.filter(model="webhooks.subscription", action="delete").exists()


def test_replay_queues_the_same_event_again(admin_user, django_capture_on_commit_callbacks):
    sub = make_subscription("https://erp.example.com/h")
    emit(EVENT, {"n": 1})
    original = Delivery.objects.get()
    Delivery.objects.filter(pk=original.pk).update(status=DeliveryStatus.FAILED)
    with django_capture_on_commit_callbacks() as callbacks:
        replay = delivery_replay(actor=admin_user, delivery_id=original.pk)
    assert replay.pk != original.pk and replay.uuid != original.uuid
    assert replay.event_id == original.event_id
    assert replay.subscription_id == sub.pk
    assert replay.replay_of == original and replay.created_by == admin_user
    assert replay.status == DeliveryStatus.PENDING
    assert len(callbacks) == 1
    assert AuditEntry.objects.filter(model="webhooks.delivery", object_id=str(replay.pk)).exists()


def test_replay_to_a_switched_off_subscription_is_refused(admin_user, am_a):
    sub = make_subscription("https://erp.example.com/h")
    emit(EVENT, {"n": 1})
    delivery = Delivery.objects.get()
    with pytest.raises(PermissionDenied):
        delivery_replay(actor=am_a, delivery_id=delivery.pk)
    Subscription.objects.filter(pk=sub.pk).update(is_active=False)
    with pytest.raises(ReplayRefused):
        delivery_replay(actor=admin_user, delivery_id=delivery.pk)
    with pytest.raises(NotFound):
        delivery_replay(actor=admin_user, delivery_id=10**9)
    assert Delivery.objects.count() == 1
