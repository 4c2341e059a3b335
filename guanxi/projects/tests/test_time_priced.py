"""Approved time priced once (issue 15): approval stores hours × the rate of the day on the
entry, rejection and reopening clear it, a later rate change leaves it (an accounting
posting) until a rate keeper re-prices on purpose; who keeps cost rates
(``can_manage_cost_rates``: admins and managers) in the services, API and pages; the EV
method per task set on the task, frozen by the baseline and used by earned value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.accounts.models import Role
from guanxi.accounts.permissions import can_manage_cost_rates
from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.tests.test_api_support import Api
from guanxi.projects import selectors_actuals as actuals
from guanxi.projects import selectors_evm
from guanxi.projects.models import BaselineTask, CostRate, Task, TimeEntry, TimeStatus
from guanxi.projects.services import costs, plan, timesheets
from guanxi.projects.services.baselines import take_baseline
from guanxi.projects.tests.test_time_costs import MONDAY, WEEK, _row, _save
from guanxi.projects.tests.test_time_costs import scene as scene

pytestmark = pytest.mark.django_db


def _approve_week(scene, *hours, task="a"):
    if hours:
        _save(scene["worker"], _row(scene[task], *hours))
        timesheets.timesheet_week_submit(actor=scene["worker"], week=WEEK)
    ids = list(TimeEntry.objects.filter(status=TimeStatus.SUBMITTED).values_list("pk", flat=True))
    timesheets.time_entries_approve(actor=scene["pm"], entry_ids=ids)
    return ids


def test_approval_prices_each_entry_at_the_rate_of_its_day(scene):
    CostRate.objects.create(role="开发工程师", hourly_rate=Decimal("100.01"), valid_from=MONDAY)
    CostRate.objects.create(
        user=scene["worker"], hourly_rate=Decimal("150.555"), valid_from=MONDAY + dt.timedelta(1)
    )
    _save(scene["worker"], _row(scene["a"], "1.25", "0.33"))
    timesheets.timesheet_week_submit(actor=scene["worker"], week=WEEK)
    assert set(TimeEntry.objects.values_list("cost", flat=True)) == {None}  # not yet

    _approve_week(scene)

    costs_by_day = dict(TimeEntry.objects.values_list("date", "cost"))
    # Each entry to cents on its own: 1.25 × 100.01 = 125.0125; 0.33 × 150.56 = 49.6848.
    assert costs_by_day == {MONDAY: Decimal("125.01"), MONDAY + dt.timedelta(1): Decimal("49.68")}
    assert actuals.actual_cost_total(scene["project"].pk) == Decimal("174.69")


def test_rejected_entries_have_no_cost(scene):
    CostRate.objects.create(role="开发工程师", hourly_rate=Decimal("100"), valid_from=MONDAY)
    _save(scene["worker"], _row(scene["a"], "8"))
    timesheets.timesheet_week_submit(actor=scene["worker"], week=WEEK)
    ids = list(TimeEntry.objects.values_list("pk", flat=True))
    timesheets.time_entries_reject(actor=scene["pm"], entry_ids=ids, reason="任务不对")
    assert TimeEntry.objects.get().cost is None
    assert actuals.actual_cost_by_day(scene["project"].pk) == {}


def test_reopening_approved_time_clears_its_cost_and_ac_drops(scene):
    CostRate.objects.create(role="开发工程师", hourly_rate=Decimal("100"), valid_from=MONDAY)
    ids = _approve_week(scene, "8", "2")
    assert actuals.actual_cost_total(scene["project"].pk) == Decimal("1000.00")

    assert timesheets.time_entries_reopen(actor=scene["pm"], entry_ids=ids[:1], reason="填错") == 1

    reopened = TimeEntry.objects.get(pk=ids[0])
    assert (reopened.status, reopened.cost, reopened.reject_reason) == ("rejected", None, "填错")
    assert actuals.actual_cost_total(scene["project"].pk) == Decimal("200.00")
    # Only approved entries reopen, only with a reason, and never one's own.
    with pytest.raises(ValidationFailed) as caught:
        timesheets.time_entries_reopen(actor=scene["pm"], entry_ids=ids[:1], reason="再来")
    assert "entry_ids" in caught.value.errors
    with pytest.raises(ValidationFailed):
        timesheets.time_entries_reopen(actor=scene["pm"], entry_ids=ids[1:], reason=" ")
    with pytest.raises(PermissionDenied):
        timesheets.time_entries_reopen(actor=scene["worker"], entry_ids=ids[1:], reason="x")
    assert TimeEntry.objects.get(pk=ids[1]).cost == Decimal("200.00")


def test_a_later_rate_change_keeps_approved_costs_until_a_manager_reprices(scene):
    rate = CostRate.objects.create(role="开发工程师", hourly_rate=Decimal("100"), valid_from=MONDAY)
    ids = _approve_week(scene, "8")
    costs.cost_rate_update(
        actor=scene["head"], rate_id=rate.pk, data={"hourly_rate": "120"}, version=rate.version
    )
    assert TimeEntry.objects.get().cost == Decimal("800.00")  # the posting stands

    with pytest.raises(PermissionDenied):  # the project manager does not keep rates
        timesheets.time_costs_reprice(actor=scene["pm"], project_id=scene["project"].pk)
    assert TimeEntry.objects.get().cost == Decimal("800.00")

    changed = timesheets.time_costs_reprice(actor=scene["head"], project_id=scene["project"].pk)

    entry = TimeEntry.objects.get()
    assert changed == 1 and entry.cost == Decimal("960.00") and entry.version == 4
    audit = AuditEntry.objects.filter(model="projects.timeentry", object_id=str(ids[0])).latest(
        "id"
    )
    assert audit.changes == {"cost": ["800.00", "960.00"]}
    # Nothing left to change: a second run changes nothing.
    assert timesheets.time_costs_reprice(actor=scene["head"], project_id=scene["project"].pk) == 0


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    hours=st.lists(
        st.lists(st.decimals("0.01", "8", places=2) | st.none(), min_size=5, max_size=5),
        min_size=2,
        max_size=2,
    ),
    rate=st.decimals("0", "999.99", places=2),
    raised=st.decimals("0", "999.99", places=2),
)
def test_ac_by_day_by_task_and_the_total_agree_after_approval(scene, hours, rate, raised):
    TimeEntry.objects.all().delete()
    CostRate.objects.all().delete()
    CostRate.objects.create(role="开发工程师", hourly_rate=rate, valid_from=MONDAY)
    CostRate.objects.create(
        user=scene["worker"], hourly_rate=raised, valid_from=MONDAY + dt.timedelta(2)
    )
    rows = [_row(scene[t], *h) for t, h in zip(("a", "b"), hours, strict=True)]
    if not any(x is not None for h in hours for x in h):
        return
    _save(scene["worker"], *rows)
    timesheets.timesheet_week_submit(actor=scene["worker"], week=WEEK)
    ids = list(TimeEntry.objects.values_list("pk", flat=True))
    timesheets.time_entries_approve(actor=scene["pm"], entry_ids=ids)
    project_id = scene["project"].pk

    by_day = actuals.actual_cost_by_day(project_id)
    by_task = actuals.actual_cost_by_task(project_id)

    total = actuals.actual_cost_total(project_id)
    assert sum(by_day.values(), Decimal(0)) == sum(by_task.values(), Decimal(0)) == total
    expected = sum(
        (
            (e.hours * (raised if e.date >= MONDAY + dt.timedelta(2) else rate)).quantize(
                Decimal("0.01")
            )
            for e in TimeEntry.objects.all()
        ),
        Decimal(0),
    )
    assert total == expected


# --- who keeps cost rates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.ADMIN, True),
        (Role.MANAGER, True),
        (Role.PROJECT_MANAGER, False),
        (Role.PROJECT_MEMBER, False),
        (Role.ACCOUNT_MANAGER, False),
    ],
)
def test_only_admins_and_managers_keep_cost_rates(scene, client, role, allowed):
    user = UserFactory(role=role)
    assert can_manage_cost_rates(user) is allowed
    data = {"role": "测试工程师", "hourly_rate": "90", "valid_from": "2027-03-01"}
    api = Api(user)
    created = api.call("post", "/projects/costs/rates", data)
    assert created.status_code == (201 if allowed else 403), created.content
    assert CostRate.objects.filter(role="测试工程师").exists() is allowed
    client.force_login(user)
    page = client.get(reverse("projects:cost_rates"))
    assert page.status_code == (200 if allowed else 403)
    posted = client.post(
        reverse("projects:cost_rates"), {**data, "role": "实施顾问", "action": "create"}
    )
    assert posted.status_code == (302 if allowed else 403)
    assert CostRate.objects.filter(role="实施顾问").exists() is allowed


def test_the_rates_page_names_a_bad_field_and_the_costs_tab_hides_the_rate_tools(
    scene, client, django_assert_max_num_queries
):
    client.force_login(scene["head"])
    for i in range(5):
        CostRate.objects.create(
            user=UserFactory(), hourly_rate=Decimal("90"), valid_from=MONDAY + dt.timedelta(i)
        )
    with django_assert_max_num_queries(8):  # session, user, rates with people, people
        page = client.get(reverse("projects:cost_rates"))
    assert page.content.decode().count("data-rate=") == 5
    CostRate.objects.all().delete()
    bad = client.post(
        reverse("projects:cost_rates"),
        {"action": "create", "role": "架构师", "hourly_rate": "abc", "valid_from": "2027-03-01"},
    )
    assert bad.status_code == 422 and not CostRate.objects.exists()
    assert 'id="rate-amount"' in bad.content.decode()
    costs_url = reverse("projects:costs", args=[scene["project"].pk])
    client.force_login(scene["pm"])
    assert 'id="time-reprice"' not in client.get(costs_url).content.decode()
    refused = client.post(reverse("projects:time_costs_reprice", args=[scene["project"].pk]))
    assert refused.status_code == 403


# --- the EV method per task -------------------------------------------------------------------


def test_the_ev_method_is_set_on_the_task_frozen_by_the_baseline_and_used(scene):
    project, pm = scene["project"], scene["pm"]
    task = scene["a"]
    with pytest.raises(ValidationFailed) as caught:
        plan.task_update(
            actor=pm, project_id=project.pk, task_id=task.pk, data={"ev_method": "75_25"},
            version=task.version,
        )  # fmt: skip
    assert list(caught.value.errors) == ["ev_method"]
    assert Task.objects.get(pk=task.pk).ev_method == ""

    plan.task_update(
        actor=pm, project_id=project.pk, task_id=task.pk,
        data={"ev_method": "0_100", "progress": 60, "estimate_hours": "10"},
        version=Task.objects.get(pk=task.pk).version,
    )  # fmt: skip
    baseline = take_baseline(
        project, actor=pm, name="基线", reason="", budgets={task.pk: "1000", scene["b"].pk: "0"}
    )

    row = BaselineTask.objects.get(baseline=baseline, task=task)
    assert row.ev_method == "0_100"
    result = selectors_evm.evm_result(project=project, baseline=baseline, status_date=MONDAY)
    frozen = next(t for t in result.tasks if t.key == row.pk)
    assert frozen.method == "0_100" and result.figures.ev == 0  # 60 % earns nothing by 0/100
    shown = selectors_evm.evm_task_rows(result)
    assert [(r.name, r.method, r.ev) for r in shown if r.name == task.name] == [
        (task.name, "0_100", Decimal("0.00"))
    ]
