"""Closing a project (``services.closure``): refused before the last phase and with open
tasks unless forced with a reason; the closure record with the actual cost, the last gate
passed, lessons, the customer's evaluation (at closure, later by staff, or through the
portal, once), the account manager's follow-up visit on their "my day", the customer's
timeline; the API and the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from guanxi.core.errors import Conflict, NotFound, ValidationFailed
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.notifications.models import Notification
from guanxi.projects.models import (
    CostEntry,
    LessonLearned,
    PhaseGate,
    Project,
    ProjectClosure,
    Task,
)
from guanxi.projects.services import closure as services
from guanxi.projects.services import projects as project_services
from guanxi.projects.tests.factories import PLAN_START
from guanxi.service import selectors as service_selectors
from guanxi.service.models import FollowUp

pytestmark = pytest.mark.django_db
API = "/api/v1/projects"
NOW = dt.datetime(2027, 6, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def project(am_a):
    """A project of am_a's customer, in its last phase, one task done."""
    project = project_services.project_create(
        actor=am_a, customer_id=CustomerFactory(owner=am_a).pk,
        data={"name": "数据平台", "start_date": PLAN_START, "budget": "50000"},
    )  # fmt: skip
    Task.objects.create(project=project, name="上线", status="done", progress=100)
    Project.objects.filter(pk=project.pk).update(phase="close")
    project.refresh_from_db()
    return project


def _close(actor, project, **kw):
    kw.setdefault("version", Project.objects.get(pk=project.pk).version)
    return services.close_project(actor=actor, project_id=project.pk, now=NOW, **kw)


def test_closure_closes_the_project_and_plans_the_account_managers_visit(am_a, project):
    CostEntry.objects.create(
        project=project, category="travel", amount=Decimal("1234.50"), date=PLAN_START,
        status="approved",
    )  # fmt: skip

    closure = _close(
        am_a, project, summary="按期上线",
        lessons=[{"category": "went_well", "text": "每周与客户对齐"},
                 {"category": "to_change", "text": "需求冻结要早", "tags": "需求"}],
    )  # fmt: skip

    project.refresh_from_db()
    assert (project.status, project.lifecycle_stage) == ("closed", "feedback")
    assert closure.actual_cost == Decimal("1234.50") and closure.budget == Decimal("50000.00")
    assert closure.summary == "按期上线" and closure.open_tasks == 0
    assert PhaseGate.objects.get(project=project, phase="close").passed_at == NOW
    assert LessonLearned.objects.filter(project=project).count() == 2
    visit = FollowUp.objects.get(customer=project.customer)
    assert closure.follow_up == visit and visit.owner == am_a and visit.status == "pending"
    assert visit.due_date == dt.date(2027, 6, 1) + dt.timedelta(days=services.followup_days())
    # On the account manager's "my day" and in their inbox.
    assert list(service_selectors.my_followups(actor=am_a)) == [visit]
    assert Notification.objects.filter(recipient=am_a, kind="service_followup_assigned").exists()
    entry = TimelineEntry.objects.filter(customer=project.customer, kind="project").latest("id")
    assert entry.data["actual_cost"] == "1234.50"


def test_closure_is_refused_before_the_last_phase(am_a, project):
    Project.objects.filter(pk=project.pk).update(phase="execute")
    with pytest.raises(ValidationFailed) as caught:
        _close(am_a, project)
    assert list(caught.value.errors) == ["phase"]
    assert not ProjectClosure.objects.exists() and not FollowUp.objects.exists()


def test_open_tasks_are_named_and_refused_unless_forced_with_a_reason(am_a, project):
    Task.objects.create(project=project, name="培训", status="doing")
    with pytest.raises(ValidationFailed) as caught:
        _close(am_a, project)
    assert list(caught.value.errors) == ["force_reason"]
    assert "培训" in caught.value.errors["force_reason"][0]
    project.refresh_from_db()
    assert project.status == "active" and not ProjectClosure.objects.exists()

    closure = _close(am_a, project, force_reason="客户要求提前结项")
    assert closure.open_tasks == 1 and closure.forced_reason == "客户要求提前结项"


