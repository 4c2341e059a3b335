"""Record-level access through the API, for every customer-related operation.

A customer the actor may not see answers 404 exactly as a nonexistent one does; portal
users get 403 on every staff endpoint; nothing is written by a refused request.
"""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CustomerFactory, ProductFactory
from guanxi.customers.tests.test_api_support import Api, build_scene, db_snapshot

pytestmark = pytest.mark.django_db

NONEXISTENT = 10**9

# name, method, path (placeholders from ``build_scene``), body, status when allowed
CUSTOMER_ENDPOINTS: list[tuple[str, str, str, Any, int]] = [
    ("customer_detail", "get", "/customers/{customer}", None, 200),
    ("customer_update", "patch", "/customers/{customer}", {"version": 1, "notes": "改"}, 200),
    ("customer_delete", "delete", "/customers/{bare}", {"version": 1}, 204),
    ("customer_summary", "get", "/customers/{customer}/summary", None, 200),
    ("customer_timeline", "get", "/customers/{customer}/timeline", None, 200),
    ("customer_history", "get", "/customers/{customer}/history", None, 200),
    ("contact_list", "get", "/customers/{customer}/contacts", None, 200),
    ("contact_create", "post", "/customers/{customer}/contacts", {"name": "王五"}, 201),
    ("contact_detail", "get", "/contacts/{contact}", None, 200),
    ("contact_update", "patch", "/contacts/{contact}", {"version": 1, "title": "总监"}, 200),
    ("contact_delete", "delete", "/contacts/{contact}", {"version": 1}, 204),
    ("preference_list", "get", "/customers/{customer}/preferences", None, 200),
    (
        "preference_create",
        "post",
        "/customers/{customer}/preferences",
        {"category": "diet", "key": "茶", "value": "龙井"},
        201,
    ),
    ("preference_detail", "get", "/preferences/{preference}", None, 200),
    (
        "preference_update",
        "patch",
        "/preferences/{preference}",
        {"version": 1, "value": "游泳"},
        200,
    ),
    ("preference_delete", "delete", "/preferences/{preference}", {"version": 1}, 204),
    ("communication_list", "get", "/customers/{customer}/communications", None, 200),
    (
        "communication_create",
        "post",
        "/customers/{customer}/communications",
        {"channel": "phone", "summary": "回访"},
        201,
    ),
    ("communication_detail", "get", "/communications/{communication}", None, 200),
    (
        "communication_update",
        "patch",
        "/communications/{communication}",
        {"version": 1, "follow_up_done": True},
        200,
    ),
    ("customer_orders", "get", "/customers/{customer}/orders", None, 200),
    (
        "order_create",
        "post",
        "/customers/{customer}/orders",
        {
            "order_date": "2025-03-01",
            "lines": [{"description": "咨询", "quantity": "2", "unit_price": "50.00"}],
        },
        201,
    ),
    ("order_detail", "get", "/orders/{order}", None, 200),
    ("order_cancel", "post", "/orders/{order}/cancel", {"version": 1}, 200),
]
READS = {name for name, method, *_ in CUSTOMER_ENDPOINTS if method == "get"}
# The service desk logs communications on every customer it reads; it edits only those it
# logged itself (the scene's communication was logged by someone else).
# The service desk logs communications and marks follow-ups done (the update's body here).
AGENT_WRITES = {"communication_create", "communication_update"}

GLOBAL_ENDPOINTS: list[tuple[str, str, str, Any]] = [
    ("customer_list", "get", "/customers", None),
    ("customer_create", "post", "/customers", {"name": "门户新客户"}),
    ("order_list", "get", "/orders", None),
    ("product_list", "get", "/products", None),
    ("product_detail", "get", "/products/{product}", None),
    ("product_create", "post", "/products", {"code": "P-1", "name": "服务", "unit_price": "1"}),
    ("product_update", "patch", "/products/{product}", {"version": 1, "name": "新名"}),
    ("tag_list", "get", "/tags", None),
    ("tag_create", "post", "/tags", {"name": "重点"}),
    ("custom_field_list", "get", "/custom-fields", None),
    ("custom_field_create", "post", "/custom-fields", {"key": "k", "label": "K",
                                                        "field_type": "text"}),
]  # fmt: skip


def _ids(endpoints: list[tuple[Any, ...]]) -> list[str]:
    return [e[0] for e in endpoints]


each_customer_endpoint = pytest.mark.parametrize(
    ("name", "method", "path", "body", "ok"), CUSTOMER_ENDPOINTS, ids=_ids(CUSTOMER_ENDPOINTS)
)


def _path(template: str, scene: dict[str, int]) -> str:
    return template.format(**scene)


@each_customer_endpoint
def test_account_manager_gets_404_for_other_teams_customer(
    am_a, am_b, name, method, path, body, ok
):
    scene = build_scene(am_b)
    before = db_snapshot()

    response = Api(am_a).call(method, _path(path, scene), body)

    assert response.status_code == 404
    assert db_snapshot() == before


@each_customer_endpoint
def test_account_manager_gets_404_for_teammates_customer(am_a, am_a2, name, method, path, body, ok):
    scene = build_scene(am_a2)
    before = db_snapshot()

    response = Api(am_a).call(method, _path(path, scene), body)

    assert response.status_code == 404
    assert db_snapshot() == before


