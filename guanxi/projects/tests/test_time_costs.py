"""Time and cost (issue 15 item 1): rate resolution (person beats role, latest valid_from
on or before the day), the week grid (all errors at once naming the cell, the 24-hour cap
across tasks, locked cells), copy last week, submit and approve (the wrong approver is
refused), cost entries approved on submit below the limit and through the approval flow
above it, and the actuals selectors (hypothesis: the sum by day equals the sum by task)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.approvals.models import ApprovalRequest, ApproverKind, Flow, FlowStep, RequestState
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.projects import selectors_actuals as actuals
from guanxi.projects.models import (
    CostEntry,
    CostRate,
    CostStatus,
    ProjectMember,
    TimeEntry,
    TimeStatus,
)
from guanxi.projects.services import costs, timesheets
from guanxi.projects.tests.factories import MemberFactory, ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 3, 1)  # ISO week 2027-W09
WEEK = "2027-W09"


@pytest.fixture
def scene(db):
    team = TeamFactory(name="交付一部")
    other_team = TeamFactory(name="交付二部")
    pm = UserFactory(username="t_pm", role=Role.PROJECT_MANAGER, team=team)
    worker = UserFactory(username="t_worker", role=Role.PROJECT_MEMBER, team=team)
    colleague = UserFactory(username="t_colleague", role=Role.PROJECT_MEMBER, team=team)
    head = UserFactory(username="t_head", role=Role.MANAGER, team=team)
    stranger = UserFactory(username="t_stranger", role=Role.PROJECT_MANAGER, team=other_team)
    project = ProjectFactory(manager=pm, name="数据平台", budget=Decimal("100000"))
    MemberFactory(project=project, user=pm, role="项目经理")
    MemberFactory(project=project, user=worker, role="开发工程师")
    MemberFactory(project=project, user=colleague, role="开发工程师")
    a = TaskFactory(project=project, name="需求分析")
    b = TaskFactory(project=project, name="开发")
    return {
        "pm": pm, "worker": worker, "colleague": colleague, "head": head,
        "stranger": stranger, "project": project, "a": a, "b": b,
    }  # fmt: skip


def _row(task, *hours):
    cells = list(hours) + [None] * (7 - len(hours))
    return {"task_id": task.pk, "hours": cells}


def _save(user, *rows, week=WEEK):
    return timesheets.timesheet_week_save(actor=user, week=week, rows=list(rows))


def _approved(**fields):
    """An approved entry written directly, priced as approval prices it."""
    entry = TimeEntry(status=TimeStatus.APPROVED, **fields)
    timesheets.price_time_entries([entry])
    entry.save()
    return entry


# --- rates --------------------------------------------------------------------------------


def test_the_rate_on_a_day_is_the_latest_valid_from_and_a_person_beats_a_role(scene):
    worker = scene["worker"]
    CostRate.objects.create(role="开发工程师", hourly_rate=Decimal("100"), valid_from=MONDAY)
    CostRate.objects.create(
        role="开发工程师", hourly_rate=Decimal("120"), valid_from=MONDAY + dt.timedelta(days=2)
    )
    CostRate.objects.create(
        user=worker, hourly_rate=Decimal("300"), valid_from=MONDAY + dt.timedelta(days=4)
    )
    table = actuals.rate_table()

    assert table.rate(worker.pk, "开发工程师", MONDAY - dt.timedelta(days=1)) == 0
    assert table.rate(worker.pk, "开发工程师", MONDAY) == Decimal("100")
    assert table.rate(worker.pk, "开发工程师", MONDAY + dt.timedelta(days=3)) == Decimal("120")
    assert table.rate(worker.pk, "开发工程师", MONDAY + dt.timedelta(days=4)) == Decimal("300")
    assert table.rate(worker.pk, "", MONDAY + dt.timedelta(days=3)) == 0


def test_actual_cost_prices_approved_time_at_the_rate_of_its_day(scene):
    worker, pm, a = scene["worker"], scene["pm"], scene["a"]
    CostRate.objects.create(role="开发工程师", hourly_rate=Decimal("100"), valid_from=MONDAY)
    CostRate.objects.create(
        user=worker, hourly_rate=Decimal("150.50"), valid_from=MONDAY + dt.timedelta(days=1)
    )
    _save(worker, _row(a, "8", "4", "2"))
    timesheets.timesheet_week_submit(actor=worker, week=WEEK)
    ids = list(TimeEntry.objects.values_list("pk", flat=True))
    timesheets.time_entries_approve(actor=pm, entry_ids=ids)

    by_day = actuals.actual_cost_by_day(scene["project"].pk)

    assert by_day == {
        MONDAY: Decimal("800.00"),
        MONDAY + dt.timedelta(days=1): Decimal("602.00"),
        MONDAY + dt.timedelta(days=2): Decimal("301.00"),
    }
    assert actuals.actual_hours_by_task(scene["project"].pk) == {a.pk: Decimal("14")}


def test_a_rate_is_a_person_or_a_role_not_both(scene, admin_user):
    with pytest.raises(ValidationFailed) as caught:
        costs.cost_rate_create(
            actor=admin_user,
            data={"user_id": scene["worker"].pk, "role": "开发", "hourly_rate": "1",
                  "valid_from": MONDAY},
        )  # fmt: skip
    assert "role" in caught.value.errors
    with pytest.raises(PermissionDenied):
        costs.cost_rate_create(
            actor=scene["worker"],
            data={"role": "开发", "hourly_rate": "1", "valid_from": MONDAY},
        )
    assert not CostRate.objects.exists()


# --- the week grid ------------------------------------------------------------------------


def test_a_week_saves_in_one_go_and_empty_cells_delete_drafts(scene):
    worker, a, b = scene["worker"], scene["a"], scene["b"]
    _save(worker, _row(a, "8", "7.5"), _row(b, None, "0.5"))
    assert TimeEntry.objects.filter(user=worker).count() == 3

    _save(worker, _row(a, "8", ""), _row(b, None, "0.5"))

    entries = {(e.task_id, e.date): e.hours for e in TimeEntry.objects.filter(user=worker)}
    assert entries == {
        (a.pk, MONDAY): Decimal("8"),
        (b.pk, MONDAY + dt.timedelta(days=1)): Decimal("0.5"),
    }
    assert AuditEntry.objects.filter(model="projects.timeentry", action="delete").count() == 1


def test_a_bad_week_names_every_bad_cell_and_saves_nothing(scene):
    worker, a, b = scene["worker"], scene["a"], scene["b"]
    foreign = TaskFactory(name="别人的任务")  # another project, worker is not on it

    with pytest.raises(ValidationFailed) as caught:
        _save(
            worker,
            _row(a, "8", "abc", "25", "-1", "1.234"),
            _row(b, "2"),
            {"task_id": foreign.pk, "hours": ["1"] * 7},
        )

    assert set(caught.value.errors) == {
        "rows.0.hours.1", "rows.0.hours.2", "rows.0.hours.3", "rows.0.hours.4", "rows.2.task_id",
    }  # fmt: skip
    assert not TimeEntry.objects.exists()


def test_a_day_over_24_hours_across_tasks_is_refused(scene):
    worker, a, b = scene["worker"], scene["a"], scene["b"]
    _save(worker, _row(a, "20"))

    with pytest.raises(ValidationFailed) as caught:
        _save(worker, _row(b, "5"))  # task a's 20 h stay, not in this grid

    assert set(caught.value.errors) == {"days.0"}
    assert list(TimeEntry.objects.values_list("task_id", "hours")) == [(a.pk, Decimal("20"))]
    _save(worker, _row(b, "4"))
    assert TimeEntry.objects.count() == 2


def test_submitted_and_approved_cells_cannot_change(scene):
    worker, a = scene["worker"], scene["a"]
    _save(worker, _row(a, "8"))
    timesheets.timesheet_week_submit(actor=worker, week=WEEK)

    with pytest.raises(ValidationFailed) as caught:
        _save(worker, _row(a, "6"))

    assert set(caught.value.errors) == {"rows.0.hours.0"}
    entry = TimeEntry.objects.get()
    assert entry.hours == Decimal("8") and entry.status == TimeStatus.SUBMITTED
    _save(worker, _row(a, "8", "2"))  # the unchanged submitted cell rides along
    assert TimeEntry.objects.count() == 2


def test_copy_last_week_fills_only_empty_cells_as_drafts(scene):
    worker, a, b = scene["worker"], scene["a"], scene["b"]
    _save(worker, _row(a, "8", "8"), _row(b, "1"), week="2027-W08")
    timesheets.timesheet_week_submit(actor=worker, week="2027-W08")
    _save(worker, _row(a, None, "3"))

    copied = timesheets.timesheet_copy_last_week(actor=worker, week=WEEK)

    assert copied == 2  # a Monday and b Monday; a Tuesday already had 3 h
    week = {
        (e.task_id, e.date): (e.hours, e.status)
        for e in TimeEntry.objects.filter(user=worker, date__gte=MONDAY)
    }
    assert week == {
        (a.pk, MONDAY): (Decimal("8"), TimeStatus.DRAFT),
        (a.pk, MONDAY + dt.timedelta(days=1)): (Decimal("3"), TimeStatus.DRAFT),
        (b.pk, MONDAY): (Decimal("1"), TimeStatus.DRAFT),
    }


def test_a_week_must_be_an_iso_week():
    for bad in ("2027-9", "2027-W60", "1999-W10", "abc", None):
        with pytest.raises(ValidationFailed) as caught:
            timesheets.parse_week(bad)
        assert set(caught.value.errors) == {"week"}
    assert timesheets.parse_week("2027-W09") == MONDAY


# --- approval -----------------------------------------------------------------------------


def _submitted(scene):
    _save(scene["worker"], _row(scene["a"], "8", "8"))
    timesheets.timesheet_week_submit(actor=scene["worker"], week=WEEK)
    return list(TimeEntry.objects.values_list("pk", flat=True))


def test_the_project_manager_approves_submitted_time(scene):
    ids = _submitted(scene)
    assert timesheets.time_entries_approve(actor=scene["pm"], entry_ids=ids) == 2
    assert set(TimeEntry.objects.values_list("status", "approved_by")) == {
        (TimeStatus.APPROVED, scene["pm"].pk)
    }


def test_the_department_manager_approves_and_rejection_needs_a_reason(scene):
    ids = _submitted(scene)
    with pytest.raises(ValidationFailed):
        timesheets.time_entries_reject(actor=scene["head"], entry_ids=ids, reason=" ")
    timesheets.time_entries_reject(actor=scene["head"], entry_ids=ids, reason="请拆分到子任务")
    entry = TimeEntry.objects.first()
    assert entry.status == TimeStatus.REJECTED and entry.reject_reason == "请拆分到子任务"
    # An edited rejected entry is a draft again; an untouched one stays rejected; the week's
    # submit sends both again.
    _save(scene["worker"], _row(scene["a"], "6", "8"))
    assert dict(TimeEntry.objects.values_list("date", "status")) == {
        MONDAY: TimeStatus.DRAFT,
        MONDAY + dt.timedelta(days=1): TimeStatus.REJECTED,
    }
    assert timesheets.timesheet_week_submit(actor=scene["worker"], week=WEEK) == 2
    assert set(TimeEntry.objects.values_list("status", "reject_reason")) == {
        (TimeStatus.SUBMITTED, "")
    }


def test_approval_by_the_wrong_person_is_refused_and_changes_nothing(scene):
    ids = _submitted(scene)
    with pytest.raises(PermissionDenied):
        timesheets.time_entries_approve(actor=scene["worker"], entry_ids=ids)  # own time
    with pytest.raises(PermissionDenied):
        timesheets.time_entries_approve(actor=scene["colleague"], entry_ids=ids)
    with pytest.raises(NotFound):  # another department's project: not even seen
        timesheets.time_entries_approve(actor=scene["stranger"], entry_ids=ids)
    assert set(TimeEntry.objects.values_list("status", flat=True)) == {TimeStatus.SUBMITTED}


# --- cost entries -------------------------------------------------------------------------


@pytest.fixture
def cost_flow(scene):
    flow = Flow.objects.create(document_type=costs.DOCUMENT_COST, name="项目成本审批")
    FlowStep.objects.create(
        flow=flow, position=1, name="部门经理审批", approver_kind=ApproverKind.USER,
        user=scene["head"],
    )  # fmt: skip
    return flow


def _cost(scene, amount, **data):
    return costs.cost_entry_create(
        actor=scene["worker"],
        project_id=scene["project"].pk,
        data={"category": "travel", "amount": amount, "date": MONDAY, **data},
    )


@override_settings(GUANXI_COST_APPROVAL_LIMIT="5000")
def test_a_cost_up_to_the_limit_is_approved_on_submit(scene):
    entry = _cost(scene, "5000.00")
    entry = costs.cost_entry_submit(actor=scene["worker"], entry_id=entry.pk, version=1)
    assert entry.status == CostStatus.APPROVED
    assert not ApprovalRequest.objects.exists()
    assert actuals.actual_cost_by_task(scene["project"].pk) == {0: Decimal("5000.00")}


@override_settings(GUANXI_COST_APPROVAL_LIMIT="5000")
def test_a_cost_above_the_limit_goes_through_the_approval_flow(scene, cost_flow):
    entry = _cost(scene, "12000", category="subcontracting", task_id=scene["b"].pk)
    entry = costs.cost_entry_submit(actor=scene["worker"], entry_id=entry.pk, version=1)

    assert entry.status == CostStatus.PENDING
    request = ApprovalRequest.objects.get(document_type="project_cost", object_id=entry.pk)
    assert request.state == RequestState.PENDING
    assert actuals.actual_cost_by_task(scene["project"].pk) == {}
    with pytest.raises(PermissionDenied):
        costs.cost_entry_decide(actor=scene["pm"], entry_id=entry.pk, decision="approve")

    entry = costs.cost_entry_decide(actor=scene["head"], entry_id=entry.pk, decision="approve")

    assert entry.status == CostStatus.APPROVED and entry.approved_by == scene["head"]
    assert actuals.actual_cost_by_task(scene["project"].pk) == {scene["b"].pk: Decimal("12000")}
    assert TimelineEntry.objects.filter(
        customer=scene["project"].customer, kind="project", data__cost_entry=entry.pk
    ).exists()


@override_settings(GUANXI_COST_APPROVAL_LIMIT="5000")
def test_a_rejected_cost_keeps_the_reason_and_may_be_edited(scene, cost_flow):
    entry = _cost(scene, "8000")
    costs.cost_entry_submit(actor=scene["worker"], entry_id=entry.pk, version=1)
    costs.cost_entry_decide(
        actor=scene["head"], entry_id=entry.pk, decision="reject", comment="缺发票"
    )
    entry.refresh_from_db()
    assert entry.status == CostStatus.REJECTED and entry.reject_reason == "缺发票"
    entry = costs.cost_entry_update(
        actor=scene["worker"], entry_id=entry.pk, data={"amount": "4000"}, version=entry.version
    )
    entry = costs.cost_entry_submit(actor=scene["worker"], entry_id=entry.pk, version=entry.version)
    assert entry.status == CostStatus.APPROVED


@override_settings(GUANXI_COST_APPROVAL_LIMIT="5000")
def test_without_an_active_flow_a_big_cost_is_refused_and_stays_a_draft(scene):
    entry = _cost(scene, "9000")
    with pytest.raises(ValidationFailed) as caught:
        costs.cost_entry_submit(actor=scene["worker"], entry_id=entry.pk, version=1)
    assert "document_type" in caught.value.errors
    entry.refresh_from_db()
    assert entry.status == CostStatus.DRAFT and entry.version == 1


def test_cost_entry_input_errors_name_every_field(scene):
    with pytest.raises(ValidationFailed) as caught:
        costs.cost_entry_create(
            actor=scene["worker"],
            project_id=scene["project"].pk,
            data={"category": "food", "amount": "-3", "date": "2200-01-01", "task_id": 10**9},
        )
    assert set(caught.value.errors) == {"category", "amount", "date", "task_id"}
    with pytest.raises(NotFound):
        costs.cost_entry_create(
            actor=scene["stranger"], project_id=scene["project"].pk,
            data={"category": "travel", "amount": "1", "date": MONDAY},
        )  # fmt: skip
    assert not CostEntry.objects.exists()


# --- actuals (hypothesis) -----------------------------------------------------------------

entries_strategy = st.lists(
    st.tuples(
        st.sampled_from(["a", "b"]),
        st.integers(0, 13),
        st.decimals("0.25", "12", places=2),
        st.sampled_from(["worker", "colleague"]),
    ),
    max_size=12,
)
costs_strategy = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", None]), st.integers(0, 13), st.decimals("1", "99999", places=2)
    ),
    max_size=6,
)
rates_strategy = st.lists(
    st.tuples(
        st.sampled_from(["worker", None]), st.integers(-3, 13), st.decimals("0", "999", places=2)
    ),
    max_size=4,
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=entries_strategy, cost_rows=costs_strategy, rates=rates_strategy)
def test_actual_cost_by_day_and_by_task_add_up_to_the_same(scene, entries, cost_rows, rates):
    project = scene["project"]
    TimeEntry.objects.all().delete()
    CostEntry.objects.all().delete()
    CostRate.objects.all().delete()
    for who, offset, rate in rates:
        day = MONDAY + dt.timedelta(days=offset)
        if who:
            CostRate.objects.get_or_create(
                user=scene[who], valid_from=day, defaults={"hourly_rate": rate}
            )
        else:
            CostRate.objects.get_or_create(
                role="开发工程师", user=None, valid_from=day, defaults={"hourly_rate": rate}
            )
    hours_by_task: dict[int, Decimal] = {}
    for task, offset, hours, who in entries:
        day = MONDAY + dt.timedelta(days=offset)
        if TimeEntry.objects.filter(user=scene[who], task=scene[task], date=day).exists():
            continue
        entry = _approved(user=scene[who], project=project, task=scene[task], date=day, hours=hours)
        hours_by_task[entry.task_id] = hours_by_task.get(entry.task_id, 0) + entry.hours
    for task, offset, amount in cost_rows:
        CostEntry.objects.create(
            project=project, task=scene[task] if task else None, category="materials",
            amount=amount, date=MONDAY + dt.timedelta(days=offset), status=CostStatus.APPROVED,
        )  # fmt: skip
    # Entries not approved never count.
    TimeEntry.objects.create(
        user=scene["pm"], project=project, task=scene["a"], date=MONDAY, hours=Decimal("5"),
        status=TimeStatus.SUBMITTED,
    )  # fmt: skip

    by_day = actuals.actual_cost_by_day(project.pk)
    by_task = actuals.actual_cost_by_task(project.pk)

    assert sum(by_day.values(), Decimal(0)) == sum(by_task.values(), Decimal(0))
    assert actuals.actual_cost_total(project.pk) == sum(by_day.values(), Decimal(0))
    assert actuals.actual_hours_by_task(project.pk) == hours_by_task
    assert by_task.get(0, Decimal(0)) == sum((a for t, _o, a in cost_rows if t is None), Decimal(0))


def test_member_roles_price_time_per_project(scene):
    """The role rate follows the person's role on *this* project."""
    worker = scene["worker"]
    CostRate.objects.create(role="开发工程师", hourly_rate=Decimal("100"), valid_from=MONDAY)
    CostRate.objects.create(role="架构师", hourly_rate=Decimal("200"), valid_from=MONDAY)
    ProjectMember.objects.filter(project=scene["project"], user=worker).update(role="架构师")
    _approved(user=worker, project=scene["project"], task=scene["a"], date=MONDAY,
              hours=Decimal("2"))  # fmt: skip
    assert actuals.actual_cost_by_day(scene["project"].pk) == {MONDAY: Decimal("400.00")}


# --- the demo -----------------------------------------------------------------------------


def test_the_demo_has_timesheets_and_costs_in_every_state():
    from guanxi.demo.build import build_demo

    build_demo(customers=60, today=dt.date(2026, 11, 24))

    assert set(TimeEntry.objects.values_list("status", flat=True)) == set(TimeStatus.values)
    assert set(CostEntry.objects.values_list("status", flat=True)) == set(CostStatus.values)
    assert CostRate.objects.filter(user__isnull=False).exists()
    assert CostRate.objects.filter(user__isnull=True).exists()
    pending = CostEntry.objects.filter(status=CostStatus.PENDING).first()
    assert ApprovalRequest.objects.filter(
        document_type="project_cost", object_id=pending.pk, state=RequestState.PENDING
    ).exists()
    project_id = TimeEntry.objects.filter(status=TimeStatus.APPROVED).first().project_id
    assert sum(actuals.actual_cost_by_day(project_id).values(), Decimal(0)) > 0
