"""Bad input: every rejected request is a 4xx naming the field, never a 500, and leaves the
database exactly as it was."""

from __future__ import annotations

import json

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.models import CustomFieldDefinition
from guanxi.customers.tests.factories import (
    ContactFactory,
    CustomerFactory,
    ProductFactory,
)
from guanxi.customers.tests.test_api_support import Api, db_snapshot, error_fields

pytestmark = pytest.mark.django_db

LINE = {"description": "咨询", "quantity": "1", "unit_price": "10.00"}


def _rejected(response, status: int, field: str | None, before) -> None:
    assert response.status_code == status, response.content
    if field is not None:
        assert field in error_fields(response), response.json()
    assert db_snapshot() == before


# --- malformed bodies ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", [b'{"name": ', b"not json", b"\xff\xfe", b'{"name": "a"} trailing'], ids=repr
)
def test_malformed_json_is_400(am_a, raw):
    before = db_snapshot()

    response = Api(am_a).post("/customers", raw=raw)

    _rejected(response, 400, None, before)
    assert response.json()["message"].startswith("Cannot parse request body")


@pytest.mark.parametrize("body", [[1, 2], "a string", 3, None], ids=repr)
def test_json_that_is_not_an_object_is_422_naming_the_body(am_a, body):
    before = db_snapshot()

    response = Api(am_a).post("/customers", raw=json.dumps(body).encode())

    _rejected(response, 422, "body", before)


def test_empty_body_is_422_naming_the_body(am_a):
    before = db_snapshot()

    response = Api(am_a).post("/customers", raw=b"")

    _rejected(response, 422, "body", before)


# --- customers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": 123}, "name"),
        ({"name": ["a"]}, "name"),
        ({"name": "甲", "status": "gone"}, "status"),
        ({"name": "甲", "kind": 1}, "kind"),
        ({"name": "甲", "since": "yesterday"}, "since"),
        ({"name": "甲", "since": "0001-01-01"}, "since"),
        ({"name": "甲", "tags": "重点"}, "tags"),
        ({"name": "甲", "tags": [""]}, "tags[0]"),
        ({"name": "甲", "owner_id": "x"}, "owner_id"),
        ({"name": "甲", "owner_id": 2**70}, "owner_id"),
        ({"name": "甲", "custom_fields": []}, "custom_fields"),
        ({"name": ""}, "name"),
        ({}, "name"),
    ],
    ids=lambda v: repr(v) if isinstance(v, str) else None,
)
def test_create_customer_with_wrong_types_is_422(am_a, body, field):
    before = db_snapshot()

    _rejected(Api(am_a).post("/customers", body), 422, field, before)


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("name", 200),
        ("industry", 50),
        ("province", 20),
        ("city", 30),
        ("address", 200),
        ("phone", 40),
        ("email", 254),
        ("website", 200),
        ("notes", 5000),
    ],
)
def test_create_customer_with_over_long_string_is_422(am_a, field, limit):
    body = {"name": "甲", field: "x" * (limit + 1)}
    before = db_snapshot()

    _rejected(Api(am_a).post("/customers", body), 422, field, before)


def test_create_customer_with_unknown_field_is_422_naming_it(am_a):
    before = db_snapshot()

    response = Api(am_a).post("/customers", {"name": "甲", "is_vip": True})

    _rejected(response, 422, "is_vip", before)


def test_create_customer_may_not_set_server_fields(am_a):
    before = db_snapshot()

    response = Api(am_a).post("/customers", {"name": "甲", "version": 7, "phone_key": "1"})

    _rejected(response, 422, "version", before)
    assert "phone_key" in error_fields(response)


def test_create_customer_with_unknown_custom_field_is_422_naming_it(am_a):
    before = db_snapshot()

    response = Api(am_a).post("/customers", {"name": "甲", "custom_fields": {"nope": "1"}})

    _rejected(response, 422, "custom_fields.nope", before)


def test_create_customer_with_wrong_custom_field_value_is_422_naming_it(am_a):
    CustomFieldDefinition.objects.create(key="employees", label="员工数", field_type="number")
    before = db_snapshot()

    response = Api(am_a).post("/customers", {"name": "甲", "custom_fields": {"employees": "many"}})

    _rejected(response, 422, "custom_fields.employees", before)


def test_create_customer_with_invalid_email_is_422(am_a):
    before = db_snapshot()

    response = Api(am_a).post("/customers", {"name": "甲", "email": "not-an-email"})

    _rejected(response, 422, "email", before)


def test_create_customer_with_unparseable_phone_is_422(am_a):
    before = db_snapshot()

    response = Api(am_a).post("/customers", {"name": "甲", "phone": "call me"})

    _rejected(response, 422, "phone", before)