def test_a_second_closure_is_a_conflict(am_a, project):
    _close(am_a, project)
    with pytest.raises(Conflict):
        _close(am_a, project)
    assert FollowUp.objects.count() == 1


def test_a_stale_version_is_a_conflict(am_a, project):
    with pytest.raises(Conflict):
        _close(am_a, project, version=project.version + 5)
    assert not ProjectClosure.objects.exists()


def test_a_bad_lesson_rolls_back_the_whole_closure(am_a, project):
    with pytest.raises(ValidationFailed) as caught:
        _close(am_a, project, lessons=[{"category": "went_well", "text": ""}])
    assert list(caught.value.errors) == ["lessons[0].text"]
    project.refresh_from_db()
    assert project.status == "active"
    assert not ProjectClosure.objects.exists() and not FollowUp.objects.exists()


def test_evaluation_at_closure_then_once_only(am_a, project):
    closure = _close(am_a, project, evaluation={"score": 4, "comment": "团队专业"})
    assert (closure.evaluation_score, closure.evaluation_source) == (4, "staff")
    assert TimelineEntry.objects.filter(
        customer=project.customer, data__evaluation_score=4
    ).exists()
    with pytest.raises(Conflict):
        services.closure_evaluate(actor=am_a, project_id=project.pk, score=5)


def test_evaluation_later_by_staff_or_by_the_customer(am_a, project, portal_user):
    _close(am_a, project)
    with pytest.raises(ValidationFailed) as caught:
        services.closure_evaluate(actor=am_a, project_id=project.pk, score=6)
    assert list(caught.value.errors) == ["evaluation_score"]
    other = CustomerFactory()
    with pytest.raises(NotFound):
        services.closure_evaluate_for_customer(
            actor=portal_user, customer_id=other.pk, project_id=project.pk, score=5
        )
    closure = services.closure_evaluate_for_customer(
        actor=portal_user, customer_id=project.customer_id, project_id=project.pk, score=2,
        comment="沟通不及时",
    )  # fmt: skip
    assert (closure.evaluation_score, closure.evaluation_source) == (2, "portal")


def test_another_department_cannot_close(am_b, project):
    with pytest.raises(NotFound):
        _close(am_b, project)


def test_api_closure_round_trip_and_scope(client, am_a, am_b, project):
    client.force_login(am_b)
    body = {"version": project.version, "summary": "完成"}
    url = f"{API}/{project.pk}/closure"
    assert client.post(url, body, content_type="application/json").status_code == 404
    client.force_login(am_a)
    assert client.get(url).status_code == 404
    created = client.post(
        url,
        {**body, "lessons": [{"category": "to_change", "text": "提前锁定资源"}],
         "evaluation": {"score": 5, "comment": "满意"}},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["evaluation_score"] == 5 and created.json()["follow_up_id"]
    assert client.get(url).json()["summary"] == "完成"
    again = client.post(url, body, content_type="application/json")
    assert again.status_code in (409, 422)
    found = client.get(f"{API}/lessons/search", {"q": "资源"}).json()
    assert [item["project_name"] for item in found["items"]] == ["数据平台"]
    bad = client.post(
        f"{API}/{project.pk}/closure/evaluation", {"score": 0}, content_type="application/json"
    )
    assert bad.status_code == 422 and "score" in bad.content.decode()


def test_closure_page_closes_and_shows_the_record(client, am_a, project):
    client.force_login(am_a)
    page = client.get(f"/projects/{project.pk}/closure/")
    assert page.status_code == 200 and 'id="closure-form"' in page.content.decode()
    done = client.post(
        f"/projects/{project.pk}/closure/",
        {"version": project.version, "summary": "顺利", "went_well": "沟通顺畅",
         "evaluation_score": "5"},
    )  # fmt: skip
    assert done.status_code == 302
    html = client.get(f"/projects/{project.pk}/closure/").content.decode()
    assert 'id="closure-record"' in html and 'data-score="5"' in html and "沟通顺畅" in html
