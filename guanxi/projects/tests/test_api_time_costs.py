"""Time and cost over the API and the pages: the week put (errors naming the cell, nothing
saved), submit and approve (the wrong approver 403, another department 404), cost rates
for admins and managers only, cost entries CRUD with submit and the approval decision,
bad input 422 naming the field (huge numbers, null bodies, bad weeks), the pages with
pinned query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from guanxi.approvals.models import ApproverKind, Flow, FlowStep
from guanxi.customers.tests.test_api_support import Api, error_fields
from guanxi.projects.models import CostEntry, CostRate, CostStatus, TimeEntry, TimeStatus
from guanxi.projects.services import costs, timesheets
from guanxi.projects.tests.test_time_costs import MONDAY, WEEK, _row, _save
from guanxi.projects.tests.test_time_costs import scene as scene

pytestmark = pytest.mark.django_db
P = "/projects"


def _put(api, rows, week=WEEK):
    return api.call("put", f"{P}/time/weeks/{week}", {"rows": rows})


def test_put_a_week_then_read_it(scene):
    api = Api(scene["worker"])
    response = _put(
        api, [{"task_id": scene["a"].pk, "hours": ["8", 7.5, None, 0, None, None, None]}]
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["week"] == WEEK
    assert [(e["date"], e["hours"]) for e in body["entries"]] == [
        ("2027-03-01", "8.00"), ("2027-03-02", "7.50"),
    ]  # fmt: skip
    again = api.get(f"{P}/time/weeks/{WEEK}").json()
    assert len(again["entries"]) == 2
    listed = api.get(f"{P}/time/entries", date_from="2027-03-01", date_to="2027-03-07").json()
    assert listed["count"] == 2


def test_a_bad_week_put_names_the_cells_and_saves_nothing(scene):
    api = Api(scene["worker"])
    response = _put(
        api,
        [
            {"task_id": scene["a"].pk, "hours": ["20", None, None, None, None, None, None]},
            {"task_id": scene["b"].pk, "hours": ["5", None, None, None, None, None, None]},
        ],
    )
    assert response.status_code == 422
    assert error_fields(response) == ["days.0"]
    assert not TimeEntry.objects.exists()

    too_big = _put(api, [{"task_id": scene["a"].pk, "hours": ["1e9"] + [None] * 6}])
    assert too_big.status_code == 422
    assert any("hours" in f for f in error_fields(too_big))
    six = _put(api, [{"task_id": scene["a"].pk, "hours": ["1"] * 6}])
    assert six.status_code == 422
    assert api.call("put", f"{P}/time/weeks/2027-W99", {"rows": []}).status_code == 422
    assert api.call("put", f"{P}/time/weeks/{WEEK}", None).status_code == 422
    null = api.client.put(f"/api/v1{P}/time/weeks/{WEEK}", b"null", content_type="application/json")
    assert null.status_code == 422
    assert not TimeEntry.objects.exists()


def test_submit_and_approve_over_the_api(scene):
    worker = Api(scene["worker"])
    _put(worker, [{"task_id": scene["a"].pk, "hours": ["8", "8"] + [None] * 5}])
    assert worker.post(f"{P}/time/weeks/{WEEK}/submit").json() == {"count": 2}
    ids = list(TimeEntry.objects.values_list("pk", flat=True))

    assert worker.post(f"{P}/time/entries/approve", {"entry_ids": ids}).status_code == 403
    assert (
        Api(scene["colleague"]).post(f"{P}/time/entries/approve", {"entry_ids": ids}).status_code
        == 403
    )
    assert (
        Api(scene["stranger"]).post(f"{P}/time/entries/approve", {"entry_ids": ids}).status_code
        == 404
    )
    assert set(TimeEntry.objects.values_list("status", flat=True)) == {TimeStatus.SUBMITTED}

    response = Api(scene["pm"]).post(f"{P}/time/entries/approve", {"entry_ids": ids})
    assert response.json() == {"count": 2}
    assert set(TimeEntry.objects.values_list("status", flat=True)) == {TimeStatus.APPROVED}
    assert (
        Api(scene["pm"])
        .post(f"{P}/time/entries/reject", {"entry_ids": ids, "reason": ""})
        .status_code
        == 422
    )


def test_copy_last_week_over_the_api(scene):
    _save(scene["worker"], _row(scene["a"], "8"), week="2027-W08")
    response = Api(scene["worker"]).post(f"{P}/time/weeks/{WEEK}/copy-last-week")
    assert response.json() == {"count": 1}
    assert TimeEntry.objects.filter(date=MONDAY, status=TimeStatus.DRAFT).count() == 1


def test_cost_rates_are_for_admins_and_managers(scene, admin_user):
    body = {"role": "开发工程师", "hourly_rate": "260.00", "valid_from": "2027-01-01"}
    assert Api(scene["worker"]).post(f"{P}/costs/rates", body).status_code == 403
    assert Api(scene["worker"]).get(f"{P}/costs/rates").status_code == 403
    created = Api(scene["head"]).post(f"{P}/costs/rates", body)
    assert created.status_code == 201, created.content
    rate = created.json()
    assert Api(admin_user).post(f"{P}/costs/rates", body).status_code == 409  # same role, day
    huge = Api(admin_user).post(f"{P}/costs/rates", {**body, "hourly_rate": "1e20"})
    assert huge.status_code == 422 and error_fields(huge) == ["hourly_rate"]
    patched = Api(admin_user).patch(
        f"{P}/costs/rates/{rate['id']}", {"hourly_rate": "280", "version": rate["version"]}
    )
    assert patched.json()["hourly_rate"] == "280.00"
    stale = Api(admin_user).patch(
        f"{P}/costs/rates/{rate['id']}", {"hourly_rate": "1", "version": 1}
    )
    assert stale.status_code == 409
    assert Api(admin_user).delete(f"{P}/costs/rates/{rate['id']}", version=2).status_code == 204
    assert not CostRate.objects.exists()


@override_settings(GUANXI_COST_APPROVAL_LIMIT="5000")
def test_cost_entries_over_the_api(scene):
    Flow.objects.create(document_type="project_cost", name="项目成本审批")
    FlowStep.objects.create(
        flow=Flow.objects.get(), position=1, name="经理审批", approver_kind=ApproverKind.USER,
        user=scene["head"],
    )  # fmt: skip
    worker = Api(scene["worker"])
    project = scene["project"]
    bad = worker.post(
        f"{P}/{project.pk}/cost-entries",
        {"category": "x", "amount": "99999999999999999", "date": "1999-01-01"},
    )
    assert bad.status_code == 422
    assert set(error_fields(bad)) == {"category", "amount", "date"}
    created = worker.post(
        f"{P}/{project.pk}/cost-entries",
        {"category": "materials", "amount": "12000.00", "date": "2027-03-02",
         "task_id": scene["a"].pk, "description": "服务器"},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    entry = created.json()
    assert entry["status"] == "draft"
    assert worker.get(f"{P}/{project.pk}/cost-entries").json()["count"] == 1
    assert Api(scene["stranger"]).get(f"{P}/costs/entries/{entry['id']}").status_code == 404

    submitted = worker.post(f"{P}/costs/entries/{entry['id']}/submit", {"version": 1})
    assert submitted.json()["status"] == "pending"
    refused = Api(scene["pm"]).post(
        f"{P}/costs/entries/{entry['id']}/decision", {"decision": "approve"}
    )
    assert refused.status_code == 403
    decided = Api(scene["head"]).post(
        f"{P}/costs/entries/{entry['id']}/decision", {"decision": "approve"}
    )
    assert decided.json()["status"] == "approved", decided.content
    actuals = worker.get(f"{P}/{project.pk}/actuals").json()
    assert actuals["total"] == "12000.00"
    assert actuals["by_category"]["materials"] == "12000.00"
    assert actuals["cost_by_task"] == {str(scene["a"].pk): "12000.00"}
    # An approved entry can no longer be changed or deleted.
    assert worker.patch(
        f"{P}/costs/entries/{entry['id']}", {"amount": "1", "version": 3}
    ).status_code in (409, 422)
    assert worker.delete(f"{P}/costs/entries/{entry['id']}", version=3).status_code == 422


# --- pages --------------------------------------------------------------------------------


def test_the_timesheet_page_saves_and_shows_errors_by_cell(
    client, scene, django_assert_max_num_queries
):
    worker, a = scene["worker"], scene["a"]
    client.force_login(worker)
    url = reverse("projects:timesheet")
    page = client.get(url, {"week": WEEK, "add": a.pk})
    assert page.status_code == 200
    assert f'name="row-0-task" value="{a.pk}"' in page.content.decode()

    saved = client.post(url, {"week": WEEK, "action": "save", "row-0-task": a.pk,
                              "h-0-0": "8", "h-0-1": "4"})  # fmt: skip
    assert saved.status_code == 302
    assert TimeEntry.objects.count() == 2

    refused = client.post(url, {"week": WEEK, "action": "save", "row-0-task": a.pk,
                                "h-0-0": "25", "h-0-1": "x"})  # fmt: skip
    assert refused.status_code == 422
    html = refused.content.decode()
    assert html.count("data-cell-error") == 2 and 'value="25"' in html
    assert TimeEntry.objects.get(date=MONDAY).hours == Decimal("8")

    _save(worker, _row(scene["b"], "1", "1", "1"))
    with django_assert_max_num_queries(14):
        assert client.get(url, {"week": WEEK}).status_code == 200

    submitted = client.post(url, {"week": WEEK, "action": "submit", "row-0-task": a.pk,
                                  "h-0-0": "8", "h-0-1": "4"})  # fmt: skip
    assert submitted.status_code == 302
    assert not TimeEntry.objects.exclude(status=TimeStatus.SUBMITTED).exists()


def test_the_approval_page_lists_and_approves(client, scene):
    _save(scene["worker"], _row(scene["a"], "8"))
    timesheets.timesheet_week_submit(actor=scene["worker"], week=WEEK)
    client.force_login(scene["pm"])
    page = client.get(reverse("projects:time_approvals"))
    assert "data-approval-group" in page.content.decode()
    ids = ",".join(str(i) for i in TimeEntry.objects.values_list("pk", flat=True))
    client.post(reverse("projects:time_approvals"), {"ids": ids, "action": "approve"})
    assert TimeEntry.objects.get().status == TimeStatus.APPROVED
    client.force_login(scene["worker"])
    assert (
        "data-approval-group" not in client.get(reverse("projects:time_approvals")).content.decode()
    )


@override_settings(GUANXI_COST_APPROVAL_LIMIT="5000")
def test_the_costs_tab_adds_and_totals(client, scene, django_assert_max_num_queries):
    project = scene["project"]
    client.force_login(scene["worker"])
    url = reverse("projects:costs", args=[project.pk])
    added = client.post(url, {"category": "travel", "amount": "1200", "date": "2027-03-02",
                              "description": "差旅", "submit": "1"})  # fmt: skip
    assert added.status_code == 302
    assert CostEntry.objects.get().status == CostStatus.APPROVED
    bad = client.post(url, {"category": "travel", "amount": "-5", "date": "2027-03-02"})
    assert bad.status_code == 422 and CostEntry.objects.count() == 1
    for amount in ("10", "20", "30"):
        costs.cost_entry_create(
            actor=scene["worker"], project_id=project.pk,
            data={"category": "other", "amount": amount, "date": dt.date(2027, 3, 3)},
        )  # fmt: skip
    with django_assert_max_num_queries(16):
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "¥1,200.00" in html
    entry = CostEntry.objects.first()
    assert (
        client.get(reverse("projects:cost_entry", args=[project.pk, entry.pk])).status_code == 200
    )
    client.force_login(scene["stranger"])
    assert client.get(url).status_code == 404
