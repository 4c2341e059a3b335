"""Satisfaction per phase (SPEC E8, ``services.closure.gate_csat_record``): once a phase's
gate passed, the customer's satisfaction with it (1–5, a comment, the contact who gave it)
is recorded by staff on the customer's behalf, once; audited, on the customer's timeline,
in the gate API and shown on the gates and closure pages with the average over phases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.projects import selectors
from guanxi.projects.models import PhaseGate, Project
from guanxi.projects.services import closure as services
from guanxi.projects.services import projects as project_services
from guanxi.projects.tests.factories import PLAN_START

pytestmark = pytest.mark.django_db
API = "/api/v1/projects"
NOW = dt.datetime(2027, 6, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def project(am_a):
    """A project of am_a's customer whose first gate (识别需求) passed."""
    project = project_services.project_create(
        actor=am_a, customer_id=CustomerFactory(owner=am_a, team=am_a.team).pk,
        data={"name": "数据平台", "start_date": PLAN_START},
    )  # fmt: skip
    PhaseGate.objects.filter(project=project, phase="identify").update(passed_at=NOW)
    Project.objects.filter(pk=project.pk).update(phase="plan")
    project.refresh_from_db()
    return project


def _record(actor, project, phase="identify", score=4, **kw):
    return services.gate_csat_record(
        actor=actor, project_id=project.pk, phase=phase, score=score, now=NOW, **kw
    )


def _csat(project, phase="identify"):
    return PhaseGate.objects.values_list("csat_score", "csat_comment", "csat_at").get(
        project=project, phase=phase
    )


def test_recording_a_passed_phases_satisfaction_audits_and_writes_the_timeline(am_a, project):
    gate = _record(am_a, project, score="5", comment="需求调研很细致", contact_name="李总")

    gate.refresh_from_db()
    assert (gate.csat_score, gate.csat_comment, gate.csat_contact) == (5, "需求调研很细致", "李总")
    assert (gate.csat_source, gate.csat_at, gate.csat_by) == ("staff", NOW, am_a)
    audit = AuditEntry.objects.filter(model="projects.phasegate", object_id=str(gate.pk))
    assert audit.exists()
    entry = TimelineEntry.objects.filter(customer=project.customer, kind="project").latest("id")
    assert (entry.data["phase"], entry.data["csat_score"], entry.data["source"]) == (
        "identify", 5, "staff",
    )  # fmt: skip
    assert entry.body == "需求调研很细致"


def test_a_phase_whose_gate_has_not_passed_is_refused(am_a, project):
    with pytest.raises(ValidationFailed) as caught:
        _record(am_a, project, phase="plan")
    assert list(caught.value.errors) == ["phase"]
    assert _csat(project, "plan") == (None, "", None)
    assert not TimelineEntry.objects.filter(data__csat_score__isnull=False).exists()


@pytest.mark.parametrize(
    ("score", "comment", "field"),
    [
        (0, "", "csat_score"),
        (6, "", "csat_score"),
        ("很好", "", "csat_score"),
        ("", "", "csat_score"),
        (None, "", "csat_score"),
        (3, "长" * 2001, "csat_comment"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(am_a, project, score, comment, field):
    with pytest.raises(ValidationFailed) as caught:
        _record(am_a, project, score=score, comment=comment)
    assert field in caught.value.errors
    assert _csat(project) == (None, "", None)
    assert not AuditEntry.objects.filter(model="projects.phasegate").exists()


def test_an_unknown_phase_is_refused(am_a, project):
    with pytest.raises(ValidationFailed) as caught:
        _record(am_a, project, phase="deploy")
    assert list(caught.value.errors) == ["phase"]


def test_a_second_score_for_the_same_phase_is_a_conflict(am_a, project):
    _record(am_a, project, score=4)
    with pytest.raises(Conflict):
        _record(am_a, project, score=1)
    assert _csat(project)[0] == 4


def test_another_department_gets_not_found_and_a_plain_member_is_refused(am_a, am_b, project):
    with pytest.raises(NotFound):
        _record(am_b, project)
    member = UserFactory(username="member_a", role=Role.PROJECT_MEMBER, team=am_a.team)
    project_services.member_add(actor=am_a, project_id=project.pk, user_id=member.pk)
    with pytest.raises(PermissionDenied):
        _record(member, project)
    assert _csat(project) == (None, "", None)


def test_the_average_is_over_the_scored_phases(am_a, project):
    PhaseGate.objects.filter(project=project, phase="plan").update(passed_at=NOW)
    _record(am_a, project, "identify", 5)
    _record(am_a, project, "plan", 2)

    summary = selectors.phase_csat(gates=selectors.gates(project=project))

    assert [g.phase for g in summary["phases"]] == ["identify", "plan"]
    assert (summary["count"], summary["average"]) == (2, Decimal("3.5"))
    assert selectors.phase_csat(gates=[])["average"] is None


def test_api_records_and_lists_the_phase_satisfaction(client, am_a, am_b, project):
    url = f"{API}/{project.pk}/gates/identify/csat"
    client.force_login(am_b)
    assert client.post(url, {"score": 4}, content_type="application/json").status_code == 404
    client.force_login(am_a)
    bad = client.post(url, {"score": 9}, content_type="application/json")
    assert bad.status_code == 422 and "score" in bad.content.decode()
    not_passed = client.post(
        f"{API}/{project.pk}/gates/plan/csat", {"score": 4}, content_type="application/json"
    )
    assert not_passed.status_code == 422 and "phase" in not_passed.content.decode()
    assert _csat(project) == (None, "", None)

    done = client.post(
        url, {"score": 4, "comment": "沟通及时", "contact_name": "李总"},
        content_type="application/json",
    )  # fmt: skip

    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["phase"], body["csat_score"], body["csat_source"]) == ("identify", 4, "staff")
    assert body["csat_contact"] == "李总" and body["csat_at"]
    again = client.post(url, {"score": 2}, content_type="application/json")
    assert again.status_code == 409
    listed = {g["phase"]: g for g in client.get(f"{API}/{project.pk}/gates").json()}
    assert listed["identify"]["csat_score"] == 4 and listed["plan"]["csat_score"] is None


def test_openapi_documents_the_operation(client, am_a):
    client.force_login(am_a)
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/projects/{project_id}/gates/{phase}/csat"]["post"]
    assert {"200", "403", "404", "409", "422"} <= set(operation["responses"])
    assert "csat_score" in schema["components"]["schemas"]["GateOut"]["properties"]


def test_gates_and_closure_pages_show_and_record_it(
    client, am_a, project, django_assert_max_num_queries
):
    client.force_login(am_a)
    page = client.get(f"/projects/{project.pk}/gates/").content.decode()
    assert 'data-csat-form="identify"' in page and 'data-csat-form="plan"' not in page

    done = client.post(
        f"/projects/{project.pk}/gates/identify/csat/",
        {"csat_score": "3", "csat_comment": "进度略慢", "contact_name": "李总"},
    )
    assert done.status_code == 302
    refused = client.post(f"/projects/{project.pk}/gates/identify/csat/", {"csat_score": "5"})
    assert refused.status_code == 409 and 'id="project-error"' in refused.content.decode()

    with django_assert_max_num_queries(20):
        page = client.get(f"/projects/{project.pk}/gates/").content.decode()
    assert 'data-csat-score="3"' in page and 'data-average="3.00"' in page
    with django_assert_max_num_queries(20):
        closure = client.get(f"/projects/{project.pk}/closure/").content.decode()
    assert 'data-csat-phase="identify"' in closure and "进度略慢" in closure
    assert 'id="csat-phase-average">3.0 / 5' in closure
