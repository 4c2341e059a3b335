"""The pool pages and API: the permission matrix over every URL and operation, contact
details masked until claimed (and unreachable through the customer API), bad input named by
field with nothing written, pinned query counts, the menu entry, the 360 panel and filter."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import translation

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.sales.models_pool import Pool, PoolCustomer, PoolEvent
from guanxi.sales.pool import rules
from guanxi.sales.tests.pool_helpers import aged, make_pool, make_rule, pooled

pytestmark = pytest.mark.django_db
PHONE = "13812345678"
EMAIL = "lisi@example.com"
# session, user, memberships (read once: menu and checks), pool, the page of customers (pool
# state and previous owner joined), its count: bounded by the page, not by its rows
DETAIL_QUERIES = 6
API_LIST_QUERIES = 6


@pytest.fixture
def scene(admin_user, manager_a, am_a, agent):
    pool = make_pool(members=(am_a, agent), admins=(manager_a,))
    customer = pooled(pool, name="沉睡科技有限公司", phone=PHONE, email=EMAIL)
    return pool, customer


def _pages(pool):
    return [
        reverse("sales:pool:list"),
        reverse("sales:pool:detail", args=[pool.pk]),
        reverse("sales:pool:history", args=[pool.pk]),
        reverse("sales:pool:settings", args=[pool.pk]),
    ]


@pytest.mark.parametrize("who", ["anonymous", "portal_user"])
def test_no_pool_page_or_operation_for_anonymous_or_portal(client, scene, who, request):
    pool, customer = scene
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for url in _pages(pool):
        assert client.get(url).status_code == (302 if who == "anonymous" else 403), url
    claim = client.post(reverse("sales:pool:claim", args=[pool.pk, customer.pk]))
    assert claim.status_code in (302, 403)
    api = client.post(f"/api/v1/sales/pools/{pool.pk}/customers/{customer.pk}/claim")
    assert api.status_code in (401, 403)
    assert client.get("/api/v1/sales/pools").status_code in (401, 403)
    customer.refresh_from_db()
    assert customer.owner_id is None


# who: list, detail, history, settings (pages); the claim page answer; API customers, claim
MATRIX = [
    ("admin_user", 200, 200, 200, 200, 403, 200, 403),  # runs every pool, holds no customers
    ("manager_a", 200, 200, 200, 200, 302, 200, 200),  # the pool's admin
    ("am_a", 200, 200, 200, 403, 302, 200, 200),  # a member
    ("agent", 200, 200, 200, 403, 403, 200, 403),  # a member whose role holds no customers
    ("am_b", 200, 404, 404, 404, 404, 404, 404),  # not in the pool: an empty list
]


@pytest.mark.parametrize("who, lst, detail, history, settings, claim, api_list, api_claim", MATRIX)
def test_permission_matrix(client, scene, request, am_b, who, lst, detail, history, settings,
                           claim, api_list, api_claim):  # fmt: skip
    pool, customer = scene
    user = request.getfixturevalue(who)
    client.force_login(user)
    got = [client.get(url).status_code for url in _pages(pool)]
    assert got == [lst, detail, history, settings]
    assert client.get(f"/api/v1/sales/pools/{pool.pk}/customers").status_code == api_list
    assert (
        client.post(reverse("sales:pool:claim", args=[pool.pk, customer.pk])).status_code == claim
    )
    customer.refresh_from_db()
    assert (customer.owner_id == user.pk) is (claim == 302)
    if claim == 302:  # give it back for the API's turn
        PoolCustomer.objects.filter(customer=customer).update(pool=pool)
        type(customer).objects.filter(pk=customer.pk).update(owner=None, team=None)
        PoolEvent.objects.all().delete()
    api = client.post(f"/api/v1/sales/pools/{pool.pk}/customers/{customer.pk}/claim")
    assert api.status_code == api_claim, api.content
    customer.refresh_from_db()
    assert (customer.owner_id == user.pk) is (api_claim == 200)


def test_assign_return_and_settings_answers_by_role(client, scene, manager_a, am_a):
    pool, customer = scene
    client.force_login(am_a)
    url = f"/api/v1/sales/pools/{pool.pk}/customers/{customer.pk}/assign"
    assert (
        client.post(url, {"user_id": am_a.pk}, content_type="application/json").status_code == 403
    )
    assert client.patch(f"/api/v1/sales/pools/{pool.pk}", {"version": 1, "hold_cap": 5},
                        content_type="application/json").status_code == 403  # fmt: skip
    client.force_login(manager_a)
    answer = client.post(url, {"user_id": am_a.pk}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["owner_id"] == am_a.pk
    client.force_login(am_a)
    back = client.post(
        f"/api/v1/sales/pools/{pool.pk}/return",
        {"customer_id": customer.pk, "reason": "不合适"},
        content_type="application/json",
    )
    assert back.status_code == 200 and back.json()["owner_id"] is None
    history = client.get(f"/api/v1/sales/pools/{pool.pk}/history").json()
    assert [e["kind"] for e in history["items"]] == ["return", "assign"]


def test_contact_details_are_masked_until_claimed(client, scene, am_a):
    pool, customer = scene
    ContactFactory(customer=customer, name="李四", mobile="13900001111")
    client.force_login(am_a)
    page = client.get(reverse("sales:pool:detail", args=[pool.pk])).content.decode()
    assert "沉睡科技有限公司" in page and PHONE not in page and EMAIL not in page
    assert "138****5678" in page and "l***@example.com" in page
    row = client.get(f"/api/v1/sales/pools/{pool.pk}/customers").json()["items"][0]
    assert (row["phone"], row["email"], row["masked"]) == ("138****5678", "l***@example.com", True)
    # Nor through the customer record itself: it is not theirs yet.
    assert client.get(f"/api/v1/customers/{customer.pk}").status_code == 404
    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 404
    assert client.get(f"/api/v1/customers/{customer.pk}/contacts").status_code == 404
    client.post(f"/api/v1/sales/pools/{pool.pk}/customers/{customer.pk}/claim")
    mine = client.get(f"/api/v1/customers/{customer.pk}").json()
    assert (mine["phone"], mine["email"]) == (PHONE, EMAIL)


def test_a_pool_that_does_not_mask_shows_contact_details(client, am_a):
    pool = make_pool(members=(am_a,), mask_contacts=False)
    pooled(pool, phone=PHONE)
    client.force_login(am_a)
    row = client.get(f"/api/v1/sales/pools/{pool.pk}/customers").json()["items"][0]
    assert (row["phone"], row["masked"]) == (PHONE, False)


@pytest.mark.parametrize(
    "url, body, field",
    [
        ("/customers/0/claim", None, "customer_id"),
        ("/customers/99999999999999999999/claim", None, "customer_id"),
        ("/customers/{c}/assign", {"user_id": "abc"}, "user_id"),
        ("/customers/{c}/assign", {"user_id": 1, "extra": 1}, "extra"),
        ("/return", {"customer_id": "{c}", "reason": "长" * 201}, "reason"),
        ("/return", {"customer_id": -1}, "customer_id"),
    ],
)
def test_bad_input_is_named_by_field_and_writes_nothing(client, scene, manager_a, url, body, field):
    pool, customer = scene
    client.force_login(manager_a)
    path = f"/api/v1/sales/pools/{pool.pk}" + url.replace("{c}", str(customer.pk))
    if body and body.get("customer_id") == "{c}":
        body["customer_id"] = customer.pk
    answer = client.post(path, json.dumps(body) if body else None, content_type="application/json")
    assert answer.status_code == 422, answer.content
    assert field in answer.content.decode()
    assert not PoolEvent.objects.exists()
    customer.refresh_from_db()
    assert customer.owner_id is None


def test_settings_validation_names_the_field_and_changes_nothing(client, scene, manager_a):
    pool, _customer = scene
    client.force_login(manager_a)
    for body, field in [({"version": 1, "daily_claim_limit": -1}, "daily_claim_limit"),
                        ({"version": 1, "hold_cap": 10**12}, "hold_cap"),
                        ({"version": 1, "name": ""}, "name"),
                        ({"version": 1, "team_ids": [10**6]}, "team_ids")]:  # fmt: skip
        answer = client.patch(
            f"/api/v1/sales/pools/{pool.pk}", body, content_type="application/json"
        )
        assert answer.status_code == 422, (body, answer.content)
        assert field in answer.content.decode()
    stale = client.patch(f"/api/v1/sales/pools/{pool.pk}", {"version": 9, "hold_cap": 3},
                         content_type="application/json")  # fmt: skip
    assert stale.status_code == 409
    pool.refresh_from_db()
    assert (pool.version, pool.hold_cap, pool.daily_claim_limit) == (1, 0, 0)
    ok = client.patch(f"/api/v1/sales/pools/{pool.pk}", {"version": 1, "hold_cap": 3},
                      content_type="application/json")  # fmt: skip
    assert ok.status_code == 200 and ok.json()["hold_cap"] == 3 and ok.json()["version"] == 2


def test_rules_by_api_are_validated(client, scene, manager_a):
    pool, _customer = scene
    client.force_login(manager_a)
    url = f"/api/v1/sales/pools/{pool.pk}/rules"
    bad = client.post(url, {"kind": "no_follow_up", "days": 10, "remind_days": 10},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and "remind_days" in bad.content.decode()
    assert (
        client.post(url, {"kind": "nope", "days": 10}, content_type="application/json").status_code
        == 422
    )
    ok = client.post(url, {"kind": "no_follow_up", "days": 30}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["remind_days"] == 3
    assert len(client.get(url).json()) == 1


def test_the_pool_page_has_a_pinned_number_of_queries(
    client, scene, am_a, django_assert_num_queries
):
    pool, _customer = scene
    for _ in range(30):
        pooled(pool)
    client.force_login(am_a)
    with django_assert_num_queries(DETAIL_QUERIES):
        assert client.get(reverse("sales:pool:detail", args=[pool.pk])).status_code == 200
    with django_assert_num_queries(API_LIST_QUERIES):
        answer = client.get(f"/api/v1/sales/pools/{pool.pk}/customers?limit=25")
    assert len(answer.json()["items"]) == 25


def test_search_finds_by_name_and_initials(client, scene, am_a):
    pool, _customer = scene
    pooled(pool, name="杭州云栖科技")
    client.force_login(am_a)
    names = lambda q: [r["name"] for r in client.get(  # noqa: E731
        f"/api/v1/sales/pools/{pool.pk}/customers", {"q": q}).json()["items"]]  # fmt: skip
    assert names("沉睡") == ["沉睡科技有限公司"]
    assert names("hzyq") == ["杭州云栖科技"]
    partial = client.get(
        reverse("sales:pool:detail", args=[pool.pk]),
        {"q": "云栖"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="pool-customers",
    )
    assert "杭州云栖科技" in partial.content.decode() and "<html" not in partial.content.decode()


def test_the_menu_shows_the_pool_to_the_roles_that_hold_customers(
    client, scene, am_a, am_b, admin_user, agent
):
    pm = UserFactory(username="pm_pool", role=Role.PROJECT_MANAGER)
    # the agent is a member of the scene's pool; the project manager is in none
    for user, sees in ((am_a, True), (admin_user, True), (am_b, True), (agent, True), (pm, False)):
        client.force_login(user)
        page = client.get(reverse("customers:list")).content.decode()
        assert ('id="nav-pool"' in page) is sees, user
    assert client.get(reverse("sales:pool:list")).status_code == 403  # the project manager


def test_a_seller_in_no_pool_sees_none_and_is_told_why(client, scene, am_b):
    pool, _customer = scene
    client.force_login(am_b)
    page = client.get(reverse("sales:pool:list")).content.decode()
    assert 'id="pool-empty"' in page and pool.name not in page
    assert client.get(reverse("sales:pool:detail", args=[pool.pk])).status_code == 404


def test_the_360_panel_and_list_filter_show_a_pooled_customer(client, scene, admin_user):
    _pool, customer = scene
    client.force_login(admin_user)
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'id="panel-pool"' in page and "华东公海" in page
    listed = client.get(reverse("customers:list"), {"pool": "pooled"}).content.decode()
    assert "沉睡科技有限公司" in listed
    other = CustomerFactory(name="有主公司")
    assert other.name not in listed
    bad = client.get(reverse("customers:list"), {"pool": "x"})
    assert "无效的公海筛选" in bad.content.decode()


def test_the_owner_returns_from_the_360_panel(client, am_a):
    pool = make_pool(members=(am_a,))
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'id="pool-return"' in page
    answer = client.post(
        reverse("sales:pool:return", args=[customer.pk]), {"pool": pool.pk, "reason": "换人跟进"}
    )
    assert answer.status_code == 302
    customer.refresh_from_db()
    assert customer.owner_id is None and PoolCustomer.objects.get(customer=customer).pool == pool


def test_the_history_page_says_why_in_the_readers_language(client, am_a, admin_user):
    pool = make_pool(members=(am_a,))
    make_rule(pool, days=30)
    aged(CustomerFactory(owner=am_a, name="沉睡公司"), 60)
    from django.utils import timezone

    rules.recycle(today=timezone.localdate())
    client.force_login(admin_user)
    page = client.get(reverse("sales:pool:history", args=[pool.pk])).content.decode()
    assert "超过 30 天无跟进，自动退回公海" in page and "沉睡公司" in page
    with translation.override("en"):
        english = client.get(
            reverse("sales:pool:history", args=[pool.pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
    assert "No follow-up for more than 30 days" in english.content.decode()


def test_admin_creates_a_pool_and_adds_a_rule_and_member_in_the_ui(client, admin_user, am_a):
    client.force_login(admin_user)
    answer = client.post(reverse("sales:pool:new"), {
        "name": "新公海", "daily_claim_limit": 5, "reclaim_after_days": 7, "hold_cap": 0,
        "mask_contacts": "on", "active": "on"})  # fmt: skip
    assert answer.status_code == 302, answer.content.decode()[:2000]
    pool = Pool.objects.get(name="新公海")
    rule = client.post(reverse("sales:pool:rule_add", args=[pool.pk]), {
        "kind": "no_follow_up", "days": 20, "remind_days": 2, "active": "on"})  # fmt: skip
    assert rule.status_code == 302 and pool.rules.get().days == 20
    bad = client.post(
        reverse("sales:pool:rule_add", args=[pool.pk]),
        {"kind": "no_deal", "days": 5, "remind_days": 9},
    )
    assert bad.status_code == 422 and "必须小于退回天数" in bad.content.decode()
    member = client.post(reverse("sales:pool:member_add", args=[pool.pk]), {"user": am_a.pk})
    assert member.status_code == 302 and pool.members.get().user == am_a
    settings_page = client.get(reverse("sales:pool:settings", args=[pool.pk]))
    assert settings_page.status_code == 200
