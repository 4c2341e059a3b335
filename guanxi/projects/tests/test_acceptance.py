"""Deliverable acceptance (issue 15 item 3): criteria, submit, the customer's decision (by a
portal approver or staff on behalf of a named contact, no one else), a rejection reopens
the deliverable's tasks and counts against the first-pass acceptance rate; the API and the
交付物 tab, scoped."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.errors import Conflict, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.projects.models import (
    Deliverable,
    DeliverableReview,
    DeliverableStatus,
    Task,
    TaskStatus,
)
from guanxi.projects.selectors_changes import first_pass_rate
from guanxi.projects.services import acceptance
from guanxi.projects.services import projects as project_services
from guanxi.projects.tests.change_helpers import plan_scene_fixture, portal_approver  # noqa: F401

pytestmark = pytest.mark.django_db
API = "/api/v1/projects"


def _deliverable(scene: dict[str, Any], name: str = "数据导出模块", criteria=("导出 10 万行",)):
    d = project_services.deliverable_create(
        actor=scene["pm"], project_id=scene["project"].pk, name=name
    )
    for text in criteria:
        acceptance.criterion_add(
            actor=scene["pm"], project_id=scene["project"].pk, deliverable_id=d.pk, text=text
        )
    return Deliverable.objects.get(pk=d.pk)


def _submit(scene: dict[str, Any], d: Deliverable) -> Deliverable:
    return acceptance.deliverable_submit(
        actor=scene["pm"], project_id=scene["project"].pk, deliverable_id=d.pk, version=d.version
    )


def _decide(scene: dict[str, Any], d: Deliverable, accept: bool, reason: str = "", actor=None):
    return acceptance.deliverable_decide_on_behalf(
        actor=actor or scene["pm"],
        project_id=scene["project"].pk,
        deliverable_id=d.pk,
        accept=accept,
        reason=reason,
        contact_name="王经理",
        version=d.version,
    )


def test_submitting_needs_criteria(plan_scene):
    d = _deliverable(plan_scene, criteria=())
    with pytest.raises(ValidationFailed) as refused:
        _submit(plan_scene, d)
    assert "criteria" in refused.value.errors
    d.refresh_from_db()
    assert d.status == DeliverableStatus.DRAFT and not d.reviews.exists()


def test_accepted_at_the_first_submission_is_a_first_pass(plan_scene):
    s = plan_scene
    d = _submit(s, _deliverable(s, criteria=("导出 10 万行", "支持 GBK")))
    review = DeliverableReview.objects.get(deliverable=d)
    assert review.round == 1 and [c["text"] for c in review.criteria] == [
        "导出 10 万行",
        "支持 GBK",
    ]
    d = _decide(s, d, True)
    assert d.status == DeliverableStatus.ACCEPTED and d.done and d.decided_on_behalf
    assert d.customer_contact == "王经理" and d.rejection_count == 0
    result = first_pass_rate(project_ids=[s["project"].pk])
    assert (result.decided, result.first_pass, result.rate) == (1, 1, Decimal("1.0000"))
    assert (
        TimelineEntry.objects.filter(customer=s["customer"], kind="project")
        .filter(title__contains="数据导出模块")
        .exists()
    )
    assert AuditEntry.objects.filter(model="projects.deliverable", object_id=str(d.pk)).exists()


def test_a_rejection_needs_a_reason_reopens_the_work_and_counts(plan_scene):
    s = plan_scene
    a, b = s["a"], s["b"]
    Task.objects.filter(pk=a.pk).update(status=TaskStatus.DONE, progress=100)
    Task.objects.filter(pk=b.pk).update(status=TaskStatus.REVIEW)
    d = _deliverable(s)
    d = acceptance.deliverable_set_tasks(
        actor=s["pm"],
        project_id=s["project"].pk,
        deliverable_id=d.pk,
        task_ids=[a.pk, b.pk, s["c"].pk],
        version=d.version,
    )
    d = _submit(s, d)
    with pytest.raises(ValidationFailed) as refused:
        _decide(s, d, False, reason="")
    assert "reason" in refused.value.errors
    d = _decide(s, d, False, reason="导出中文乱码")
    assert d.status == DeliverableStatus.REJECTED and not d.done
    assert d.rejection_count == 1 and d.rejection_reason == "导出中文乱码"
    statuses = dict(Task.objects.filter(project=s["project"]).values_list("id", "status"))
    assert statuses[a.pk] == TaskStatus.DOING and statuses[b.pk] == TaskStatus.DOING
    assert statuses[s["c"].pk] == TaskStatus.TODO  # not started: stays where it was
    # Resubmitted and accepted: not a first pass. Another one accepted first time is.
    d = _submit(s, d)
    d = _decide(s, d, True)
    assert list(d.reviews.order_by("round").values_list("decision", flat=True)) == [
        "rejected",
        "accepted",
    ]
    other = _decide(s, _submit(s, _deliverable(s, name="操作手册")), True)
    assert other.status == DeliverableStatus.ACCEPTED
    result = first_pass_rate(project_ids=[s["project"].pk])
    assert (result.decided, result.first_pass, result.rate) == (2, 1, Decimal("0.5000"))


def test_deciding_twice_or_before_submission_is_a_conflict(plan_scene):
    s = plan_scene
    d = _deliverable(s)
    with pytest.raises(Conflict):
        _decide(s, d, True)
    d = _decide(s, _submit(s, d), True)
    with pytest.raises(Conflict):
        _decide(s, d, False, reason="反悔")
    with pytest.raises(Conflict):  # accepted: criteria are frozen
        acceptance.criterion_add(
            actor=s["pm"], project_id=s["project"].pk, deliverable_id=d.pk, text="新增"
        )


def test_only_an_approver_of_the_customer_decides(plan_scene):
    s = plan_scene
    d = _submit(s, _deliverable(s))
    with pytest.raises(PermissionDenied):  # a plain team member
        _decide(s, d, True, actor=s["member"])
    stranger = UserFactory(username="portal_s", role=Role.PORTAL)
    approver = UserFactory(username="portal_a", role=Role.PORTAL, display_name="王经理")
    with portal_approver(approver, s["customer"].pk):
        with pytest.raises(PermissionDenied):
            acceptance.deliverable_customer_decide(d, portal_user=stranger, accept=True)
        d.refresh_from_db()
        assert d.status == DeliverableStatus.SUBMITTED and d.decided_at is None
        acceptance.deliverable_customer_decide(
            d, portal_user=approver, accept=False, reason="缺少说明"
        )
    d.refresh_from_db()
    assert d.status == DeliverableStatus.REJECTED and not d.decided_on_behalf
    assert d.decided_by == approver


# --- API and pages --------------------------------------------------------------------------


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_api_criteria_submit_and_decision(client, plan_scene):
    s = plan_scene
    d = _deliverable(s, criteria=())
    client.force_login(s["pm"])
    base = f"{API}/{s['project'].pk}/deliverables/{d.pk}"
    added = _post(client, f"{base}/criteria", {"text": "导出 10 万行"})
    assert added.status_code == 201, added.content
    criterion = added.json()
    ticked = client.patch(
        f"{API}/{s['project'].pk}/acceptance-criteria/{criterion['id']}",
        data=json.dumps({"met": True}),
        content_type="application/json",
    )
    assert ticked.status_code == 200 and ticked.json()["met"] is True
    linked = client.put(
        f"{base}/tasks",
        data=json.dumps({"version": d.version, "task_ids": [s["a"].pk]}),
        content_type="application/json",
    )
    assert linked.status_code == 200 and linked.json()["task_ids"] == [s["a"].pk]
    version = linked.json()["version"]
    submitted = _post(client, f"{base}/submit", {"version": version})
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    again = _post(client, f"{base}/submit", {"version": submitted.json()["version"]})
    assert again.status_code == 409
    no_reason = _post(
        client,
        f"{base}/customer-decision",
        {"version": submitted.json()["version"], "accept": False, "contact_name": "王经理"},
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.content.decode()
    decided = _post(
        client,
        f"{base}/customer-decision",
        {"version": submitted.json()["version"], "accept": True, "contact_name": "王经理"},
    )
    assert decided.status_code == 200, decided.content
    body = decided.json()
    assert body["status"] == "accepted" and body["reviews"][0]["decision"] == "accepted"
    quality = client.get(f"{API}/{s['project'].pk}/quality").json()
    assert (quality["decided"], quality["first_pass"]) == (1, 1)
    assert Decimal(str(quality["first_pass_rate"])) == 1


def test_api_a_plain_member_may_not_record_the_decision(client, plan_scene):
    s = plan_scene
    d = _submit(s, _deliverable(s))
    client.force_login(s["member"])
    response = _post(
        client,
        f"{API}/{s['project'].pk}/deliverables/{d.pk}/customer-decision",
        {"version": d.version, "accept": True, "contact_name": "王经理"},
    )
    assert response.status_code == 403
    d.refresh_from_db()
    assert d.status == DeliverableStatus.SUBMITTED


def test_api_scope_other_departments_ids_are_404(client, plan_scene, am_b):
    s = plan_scene
    d = _deliverable(s)
    criterion = d.criteria.get()
    client.force_login(am_b)
    assert client.get(f"{API}/{s['project'].pk}/deliverables").status_code == 404
    assert client.get(f"{API}/{s['project'].pk}/deliverables/{d.pk}").status_code == 404
    assert (
        _post(
            client, f"{API}/{s['project'].pk}/deliverables/{d.pk}/submit", {"version": d.version}
        ).status_code
        == 404
    )
    assert (
        client.patch(
            f"{API}/{s['project'].pk}/acceptance-criteria/{criterion.pk}",
            data=json.dumps({"met": True}),
            content_type="application/json",
        ).status_code
        == 404
    )
    criterion.refresh_from_db()
    assert criterion.met is False
    assert client.get(f"{API}/{s['project'].pk}/quality").status_code == 404


def test_the_deliverables_tab(client, plan_scene, django_assert_max_num_queries):
    s = plan_scene
    d = _deliverable(s)
    _deliverable(s, name="操作手册", criteria=("覆盖全部功能", "有截图"))
    client.force_login(s["pm"])
    url = reverse("projects:deliverables", args=[s["project"].pk])
    with django_assert_max_num_queries(25):
        page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert f'data-deliverable="{d.pk}"' in text and "有截图" in text
    response = client.post(
        reverse("projects:deliverable_submit", args=[s["project"].pk, d.pk]),
        {"version": d.version},
    )
    assert response.status_code == 302
    d.refresh_from_db()
    response = client.post(
        reverse("projects:deliverable_decide", args=[s["project"].pk, d.pk]),
        {"version": d.version, "decision": "reject", "contact_name": "王经理", "reason": ""},
    )
    assert response.status_code == 422 and "project-error" in response.content.decode()
    d.refresh_from_db()
    assert d.status == DeliverableStatus.SUBMITTED


def test_the_deliverables_tab_is_404_out_of_scope(client, plan_scene, am_b):
    client.force_login(am_b)
    url = reverse("projects:deliverables", args=[plan_scene["project"].pk])
    assert client.get(url).status_code == 404
