"""The service pages and API: permission matrix over every URL and operation, queue
filters and their errors, the transition answers, the pinned query counts of the queue,
the ticket page and the API list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.service.models import Ticket
from guanxi.service.services import tickets as services
from guanxi.service.tests.factories import SlaPolicyFactory, TicketFactory

pytestmark = pytest.mark.django_db

# session + user, page, count, the menu's sales-pool check, saved views, agents (bulk assign)
LIST_QUERIES = 7
# session + user, page (the count is skipped when the page is not full)
API_LIST_QUERIES = 3
# session + user, ticket, customer shares, agents, messages, attachments, menu, CSAT survey,
# canned replies
DETAIL_QUERIES = 10
API = "/api/v1/service/tickets"


@pytest.fixture
def scene(am_a, am_b):
    SlaPolicyFactory()
    mine = TicketFactory(customer=CustomerFactory(owner=am_a), subject="我的客户的工单")
    theirs = TicketFactory(customer=CustomerFactory(owner=am_b), subject="别人的客户的工单")
    return mine, theirs


def _pages(ticket):
    return [
        reverse("service:home"),
        reverse("service:list"),
        reverse("service:new"),
        reverse("service:detail", args=[ticket.pk]),
    ]


@pytest.mark.parametrize("who", ["anonymous", "portal_user", "project_member"])
def test_no_service_page_or_api_for_those_who_do_not_serve(client, scene, who, request):
    mine, _ = scene
    if who == "project_member":
        client.force_login(UserFactory(username="pm", role=Role.PROJECT_MEMBER))
    elif who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for url in _pages(mine):
        assert client.get(url).status_code == (302 if who == "anonymous" else 403), url
    writes = [
        reverse("service:reply", args=[mine.pk]),
        reverse("service:transition", args=[mine.pk]),
        reverse("service:edit", args=[mine.pk]),
    ]
    for url in writes:
        assert client.post(url, {"body": "x", "status": "open", "version": 1}).status_code in (
            302,
            403,
        )
    assert client.get(API).status_code in (401, 403)
    response = client.post(
        f"{API}/{mine.pk}/transition",
        {"status": "open", "version": 1},
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
    assert Ticket.objects.get(pk=mine.pk).status == "new"
    assert not mine.messages.exists()


@pytest.mark.parametrize(
    ("who", "sees_mine", "sees_theirs"),
    [
        ("agent", True, True),
        ("am_a", True, False),
        ("am_b", False, True),
        ("admin_user", True, True),
    ],
)
def test_scope_matrix(client, scene, request, who, sees_mine, sees_theirs):
    mine, theirs = scene
    client.force_login(request.getfixturevalue(who))
    page = client.get(reverse("service:list")).content.decode()
    assert (mine.subject in page) is sees_mine
    assert (theirs.subject in page) is sees_theirs
    for ticket, sees in ((mine, sees_mine), (theirs, sees_theirs)):
        assert client.get(reverse("service:detail", args=[ticket.pk])).status_code == (
            200 if sees else 404
        )
        assert client.get(f"{API}/{ticket.pk}").status_code == (200 if sees else 404)


def test_menu_shows_service_to_agents_only_among_non_sellers(client, agent, team_a):
    client.force_login(agent)
    assert reverse("service:home") in client.get(reverse("service:list")).content.decode()
    member = UserFactory(username="pm3", role=Role.PROJECT_MEMBER, team=team_a)
    client.force_login(member)
    assert reverse("service:home") not in client.get("/home/", follow=True).content.decode()


def test_queue_filters_and_bad_filter_is_named(client, agent, scene):
    mine, theirs = scene
    Ticket.objects.filter(pk=theirs.pk).update(assignee=agent, priority="urgent")
    client.force_login(agent)
    page = client.get(reverse("service:list"), {"queue": "mine"}).content.decode()
    assert theirs.subject in page and mine.subject not in page
    page = client.get(reverse("service:list"), {"queue": "unassigned"}).content.decode()
    assert mine.subject in page and theirs.subject not in page
    response = client.get(reverse("service:list"), {"priority": "asap", "q": "x" * 101})
    assert response.status_code == 422
    assert "无效的选项" in response.content.decode()
    response = client.get(API, {"priority": "asap"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "priority"


def test_queue_query_count_is_pinned(client, agent, am_a, django_assert_max_num_queries):
    customers = [CustomerFactory(owner=am_a) for _ in range(3)]
    for i in range(30):
        TicketFactory(customer=customers[i % 3], assignee=am_a)
    client.force_login(agent)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("service:list"), {"queue": "all"})
    assert response.status_code == 200
    with django_assert_max_num_queries(API_LIST_QUERIES):
        assert client.get(API, {"limit": 50}).json()["count"] == 30


def test_the_queue_links_to_the_desk_reports_a_role_may_open(client, agent, manager_a):
    client.force_login(agent)
    page = client.get(reverse("service:list")).content.decode()
    for name in ("service:results", "service:visits", "service:complaints", "service:canned"):
        assert f'href="{reverse(name)}"' in page
        assert client.get(reverse(name)).status_code == 200
    assert reverse("service:nps") not in page  # an agent sends no NPS campaign
    assert client.get(reverse("service:nps")).status_code == 403
    client.force_login(manager_a)
    page = client.get(reverse("service:list")).content.decode()
    assert f'href="{reverse("service:nps")}"' in page
    assert client.get(reverse("service:nps")).status_code == 200


def test_the_queue_counts_to_its_cap(client, agent, am_a, monkeypatch):
    from guanxi.service import views

    monkeypatch.setattr(views, "QUEUE_COUNT_CAP", 30)
    customer = CustomerFactory(owner=am_a)
    for _ in range(31):
        TicketFactory(customer=customer)
    client.force_login(agent)
    page = client.get(reverse("service:list"), {"queue": "all"}).content.decode()
    assert "共 30 个工单+" in page
    Ticket.objects.filter(pk=Ticket.objects.order_by("pk").values("pk")[:1]).delete()
    page = client.get(reverse("service:list"), {"queue": "all"}).content.decode()
    assert "共 30 个工单</span>" in page


def test_detail_query_count_is_pinned(client, agent, scene, django_assert_max_num_queries):
    mine, _ = scene
    for i in range(10):
        services.ticket_reply(actor=agent, ticket_id=mine.pk, body=f"回复{i}", internal=True)
    client.force_login(agent)
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(reverse("service:detail", args=[mine.pk]))
    assert response.status_code == 200 and "回复9" in response.content.decode()


def test_create_reply_transition_through_the_pages(client, agent, am_a):
    customer = CustomerFactory(owner=am_a)
    client.force_login(agent)
    response = client.post(
        reverse("service:new"),
        {
            "subject": "空调不制冷",
            "customer": customer.pk,
            "channel": "phone",
            "category": "repair",
            "priority": "high",
            "body": "三楼空调",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and ticket.customer == customer
    response = client.post(
        reverse("service:reply", args=[ticket.pk]), {"body": "明天上门", "status": "waiting"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "waiting" and ticket.first_responded_at is not None
    response = client.post(
        reverse("service:transition", args=[ticket.pk]),
        {"status": "new", "version": ticket.version},
        follow=True,
    )
    assert "不能从" in response.content.decode()
    assert Ticket.objects.get().status == "waiting"


def test_create_for_a_customer_out_of_scope_is_a_form_error(client, am_b, am_a):
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_b)
    response = client.post(
        reverse("service:new"),
        {
            "subject": "x",
            "customer": customer.pk,
            "channel": "phone",
            "category": "inquiry",
            "priority": "normal",
        },
    )
    assert response.status_code == 422
    assert not Ticket.objects.exists()


def test_english_pages(client, agent, scene):
    client.force_login(agent)
    agent.language = "en"
    agent.save()
    response = client.get(reverse("service:list"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Service tickets" in html and "New ticket" in html and "Breaching soon" in html
    assert "客服工单" not in html


# --- API -----------------------------------------------------------------------------------


def test_api_create_detail_transition_reply(client, agent, am_a):
    customer = CustomerFactory(owner=am_a)
    client.force_login(agent)
    response = client.post(
        API,
        {
            "subject": "发票开错",
            "customer_id": customer.pk,
            "category": "complaint",
            "body": "抬头错了",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "new" and body["sla_state"] in ("ok", "none")
    ticket_id = body["id"]
    response = client.post(
        f"{API}/{ticket_id}/messages", {"body": "已重开"}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["kind"] == "reply"
    detail = client.get(f"{API}/{ticket_id}").json()
    assert detail["status"] == "open" and len(detail["messages"]) == 2
    response = client.post(
        f"{API}/{ticket_id}/transition",
        {"status": "new", "version": detail["version"]},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "status"
    response = client.post(
        f"{API}/{ticket_id}/transition",
        {"status": "resolved", "version": detail["version"] + 5},
        content_type="application/json",
    )
    assert response.status_code == 409
    response = client.post(
        f"{API}/{ticket_id}/transition",
        {"status": "resolved", "version": detail["version"]},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "resolved"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "x", "priority": "asap"}, "priority"),
        ({"subject": "x", "customer_id": "abc"}, "customer_id"),
        ({"subject": "x", "customer_id": 10**30}, "customer_id"),
        ({"subject": "x", "customer_id": 999999}, "customer_id"),
        ({"subject": "x" * 500}, "subject"),
        ({"subject": "x", "surprise": 1}, "surprise"),
    ],
)
def test_api_bad_input_names_the_field_and_writes_nothing(client, agent, payload, field):
    client.force_login(agent)
    response = client.post(API, payload, content_type="application/json")
    assert response.status_code in (404, 422), response.content
    data = response.json()
    named = {e["field"] for e in data.get("errors", [])} | {data.get("field")}
    assert field in named
    assert not Ticket.objects.exists()


def test_api_patch_assigns(client, agent, am_a, scene):
    mine, _ = scene
    client.force_login(agent)
    response = client.patch(
        f"{API}/{mine.pk}",
        {"version": 1, "assignee_id": am_a.pk, "priority": "high"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["assignee_id"] == am_a.pk


def test_openapi_documents_every_operation(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path, methods in (
        (API, {"get", "post"}),
        (f"{API}/{{ticket_id}}", {"get", "patch"}),
        (f"{API}/{{ticket_id}}/transition", {"post"}),
        (f"{API}/{{ticket_id}}/messages", {"post"}),
    ):
        assert methods <= set(schema["paths"][path])
        for method in methods:
            responses = schema["paths"][path][method]["responses"]
            assert {"403", "422"} <= set(responses), (path, method)


def test_customer_360_page_shows_the_tickets_panel(
    client, am_a, scene, django_assert_max_num_queries
):
    mine, theirs = scene
    client.force_login(am_a)
    html = client.get(mine.customer.get_absolute_url()).content.decode()
    assert 'id="panel-tickets"' in html and mine.subject in html
    assert theirs.subject not in html
    section = client.get(reverse("customers:section", args=[mine.customer.pk, "tickets"]))
    assert section.status_code == 200 and mine.subject in section.content.decode()


def test_my_day_lists_my_open_tickets(client, am_a, scene):
    mine, _ = scene
    Ticket.objects.filter(pk=mine.pk).update(assignee=am_a)
    client.force_login(am_a)
    html = client.get("/").content.decode()
    assert mine.subject in html


@pytest.mark.parametrize(
    "url, data",
    [("service:transition", {"status": "nonsense", "version": "1"}),
     ("service:spam", {"version": "x"})],
)  # fmt: skip
def test_a_tampered_button_form_is_refused_and_changes_nothing(client, agent, am_a, url, data):
    ticket = TicketFactory(customer=CustomerFactory(owner=am_a))
    before = (ticket.status, ticket.version)
    client.force_login(agent)
    response = client.post(reverse(url, args=[ticket.pk]), data, follow=True)
    assert response.status_code == 200
    assert "请求无效，请刷新页面后重试。" in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version) == before