def test_create_customer_with_nonexistent_owner_is_422(manager_a):
    before = db_snapshot()

    response = Api(manager_a).post("/customers", {"name": "甲", "owner_id": 999999})

    _rejected(response, 422, "owner_id", before)


def test_create_customer_owned_by_a_portal_user_is_422(manager_a):
    portal = UserFactory(username="portal_x", role=Role.PORTAL)
    before = db_snapshot()

    response = Api(manager_a).post("/customers", {"name": "甲", "owner_id": portal.pk})

    _rejected(response, 422, "owner_id", before)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 1, "name": None}, "name"),
        ({"version": 1, "status": None}, "status"),
        ({"version": 1, "owner_id": None}, "owner_id"),
        ({"version": "1"}, "version"),
        ({"version": 0}, "version"),
        ({"version": 1, "name": "x" * 201}, "name"),
        ({"version": 1, "created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ],
    ids=[
        "null-name",
        "null-status",
        "null-owner",
        "string-version",
        "zero-version",
        "long-name",
        "unknown-field",
    ],
)
def test_update_customer_with_bad_input_is_422(am_a, body, field):
    customer = CustomerFactory(owner=am_a)
    before = db_snapshot()

    _rejected(Api(am_a).patch(f"/customers/{customer.pk}", body), 422, field, before)


def test_path_id_beyond_the_database_range_is_422(am_a):
    before = db_snapshot()

    response = Api(am_a).patch(f"/customers/{2**70}", {"version": 1})

    _rejected(response, 422, "customer_id", before)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 201}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"status": "gone"}, "status"),
        ({"owner": "me"}, "owner"),
        ({"sort": "random"}, "sort"),
        ({"q": "x" * 101}, "q"),
    ],
    ids=lambda v: None,
)
def test_list_with_bad_query_parameter_is_422(am_a, params, field):
    response = Api(am_a).get("/customers", **params)

    assert response.status_code == 422
    assert error_fields(response) == [field]


# --- contacts, preferences, communications ----------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x" * 101}, "name"),
        ({"name": "张", "notes": "x" * 2001}, "notes"),
        ({"name": "张", "wechat": "x" * 65}, "wechat"),
        ({"name": "张", "preferred_channel": "fax"}, "preferred_channel"),
        ({"name": "张", "consent_marketing": "yes"}, "consent_marketing"),
        ({"name": "张", "customer_id": 1}, "customer_id"),
        ({"name": "张", "mobile": "not a phone"}, "mobile"),
    ],
    ids=[
        "long-name",
        "long-notes",
        "long-wechat",
        "bad-channel",
        "string-bool",
        "customer-id",
        "bad-mobile",
    ],
)
def test_create_contact_with_bad_input_is_rejected(am_a, body, field):
    customer = CustomerFactory(owner=am_a)
    before = db_snapshot()

    _rejected(Api(am_a).post(f"/customers/{customer.pk}/contacts", body), 422, field, before)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "food", "key": "茶", "value": "绿茶"}, "category"),
        ({"category": "diet", "key": "x" * 101, "value": "绿茶"}, "key"),
        ({"category": "diet", "key": "茶", "value": "x" * 301}, "value"),
        ({"category": "diet", "key": "茶"}, "value"),
    ],
    ids=["bad-category", "long-key", "long-value", "missing-value"],
)
def test_create_preference_with_bad_input_is_422(am_a, body, field):
    customer = CustomerFactory(owner=am_a)
    before = db_snapshot()

    response = Api(am_a).post(f"/customers/{customer.pk}/preferences", body)

    _rejected(response, 422, field, before)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "pigeon", "summary": "x"}, "channel"),
        ({"channel": "phone", "summary": ""}, "summary"),
        ({"channel": "phone", "summary": "x" * 5001}, "summary"),
        ({"channel": "phone", "summary": "x", "occurred_at": "2025-01-01T10:00:00"}, "occurred_at"),
        (
            {"channel": "phone", "summary": "x", "occurred_at": "9999-12-31T23:00:00-12:00"},
            "occurred_at",
        ),
        ({"channel": "phone", "summary": "x", "direction": "sideways"}, "direction"),
    ],
    ids=[
        "bad-channel",
        "empty-summary",
        "long-summary",
        "naive-time",
        "far-future",
        "bad-direction",
    ],
)
def test_create_communication_with_bad_input_is_422(am_a, body, field):
    customer = CustomerFactory(owner=am_a)
    before = db_snapshot()

    response = Api(am_a).post(f"/customers/{customer.pk}/communications", body)

    _rejected(response, 422, field, before)


