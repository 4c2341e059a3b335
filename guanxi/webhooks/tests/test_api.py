"""The webhooks REST API: admins only, documented, validated."""

from __future__ import annotations

import pytest
from django.db import transaction

from guanxi.customers.tests.test_api_support import Api
from guanxi.webhooks.models import Delivery, Subscription
from guanxi.webhooks.services import emit
from guanxi.webhooks.tests.conftest import EVENT, make_subscription

pytestmark = pytest.mark.django_db

GOOD = {"name": "ERP", "url": "https://erp.example.com/hooks", "events": [EVENT]}


def test_create_read_update_delete(admin_user):
    api = Api(admin_user)
    created = api.post("/webhooks/subscriptions", GOOD)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["events"] == [EVENT] and len(body["secret"]) >= 32 and body["version"] == 1
    sid = body["id"]
    assert api.get(f"/webhooks/subscriptions/{sid}").json()["name"] == "ERP"
    listed = api.get("/webhooks/subscriptions").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == sid
    patched = api.patch(f"/webhooks/subscriptions/{sid}", {"version": 1, "is_active": False})
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    stale = api.patch(f"/webhooks/subscriptions/{sid}", {"version": 1, "name": "x"})
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    assert api.delete(f"/webhooks/subscriptions/{sid}", version=2).status_code == 204
    assert Subscription.objects.count() == 0


def test_events_are_listed(admin_user):
    keys = [e["key"] for e in Api(admin_user).get("/webhooks/events").json()]
    assert "customer.created" in keys and EVENT in keys


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "url": "gopher://x"}, "url"),
        ({**GOOD, "events": []}, "events"),
        ({**GOOD, "events": ["nope.nope"]}, "events"),
        ({**GOOD, "secret": "short"}, "secret"),
        ({**GOOD, "is_active": "yes"}, "is_active"),
        ({**GOOD, "extra": 1}, "extra"),
        ({"name": "ERP"}, "url"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(admin_user, body, field):
    response = Api(admin_user).post("/webhooks/subscriptions", body)
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}
    assert Subscription.objects.count() == 0


@pytest.mark.parametrize("user", ["am_a", "manager_a", "portal_user"])
def test_non_admins_get_403_everywhere(request, user, admin_user):
    sub = make_subscription("https://erp.example.com/h")
    api = Api(request.getfixturevalue(user))
    for method, path, body in [
        ("get", "/webhooks/events", None),
        ("get", "/webhooks/subscriptions", None),
        ("post", "/webhooks/subscriptions", GOOD),
        ("get", f"/webhooks/subscriptions/{sub.pk}", None),
        ("patch", f"/webhooks/subscriptions/{sub.pk}", {"version": 1, "name": "x"}),
        ("delete", f"/webhooks/subscriptions/{sub.pk}", None),
        ("get", f"/webhooks/subscriptions/{sub.pk}/deliveries", None),
        ("get", "/webhooks/deliveries/1", None),
        ("post", "/webhooks/deliveries/1/replay", None),
    ]:
        response = api.call(method, path, body)
        assert response.status_code == 403, (method, path, response.status_code)
    assert Subscription.objects.get().name == "ERP"


def test_unknown_records_are_404(admin_user):
    api = Api(admin_user)
    assert api.get("/webhooks/subscriptions/999").status_code == 404
    assert api.get("/webhooks/subscriptions/999/deliveries").status_code == 404
    assert api.get("/webhooks/deliveries/999").status_code == 404
    assert api.post("/webhooks/deliveries/999/replay").status_code == 404


def test_delivery_log_detail_and_replay(admin_user, django_assert_num_queries):
    sub = make_subscription("https://erp.example.com/h")
    with transaction.atomic():
        for n in range(3):
            emit(EVENT, {"n": n})
    api = Api(admin_user)
    page = api.get(f"/webhooks/subscriptions/{sub.pk}/deliveries").json()
    assert page["count"] == 3
    first = page["items"][-1]
    assert first["event"] == EVENT and first["status"] == "pending"
    assert (
        api.get(f"/webhooks/subscriptions/{sub.pk}/deliveries", status="failed").json()["count"]
        == 0
    )
    bad = api.get(f"/webhooks/subscriptions/{sub.pk}/deliveries", status="lost")
    assert bad.status_code == 422
    detail = api.get(f"/webhooks/deliveries/{first['id']}").json()
    assert detail["payload"] == {"n": 0} and detail["log"] == []
    replay = api.post(f"/webhooks/deliveries/{first['id']}/replay")
    assert replay.status_code == 201 and replay.json()["replay_of_id"] == first["id"]
    assert Delivery.objects.count() == 4


def test_delivery_list_query_count_is_pinned(admin_user, django_assert_num_queries):
    sub = make_subscription("https://erp.example.com/h")
    with transaction.atomic():
        for n in range(30):
            emit(EVENT, {"n": n})
    api = Api(admin_user)
    api.get("/webhooks/events")  # warm the token's user cache path
    # the token with its user, the subscription, the page with its events, the capped count
    with django_assert_num_queries(4):
        response = api.get(f"/webhooks/subscriptions/{sub.pk}/deliveries", limit=10)
    assert len(response.json()["items"]) == 10


def test_every_operation_is_in_the_schema_with_its_errors(admin_user):
    schema = Api(admin_user).get("/openapi.json").json()
    paths = {p: ops for p, ops in schema["paths"].items() if p.startswith("/api/v1/webhooks")}
    assert set(paths) == {
        "/api/v1/webhooks/events",
        "/api/v1/webhooks/subscriptions",
        "/api/v1/webhooks/subscriptions/{subscription_id}",
        "/api/v1/webhooks/subscriptions/{subscription_id}/deliveries",
        "/api/v1/webhooks/deliveries/{delivery_id}",
        "/api/v1/webhooks/deliveries/{delivery_id}/replay",
    }
    for path, ops in paths.items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert {"401", "403"} <= codes, (path, method)
            if "{" in path:
                assert "404" in codes, (path, method)
            if method in ("post", "patch", "delete"):
                assert "422" in codes, (path, method)
