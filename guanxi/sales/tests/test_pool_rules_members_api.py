"""Editing a pool's rules (page and API) and its members (API): only the pool's admins,
validated with the field named and nothing written, a stale version refused, audited
old → new, and another pool's rule unreachable under this pool."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.core.models import AuditEntry
from guanxi.sales.models_pool import PoolMember, PoolRule
from guanxi.sales.tests.pool_helpers import make_pool, make_rule

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def scene(manager_a, am_a, agent):
    pool = make_pool(members=(am_a, agent), admins=(manager_a,))
    rule = make_rule(pool, days=30, remind_days=3)
    return pool, rule


def _rule_audits(rule):
    return AuditEntry.objects.filter(model="sales.poolrule", object_id=str(rule.pk),
                                     action="update")  # fmt: skip


def test_admin_edits_a_rule_in_the_ui_and_it_is_audited(client, scene, manager_a):
    pool, rule = scene
    client.force_login(manager_a)
    url = reverse("sales:pool:rule_edit", args=[pool.pk, rule.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="version"' in page.content.decode()
    settings = client.get(reverse("sales:pool:settings", args=[pool.pk])).content.decode()
    assert url in settings
    answer = client.post(url, {"version": rule.version, "kind": "no_deal", "days": 60,
                               "value_class": "", "remind_days": 5, "active": "on"})  # fmt: skip
    assert answer.status_code == 302
    rule.refresh_from_db()
    assert (rule.kind, rule.days, rule.remind_days, rule.version) == ("no_deal", 60, 5, 2)
    assert not rule.exempt_open_opportunity  # an unticked box is False
    (entry,) = _rule_audits(rule)
    assert entry.changes["days"] == [30, 60] and entry.changes["kind"] == [
        "no_follow_up",
        "no_deal",
    ]


def test_rule_edit_bad_input_names_the_field_and_changes_nothing(client, scene, manager_a):
    pool, rule = scene
    client.force_login(manager_a)
    url = reverse("sales:pool:rule_edit", args=[pool.pk, rule.pk])
    answer = client.post(url, {"version": rule.version, "kind": "no_follow_up", "days": 10,
                               "remind_days": 10, "active": "on"})  # fmt: skip
    assert answer.status_code == 422
    assert "remind_days" in answer.context["form"].errors
    stale = client.post(url, {"version": rule.version + 5, "kind": "no_follow_up", "days": 40,
                              "remind_days": 3, "active": "on"})  # fmt: skip
    assert stale.status_code == 422
    rule.refresh_from_db()
    assert (rule.days, rule.remind_days, rule.version) == (30, 3, 1)
    assert not _rule_audits(rule).exists()


@pytest.mark.parametrize("who, status", [("am_a", 403), ("agent", 403), ("am_b", 404),
                                         ("manager_a", 200), ("admin_user", 200)])  # fmt: skip
def test_rule_edit_page_permissions(client, scene, request, who, status):
    pool, rule = scene
    client.force_login(request.getfixturevalue(who))
    assert (
        client.get(reverse("sales:pool:rule_edit", args=[pool.pk, rule.pk])).status_code == status
    )


def test_a_rule_of_another_pool_is_not_found_under_this_one(client, scene, manager_a):
    pool, _rule = scene
    other = make_pool(name="另一个公海", admins=(manager_a,))
    foreign = make_rule(other, days=20)
    client.force_login(manager_a)
    assert (
        client.get(reverse("sales:pool:rule_edit", args=[pool.pk, foreign.pk])).status_code == 404
    )
    api = client.patch(f"/api/v1/sales/pools/{pool.pk}/rules/{foreign.pk}",
                       {"version": 1, "days": 99}, content_type=JSON)  # fmt: skip
    assert api.status_code == 404
    assert client.delete(f"/api/v1/sales/pools/{pool.pk}/rules/{foreign.pk}").status_code == 404
    foreign.refresh_from_db()
    assert foreign.days == 20


def test_api_patch_rule_validates_audits_and_refuses_a_stale_version(client, scene, manager_a):
    pool, rule = scene
    client.force_login(manager_a)
    url = f"/api/v1/sales/pools/{pool.pk}/rules/{rule.pk}"
    bad = client.patch(url, {"version": 1, "remind_days": 30}, content_type=JSON)
    assert bad.status_code in (400, 422) and "remind_days" in bad.content.decode()
    too_big = client.patch(url, {"version": 1, "days": 99999}, content_type=JSON)
    assert too_big.status_code == 422 and "days" in too_big.content.decode()
    ok = client.patch(url, {"version": 1, "days": 45, "exempt_deal": True}, content_type=JSON)
    assert ok.status_code == 200
    assert (ok.json()["days"], ok.json()["exempt_deal"], ok.json()["version"]) == (45, True, 2)
    stale = client.patch(url, {"version": 1, "days": 50}, content_type=JSON)
    assert stale.status_code == 409
    rule.refresh_from_db()
    assert (rule.days, rule.version) == (45, 2)
    assert _rule_audits(rule).count() == 1


def test_api_rule_edit_and_delete_only_for_the_pools_admins(client, scene, am_a):
    pool, rule = scene
    client.force_login(am_a)
    url = f"/api/v1/sales/pools/{pool.pk}/rules/{rule.pk}"
    assert client.patch(url, {"version": 1, "days": 45}, content_type=JSON).status_code == 403
    assert client.delete(url).status_code == 403
    assert PoolRule.objects.filter(pk=rule.pk, days=30).exists()


def test_api_delete_rule(client, scene, manager_a):
    pool, rule = scene
    client.force_login(manager_a)
    assert client.delete(f"/api/v1/sales/pools/{pool.pk}/rules/{rule.pk}").status_code == 204
    assert not PoolRule.objects.filter(pk=rule.pk).exists()
    assert AuditEntry.objects.filter(model="sales.poolrule", action="delete").count() == 1


def test_api_members_list_add_promote_remove(client, scene, manager_a, am_a, am_b):
    pool, _rule = scene
    client.force_login(manager_a)
    url = f"/api/v1/sales/pools/{pool.pk}/members"
    listed = client.get(url)
    assert listed.status_code == 200
    assert {(m["user_id"], m["is_admin"]) for m in listed.json()} >= {
        (am_a.pk, False),
        (manager_a.pk, True),
    }
    added = client.post(url, {"user_id": am_b.pk}, content_type=JSON)
    assert added.status_code == 201 and added.json()["user_id"] == am_b.pk
    promoted = client.post(url, {"user_id": am_b.pk, "is_admin": True}, content_type=JSON)
    assert promoted.status_code == 200 and promoted.json()["is_admin"] is True
    assert PoolMember.objects.get(pool=pool, user=am_b).is_admin
    assert client.delete(f"{url}/{am_b.pk}").status_code == 204
    assert not PoolMember.objects.filter(pool=pool, user=am_b).exists()
    assert client.delete(f"{url}/{am_b.pk}").status_code == 404
    audits = AuditEntry.objects.filter(model="sales.poolmember").values_list("action", flat=True)
    assert sorted(audits) == ["create", "delete", "update"]


@pytest.mark.parametrize("body, field", [({"user_id": 0}, "user_id"),
                                         ({"user_id": 2**63}, "user_id"),
                                         ({"user_id": 999999}, "user_id"),
                                         ({"user_id": 1, "is_admin": "yes"}, "is_admin"),
                                         ({"user_id": 1, "extra": 1}, "extra")])  # fmt: skip
def test_api_member_bad_input_is_named_and_writes_nothing(client, scene, manager_a, body, field):
    pool, _rule = scene
    client.force_login(manager_a)
    before = PoolMember.objects.count()
    answer = client.post(f"/api/v1/sales/pools/{pool.pk}/members", body, content_type=JSON)
    assert answer.status_code in (400, 422) and field in answer.content.decode()
    assert PoolMember.objects.count() == before


@pytest.mark.parametrize("who, status", [("am_a", 403), ("agent", 403), ("am_b", 404),
                                         ("portal_user", 403)])  # fmt: skip
def test_api_members_refused_to_non_admins(client, scene, request, am_b, who, status):
    pool, _rule = scene
    client.force_login(request.getfixturevalue(who))
    url = f"/api/v1/sales/pools/{pool.pk}/members"
    assert client.get(url).status_code == status
    assert client.post(url, {"user_id": am_b.pk}, content_type=JSON).status_code == status
    assert client.delete(f"{url}/{am_b.pk}").status_code in (status, 404)
    assert not PoolMember.objects.filter(pool=pool, user=am_b).exists()


def test_openapi_documents_the_members_and_rule_operations(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    members = paths["/api/v1/sales/pools/{pool_id}/members"]
    assert {"get", "post"} <= set(members)
    assert {"200", "201", "403", "404"} <= set(members["post"]["responses"])
    rule = paths["/api/v1/sales/pools/{pool_id}/rules/{rule_id}"]
    assert {"patch", "delete"} <= set(rule)
    assert "409" in rule["patch"]["responses"]
