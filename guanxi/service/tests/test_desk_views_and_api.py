"""The complaint, canned-reply, merge, bulk and saved-view pages and API operations:
permission matrix, the flows through the pages (htmx fragments included), bad input named
and nothing written, and the pinned query count of the queue with saved views."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from django.urls import reverse

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.service.models import CannedReply, Complaint, RootCause, SavedView, Ticket
from guanxi.service.services import complaints, desk
from guanxi.service.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/service"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def ticket(am_a):
    return TicketFactory(customer=CustomerFactory(owner=am_a), category="complaint")


@pytest.fixture
def member(team_a):
    return UserFactory(username="pm", role=Role.PROJECT_MEMBER, team=team_a)


def _get_urls(ticket):
    return [reverse("service:canned"), reverse("service:complaints")]


def _post_urls(ticket):
    return [
        reverse("service:bulk"),
        reverse("service:complaint", args=[ticket.pk]),
        reverse("service:merge", args=[ticket.pk]),
        reverse("service:canned_insert", args=[ticket.pk]),
        reverse("service:view_create"),
        reverse("service:canned"),
    ]


@pytest.mark.parametrize("who", ["anonymous", "portal_user", "member"])
def test_no_desk_page_or_operation_for_those_who_do_not_serve(client, ticket, who, request):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for url in [*_get_urls(ticket), reverse("service:root_causes")]:
        assert client.get(url).status_code == (302 if who == "anonymous" else 403), url
    for url in _post_urls(ticket):
        response = client.post(
            url,
            {
                "items": f"{ticket.pk}:1",
                "action": "close",
                "target": ticket.pk,
                "name": "v",
                "title": "t",
                "body": "b",
            },
        )
        assert response.status_code == (302 if who == "anonymous" else 403), url
    for method, path, body in [
        ("get", "/root-causes", None),
        ("get", "/complaints/report", None),
        ("get", "/canned-replies", None),
        ("get", "/saved-views", None),
        ("post", "/bulk/tickets", {"action": "close", "items": [{"id": ticket.pk, "version": 1}]}),
        ("put", f"/tickets/{ticket.pk}/complaint", {"resolution": "x"}),
        ("post", "/canned-replies", {"title": "t", "body": "b"}),
        ("post", "/saved-views", {"name": "v", "filters": {}}),
    ]:
        kwargs = {"content_type": "application/json", "data": body} if body else {}
        assert getattr(client, method)(f"{API}{path}", **kwargs).status_code in (401, 403), path
    ticket.refresh_from_db()
    assert ticket.status == "new" and not Complaint.objects.exists()
    assert not CannedReply.objects.exists() and not SavedView.objects.exists()


@pytest.mark.parametrize("who", ["agent", "manager_a", "am_a"])
def test_root_cause_settings_are_for_admins_only(client, who, request, admin_user):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("service:root_causes")).status_code == 403
    assert client.post(reverse("service:root_causes"), {"name": "x", "order": 0}).status_code == 403
    response = client.post(f"{API}/root-causes", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert client.get(f"{API}/root-causes").status_code == 200  # the desk reads the tree
    client.force_login(admin_user)
    response = client.post(reverse("service:root_causes"), {"name": "物流", "order": 0})
    assert response.status_code == 302 and RootCause.objects.get().name == "物流"


def test_filing_a_complaint_through_the_page(client, agent, ticket, admin_user, team_a):
    cause = complaints.root_cause_create(actor=admin_user, data={"name": "物流延误"})
    client.force_login(agent)
    page = client.get(reverse("service:detail", args=[ticket.pk])).content.decode()
    assert 'id="complaint-form"' in page and "物流延误" in page
    url = reverse("service:complaint", args=[ticket.pk])
    response = client.post(
        url,
        {
            "root_cause": cause.pk,
            "compensation_amount": "30",
            "compensation_kind": "",
            "department": team_a.pk,
        },
    )
    assert response.status_code == 422 and "请选择补偿方式" in response.content.decode()
    assert not Complaint.objects.exists()
    response = client.post(
        url,
        {
            "root_cause": cause.pk,
            "compensation_amount": "30",
            "compensation_kind": "refund",
            "department": team_a.pk,
            "resolution": "退 30 元",
        },
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.root_cause, str(complaint.compensation_amount)) == (cause, "30.00")


def test_complaint_api_and_bad_input(client, agent, ticket):
    client.force_login(agent)
    url = f"{API}/tickets/{ticket.pk}/complaint"
    assert client.get(url).status_code == 404
    for body, field in [
        ({"compensation_amount": -1, "compensation_kind": "refund"}, "compensation_amount"),
        ({"compensation_amount": "1e3", "compensation_kind": "cash"}, "compensation_kind"),
        ({"compensation_amount": 5}, "compensation_kind"),
        ({"root_cause_id": 0}, "root_cause_id"),
        ({"resolution": "x" * 5001}, "resolution"),
        ({"extra": 1}, "extra"),
    ]:
        response = client.put(url, body, content_type="application/json")
        assert response.status_code == 422, body
        assert field in str(response.json()), body
    assert not Complaint.objects.exists()
    response = client.put(
        url,
        {"compensation_amount": "12.5", "compensation_kind": "voucher"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["compensation_amount"] == "12.50"
    response = client.put(url, {"resolution": "x", "version": 9}, content_type="application/json")
    assert response.status_code == 409
    assert Complaint.objects.get().resolution == ""


def test_complaint_report_page_and_api(client, agent, ticket):
    Complaint.objects.create(ticket=ticket, compensation_amount=10, compensation_kind="refund")
    client.force_login(agent)
    page = client.get(reverse("service:complaints")).content.decode()
    assert ticket.customer.name in page and "¥10.00" in page
    data = client.get(f"{API}/complaints/report").json()
    assert data["by_customer"][0]["key"] == ticket.customer_id
    assert data["by_customer"][0]["cost"] == "10.00" and data["by_customer"][0]["rate"] is None


def test_canned_reply_is_inserted_into_the_reply_box(client, agent, ticket):
    reply = desk.canned_reply_create(
        actor=agent, data={"title": "致歉", "body": "{{customer}}，抱歉！"}
    )
    client.force_login(agent)
    page = client.get(reverse("service:detail", args=[ticket.pk])).content.decode()
    assert 'id="canned-pick"' in page and "致歉" in page
    response = client.post(
        reverse("service:canned_insert", args=[ticket.pk]),
        {"canned": reply.pk, "body": "已收到"},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="reply-body">')
    assert f"已收到\n\n{ticket.customer.name}，抱歉！" in html
    rendered = client.get(f"{API}/tickets/{ticket.pk}/canned-replies/{reply.pk}").json()
    assert rendered == {"text": f"{ticket.customer.name}，抱歉！"}


def test_canned_reply_pages_and_api(client, agent, manager_a):
    client.force_login(agent)
    response = client.post(reverse("service:canned"), {"title": "", "body": "x"})
    assert response.status_code == 422 and not CannedReply.objects.exists()
    assert client.post(reverse("service:canned"), {"title": "t", "body": "b"}).status_code == 302
    reply = CannedReply.objects.get()
    response = client.post(
        reverse("service:canned_edit", args=[reply.pk]), {"title": "t2", "body": "b", "version": 1}
    )
    assert response.status_code == 302 and CannedReply.objects.get().title == "t2"
    response = client.post(
        f"{API}/canned-replies",
        {"title": "s", "body": "b", "shared": True},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "shared"
    response = client.patch(
        f"{API}/canned-replies/{reply.pk}",
        {"body": "c", "version": 1},
        content_type="application/json",
    )
    assert response.status_code == 409
    client.force_login(manager_a)
    assert client.get(reverse("service:canned_edit", args=[reply.pk])).status_code == 404
    response = client.delete(f"{API}/canned-replies/{reply.pk}?version=2")
    assert response.status_code == 404 and CannedReply.objects.exists()


def test_merge_through_the_page_asks_before_crossing_customers(client, agent, am_a):
    a = TicketFactory(customer=CustomerFactory(owner=am_a))
    b = TicketFactory(customer=CustomerFactory(owner=am_a))
    client.force_login(agent)
    url = reverse("service:merge", args=[b.pk])
    response = client.post(url, {"target": a.pk})
    assert response.status_code == 422 and "不同客户" in response.content.decode()
    assert Ticket.objects.get(pk=b.pk).merged_into_id is None
    response = client.post(url, {"target": a.pk, "confirm_other_customer": "on"})
    assert response.status_code == 302 and response.url == reverse("service:detail", args=[a.pk])
    page = client.get(reverse("service:detail", args=[b.pk])).content.decode()
    assert 'id="ticket-merged"' in page and 'id="merge-form"' not in page


def test_merge_api(client, agent, am_a):
    customer = CustomerFactory(owner=am_a)
    a, b = TicketFactory(customer=customer), TicketFactory(customer=customer)
    client.force_login(agent)
    response = client.post(
        f"{API}/tickets/{a.pk}/merge", {"source_id": a.pk}, content_type="application/json"
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "source_id"
    response = client.post(
        f"{API}/tickets/{a.pk}/merge", {"source_id": 2**63}, content_type="application/json"
    )
    assert response.status_code == 422
    response = client.post(
        f"{API}/tickets/{a.pk}/merge", {"source_id": b.pk}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["id"] == a.pk
    assert Ticket.objects.get(pk=b.pk).status == "closed"


def test_bulk_assign_from_the_queue_reports_each_row(client, am_a, am_b, agent):
    own = TicketFactory(customer=CustomerFactory(owner=am_a))
    foreign = TicketFactory(customer=CustomerFactory(owner=am_b), assignee=am_a)
    Ticket.objects.filter(pk=foreign.pk).update(version=3)
    client.force_login(am_a)
    response = client.post(
        reverse("service:bulk"),
        {
            "action": "priority",
            "new_priority": "high",
            "queue": "all",
            "priority": "normal",
            "items": [f"{own.pk}:1", f"{foreign.pk}:1"],
        },
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="bulk-report"' in html
    assert f'data-ticket="{own.pk}" data-ok="1"' in html
    assert f'data-ticket="{foreign.pk}" data-ok="0"' in html  # stale: reported, not skipped
    # the queue shown again keeps its filters (priority=normal), apart from the bulk's fields
    assert f'id="ticket-{foreign.pk}"' in html and f'id="ticket-{own.pk}"' not in html
    assert Ticket.objects.get(pk=own.pk).priority == "high"
    assert Ticket.objects.get(pk=foreign.pk).priority == "normal"
    response = client.post(reverse("service:bulk"), {"action": "close", "items": ["1:x"]}, **HTMX)
    assert response.status_code == 422 and 'id="bulk-error"' in response.content.decode()


def test_bulk_api(client, agent, am_a):
    t = TicketFactory(customer=CustomerFactory(owner=am_a))
    client.force_login(agent)
    for body in [
        {"action": "close", "items": []},
        {"action": "close", "items": [{"id": t.pk}]},
        {"action": "explode", "items": [{"id": t.pk, "version": 1}]},
        {"action": "close", "items": [{"id": t.pk, "version": 1}] * 201},
    ]:
        assert (
            client.post(f"{API}/bulk/tickets", body, content_type="application/json").status_code
            == 422
        )
    response = client.post(
        f"{API}/bulk/tickets",
        {"action": "assign", "assignee_id": agent.pk, "items": [{"id": t.pk, "version": 1}]},
        content_type="application/json",
    )
    assert response.json() == [{"ticket_id": t.pk, "ok": True, "message": "已分配。"}]
    assert Ticket.objects.get(pk=t.pk).assignee == agent


def test_saved_views_on_the_queue_and_the_default_opens_first(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("service:view_create"),
        {
            "name": "紧急投诉",
            "is_default": "on",
            "queue": "all",
            "priority": "urgent",
            "category": "complaint",
        },
    )
    view = SavedView.objects.get()
    assert view.is_default and view.filters == {
        "queue": "all",
        "priority": "urgent",
        "category": "complaint",
    }
    assert "priority=urgent" in response.url
    home = client.get(reverse("service:home"))
    # the filters as a query string, in whatever key order the database keeps (jsonb sorts)
    path, _sep, query = home.url.partition("?")
    assert path == reverse("service:list")
    assert parse_qs(query) == {"queue": ["all"], "priority": ["urgent"], "category": ["complaint"]}
    page = client.get(home.url).content.decode()
    assert 'data-view="紧急投诉"' in page
    client.post(reverse("service:view_action", args=[view.pk]), {"action": "delete"})
    assert not SavedView.objects.exists()
    response = client.post(
        f"{API}/saved-views",
        {"name": "x", "filters": {"priority": "asap"}},
        content_type="application/json",
    )
    assert response.status_code == 422 and not SavedView.objects.exists()
    response = client.post(
        f"{API}/saved-views",
        {"name": "x", "filters": {"queue": "mine"}},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["filters"] == {"queue": "mine"}


def test_queue_with_saved_views_keeps_its_query_count(
    client, agent, am_a, django_assert_max_num_queries
):
    for i in range(5):
        desk.saved_view_create(actor=agent, name=f"v{i}", filters={"queue": "all"})
    customers = [CustomerFactory(owner=am_a) for _ in range(3)]
    for i in range(30):
        TicketFactory(customer=customers[i % 3], assignee=am_a)
    client.force_login(agent)
    # session + user, page, count, the menu's sales-pool check, saved views, agents
    with django_assert_max_num_queries(7):
        response = client.get(reverse("service:list"), {"queue": "all"})
    assert response.status_code == 200 and response.content.decode().count('name="items"') == 25


def test_breaching_soon_leaves_out_the_breached(client, agent, am_a):
    from django.utils import timezone

    now = timezone.now()
    hour = timezone.timedelta(hours=1)
    soon = TicketFactory(
        customer=CustomerFactory(owner=am_a),
        subject="快超时",
        resolution_warn_at=now - hour,
        resolution_due=now + hour,
        clock_started_at=now - 2 * hour,
    )
    late = TicketFactory(
        customer=CustomerFactory(owner=am_a),
        subject="已超时",
        resolution_warn_at=now - 2 * hour,
        resolution_due=now - hour,
        clock_started_at=now - 3 * hour,
    )
    client.force_login(agent)
    page = client.get(reverse("service:list"), {"queue": "breaching"}).content.decode()
    assert soon.subject in page and late.subject not in page
