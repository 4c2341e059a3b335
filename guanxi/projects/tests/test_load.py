"""Resource load (E10): weekly hours from assignments and allocation %, capacity from the
working calendar, over-allocation, scope, the pages and the API; plus the plan file page
and API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, UserFactory
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.projects import load, mspdi
from guanxi.projects.models import Project, Task
from guanxi.projects.tests.factories import MemberFactory, ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db

MON = dt.date(2027, 3, 1)  # a Monday; no holiday in March 2027
SAMPLE = (Path(__file__).parent / "data" / "erp_rollout.xml").read_bytes()


@pytest.fixture
def person(team_a):
    return UserFactory(username="zhang", display_name="张工", role=Role.PROJECT_MEMBER,
                       team=team_a)  # fmt: skip


def _task(project, person, start, finish, **kw):
    return TaskFactory(project=project, assignee=person, start_date=start, finish_date=finish,
                       **kw)  # fmt: skip


def test_estimate_spreads_over_working_days(admin_user, person):
    project = ProjectFactory()
    # 60 h over Mon..Fri of week 1 and Mon..Fri of week 2 (10 working days): 30 h a week.
    _task(project, person, MON, MON + dt.timedelta(days=11), estimate_hours=Decimal("60"))
    (row,) = load.load_by_person(actor=admin_user, start=MON, weeks=3)
    assert [w.hours for w in row.weeks] == [Decimal("30.0"), Decimal("30.0"), Decimal("0")]
    assert [w.capacity for w in row.weeks] == [Decimal("40")] * 3
    assert [w.percent for w in row.weeks] == [75, 75, 0]
    assert not any(w.over for w in row.weeks)


def test_allocation_counts_when_there_is_no_estimate_and_two_projects_overload(admin_user, person):
    a, b = ProjectFactory(), ProjectFactory()
    MemberFactory(project=a, user=person, allocation=60)
    MemberFactory(project=b, user=person, allocation=50)
    _task(a, person, MON, MON + dt.timedelta(days=4))
    _task(b, person, MON, MON + dt.timedelta(days=4))
    (row,) = load.load_by_person(actor=admin_user, start=MON, weeks=1)
    week = row.weeks[0]
    assert week.projects == {a.pk: Decimal("24.0"), b.pk: Decimal("20.0")}
    assert week.percent == 110 and week.over
    assert row.over_weeks == 1


def test_holiday_week_has_less_capacity(admin_user, person):
    # National Day 2026: 5–7 October are holidays, so that week has fewer working hours.
    oct5 = dt.date(2026, 10, 5)
    _task(ProjectFactory(), person, oct5 - dt.timedelta(days=7), oct5 + dt.timedelta(days=4),
          estimate_hours=Decimal("8"))  # fmt: skip
    (row,) = load.load_by_person(actor=admin_user, start=oct5 - dt.timedelta(days=7), weeks=2)
    assert row.weeks[1].week == oct5
    assert row.weeks[1].capacity < Decimal("40")


def test_done_milestone_and_summary_tasks_load_nobody(admin_user, person):
    project = ProjectFactory()
    _task(project, person, MON, MON, status="done", estimate_hours=8)
    _task(project, person, MON, MON, milestone=True, duration_days=0)
    _task(project, person, MON, MON, is_summary=True, estimate_hours=8)
    assert load.load_by_person(actor=admin_user, start=MON, weeks=1) == []


def test_load_counts_only_projects_the_actor_reads(am_b, person):
    project = ProjectFactory()
    _task(project, person, MON, MON, estimate_hours=8)
    assert load.load_by_person(actor=am_b, start=MON, weeks=1) == []


def test_load_page_flags_over_allocation(client, admin_user, person):
    a = ProjectFactory()
    _task(a, person, MON, MON + dt.timedelta(days=4), estimate_hours=Decimal("50"))
    client.login(username=admin_user.username, password=PASSWORD)
    page = client.get("/projects/load/", {"start": "2027-03-03", "weeks": "4"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="load-over"' in html and "张工" in html and "125%" in html
    person_page = client.get(f"/projects/people/{person.pk}/load/", {"start": "2027-03-01"})
    assert person_page.status_code == 200
    assert 'id="person-over"' in person_page.content.decode()


def test_load_page_bad_parameters_are_named(client, admin_user):
    client.login(username=admin_user.username, password=PASSWORD)
    page = client.get("/projects/load/", {"start": "soon", "weeks": "999"})
    assert page.status_code == 422
    html = page.content.decode()
    assert 'data-field="start"' in html and 'data-field="weeks"' in html


def test_load_page_refuses_a_role_without_projects(client, agent):
    client.login(username=agent.username, password=PASSWORD)
    assert client.get("/projects/load/").status_code == 403


def test_load_api(client, admin_user, person):
    _task(ProjectFactory(), person, MON, MON, estimate_hours=Decimal("10"))
    client.login(username=admin_user.username, password=PASSWORD)
    body = client.get("/api/v1/projects/resources/load",
                      {"start": "2027-03-01", "weeks": 1}).json()  # fmt: skip
    assert body[0]["user_id"] == person.pk
    assert body[0]["weeks"][0]["hours"] == 10.0 and body[0]["weeks"][0]["percent"] == 25
    bad = client.get("/api/v1/projects/resources/load", {"weeks": 0})
    assert bad.status_code == 422 and "weeks" in bad.content.decode()


# --- plan files: page and API ---------------------------------------------------------------


def test_plan_upload_page_creates_the_project_and_download_gives_it_back(client, am_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    customer = CustomerFactory(owner=am_a)
    client.login(username=am_a.username, password=PASSWORD)
    response = client.post("/projects/plan/import/", {
        "file": SimpleUploadedFile("plan.xml", SAMPLE, "application/xml"),
        "customer": customer.pk,
    })  # fmt: skip
    project = Project.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/"
    assert Task.objects.filter(project=project).count() == 12
    download = client.get(f"/projects/{project.pk}/plan.xml")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/xml")
    assert len(mspdi.parse(download.content).tasks) == 12


def test_plan_upload_page_names_the_problem_and_writes_nothing(client, am_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from guanxi.projects.tests.test_mspdi import BILLION_LAUGHS

    customer = CustomerFactory(owner=am_a)
    client.login(username=am_a.username, password=PASSWORD)
    response = client.post("/projects/plan/import/", {
        "file": SimpleUploadedFile("evil.xml", BILLION_LAUGHS), "customer": customer.pk,
    })  # fmt: skip
    assert response.status_code == 422
    assert "十亿笑声" in response.content.decode()
    assert Project.objects.count() == 0


def test_plan_api_import_and_export(client, am_a, am_b):
    from django.core.files.uploadedfile import SimpleUploadedFile

    customer = CustomerFactory(owner=am_a)
    client.login(username=am_a.username, password=PASSWORD)
    created = client.post("/api/v1/projects/interchange/plan-imports", {
        "file": SimpleUploadedFile("plan.xml", SAMPLE), "customer_id": customer.pk,
    })  # fmt: skip
    assert created.status_code == 201
    body = created.json()
    assert (body["tasks"], body["links"]) == (12, 9)
    xml = client.get(f"/api/v1/projects/{body['project_id']}/plan.xml")
    assert xml.status_code == 200 and b"<TotalSlack>" in xml.content
    client.logout()
    client.login(username=am_b.username, password=PASSWORD)
    assert client.get(f"/api/v1/projects/{body['project_id']}/plan.xml").status_code == 404


def test_plan_api_refuses_a_cycle_naming_it(client, am_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from guanxi.projects.tests.test_mspdi import _file, _task

    customer = CustomerFactory(owner=am_a)
    client.login(username=am_a.username, password=PASSWORD)
    data = _file(_task(1, "设计", preds=(2,)) + _task(2, "开发", preds=(1,)))
    response = client.post("/api/v1/projects/interchange/plan-imports", {
        "file": SimpleUploadedFile("c.xml", data), "customer_id": customer.pk,
    })  # fmt: skip
    assert response.status_code == 422
    assert "循环依赖" in response.json()["errors"][0]["message"]
    assert Project.objects.count() == 0