def test_communication_with_another_customers_contact_is_422(am_a):
    customer = CustomerFactory(owner=am_a)
    foreign = ContactFactory(customer=CustomerFactory(owner=am_a))
    before = db_snapshot()

    response = Api(am_a).post(
        f"/customers/{customer.pk}/communications",
        {"channel": "phone", "summary": "x", "contact_id": foreign.pk},
    )

    _rejected(response, 422, "contact_id", before)


def test_communication_with_a_hidden_customers_contact_is_422(am_a, am_b):
    customer = CustomerFactory(owner=am_a)
    hidden = ContactFactory(customer=CustomerFactory(owner=am_b))
    before = db_snapshot()

    response = Api(am_a).post(
        f"/customers/{customer.pk}/communications",
        {"channel": "phone", "summary": "x", "contact_id": hidden.pk},
    )

    _rejected(response, 422, "contact_id", before)


def test_moving_a_communication_to_another_customers_contact_is_422(am_a):
    from guanxi.customers.tests.factories import CommunicationFactory

    comm = CommunicationFactory(customer=CustomerFactory(owner=am_a))
    foreign = ContactFactory(customer=CustomerFactory(owner=am_a))
    before = db_snapshot()

    response = Api(am_a).patch(
        f"/communications/{comm.pk}", {"version": 1, "contact_id": foreign.pk}
    )

    _rejected(response, 422, "contact_id", before)


def test_duplicate_preference_is_409_naming_key(am_a):
    customer = CustomerFactory(owner=am_a)
    api = Api(am_a)
    body = {"category": "diet", "key": "茶", "value": "绿茶"}
    api.post(f"/customers/{customer.pk}/preferences", body)
    before = db_snapshot()

    response = api.post(
        f"/customers/{customer.pk}/preferences", {"category": "diet", "key": "茶", "value": "红茶"}
    )

    _rejected(response, 409, "key", before)


# --- orders and products ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({**LINE, "quantity": "-1"}, "lines[0].quantity"),
        ({**LINE, "quantity": 0}, "lines[0].quantity"),
        ({**LINE, "quantity": "1.234"}, "lines[0].quantity"),
        ({**LINE, "quantity": "abc"}, "lines[0].quantity"),
        ({**LINE, "unit_price": "-0.01"}, "lines[0].unit_price"),
        ({**LINE, "unit_price": "1e15"}, "lines[0].unit_price"),
        ({**LINE, "unit_price": "10.001"}, "lines[0].unit_price"),
        ({**LINE, "quantity": "9999999999", "unit_price": "999999999"}, "lines[0].quantity"),
        ({**LINE, "description": "x" * 201}, "lines[0].description"),
        ({**LINE, "amount": "1"}, "lines[0].amount"),
        ({"quantity": "1"}, "lines[0].unit_price"),
    ],
    ids=[
        "negative-qty",
        "zero-qty",
        "qty-decimals",
        "qty-text",
        "negative-price",
        "huge-price",
        "price-decimals",
        "huge-amount",
        "long-description",
        "unknown-field",
        "no-price-no-product",
    ],
)
def test_order_with_bad_line_is_rejected_naming_the_field(am_a, line, field):
    customer = CustomerFactory(owner=am_a)
    before = db_snapshot()

    response = Api(am_a).post(
        f"/customers/{customer.pk}/orders", {"order_date": "2025-03-01", "lines": [line]}
    )

    _rejected(response, 422, field, before)


def test_order_with_nan_quantity_is_422(am_a):
    customer = CustomerFactory(owner=am_a)
    before = db_snapshot()

    response = Api(am_a).post(
        f"/customers/{customer.pk}/orders",
        raw=b'{"order_date": "2025-03-01", "lines": [{"description": "x", "quantity": NaN,'
        b' "unit_price": "1"}]}',
    )

    _rejected(response, 422, "lines[0].quantity", before)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"order_date": "2025-03-01", "lines": []}, "lines"),
        ({"order_date": "2025-03-01"}, "lines"),
        ({"order_date": "soon", "lines": [LINE]}, "order_date"),
        ({"order_date": "2025-03-01", "lines": [LINE], "total": "1"}, "total"),
        ({"order_date": "2025-03-01", "lines": [LINE], "number": "x" * 41}, "number"),
        ({"order_date": "2025-03-01", "lines": [LINE] * 501}, "lines"),
    ],
    ids=["no-lines", "missing-lines", "bad-date", "total-given", "long-number", "too-many-lines"],
)
def test_order_with_bad_header_is_422(am_a, body, field):
    customer = CustomerFactory(owner=am_a)
    before = db_snapshot()

    response = Api(am_a).post(f"/customers/{customer.pk}/orders", body)

    _rejected(response, 422, field, before)


