"""The events other apps emit: customer created / updated / merged, import finished."""

from __future__ import annotations

import pytest

from guanxi.customers import services as customer_services
from guanxi.customers.duplicates import services as merge_services
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.imports.tests.support import run_file, write_csv
from guanxi.webhooks.models import Delivery, OutboxEvent
from guanxi.webhooks.tests.conftest import make_subscription

pytestmark = pytest.mark.django_db

ALL = ["customer.created", "customer.updated", "customer.merged", "import.finished"]


@pytest.fixture
def sub(db):
    return make_subscription("https://erp.example.com/h", events=ALL)


def events() -> list[tuple[str, dict]]:
    return list(OutboxEvent.objects.order_by("id").values_list("event", "payload"))


def test_customer_created_and_updated(sub, am_a):
    customer = customer_services.customer_create(actor=am_a, data={"name": "杭州西湖茶业"})
    customer_services.customer_update(
        actor=am_a, customer_id=customer.pk, data={"city": "杭州"}, version=1
    )
    (created, c_payload), (updated, u_payload) = events()
    assert created == "customer.created"
    assert c_payload["customer"]["id"] == customer.pk
    assert c_payload["customer"]["name"] == "杭州西湖茶业"
    assert c_payload["customer"]["owner_id"] == am_a.pk
    assert updated == "customer.updated"
    assert u_payload["changes"] == {"city": ["", "杭州"]}
    assert u_payload["customer"]["version"] == 2
    assert OutboxEvent.objects.first().actor == am_a
    assert Delivery.objects.filter(subscription=sub).count() == 2


def test_an_update_that_changes_nothing_emits_nothing(sub, am_a):
    customer = CustomerFactory(owner=am_a, city="杭州")
    customer_services.customer_update(
        actor=am_a, customer_id=customer.pk, data={"city": "杭州"}, version=1
    )
    assert events() == []


def test_a_refused_create_emits_nothing(sub, am_a):
    with pytest.raises(Exception):  # noqa: B017 - whichever domain error names the field
        customer_services.customer_create(actor=am_a, data={"name": ""})
    assert events() == []


def test_customer_merged(sub, am_a):
    survivor, merged = CustomerFactory(owner=am_a), CustomerFactory(owner=am_a)
    record = merge_services.customer_merge(
        actor=am_a,
        survivor_id=survivor.pk,
        merged_id=merged.pk,
        survivor_version=1,
        merged_version=1,
    )
    [(key, payload)] = events()
    assert key == "customer.merged"
    assert payload["survivor"]["id"] == survivor.pk
    assert payload["merged_id"] == merged.pk and payload["merge_id"] == record.pk


def test_import_finished(sub, admin_user, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["客户名称", "城市"], ["甲公司", "杭州"], ["乙公司", ""]])
    run = run_file(path, actor=admin_user)
    finished = [p for k, p in events() if k == "import.finished"]
    assert len(finished) == 1
    data = finished[0]["import"]
    assert data["id"] == run.pk and data["kind"] == "customers"
    assert data["created"] == 2 and data["failed"] == 0
    assert data["finished_at"]
