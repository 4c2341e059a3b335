"""What hangs off a customer — contacts, preferences, communications, orders, timeline,
history, summary — and the catalogue: products, tags, custom field definitions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from guanxi.customers.models import Communication, Contact, Customer, Preference, TimelineEntry
from guanxi.customers.tests.factories import (
    CommunicationFactory,
    ContactFactory,
    CustomerFactory,
    OrderFactory,
    PreferenceFactory,
    ProductFactory,
    TimelineEntryFactory,
)
from guanxi.customers.tests.test_api_support import Api, db_snapshot
from guanxi.orders.models import Order, OrderLine, Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(am_a):
    return CustomerFactory(owner=am_a)


# --- contacts --------------------------------------------------------------------------


def test_contact_create_answers_201_with_the_contact(am_a, customer):
    response = Api(am_a).post(
        f"/customers/{customer.pk}/contacts",
        {"name": "张三", "mobile": "139 1234 5678", "email": "ZS@Example.com", "is_primary": True},
    )

    assert response.status_code == 201
    body = response.json()
    contact = Contact.objects.get()
    assert (body["id"], body["customer_id"], body["name"], body["email"]) == (
        contact.pk,
        customer.pk,
        "张三",
        "zs@example.com",
    )
    assert "mobile_key" not in body


def test_contact_list_puts_the_primary_contact_first(am_a, customer):
    ContactFactory(customer=customer, name="A")
    ContactFactory(customer=customer, name="B", is_primary=True)
    ContactFactory(customer=CustomerFactory(owner=am_a), name="其他客户的")

    body = Api(am_a).get(f"/customers/{customer.pk}/contacts").json()

    assert [c["name"] for c in body["items"]] == ["B", "A"]
    assert body["count"] == 2


def test_contact_update_changes_the_fields_sent_and_bumps_version(am_a, customer):
    contact = ContactFactory(customer=customer, title="经理")

    body = Api(am_a).patch(f"/contacts/{contact.pk}", {"version": 1, "name": "李四"}).json()

    assert (body["name"], body["title"], body["version"]) == ("李四", "经理", 2)


def test_contact_update_with_stale_version_is_409(am_a, customer):
    contact = ContactFactory(customer=customer, version=2)
    before = db_snapshot()

    response = Api(am_a).patch(f"/contacts/{contact.pk}", {"version": 1, "name": "李四"})

    assert (response.status_code, response.json()["field"]) == (409, "version")
    assert db_snapshot() == before


def test_contact_delete_removes_it(am_a, customer):
    contact = ContactFactory(customer=customer)

    response = Api(am_a).delete(f"/contacts/{contact.pk}", version=1)

    assert response.status_code == 204
    assert not Contact.objects.exists()


# --- preferences -----------------------------------------------------------------------


def test_preference_create_and_list(am_a, customer):
    api = Api(am_a)

    created = api.post(
        f"/customers/{customer.pk}/preferences", {"category": "diet", "key": "茶", "value": "普洱"}
    )
    listed = api.get(f"/customers/{customer.pk}/preferences").json()

    assert created.status_code == 201
    assert [(p["category"], p["key"], p["value"]) for p in listed["items"]] == [
        ("diet", "茶", "普洱")
    ]


def test_preference_update_with_stale_version_is_409(am_a, customer):
    pref = PreferenceFactory(customer=customer, version=4)
    before = db_snapshot()

    response = Api(am_a).patch(f"/preferences/{pref.pk}", {"version": 3, "value": "游泳"})

    assert (response.status_code, response.json()["field"]) == (409, "version")
    assert db_snapshot() == before


def test_preference_update_onto_an_existing_key_is_409(am_a, customer):
    PreferenceFactory(customer=customer, category="hobby", key="运动")
    pref = PreferenceFactory(customer=customer, category="hobby", key="音乐")
    before = db_snapshot()

    response = Api(am_a).patch(f"/preferences/{pref.pk}", {"version": 1, "key": "运动"})

    assert (response.status_code, response.json()["field"]) == (409, "key")
    assert db_snapshot() == before


def test_preference_delete_removes_it(am_a, customer):
    pref = PreferenceFactory(customer=customer)

    assert Api(am_a).delete(f"/preferences/{pref.pk}", version=1).status_code == 204
    assert not Preference.objects.exists()


# --- communications --------------------------------------------------------------------


def test_communication_create_defaults_time_and_staff(am_a, customer):
    contact = ContactFactory(customer=customer)

    response = Api(am_a).post(
        f"/customers/{customer.pk}/communications",
        {
            "channel": "visit",
            "summary": "上门拜访",
            "contact_id": contact.pk,
            "next_follow_up": "2099-04-01",
        },
    )

    assert response.status_code == 201
    comm = Communication.objects.get()
    assert (comm.staff, comm.contact, comm.next_follow_up) == (am_a, contact, dt.date(2099, 4, 1))
    assert abs(comm.occurred_at - timezone.now()) < dt.timedelta(minutes=1)


def test_communication_create_keeps_the_given_time_with_its_offset(am_a, customer):
    Api(am_a).post(
        f"/customers/{customer.pk}/communications",
        {"channel": "phone", "summary": "来电", "occurred_at": "2025-03-01T09:30:00+08:00"},
    )

    assert Communication.objects.get().occurred_at == dt.datetime(2025, 3, 1, 1, 30, tzinfo=dt.UTC)


def test_communication_list_is_newest_first(am_a, customer):
    now = timezone.now()
    CommunicationFactory(customer=customer, summary="旧", occurred_at=now - dt.timedelta(days=2))
    CommunicationFactory(customer=customer, summary="新", occurred_at=now)

    body = Api(am_a).get(f"/customers/{customer.pk}/communications").json()

    assert [c["summary"] for c in body["items"]] == ["新", "旧"]


def test_communication_update_marks_follow_up_done(am_a, customer):
    comm = CommunicationFactory(customer=customer, next_follow_up=dt.date(2025, 4, 1))

    body = (
        Api(am_a).patch(f"/communications/{comm.pk}", {"version": 1, "follow_up_done": True}).json()
    )

    assert (body["follow_up_done"], body["version"]) == (True, 2)


def test_communication_update_with_stale_version_is_409(am_a, customer):
    comm = CommunicationFactory(customer=customer, version=2)
    before = db_snapshot()

    response = Api(am_a).patch(f"/communications/{comm.pk}", {"version": 1, "summary": "改"})

    assert (response.status_code, response.json()["field"]) == (409, "version")
    assert db_snapshot() == before


# --- orders ----------------------------------------------------------------------------


def test_order_create_totals_the_lines_and_answers_money_as_strings(am_a, customer):
    product = ProductFactory(name="年度维护", unit_price=Decimal("1200.00"))

    response = Api(am_a).post(
        f"/customers/{customer.pk}/orders",
        {
            "order_date": "2025-03-01",
            "lines": [
                {"product_id": product.pk, "quantity": "2"},
                {"description": "上门安装", "quantity": 1, "unit_price": 99.5},
            ],
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert body["total"] == "2499.50"
    assert [
        (li["description"], li["quantity"], li["unit_price"], li["amount"]) for li in body["lines"]
    ] == [
        ("年度维护", "2.00", "1200.00", "2400.00"),
        ("上门安装", "1.00", "99.50", "99.50"),
    ]
    assert body["number"].startswith("SO20250301-")
    assert Order.objects.get().total == Decimal("2499.50")
    assert OrderLine.objects.count() == 2


def test_order_detail_has_its_lines(am_a, customer):
    order = OrderFactory(customer=customer)
    OrderLine.objects.create(
        order=order, description="咨询", quantity=1, unit_price=100, amount=100
    )

    body = Api(am_a).get(f"/orders/{order.pk}").json()

    assert (body["number"], body["total"], [li["description"] for li in body["lines"]]) == (
        order.number,
        "100.00",
        ["咨询"],
    )


def test_order_list_filters_by_inclusive_date_range(am_a, customer):
    for day in (1, 10, 20, 30):
        OrderFactory(customer=customer, number=f"N{day}", order_date=dt.date(2025, 4, day))

    body = Api(am_a).get("/orders", date_from="2025-04-10", date_to="2025-04-20").json()

    assert [o["number"] for o in body["items"]] == ["N20", "N10"]


def test_order_list_filters_by_status_and_customer(am_a, customer):
    OrderFactory(customer=customer, number="A", status="cancelled")
    OrderFactory(customer=customer, number="B")
    OrderFactory(customer=CustomerFactory(owner=am_a), number="C")
    api = Api(am_a)

    assert [o["number"] for o in api.get("/orders", status="cancelled").json()["items"]] == ["A"]
    assert {o["number"] for o in api.get("/orders", customer=customer.pk).json()["items"]} == {
        "A",
        "B",
    }


def test_customer_order_list_holds_only_that_customers_orders(am_a, customer):
    OrderFactory(customer=customer, number="mine")
    OrderFactory(customer=CustomerFactory(owner=am_a), number="other")

    body = Api(am_a).get(f"/customers/{customer.pk}/orders").json()

    assert [o["number"] for o in body["items"]] == ["mine"]


def test_order_cancel_sets_status_and_bumps_version(am_a, customer):
    order = OrderFactory(customer=customer)

    body = Api(am_a).post(f"/orders/{order.pk}/cancel", {"version": 1}).json()

    assert (body["status"], body["version"]) == ("cancelled", 2)


# --- summary, timeline, history --------------------------------------------------------


def test_summary_counts_confirmed_orders_only(am_a, customer):
    OrderFactory(customer=customer, order_date=dt.date(2025, 1, 1), total=Decimal("100"))
    OrderFactory(customer=customer, order_date=dt.date(2025, 1, 11), total=Decimal("300"))
    OrderFactory(customer=customer, status="cancelled", total=Decimal("999"))

    body = Api(am_a).get(f"/customers/{customer.pk}/summary").json()

    assert body == {
        "orders": 2,
        "total": "400.00",
        "average_amount": "200.00",
        "average_days_between": 10.0,
        "first_purchase": "2025-01-01",
        "last_purchase": "2025-01-11",
    }


def test_summary_of_customer_without_orders(am_a, customer):
    body = Api(am_a).get(f"/customers/{customer.pk}/summary").json()

    assert (body["orders"], body["total"], body["average_amount"]) == (0, "0.00", None)


def test_timeline_is_newest_first_and_paginated(am_a, customer):
    now = timezone.now()
    for days, title in ((3, "最早"), (2, "中间"), (1, "最新")):
        TimelineEntryFactory(customer=customer, title=title, occurred_at=now - dt.timedelta(days))
    api = Api(am_a)

    first = api.get(f"/customers/{customer.pk}/timeline", limit=2).json()
    rest = api.get(f"/customers/{customer.pk}/timeline", limit=2, offset=2).json()

    assert [e["title"] for e in first["items"]] == ["最新", "中间"]
    assert [e["title"] for e in rest["items"]] == ["最早"]
    assert first["count"] == 3


def test_api_write_appears_on_the_timeline(am_a, customer):
    Api(am_a).post(
        f"/customers/{customer.pk}/communications", {"channel": "phone", "summary": "回访"}
    )

    entry = TimelineEntry.objects.get(customer=customer)
    assert (entry.kind, entry.body, entry.actor) == ("communication", "回访", am_a)


def test_history_lists_changes_of_the_customer_and_its_rows_newest_first(am_a, customer):
    api = Api(am_a)
    api.patch(f"/customers/{customer.pk}", {"version": 1, "city": "上海"})
    api.post(f"/customers/{customer.pk}/contacts", {"name": "王五"})

    body = api.get(f"/customers/{customer.pk}/history").json()

    assert [(e["model"], e["action"]) for e in body["items"]] == [
        ("customers.contact", "create"),
        ("customers.customer", "update"),
    ]
    change = body["items"][1]
    assert (change["changes"], change["actor_id"], change["source"]) == (
        {"city": ["", "上海"]},
        am_a.pk,
        "api",
    )


# --- products, tags, custom fields -------------------------------------------------------


def test_product_create_by_admin(admin_user):
    response = Api(admin_user).post(
        "/products", {"code": "SVC-1", "name": "年度维护", "unit_price": "1200"}
    )

    assert response.status_code == 201
    assert response.json()["unit_price"] == "1200.00"
    assert Product.objects.get().unit_price == Decimal("1200.00")


def test_product_list_filters_by_active(am_a):
    ProductFactory(code="A", active=True)
    ProductFactory(code="B", active=False)

    body = Api(am_a).get("/products", active="false").json()

    assert [p["code"] for p in body["items"]] == ["B"]


def test_product_update_with_stale_version_is_409(admin_user):
    product = ProductFactory(version=2)
    before = db_snapshot()

    response = Api(admin_user).patch(f"/products/{product.pk}", {"version": 1, "name": "新"})

    assert (response.status_code, response.json()["field"]) == (409, "version")
    assert db_snapshot() == before


def test_tag_create_and_list(admin_user, am_a):
    created = Api(admin_user).post("/tags", {"name": "重点", "color": "danger"})
    listed = Api(am_a).get("/tags").json()

    assert created.status_code == 201
    assert [(t["name"], t["color"]) for t in listed["items"]] == [("重点", "danger")]


def test_duplicate_tag_is_409(admin_user):
    api = Api(admin_user)
    api.post("/tags", {"name": "重点"})
    before = db_snapshot()

    response = api.post("/tags", {"name": "重点"})

    assert (response.status_code, response.json()["field"]) == (409, "name")
    assert db_snapshot() == before


def test_custom_field_defined_by_admin_is_usable_on_customers(admin_user, am_a):
    created = Api(admin_user).post(
        "/custom-fields",
        {"key": "tier", "label": "等级", "field_type": "choice", "choices": ["A", "B"]},
    )
    api = Api(am_a)

    listed = api.get("/custom-fields").json()
    customer = api.post("/customers", {"name": "甲", "custom_fields": {"tier": "A"}})

    assert created.status_code == 201
    assert [f["key"] for f in listed["items"]] == ["tier"]
    assert customer.json()["custom_fields"] == {"tier": "A"}
    assert Customer.objects.get().custom_fields == {"tier": "A"}