def test_order_with_nonexistent_product_is_422_naming_it(am_a):
    customer = CustomerFactory(owner=am_a)
    before = db_snapshot()

    response = Api(am_a).post(
        f"/customers/{customer.pk}/orders",
        {"order_date": "2025-03-01", "lines": [{"product_id": 999999, "quantity": "1"}]},
    )

    _rejected(response, 422, "lines[0].product_id", before)


def test_order_with_duplicate_number_is_409_naming_it(am_a):
    customer = CustomerFactory(owner=am_a)
    api = Api(am_a)
    path = f"/customers/{customer.pk}/orders"
    api.post(path, {"order_date": "2025-03-01", "number": "SO-1", "lines": [LINE]})
    before = db_snapshot()

    response = api.post(path, {"order_date": "2025-03-01", "number": "SO-1", "lines": [LINE]})

    _rejected(response, 409, "number", before)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "P1", "name": "服务", "unit_price": "-1"}, "unit_price"),
        ({"code": "P1", "name": "服务", "unit_price": "1000000000000"}, "unit_price"),
        ({"code": "P1", "name": "服务", "unit_price": "Infinity"}, "unit_price"),
        ({"code": "x" * 41, "name": "服务", "unit_price": "1"}, "code"),
        ({"code": "P1", "name": "服务"}, "unit_price"),
    ],
    ids=["negative", "huge", "infinite", "long-code", "missing-price"],
)
def test_product_with_bad_input_is_422(admin_user, body, field):
    before = db_snapshot()

    _rejected(Api(admin_user).post("/products", body), 422, field, before)


def test_product_with_duplicate_code_is_409(admin_user):
    ProductFactory(code="P1")
    before = db_snapshot()

    response = Api(admin_user).post("/products", {"code": "P1", "name": "服务", "unit_price": "1"})

    _rejected(response, 409, "code", before)


def test_cancel_order_with_stale_version_is_409(am_a):
    from guanxi.customers.tests.factories import OrderFactory

    order = OrderFactory(customer=CustomerFactory(owner=am_a), version=2)
    before = db_snapshot()

    response = Api(am_a).post(f"/orders/{order.pk}/cancel", {"version": 1})

    _rejected(response, 409, "version", before)


# --- tags and custom fields ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"name": "a", "color": "c" * 21}, "color"),
    ],
    ids=["empty", "long", "long-color"],
)
def test_tag_with_bad_input_is_422(am_a, body, field):
    before = db_snapshot()

    _rejected(Api(am_a).post("/tags", body), 422, field, before)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "has space", "label": "L", "field_type": "text"}, "key"),
        ({"key": "k", "label": "L", "field_type": "blob"}, "field_type"),
        ({"key": "k", "label": "L", "field_type": "choice"}, "choices"),
        ({"key": "k", "label": "x" * 101, "field_type": "text"}, "label"),
    ],
    ids=["bad-key", "bad-type", "choice-without-choices", "long-label"],
)
def test_custom_field_with_bad_input_is_422(admin_user, body, field):
    before = db_snapshot()

    _rejected(Api(admin_user).post("/custom-fields", body), 422, field, before)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/customers", {"name": "甲\x00乙"}, "name"),
        ("/customers", {"name": "甲", "tags": ["a\x00"]}, "tags"),
        ("/customers", {"name": "甲", "custom_fields": {"k\x00": "v"}}, "custom_fields"),
        ("/tags", {"name": "a\x00"}, "name"),
    ],
    ids=["name", "tag", "custom-field-key", "tag-name"],
)
def test_nul_character_in_text_is_422(am_a, path, body, field):
    before = db_snapshot()

    _rejected(Api(am_a).post(path, body), 422, field, before)


def test_nul_character_in_search_is_422(am_a):
    response = Api(am_a).get("/customers", q="a\x00b")

    assert (response.status_code, error_fields(response)) == (422, ["q"])


@pytest.mark.django_db
def test_the_api_names_every_bad_field_at_once_in_the_callers_language():
    """Issue 10 item 31: the credit code and the region were checked one by one before the
    model's own checks, so a caller learnt of the next bad field only after fixing one."""
    from django.test import Client

    from guanxi.accounts.tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(role="admin"))
    body = {"name": "杭州测试有限公司", "email": "bad", "credit_code": "123", "province": "火星"}
    for language, word in (("zh-hans", "统一社会信用代码"), ("en", "social credit code")):
        answer = client.post("/api/v1/customers", body, content_type="application/json",
                             HTTP_ACCEPT_LANGUAGE=language)  # fmt: skip
        assert answer.status_code == 422
        errors = {e["field"]: e["message"] for e in answer.json()["errors"]}
        assert {"email", "credit_code", "province"} <= errors.keys(), errors
        assert word in errors["credit_code"]
