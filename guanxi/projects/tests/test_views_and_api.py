"""Project pages and API: the permission matrix over pages and operations, scope (another
department's project is a 404), bad input answers naming the field and writing nothing,
the Gantt drag round trip, the B5 action on the opportunity page, pinned query counts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.projects.models import Project, Task, TaskLink
from guanxi.projects.services import plan
from guanxi.projects.services import projects as services
from guanxi.projects.tests.factories import PLAN_START
from guanxi.sales.models import OpportunityStatus
from guanxi.sales.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/projects"


@pytest.fixture
def scene(am_a):
    """A project of am_a's customer with two linked tasks."""
    project = services.project_create(
        actor=am_a, customer_id=CustomerFactory(owner=am_a).pk,
        data={"name": "数据平台", "start_date": PLAN_START},
    )  # fmt: skip
    a = plan.task_create(actor=am_a, project_id=project.pk, data={"name": "甲", "duration_days": 2})
    b = plan.task_create(actor=am_a, project_id=project.pk, data={"name": "乙", "duration_days": 3})
    plan.link_create(actor=am_a, project_id=project.pk, predecessor_id=a.pk, successor_id=b.pk)
    return project, Task.objects.get(pk=a.pk), Task.objects.get(pk=b.pk)


def _pages(project):
    return [
        reverse("projects:list"),
        reverse("projects:detail", args=[project.pk]),
        reverse("projects:board", args=[project.pk]),
        reverse("projects:gantt", args=[project.pk]),
        reverse("projects:gantt_data", args=[project.pk]),
        reverse("projects:gates", args=[project.pk]),
    ]


def test_pages_answer_the_account_manager(client, am_a, scene):
    project, a, _b = scene
    client.force_login(am_a)
    for url in _pages(project):
        response = client.get(url)
        assert response.status_code == 200, url
    detail = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "数据平台" in detail and f'data-task="{a.pk}"' in detail


@pytest.mark.parametrize(
    ("who", "list_status", "detail_status"),
    [
        ("agent", 403, 403),  # the service desk does not use projects
        ("am_b", 200, 404),  # another department's account manager
        ("portal", 403, 403),
    ],
)
def test_permission_matrix_of_the_pages(
    client, scene, agent, am_b, portal_user, who, list_status, detail_status
):
    project = scene[0]
    user = {"agent": agent, "am_b": am_b, "portal": portal_user}[who]
    client.force_login(user)
    assert client.get(reverse("projects:list")).status_code == list_status
    for url in _pages(project)[1:]:
        assert client.get(url).status_code == detail_status, url


def test_the_list_shows_only_projects_in_scope(client, scene, am_b):
    client.force_login(am_b)
    assert "数据平台" not in client.get(reverse("projects:list")).content.decode()


def test_a_member_from_another_department_sees_the_project(client, scene, team_b):
    project = scene[0]
    member = UserFactory(role=Role.PROJECT_MEMBER, team=team_b)
    services.member_add(actor=project.manager, project_id=project.pk, user_id=member.pk)
    client.force_login(member)
    assert client.get(reverse("projects:detail", args=[project.pk])).status_code == 200
    assert client.get(f"{API}/{project.pk}").status_code == 200


def test_the_manager_of_the_department_sees_it(client, scene, manager_a):
    client.force_login(manager_a)
    assert client.get(f"{API}/{scene[0].pk}").status_code == 200


def test_gantt_drag_moves_the_successor_and_answers_the_new_bars(client, am_a, scene):
    project, a, b = scene
    client.force_login(am_a)
    response = client.post(
        reverse("projects:reschedule", args=[project.pk, a.pk]),
        data=json.dumps({"start": "2027-03-08", "version": a.version}),
        content_type="application/json",
    )
    assert response.status_code == 200
    bars = {t["id"]: t for t in response.json()["tasks"]}
    assert bars[str(a.pk)]["start"] == "2027-03-08"
    assert bars[str(b.pk)]["start"] == "2027-03-10"
    assert bars[str(b.pk)]["critical"] is True
    assert response.json()["critical_links"] == [[a.pk, b.pk]]