@each_customer_endpoint
def test_hidden_record_answers_exactly_like_a_nonexistent_one(
    am_a, am_b, name, method, path, body, ok
):
    scene = build_scene(am_b)
    missing = {key: NONEXISTENT + i for i, key in enumerate(scene)}
    api = Api(am_a)

    hidden = api.call(method, _path(path, scene), body)
    absent = api.call(method, _path(path, missing), body)

    assert (hidden.status_code, hidden.json()) == (absent.status_code, absent.json())


@each_customer_endpoint
def test_owner_may_use_own_customer(am_a, name, method, path, body, ok):
    scene = build_scene(am_a)

    response = Api(am_a).call(method, _path(path, scene), body)

    assert response.status_code == ok, response.content


@each_customer_endpoint
def test_manager_may_use_teams_customer(manager_a, am_a2, name, method, path, body, ok):
    scene = build_scene(am_a2)

    response = Api(manager_a).call(method, _path(path, scene), body)

    assert response.status_code == ok, response.content


@each_customer_endpoint
def test_manager_gets_404_for_other_teams_customer(manager_a, am_b, name, method, path, body, ok):
    scene = build_scene(am_b)
    before = db_snapshot()

    response = Api(manager_a).call(method, _path(path, scene), body)

    assert response.status_code == 404
    assert db_snapshot() == before


@each_customer_endpoint
def test_admin_may_use_any_customer(admin_user, am_b, name, method, path, body, ok):
    scene = build_scene(am_b)

    response = Api(admin_user).call(method, _path(path, scene), body)

    assert response.status_code == ok, response.content


@each_customer_endpoint
def test_service_agent_reads_all_and_writes_only_communications(
    agent, am_b, name, method, path, body, ok
):
    scene = build_scene(am_b)
    before = db_snapshot()

    response = Api(agent).call(method, _path(path, scene), body)

    if name in READS or name in AGENT_WRITES:
        assert response.status_code == ok, response.content
    else:
        assert response.status_code == 403
        assert db_snapshot() == before


@each_customer_endpoint
def test_portal_user_gets_403_on_customer_endpoints(
    portal_user, am_a, name, method, path, body, ok
):
    scene = build_scene(am_a)
    before = db_snapshot()

    response = Api(portal_user).call(method, _path(path, scene), body)

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("name", "method", "path", "body"), GLOBAL_ENDPOINTS, ids=_ids(GLOBAL_ENDPOINTS)
)
def test_portal_user_gets_403_on_global_endpoints(portal_user, name, method, path, body):
    product = ProductFactory()
    before = db_snapshot()

    response = Api(portal_user).call(method, path.format(product=product.pk), body)

    assert response.status_code == 403
    assert db_snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/products", {"code": "P-1", "name": "服务", "unit_price": "1"}),
        ("patch", "/products/{product}", {"version": 1, "name": "新名"}),
        ("post", "/custom-fields", {"key": "k", "label": "K", "field_type": "text"}),
    ],
    ids=["product_create", "product_update", "custom_field_create"],
)
def test_settings_writes_are_admin_only(manager_a, method, path, body):
    product = ProductFactory()
    before = db_snapshot()

    response = Api(manager_a).call(method, path.format(product=product.pk), body)

    assert response.status_code == 403
    assert db_snapshot() == before


def test_customer_list_of_account_manager_holds_only_own_customers(am_a, am_a2, am_b):
    own = CustomerFactory(owner=am_a)
    CustomerFactory(owner=am_a2)
    CustomerFactory(owner=am_b)

    body = Api(am_a).get("/customers").json()

    assert [c["id"] for c in body["items"]] == [own.pk]
    assert body["count"] == 1


def test_customer_list_of_manager_holds_the_teams_customers(manager_a, am_a, am_a2, am_b):
    team = {CustomerFactory(owner=am_a).pk, CustomerFactory(owner=am_a2).pk}
    CustomerFactory(owner=am_b)

    body = Api(manager_a).get("/customers").json()

    assert {c["id"] for c in body["items"]} == team


def test_customer_list_of_admin_holds_every_customer(admin_user, am_a, am_b):
    CustomerFactory(owner=am_a)
    CustomerFactory(owner=am_b)

    body = Api(admin_user).get("/customers").json()

    assert body["count"] == Customer.objects.count() == 2


def test_order_list_of_account_manager_holds_only_own_orders(am_a, am_b):
    own = build_scene(am_a)
    build_scene(am_b)

    body = Api(am_a).get("/orders").json()

    assert [o["id"] for o in body["items"]] == [own["order"]]


def test_account_manager_may_not_filter_into_another_teams_customers(am_a, am_b):
    CustomerFactory(owner=am_b)

    body = Api(am_a).get("/customers", owner=am_b.pk).json()

    assert body == {"count": 0, "count_capped": False, "limit": 25, "offset": 0, "items": []}


def test_account_manager_may_not_assign_another_owner(am_a, am_a2):
    before = db_snapshot()

    response = Api(am_a).post("/customers", {"name": "新客户", "owner_id": am_a2.pk})

    assert response.status_code == 403
    assert response.json()["field"] == "owner_id"
    assert db_snapshot() == before
