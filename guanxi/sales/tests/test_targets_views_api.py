"""The target pages and API: permission matrix for every role, forms only for managers and
admins, bad input named with nothing written, the "my day" card, pinned query counts."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.notifications.registry import my_day_sections
from guanxi.sales.models import Target

pytestmark = pytest.mark.django_db

# session + user, role scope, policy, targets, the form's owners and departments, and the
# actuals by metric and kind of subject (revenue 2, new customers 2, retention 4 — period
# and history), whatever the number of targets; plus the page's shared parts
TARGETS_PAGE_QUERIES = 16


def _today():
    return timezone.localdate()


def _target(owner, value="1000", metric="revenue", **kw):
    today = _today()
    return Target.objects.create(metric=metric, year=today.year, month=today.month, owner=owner,
                                 team_id=owner.team_id if owner else kw.pop("team_id"),
                                 value=Decimal(value), **kw)  # fmt: skip


@pytest.mark.parametrize(
    "who, status",
    [("anonymous", 302), ("portal_user", 403), ("agent", 403), ("am_a", 200),
     ("manager_a", 200), ("admin_user", 200)],
)  # fmt: skip
def test_targets_page_permission_matrix(client, who, status, request, am_a):
    _target(am_a)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("sales:targets")).status_code == status
    assert client.get("/api/v1/sales/targets").status_code == {302: 401, 403: 403, 200: 200}[status]


@pytest.mark.parametrize(
    "who, may_set", [("am_a", False), ("manager_a", True), ("admin_user", True)]
)
def test_forms_only_for_managers(client, request, who, may_set, am_a):
    client.force_login(request.getfixturevalue(who))
    html = client.get(reverse("sales:targets")).content.decode()
    assert ('id="target-form"' in html) is may_set
    assert ('id="target-policy"' in html) is (who == "admin_user")


def test_account_manager_reads_own_targets_only(client, am_a, am_a2):
    _target(am_a, "1234")
    _target(am_a2, "5678")
    client.force_login(am_a)
    html = client.get(reverse("sales:targets")).content.decode()
    assert "¥1,234" in html
    assert "¥5,678" not in html


def test_manager_sets_target_through_the_form(client, manager_a, am_a):
    client.force_login(manager_a)
    today = _today()
    response = client.post(reverse("sales:target_new"), {
        "subject": f"owner:{am_a.pk}", "metric": "revenue", "year": today.year,
        "month": today.month, "value": "8000", "period": f"{today:%Y-%m}"})  # fmt: skip
    assert response.status_code == 302
    target = Target.objects.get()
    assert (target.owner_id, target.value) == (am_a.pk, 8000)
    page = client.get(response.url)
    assert "¥8,000" in page.content.decode()


def test_account_manager_post_is_refused(client, am_a):
    client.force_login(am_a)
    today = _today()
    response = client.post(reverse("sales:target_new"), {
        "subject": f"owner:{am_a.pk}", "metric": "revenue", "year": today.year,
        "month": today.month, "value": "8000"})  # fmt: skip
    assert response.status_code == 403
    assert not Target.objects.exists()


@pytest.mark.parametrize(
    "data, field",
    [({"value": "-5"}, "value"), ({"month": "13"}, "month"), ({"subject": ""}, "subject"),
     ({"metric": "x"}, "metric"), ({"subject": "owner:abc"}, "owner_id")],
)  # fmt: skip
def test_form_bad_input_is_named(client, manager_a, am_a, data, field):
    client.force_login(manager_a)
    today = _today()
    post = {"subject": f"owner:{am_a.pk}", "metric": "revenue", "year": today.year,
            "month": today.month, "value": "100", **data}  # fmt: skip
    response = client.post(reverse("sales:target_new"), post)
    assert response.status_code == 422
    assert field in response.context["form_errors"]
    assert not Target.objects.exists()


def test_edit_and_stale_edit(client, manager_a, am_a):
    target = _target(am_a)
    client.force_login(manager_a)
    stale = client.post(reverse("sales:target_edit", args=[target.pk]),
                        {"value": "9", "version": "7"})  # fmt: skip
    assert stale.status_code == 409
    ok = client.post(reverse("sales:target_edit", args=[target.pk]), {"value": "9", "version": "1"})
    assert ok.status_code == 302
    target.refresh_from_db()
    assert target.value == 9
    gone = client.post(reverse("sales:target_delete", args=[target.pk]), {"version": "2"})
    assert gone.status_code == 302
    assert not Target.objects.exists()


def test_edit_out_of_scope_is_404(client, manager_a, am_b):
    target = _target(am_b)
    client.force_login(manager_a)
    response = client.post(reverse("sales:target_edit", args=[target.pk]),
                           {"value": "9", "version": "1"})  # fmt: skip
    assert response.status_code == 404


def test_policy_form(client, admin_user, manager_a):
    client.force_login(manager_a)
    assert (
        client.post(
            reverse("sales:target_policy"), {"band_percent": "10", "history_months": "3"}
        ).status_code
        == 403
    )
    client.force_login(admin_user)
    bad = client.post(reverse("sales:target_policy"), {"band_percent": "0", "history_months": "3"})
    assert bad.status_code == 422
    assert "band_percent" in bad.context["form_errors"]
    ok = client.post(reverse("sales:target_policy"), {"band_percent": "10", "history_months": "3"})
    assert ok.status_code == 302


def test_history_hint(client, manager_a, am_a, am_b):
    client.force_login(manager_a)
    today = _today()
    query = {"metric": "revenue", "year": today.year, "month": today.month}
    mine = client.get(reverse("sales:target_history"), {**query, "subject": f"owner:{am_a.pk}"})
    assert 'id="target-history-value"' in mine.content.decode()
    other = client.get(reverse("sales:target_history"), {**query, "subject": f"owner:{am_b.pk}"})
    assert 'id="target-history-value"' not in other.content.decode()
    junk = client.get(reverse("sales:target_history"), {"subject": "x", "year": "y" * 5000})
    assert junk.status_code == 200


def test_bad_period_is_named(client, am_a):
    client.force_login(am_a)
    response = client.get(reverse("sales:targets"), {"period": "2026-13"})
    assert response.status_code == 422
    assert "period" in response.context["errors"]
    api = client.get("/api/v1/sales/targets", {"period": "2026-13"})
    assert api.status_code == 422
    assert "period" in json.dumps(api.json())


def test_targets_page_query_count(client, manager_a, am_a, am_a2, team_a,
                                  django_assert_max_num_queries):  # fmt: skip
    for metric in ("revenue", "new_customers", "retention", "satisfaction"):
        _target(am_a, "10", metric)
        _target(am_a2, "10", metric)
        _target(None, "20", metric, team_id=team_a.pk)
    client.force_login(manager_a)
    with django_assert_max_num_queries(TARGETS_PAGE_QUERIES):
        response = client.get(reverse("sales:targets"), {"period": str(_today().year)})
    assert response.status_code == 200


def test_my_day_card(am_a):
    _target(am_a, "2000")
    section = next(s for s in my_day_sections() if s.key == "sales_targets")
    (item,) = section.items(am_a, _today())
    assert "0.0%" in item.note or "0%" in item.note
    assert section.visible(am_a)


# --- API ------------------------------------------------------------------------------------


def _post(client, payload):
    return client.post("/api/v1/sales/targets", json.dumps(payload),
                       content_type="application/json")  # fmt: skip


def test_api_set_update_delete(client, manager_a, am_a, team_a):
    client.force_login(manager_a)
    today = _today()
    base = {"metric": "revenue", "year": today.year, "month": today.month, "value": "500"}
    created = _post(client, {**base, "owner_id": am_a.pk})
    assert created.status_code == 201
    body = created.json()
    assert Decimal(body["value"]) == 500
    assert _post(client, {**base, "owner_id": am_a.pk}).status_code == 409
    changed = _post(client, {**base, "owner_id": am_a.pk, "value": "600", "version": 1})
    assert changed.status_code == 200
    team = _post(client, {**base, "team_id": team_a.pk})
    assert team.status_code == 201
    listed = client.get("/api/v1/sales/targets").json()
    team_row = next(r for r in listed["rows"] if r["subject"] == "team")
    assert team_row["members_warning"]
    url = f"/api/v1/sales/targets/{body['id']}"
    assert client.get(url).status_code == 200
    patched = client.patch(url, json.dumps({"value": "700", "version": 2}),
                           content_type="application/json")  # fmt: skip
    assert patched.status_code == 200
    assert client.delete(f"{url}?version=1").status_code == 409
    assert client.delete(f"{url}?version=3").status_code == 204
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "patch, field",
    [({"month": 13}, "month"), ({"value": "-1"}, "value"), ({"metric": "x"}, "metric"),
     ({"year": "abc"}, "year"), ({"owner_id": "x"}, "owner_id"), ({"extra": 1}, "extra")],
)  # fmt: skip
def test_api_bad_input_is_named(client, manager_a, am_a, patch, field):
    client.force_login(manager_a)
    payload = {"metric": "revenue", "year": 2026, "month": 12, "value": "5", "owner_id": am_a.pk}
    payload.update(patch)
    response = _post(client, payload)
    assert response.status_code == 422
    assert field in json.dumps(response.json())
    assert not Target.objects.exists()


def test_api_account_manager_cannot_set(client, am_a):
    client.force_login(am_a)
    response = _post(client, {"metric": "revenue", "year": 2026, "month": 12, "value": "5",
                              "owner_id": am_a.pk})  # fmt: skip
    assert response.status_code == 403
    assert not Target.objects.exists()


def test_api_policy(client, admin_user, am_a):
    client.force_login(am_a)
    assert client.get("/api/v1/sales/targets/policy").json() == {"band_percent": 50,
                                                                 "history_months": 6}  # fmt: skip
    assert client.put("/api/v1/sales/targets/policy", json.dumps(
        {"band_percent": 30, "history_months": 3}), content_type="application/json"
    ).status_code == 403  # fmt: skip
    client.force_login(admin_user)
    ok = client.put("/api/v1/sales/targets/policy", json.dumps(
        {"band_percent": 30, "history_months": 3}), content_type="application/json")  # fmt: skip
    assert ok.json() == {"band_percent": 30, "history_months": 3}


def test_attainment_moves_when_an_opportunity_is_won(client, am_a):
    """Target attainment moves when the owner wins a deal (the acceptance's last step)."""
    from guanxi.customers.tests.factories import CustomerFactory
    from guanxi.sales.tests.factories import OpportunityFactory, board

    _pipeline, stages = board()
    opp = OpportunityFactory(customer=CustomerFactory(owner=am_a), stage=stages[1],
                             amount=Decimal("500"), expected_close=dt.date.today())  # fmt: skip
    _target(am_a, "1000")
    client.force_login(am_a)
    before = client.get("/api/v1/sales/targets").json()["rows"][0]
    client.post(f"/api/v1/sales/opportunities/{opp.pk}/win", json.dumps({"version": 1}),
                content_type="application/json")  # fmt: skip
    after = client.get("/api/v1/sales/targets").json()["rows"][0]
    assert Decimal(before["actual"]) == 0
    assert Decimal(after["actual"]) == 500
    assert Decimal(after["attainment"]) == Decimal("50.0")
