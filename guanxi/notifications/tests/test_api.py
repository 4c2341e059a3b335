from __future__ import annotations

import json

import pytest

from guanxi.notifications import services
from guanxi.notifications.models import Notification, Preference
from guanxi.notifications.tests.conftest import TEST_KIND

pytestmark = pytest.mark.django_db
API = "/api/v1"


def test_list_unread_count_and_mark_read(client, am_a, am_b, test_kind):
    services.notify(recipients=[am_a], kind=TEST_KIND, title="一")
    services.notify(recipients=[am_a], kind=TEST_KIND, title="二")
    services.notify(recipients=[am_b], kind=TEST_KIND, title="别人的")
    client.force_login(am_a)
    body = client.get(f"{API}/notifications").json()
    assert [i["title"] for i in body["items"]] == ["二", "一"]
    assert body["items"][0]["kind_label"] == "测试通知"
    assert client.get(f"{API}/notifications/unread-count").json() == {"count": 2, "capped": False}
    first = Notification.objects.get(title="一")
    r = client.post(
        f"{API}/notifications/{first.pk}/read",
        json.dumps({"read": True}),
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["read_at"]
    other = Notification.objects.get(title="别人的")
    r = client.post(f"{API}/notifications/{other.pk}/read", "{}", content_type="application/json")
    assert r.status_code == 404
    other.refresh_from_db()
    assert other.read_at is None
    assert client.post(f"{API}/notifications/read-all").json() == {"updated": 1}


def test_preferences_put_names_an_unknown_kind_and_saves_nothing(client, am_a, test_kind):
    client.force_login(am_a)
    bad = {"items": [{"kind": TEST_KIND, "channel": "email", "enabled": False},
                     {"kind": "nope", "channel": "email", "enabled": True}]}  # fmt: skip
    r = client.put(
        f"{API}/notifications/preferences", json.dumps(bad), content_type="application/json"
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "kind"
    assert not Preference.objects.exists()
    r = client.put(
        f"{API}/notifications/preferences",
        json.dumps({"items": [{"kind": TEST_KIND, "channel": "fax", "enabled": True}]}),
        content_type="application/json",
    )
    assert r.status_code == 422
    good = {"items": [{"kind": TEST_KIND, "channel": "email", "enabled": False}]}
    r = client.put(
        f"{API}/notifications/preferences", json.dumps(good), content_type="application/json"
    )
    assert r.status_code == 200
    row = next(p for p in r.json() if p["kind"] == TEST_KIND)
    assert row["channels"] == {"inapp": True, "email": False, "im": False}


def test_portal_users_get_403_and_the_schema_documents_every_answer(client, portal_user):
    client.force_login(portal_user)
    assert client.get(f"{API}/notifications").status_code == 403
    schema = client.get(f"{API}/openapi.json").json()
    for path, method, codes in [
        ("/api/v1/notifications", "get", {"200", "401", "403", "422"}),
        ("/api/v1/notifications/unread-count", "get", {"200", "401", "403"}),
        (
            "/api/v1/notifications/{notification_id}/read",
            "post",
            {"200", "401", "403", "404", "422"},
        ),
        ("/api/v1/notifications/preferences", "put", {"200", "401", "403", "422"}),
        ("/api/v1/my-day", "get", {"200", "401", "403"}),
    ]:
        assert codes <= set(schema["paths"][path][method]["responses"]), path