def test_gantt_drag_with_a_stale_version_is_409_and_moves_nothing(client, am_a, scene):
    project, a, b = scene
    client.force_login(am_a)
    response = client.post(
        reverse("projects:reschedule", args=[project.pk, a.pk]),
        data=json.dumps({"start": "2027-03-08", "version": a.version + 5}),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert Task.objects.get(pk=b.pk).start_date == b.start_date


def test_a_cycle_on_the_page_is_400_naming_it(client, am_a, scene):
    project, a, b = scene
    client.force_login(am_a)
    response = client.post(
        reverse("projects:link_add", args=[project.pk]),
        {"predecessor_id": b.pk, "successor_id": a.pk, "type": "FS", "lag_days": "0"},
    )
    assert response.status_code == 400
    assert (
        "甲 → 乙 → 甲" in response.content.decode() or "乙 → 甲 → 乙" in response.content.decode()
    )
    assert TaskLink.objects.count() == 1


def test_api_link_cycle_is_400_with_the_field(client, am_a, scene):
    project, a, b = scene
    client.force_login(am_a)
    response = client.post(
        f"{API}/{project.pk}/links",
        data={"predecessor_id": b.pk, "successor_id": a.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "cycle" and body["field"] == "links"
    assert TaskLink.objects.count() == 1


def test_api_lag_out_of_bounds_is_422_naming_it(client, am_a, scene):
    project, a, b = scene
    client.force_login(am_a)
    response = client.post(
        f"{API}/{project.pk}/links",
        data={"predecessor_id": a.pk, "successor_id": b.pk, "type": "SS", "lag_days": 5000},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "lag_days" in json.dumps(response.json())
    assert TaskLink.objects.count() == 1


def test_api_other_departments_project_is_404(client, am_b, scene):
    project, _a, _b = scene
    client.force_login(am_b)
    assert client.get(f"{API}/{project.pk}/schedule").status_code == 404
    response = client.post(
        f"{API}/{project.pk}/tasks", data={"name": "闯入"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert not Task.objects.filter(name="闯入").exists()


def test_api_schedule_names_the_critical_path(client, am_a, scene):
    project, a, b = scene
    client.force_login(am_a)
    body = client.get(f"{API}/{project.pk}/schedule").json()
    assert body["critical_path"] == [a.pk, b.pk]
    assert body["duration_days"] == 5
    assert body["finish"] == "2027-03-05"


def test_api_task_create_update_and_list(client, am_a, scene):
    project = scene[0]
    client.force_login(am_a)
    created = client.post(
        f"{API}/{project.pk}/tasks",
        data={"name": "验收", "duration_days": 2, "estimate_hours": "16.5"},
        content_type="application/json",
    )
    assert created.status_code == 201
    task = created.json()
    assert task["outline"] == "3" and task["estimate_hours"] == "16.50"
    stale = client.patch(
        f"{API}/{project.pk}/tasks/{task['id']}",
        data={"version": task["version"] + 1, "progress": 50},
        content_type="application/json",
    )
    assert stale.status_code == 409
    ok = client.patch(
        f"{API}/{project.pk}/tasks/{task['id']}",
        data={"version": task["version"], "progress": 50},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["progress"] == 50
    listed = client.get(f"{API}/{project.pk}/tasks?critical=true").json()
    assert [t["name"] for t in listed["items"]] == ["甲", "乙"]


def test_api_project_create_validates_fields(client, am_a):
    client.force_login(am_a)
    customer = CustomerFactory(owner=am_a)
    response = client.post(
        f"{API}/",
        data={"customer_id": customer.pk, "name": "x", "start_date": "2027-03-01", "budget": "-5"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "budget" in json.dumps(response.json())
    assert not Project.objects.exists()


def test_api_gate_pass_refused_until_checklist_done(client, am_a, scene):
    project = scene[0]
    client.force_login(am_a)
    response = client.post(
        f"{API}/{project.pk}/gates/identify/pass",
        data={"version": project.version},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "items" in json.dumps(response.json())
    gates = client.get(f"{API}/{project.pk}/gates").json()
    for item in gates[0]["items"]:
        r = client.patch(
            f"{API}/{project.pk}/gate-items/{item['id']}",
            data={"done": True},
            content_type="application/json",
        )
        assert r.status_code == 200
    passed = client.post(
        f"{API}/{project.pk}/gates/identify/pass",
        data={"version": project.version},
        content_type="application/json",
    )
    assert passed.status_code == 200 and passed.json()["phase"] == "plan"


def test_the_won_opportunity_page_offers_create_project(client, am_a):
    opportunity = OpportunityFactory(
        customer=CustomerFactory(owner=am_a), owner=am_a, status=OpportunityStatus.WON,
        closed_at=dt.datetime(2027, 2, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    client.force_login(am_a)
    page = client.get(reverse("sales:detail", args=[opportunity.pk])).content.decode()
    assert 'id="opp-create-project"' in page
    response = client.post(reverse("projects:from_opportunity", args=[opportunity.pk]))
    project = Project.objects.get(opportunity=opportunity)
    assert response.status_code == 302 and response["Location"] == reverse(
        "projects:detail", args=[project.pk]
    )
    page = client.get(reverse("sales:detail", args=[opportunity.pk])).content.decode()
    assert 'id="opp-project-link"' in page and 'id="opp-create-project"' not in page


def test_an_open_opportunity_page_has_no_project_action(client, am_a):
    opportunity = OpportunityFactory(customer=CustomerFactory(owner=am_a), owner=am_a)
    client.force_login(am_a)
    page = client.get(reverse("sales:detail", args=[opportunity.pk])).content.decode()
    assert "opp-create-project" not in page


def test_kanban_move_answers_204_and_a_bad_status_422(client, am_a, scene):
    project, a, _b = scene
    client.force_login(am_a)
    url = reverse("projects:board_move", args=[project.pk, a.pk])
    bad = client.post(url, {"status": "nowhere", "version": a.version})
    assert bad.status_code == 422
    ok = client.post(url, {"status": "doing", "version": a.version})
    assert ok.status_code == 204
    assert Task.objects.get(pk=a.pk).status == "doing"


def test_gantt_payload_query_count_is_pinned(client, am_a, scene, django_assert_num_queries):
    project = scene[0]
    client.force_login(am_a)
    # session + user, the actor's customer shares, project (scoped), tasks, links
    with django_assert_num_queries(6):
        client.get(reverse("projects:gantt_data", args=[project.pk]))


def test_api_project_list_query_count_is_pinned(client, am_a, scene, django_assert_num_queries):
    client.force_login(am_a)
    # session + user, the actor's customer shares, page (count skipped on a short page)
    with django_assert_num_queries(4):
        assert client.get(f"{API}/").status_code == 200


def test_api_list_filters_take_ids_from_the_query_string(client, am_a, scene):
    # A query string carries text: "?customer_id=6" is the id 6, not a type error.
    project, a, _b = scene
    plan.task_update(
        actor=am_a, project_id=project.pk, task_id=a.pk,
        data={"assignee_id": am_a.pk}, version=a.version,
    )  # fmt: skip
    client.force_login(am_a)
    listed = client.get(f"{API}/?customer_id={project.customer_id}")
    assert listed.status_code == 200, listed.content
    assert [p["id"] for p in listed.json()["items"]] == [project.pk]
    other = client.get(f"{API}/?customer_id={project.customer_id + 1000}").json()
    assert other["items"] == []
    tasks = client.get(f"{API}/{project.pk}/tasks?assignee_id={am_a.pk}")
    assert tasks.status_code == 200, tasks.content
    assert [t["name"] for t in tasks.json()["items"]] == ["甲"]
    bad = client.get(f"{API}/?customer_id=abc")
    assert bad.status_code == 422 and "customer_id" in bad.content.decode()
