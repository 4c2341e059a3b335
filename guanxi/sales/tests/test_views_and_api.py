"""The sales pages and API: permission matrix over every URL, the move's answers (200,
409 on a stale card, 422 on stage rules), the pinned query counts of kanban and list."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from guanxi.customers.tests.factories import CustomerFactory
from guanxi.sales.models import Opportunity
from guanxi.sales.tests.factories import OpportunityFactory, board

pytestmark = pytest.mark.django_db

# session + user, pipeline, pipelines (menu), stages, totals, and one per non-empty column
# (three in the scene below): bounded by the stages, not by the cards; the win-score badges
# add two (the model, and the closed count without one or the cards' facts with one)
KANBAN_QUERIES = 9 + 2
# session + user, page, count, pipelines
LIST_QUERIES = 5


@pytest.fixture
def scene(am_a, am_b):
    pipeline, stages = board()
    mine = OpportunityFactory(customer=CustomerFactory(owner=am_a), stage=stages[0])
    theirs = OpportunityFactory(customer=CustomerFactory(owner=am_b), stage=stages[0])
    return pipeline, stages, mine, theirs


def _urls(pipeline, stages, opp):
    return {
        ("get", reverse("sales:home")),
        ("get", reverse("sales:kanban", args=[pipeline.pk])),
        ("get", reverse("sales:column", args=[pipeline.pk, stages[0].pk])),
        ("get", reverse("sales:list")),
        ("get", reverse("sales:detail", args=[opp.pk])),
        ("get", reverse("sales:leads")),
        ("get", reverse("sales:lead_check")),
    }


@pytest.mark.parametrize("who", ["anonymous", "portal_user"])
def test_no_staff_page_for_anonymous_or_portal(client, scene, who, request):
    pipeline, stages, mine, _ = scene
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for _method, url in _urls(pipeline, stages, mine):
        response = client.get(url)
        assert response.status_code == (302 if who == "anonymous" else 403), url
    response = client.post(reverse("sales:move", args=[mine.pk]),
                           {"stage": stages[1].pk, "index": 0, "version": 1})  # fmt: skip
    assert response.status_code in (302, 403)
    mine.refresh_from_db()
    assert mine.stage == stages[0]


@pytest.mark.parametrize(
    "who, sees_mine, sees_theirs, may_move_mine",
    [
        ("admin_user", True, True, True),
        ("manager_a", True, False, True),  # department scope: team A only
        ("am_a", True, False, True),
        ("am_a2", False, False, False),  # own scope: a colleague's opportunity is hidden
        ("agent", True, True, False),  # reads all, writes none
    ],
)
def test_scope_matrix(client, scene, request, who, sees_mine, sees_theirs, may_move_mine):
    _pipeline, stages, mine, theirs = scene
    user = request.getfixturevalue(who)
    client.force_login(user)
    for opp, sees in ((mine, sees_mine), (theirs, sees_theirs)):
        assert client.get(reverse("sales:detail", args=[opp.pk])).status_code == (
            200 if sees else 404
        )
        api = client.get(f"/api/v1/sales/opportunities/{opp.pk}")
        assert api.status_code == (200 if sees else 404)
    response = client.post(reverse("sales:move", args=[mine.pk]),
                           {"stage": stages[1].pk, "index": 0, "version": 1})  # fmt: skip
    assert response.status_code == (200 if may_move_mine else 404 if not sees_mine else 403)
    mine.refresh_from_db()
    assert (mine.stage == stages[1]) is may_move_mine
    listed = client.get("/api/v1/sales/opportunities").json()
    ids = {row["id"] for row in listed["items"]}
    assert (mine.pk in ids, theirs.pk in ids) == (sees_mine, sees_theirs)


def test_stale_move_answers_409_with_the_message(client, scene, am_a):
    _p, stages, mine, _ = scene
    client.force_login(am_a)
    ok = client.post(reverse("sales:move", args=[mine.pk]),
                     {"stage": stages[1].pk, "index": 0, "version": 1})  # fmt: skip
    assert ok.status_code == 200 and 'data-version="2"' in ok.content.decode()
    stale = client.post(reverse("sales:move", args=[mine.pk]),
                        {"stage": stages[0].pk, "index": 0, "version": 1})  # fmt: skip
    assert stale.status_code == 409
    assert "刚被他人修改或移动" in stale.content.decode()
    mine.refresh_from_db()
    assert mine.stage == stages[1] and mine.version == 2


def test_move_into_stage_with_required_fields_names_them(client, scene, am_a):
    _p, stages, mine, _ = scene
    client.force_login(am_a)
    response = client.post(reverse("sales:move", args=[mine.pk]),
                           {"stage": stages[2].pk, "index": 0, "version": 1})  # fmt: skip
    assert response.status_code == 422
    assert "预计成交日期" in response.content.decode()


def test_api_move_win_and_stale_409(client, scene, am_a):
    _p, stages, mine, _ = scene
    client.force_login(am_a)
    url = f"/api/v1/sales/opportunities/{mine.pk}"
    moved = client.post(f"{url}/move", json.dumps({"stage_id": stages[1].pk, "index": 0,
                        "version": 1}), content_type="application/json")  # fmt: skip
    assert moved.status_code == 200 and moved.json()["stage_id"] == stages[1].pk
    stale = client.post(f"{url}/win", json.dumps({"version": 1}), content_type="application/json")
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    won = client.post(f"{url}/win", json.dumps({"version": 2}), content_type="application/json")
    assert won.status_code == 200 and won.json()["status"] == "won"


def test_api_create_bad_amount_names_field(client, am_a):
    board()
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)
    response = client.post("/api/v1/sales/opportunities", json.dumps(
        {"customer_id": customer.pk, "name": "x", "amount": "-5"}),
        content_type="application/json")  # fmt: skip
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "amount"
    assert not Opportunity.objects.exists()


def test_openapi_documents_sales(client):
    doc = client.get("/api/v1/openapi.json").json()
    move = doc["paths"]["/api/v1/sales/opportunities/{opportunity_id}/move"]["post"]
    assert {"200", "404", "409", "422"} <= set(move["responses"])


def test_customer_panel_lists_opportunities(client, scene, am_a):
    _p, _s, mine, _ = scene
    client.force_login(am_a)
    response = client.get(reverse("customers:detail", args=[mine.customer_id]))
    assert response.status_code == 200
    assert mine.name in response.content.decode()


def test_nav_entry_only_for_selling_roles(client, scene, am_a, agent):
    client.force_login(am_a)
    assert 'id="nav-sales"' in client.get(reverse("sales:list")).content.decode()
    client.force_login(agent)
    assert 'id="nav-sales"' not in client.get(reverse("sales:list")).content.decode()


@pytest.mark.parametrize("n", [5, 60])
def test_kanban_query_count(client, am_a, django_assert_num_queries, n):
    pipeline, stages = board()
    customer = CustomerFactory(owner=am_a)
    for i in range(n):
        OpportunityFactory(customer=customer, stage=stages[i % 3])
    client.force_login(am_a)
    client.get(reverse("sales:list"))  # warm the session
    with django_assert_num_queries(KANBAN_QUERIES):
        response = client.get(reverse("sales:kanban", args=[pipeline.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="gx-card gx-kanban-card') == n  # 5 → 2+2+1; 60 → 20 a column
    assert "加载更多" not in body


@pytest.mark.parametrize("n", [30, 90])
def test_list_query_count(client, am_a, django_assert_num_queries, n):
    _pipeline, stages = board()
    customer = CustomerFactory(owner=am_a)
    for i in range(n):
        OpportunityFactory(customer=customer, stage=stages[i % 3])
    client.force_login(am_a)
    client.get(reverse("sales:list"))
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("sales:list"))
    assert response.status_code == 200


def test_load_more_pages_a_column(client, am_a):
    pipeline, stages = board()
    customer = CustomerFactory(owner=am_a)
    made = [OpportunityFactory(customer=customer, stage=stages[0]) for _ in range(25)]
    client.force_login(am_a)
    first = client.get(reverse("sales:kanban", args=[pipeline.pk])).content.decode()
    assert first.count('class="gx-card gx-kanban-card') == 20 and "加载更多" in first
    more = client.get(reverse("sales:column", args=[pipeline.pk, stages[0].pk]) + "?offset=20")
    text = more.content.decode()
    assert text.count('class="gx-card gx-kanban-card') == 5 and made[-1].name in text
