"""Earned value (``projects.evm``), baselines (``services.baselines``), the EVM API and the
挣值 page: worked examples checked by hand, invariants by hypothesis, the immutability of
an approved baseline (model, service, API), scope, bad input and a pinned query count."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.errors import Conflict, PermissionDenied
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.projects import evm, selectors_evm
from guanxi.projects.models import (
    Baseline,
    BaselineTask,
    CostCategory,
    CostEntry,
    CostRate,
    CostStatus,
    ProjectMember,
    StatusReport,
    Task,
)
from guanxi.projects.services import baselines, plan
from guanxi.projects.services import projects as project_services
from guanxi.projects.tests.factories import PLAN_START

API = "/api/v1/projects"
D = Decimal


def weekdays(day: dt.date) -> bool:
    """A plain Monday–Friday calendar, so the worked examples do not depend on holidays."""
    return day.weekday() < 5


MON = dt.date(2025, 3, 3)  # a Monday


def _task(key, cost, start, finish, progress=0, method="physical", started=None, milestone=False):
    return evm.EvmTask(
        key=key, planned_cost=D(cost), start=start, finish=finish, milestone=milestone,
        progress=progress, started=progress > 0 if started is None else started, method=method,
    )  # fmt: skip


# --- worked examples -------------------------------------------------------------------------


def test_worked_example_two_sequential_tasks():
    """Formulas: PMBOK Guide 6th ed., §7.4.2.2, Table 7-1 (Earned Value Calculations
    Summary Table). Figures worked by hand:

    Task A: budget 5,000, Mon 3 Mar – Fri 7 Mar 2025 (5 working days, 1,000/day), 100 % done.
    Task B: budget 10,000, Mon 10 Mar – Fri 14 Mar (5 days, 2,000/day), 30 % done.
    Status date Tue 11 Mar; AC to date 10,000.
      BAC = 15,000
      PV  = 5,000 + 2 × 2,000                      = 9,000
      EV  = 5,000 × 1.0 + 10,000 × 0.3              = 8,000
      SV  = EV − PV = −1,000;  CV = EV − AC = −2,000
      SPI = 8,000 / 9,000 = 0.8889;  CPI = 8,000 / 10,000 = 0.8
      EAC (BAC/CPI)              = 15,000 / 0.8                          = 18,750
      EAC (AC + BAC − EV)        = 10,000 + 7,000                        = 17,000
      EAC (AC + (BAC−EV)/(CPI×SPI)) = 10,000 + 7,000 / (0.8 × 0.8889)     = 19,843.63
        (with the indices rounded to four places as reported: 0.8 × 0.8889 = 0.71112,
        7,000 / 0.71112 = 9,843.63)
      ETC = EAC − AC = 8,750;  VAC = BAC − EAC = −3,750
      TCPI(BAC) = (15,000 − 8,000) / (15,000 − 10,000) = 1.4
      TCPI(EAC) = 7,000 / (18,750 − 10,000)            = 0.8
    Earned schedule (Lipke, "Schedule is Different", The Measurable News, 2003): PV passes
    7,000 at the end of day 6 and 9,000 at day 7, so ES = 6 + (8,000 − 7,000) / 2,000 = 6.5
    working days; AT = 7; SPI(t) = 0.9286; forecast 10 / 0.9286 = 10.8 → 11 working days
    from Mon 3 Mar = Mon 17 Mar.
    """
    tasks = [
        _task(1, "5000", MON, MON + dt.timedelta(days=4), progress=100),
        _task(2, "10000", MON + dt.timedelta(days=7), MON + dt.timedelta(days=11), progress=30),
    ]
    f = evm.compute(
        tasks, status_date=MON + dt.timedelta(days=8), ac_by_day={MON: D("10000")},
        is_working_day=weekdays,
    )  # fmt: skip
    assert (f.bac, f.pv, f.ev, f.ac) == (D("15000"), D("9000"), D("8000"), D("10000"))
    assert (f.sv, f.cv) == (D("-1000"), D("-2000"))
    assert (f.spi, f.cpi) == (D("0.8889"), D("0.8000"))
    assert f.eac_cpi == D("18750.00")
    assert f.eac_atypical == D("17000")
    assert f.eac_cpi_spi == D("19843.63")
    assert (f.eac_method, f.eac, f.etc, f.vac) == (
        "cpi",
        D("18750.00"),
        D("8750.00"),
        D("-3750.00"),
    )
    assert (f.tcpi_bac, f.tcpi_eac) == (D("1.4000"), D("0.8000"))
    assert f.planned_finish == MON + dt.timedelta(days=11)
    assert f.rag == "red"  # CPI 0.80 < 0.85
    assert (f.spi_t, f.forecast_finish) == (D("0.9286"), dt.date(2025, 3, 17))


def test_worked_example_methods_credit_differently():
    """The same two tasks by method (PMBOK Guide 6th ed. §7.4.2.2 "EV … measured by
    fixed-formula methods"): 0/100 credits only A (5,000); 50/50 credits A in full and
    half of started B (5,000 + 5,000 = 10,000); physical % credits 8,000 (above)."""
    a = (MON, MON + dt.timedelta(days=4))
    b = (MON + dt.timedelta(days=7), MON + dt.timedelta(days=11))
    for method, expected in (("0_100", "5000"), ("50_50", "10000"), ("physical", "8000")):
        tasks = [
            _task(1, "5000", *a, progress=100, method=method),
            _task(2, "10000", *b, progress=30, method=method),
        ]
        f = evm.compute(tasks, status_date=b[0], ac_by_day={}, is_working_day=weekdays)
        assert f.ev == D(expected), method


def test_pv_spreads_whole_cents_with_the_remainder_on_the_last_day():
    phasing = evm.phase(
        [_task(1, "100.00", MON, MON + dt.timedelta(days=2))], default_day=None,
        is_working_day=weekdays,
    )  # fmt: skip
    assert phasing.amounts == [D("33.33"), D("33.33"), D("33.34")]
    assert phasing.total == D("100.00")


def test_pv_skips_weekends_and_puts_milestones_and_undated_tasks_on_one_day():
    friday, monday = MON + dt.timedelta(days=4), MON + dt.timedelta(days=7)
    saturday = friday + dt.timedelta(days=1)
    phasing = evm.phase(
        [
            _task(1, "20", friday, monday),  # Fri + Mon: 10 each, nothing on the weekend
            _task(2, "7", saturday, saturday, milestone=True),
            _task(3, "5", None, None),
        ],
        default_day=monday,
        is_working_day=weekdays,
    )
    assert dict(zip(phasing.days, phasing.amounts, strict=True)) == {
        friday: D("10"), saturday: D("7"), monday: D("15"),
    }  # fmt: skip


def test_the_platform_calendar_skips_a_chinese_holiday():
    # 2025-10-01..08 is the National Day holiday; 2025-09-28 (Sun) is a make-up working day.
    phasing = evm.phase(
        [_task(1, "300", dt.date(2025, 9, 29), dt.date(2025, 10, 9))], default_day=None
    )
    assert phasing.days == [dt.date(2025, 9, 29), dt.date(2025, 9, 30), dt.date(2025, 10, 9)]


def test_zero_denominators_are_none_not_errors():
    f = evm.compute(
        [_task(1, "1000", MON, MON + dt.timedelta(days=4))],
        status_date=MON - dt.timedelta(days=10), ac_by_day={}, is_working_day=weekdays,
    )  # fmt: skip
    assert f.pv == 0 and f.ac == 0 and f.ev == 0
    assert f.spi is None and f.cpi is None and f.eac_cpi is None and f.eac_cpi_spi is None
    assert f.rag == "" and f.forecast_finish is None
    empty = evm.compute([], status_date=MON, ac_by_day={}, is_working_day=weekdays)
    assert empty.bac == 0 and empty.tcpi_bac is None and empty.percent_complete is None


def test_rag_takes_the_worse_index():
    t = evm.Thresholds()
    assert evm.rag(D("1.0"), D("1.0"), t) == "green"
    assert evm.rag(D("0.9"), D("1.2"), t) == "amber"
    assert evm.rag(D("1.0"), D("0.84"), t) == "red"
    assert evm.rag(None, D("0.95"), t) == "green"


def test_on_plan_the_forecast_finish_is_the_planned_finish():
    finish = MON + dt.timedelta(days=11)
    tasks = [
        _task(1, "5000", MON, MON + dt.timedelta(days=4), progress=100),
        _task(2, "5000", MON + dt.timedelta(days=7), finish, progress=40),
    ]  # on the Tuesday of week two PV = 5,000 + 2 × 1,000 = 7,000 = EV
    f = evm.compute(tasks, status_date=MON + dt.timedelta(days=8), ac_by_day={},
                    is_working_day=weekdays)  # fmt: skip
    assert f.spi == D("1.0000") and f.spi_t == D("1.0000")
    assert f.forecast_finish == finish
    late = evm.compute(
        [tasks[0], _task(2, "5000", MON + dt.timedelta(days=7), finish, progress=0)],
        status_date=MON + dt.timedelta(days=8), ac_by_day={}, is_working_day=weekdays,
    )  # fmt: skip
    assert late.forecast_finish is not None and late.forecast_finish > finish


# --- invariants ------------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
task_st = st.builds(
    lambda key, cost, offset, length, progress, method, milestone: _task(
        key,
        cost,
        MON + dt.timedelta(days=offset),
        MON + dt.timedelta(days=offset + (0 if milestone else length)),
        progress=progress,
        method=method,
        milestone=milestone,
    ),
    st.integers(1, 10**6),
    money,
    st.integers(0, 120),
    st.integers(0, 60),
    st.integers(0, 100),
    st.sampled_from(evm.EV_METHODS),
    st.booleans(),
)


@given(
    tasks=st.lists(task_st, max_size=12),
    status_offset=st.integers(-10, 250),
    ac=st.dictionaries(st.integers(-5, 250), money, max_size=8),
)
def test_invariants(tasks, status_offset, ac):
    ac_by_day = {MON + dt.timedelta(days=k): v for k, v in ac.items()}
    status = MON + dt.timedelta(days=status_offset)
    f = evm.compute(tasks, status_date=status, ac_by_day=ac_by_day, is_working_day=weekdays)
    assert f.cv == f.ev - f.ac
    assert f.sv == f.ev - f.pv
    assert 0 <= f.ev <= f.bac
    assert 0 <= f.pv <= f.bac
    assert f.eac_atypical == f.ac + (f.bac - f.ev)
    if f.eac is not None:
        assert f.etc == f.eac - f.ac and f.vac == f.bac - f.eac
    if f.planned_finish is not None:
        at_finish = evm.compute(
            tasks, status_date=f.planned_finish, ac_by_day={}, is_working_day=weekdays
        )
        assert at_finish.pv == f.bac  # PV at the baseline's finish is BAC


@given(tasks=st.lists(task_st, min_size=1, max_size=10), status_offset=st.integers(0, 200))
def test_eac_variants_agree_when_performance_is_on_budget(tasks, status_offset):
    """With AC = EV (CPI = 1): BAC/CPI = AC + (BAC − EV); with also SPI = 1 the CPI×SPI
    variant agrees too."""
    status = MON + dt.timedelta(days=status_offset)
    probe = evm.compute(tasks, status_date=status, ac_by_day={}, is_working_day=weekdays)
    f = evm.compute(
        tasks, status_date=status, ac_by_day={status: probe.ev}, is_working_day=weekdays
    )
    if f.cpi is None:
        return
    assert f.cpi == 1
    assert f.eac_cpi == f.eac_atypical
    if f.spi == 1:
        assert f.eac_cpi_spi == f.eac_atypical


@given(
    cost=st.decimals(min_value=D("0.01"), max_value=10**8, places=2),
    length=st.integers(0, 400),
)
def test_a_tasks_phased_pv_adds_up_to_its_cost(cost, length):
    phasing = evm.phase(
        [_task(1, cost, MON, MON + dt.timedelta(days=length))], default_day=None,
        is_working_day=weekdays,
    )  # fmt: skip
    assert phasing.total == cost
    assert all(a > 0 for a in phasing.amounts)


# --- baselines on the database ---------------------------------------------------------------


@pytest.fixture
def scene(am_a, db):
    """A project of am_a's customer: A (16 h, am_a at 100/h) then B (8 h, a member at the
    developer role's 50/h), and a summary task over B."""
    project = project_services.project_create(
        actor=am_a, customer_id=CustomerFactory(owner=am_a).pk,
        data={"name": "数据平台", "start_date": PLAN_START, "budget": "90000"},
    )  # fmt: skip
    member = UserFactory(role=Role.PROJECT_MEMBER, team=am_a.team)
    ProjectMember.objects.create(project=project, user=member, role="developer")
    a = plan.task_create(
        actor=am_a, project_id=project.pk,
        data={"name": "需求调研", "duration_days": 2, "estimate_hours": "16"},
    )  # fmt: skip
    phase = plan.task_create(actor=am_a, project_id=project.pk, data={"name": "实施"})
    b = plan.task_create(
        actor=am_a, project_id=project.pk,
        data={"name": "开发", "duration_days": 3, "estimate_hours": "8", "parent_id": phase.pk},
    )  # fmt: skip
    plan.link_create(actor=am_a, project_id=project.pk, predecessor_id=a.pk, successor_id=b.pk)
    Task.objects.filter(pk=a.pk).update(assignee=am_a)
    Task.objects.filter(pk=b.pk).update(assignee=member)
    CostRate.objects.create(user=am_a, hourly_rate=D("100"), valid_from=dt.date(2027, 1, 1))
    CostRate.objects.create(role="developer", hourly_rate=D("50"), valid_from=dt.date(2027, 1, 1))
    project.refresh_from_db()
    return project, Task.objects.get(pk=a.pk), Task.objects.get(pk=b.pk), member


def test_take_baseline_freezes_dates_work_and_cost(am_a, scene):
    project, a, b, _member = scene
    baseline = baselines.take_baseline(project, actor=am_a, name="初始基线", reason="立项")
    assert (baseline.number, baseline.bac, baseline.work_hours) == (1, D("2000.00"), D("24.00"))
    assert baseline.planned_start == a.start_date and baseline.planned_finish == b.finish_date
    rows = {r.task_id: r for r in baseline.tasks.all()}
    assert rows[a.pk].planned_cost == D("1600.00") and rows[a.pk].start == a.start_date
    assert rows[b.pk].planned_cost == D("400.00") and rows[b.pk].finish == b.finish_date
    assert [r.is_summary for r in baseline.tasks.order_by("position")] == [False, True, False]
    second = baselines.take_baseline(project, actor=am_a, name="第二版", reason="")
    assert second.number == 2
    assert AuditEntry.objects.filter(model="projects.baseline", action="create").count() == 2
    titles = [str(e.title) for e in TimelineEntry.objects.filter(customer_id=project.customer_id)]
    assert sum("基线" in t for t in titles) == 2, titles


def test_without_rates_the_project_budget_is_spread_by_work(am_a, scene):
    project = scene[0]
    CostRate.objects.all().delete()
    baseline = baselines.take_baseline(project, actor=am_a, name="预算基线", reason="")
    costs = sorted(r.planned_cost for r in baseline.tasks.filter(is_summary=False))
    assert costs == [D("30000.00"), D("60000.00")] and baseline.bac == D("90000.00")


def test_a_change_request_rebaselines_without_the_planning_right(scene, portal_user):
    project = scene[0]

    class Request:
        pk = 77

    baseline = baselines.take_baseline(
        project,
        actor=portal_user,
        name="变更后",
        reason="客户批准需求变更",
        change_request=Request(),
    )
    assert baseline.change_request_ref == 77 and baseline.taken_by == portal_user


def test_bad_name_is_refused_naming_the_field(am_a, scene):
    from guanxi.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        baselines.take_baseline(scene[0], actor=am_a, name="  ", reason="")
    assert "name" in caught.value.errors
    assert not Baseline.objects.exists()


def test_an_approved_baseline_cannot_change_in_the_model(am_a, scene):
    baseline = baselines.take_baseline(scene[0], actor=am_a, name="基线", reason="")
    baselines.baseline_approve(actor=am_a, project_id=scene[0].pk, baseline_id=baseline.pk)
    baseline.refresh_from_db()
    baseline.name = "偷偷改"
    with pytest.raises(Conflict):
        baseline.save()
    with pytest.raises(Conflict):
        baseline.delete()
    with pytest.raises(Conflict):
        Baseline.objects.filter(pk=baseline.pk).update(name="偷偷改")
    row = baseline.tasks.first()
    row.planned_cost = D("1")
    with pytest.raises(Conflict):
        row.save()
    with pytest.raises(Conflict):
        BaselineTask.objects.filter(baseline=baseline).update(planned_cost=D("1"))
    with pytest.raises(Conflict):
        BaselineTask.objects.filter(baseline=baseline).delete()
    assert Baseline.objects.get(pk=baseline.pk).name == "基线"
    assert baseline.tasks.count() == 3


def test_deleting_a_task_or_the_project_still_works_after_approval(am_a, scene):
    """The frozen row outlives its live task (task NULL, name kept); a project deleted as a
    whole takes its baselines with it."""
    project, a, _b, _member = scene
    baseline = baselines.take_baseline(project, actor=am_a, name="基线", reason="")
    baselines.baseline_approve(actor=am_a, project_id=project.pk, baseline_id=baseline.pk)
    plan.task_delete(actor=am_a, project_id=project.pk, task_id=a.pk, version=a.version)
    row = baseline.tasks.get(name="需求调研")
    assert row.task_id is None and row.planned_cost == D("1600.00")
    Task.objects.filter(project=project).delete()
    project.delete()
    assert not Baseline.objects.exists() and not BaselineTask.objects.exists()


def test_an_approved_baseline_cannot_change_through_the_services(am_a, scene):
    project = scene[0]
    baseline = baselines.take_baseline(project, actor=am_a, name="基线", reason="")
    baselines.baseline_update(
        actor=am_a, project_id=project.pk, baseline_id=baseline.pk, data={"name": "改名"}
    )
    baselines.baseline_approve(actor=am_a, project_id=project.pk, baseline_id=baseline.pk)
    for write in (
        lambda: baselines.baseline_update(actor=am_a, project_id=project.pk,
                                          baseline_id=baseline.pk, data={"name": "再改"}),
        lambda: baselines.baseline_delete(actor=am_a, project_id=project.pk,
                                          baseline_id=baseline.pk),
        lambda: baselines.baseline_approve(actor=am_a, project_id=project.pk,
                                           baseline_id=baseline.pk),
    ):  # fmt: skip
        with pytest.raises(Conflict):
            write()
    assert Baseline.objects.get(pk=baseline.pk).name == "改名"


def test_a_plain_member_may_not_approve(am_a, scene):
    project, _a, _b, member = scene
    baseline = baselines.take_baseline(project, actor=am_a, name="基线", reason="")
    with pytest.raises(PermissionDenied):
        baselines.baseline_approve(actor=member, project_id=project.pk, baseline_id=baseline.pk)
    assert not Baseline.objects.get(pk=baseline.pk).approved


def test_evm_result_reads_progress_and_actuals(am_a, scene):
    project, a, b, _member = scene
    baseline = baselines.take_baseline(project, actor=am_a, name="基线", reason="")
    Task.objects.filter(pk=a.pk).update(progress=100, status="done")
    Task.objects.filter(pk=b.pk).update(progress=50, status="doing")
    CostEntry.objects.create(
        project=project, task=a, category=CostCategory.TRAVEL, amount=D("2100"),
        date=a.start_date, status=CostStatus.APPROVED,
    )  # fmt: skip
    result = selectors_evm.evm_result(project=project, status_date=b.finish_date)
    f = result.figures
    assert result.baseline == baseline
    assert (f.bac, f.pv, f.ev, f.ac) == (D("2000.00"), D("2000.00"), D("1800.00"), D("2100"))
    assert f.cv == D("-300.00") and f.spi == D("0.9000")
    # bottom-up ETC: B's remaining 4 h at its baseline unit cost 50/h = 200
    assert f.eac_bottom_up == D("2300.00")


# --- API ---------------------------------------------------------------------------------------


def test_api_baseline_round_trip_and_locking(client, am_a, scene):
    project = scene[0]
    client.force_login(am_a)
    created = client.post(f"{API}/{project.pk}/baselines", data={"name": "初始基线"},
                          content_type="application/json")  # fmt: skip
    assert created.status_code == 201
    body = created.json()
    assert body["number"] == 1 and body["bac"] == "2000.00" and body["approved"] is False
    bid = body["id"]
    detail = client.get(f"{API}/{project.pk}/baselines/{bid}").json()
    assert len(detail["tasks"]) == 3
    assert client.get(f"{API}/{project.pk}/baselines").json()[0]["id"] == bid
    assert client.post(f"{API}/{project.pk}/baselines/{bid}/approve").status_code == 200
    patch = client.patch(f"{API}/{project.pk}/baselines/{bid}", data={"name": "改"},
                         content_type="application/json")  # fmt: skip
    assert patch.status_code == 409 and patch.json()["code"] == "baseline_locked"
    assert client.delete(f"{API}/{project.pk}/baselines/{bid}").status_code == 409
    assert client.post(f"{API}/{project.pk}/baselines/{bid}/approve").status_code == 409
    assert Baseline.objects.get(pk=bid).name == "初始基线"


def test_api_member_approving_is_403(client, am_a, scene):
    project, _a, _b, member = scene
    baseline = baselines.take_baseline(project, actor=am_a, name="基线", reason="")
    client.force_login(member)
    response = client.post(f"{API}/{project.pk}/baselines/{baseline.pk}/approve")
    assert response.status_code == 403
    assert not Baseline.objects.get(pk=baseline.pk).approved


def test_api_evm_figures_and_s_curve(client, am_a, scene):
    project, a, b, _member = scene
    baselines.take_baseline(project, actor=am_a, name="基线", reason="")
    Task.objects.filter(pk=a.pk).update(progress=100, status="done")
    client.force_login(am_a)
    body = client.get(f"{API}/{project.pk}/evm", {"as_of": b.finish_date.isoformat()}).json()
    assert body["bac"] == "2000.00" and body["ev"] == "1600.00" and body["pv"] == "2000.00"
    assert body["spi"] == "0.8000" and body["cpi"] is None and body["eac_method"] == "cpi"
    curve = client.get(f"{API}/{project.pk}/evm/s-curve",
                       {"as_of": b.finish_date.isoformat()}).json()  # fmt: skip
    assert curve["planned_finish"] == b.finish_date.isoformat()
    assert curve["pv"][-1] == "2000.00" and len(curve["dates"]) == len(curve["ev"])


def test_api_evm_without_a_baseline_answers_the_status_date_only(client, am_a, scene):
    client.force_login(am_a)
    body = client.get(f"{API}/{scene[0].pk}/evm").json()
    assert body["baseline_id"] is None and body["bac"] is None


def test_api_settings_validate_and_version(client, am_a, scene):
    project = scene[0]
    client.force_login(am_a)
    url = f"{API}/{project.pk}/evm/settings"
    assert client.get(url).json()["ev_method"] == "physical"
    bad = client.put(url, data={"version": 1, "spi_red": "0.99", "spi_amber": "0.90"},
                     content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and "spi_red" in json.dumps(bad.json())
    huge = client.put(url, data={"version": 1, "cpi_red": "1e30"},
                      content_type="application/json")  # fmt: skip
    assert huge.status_code == 422 and "cpi_red" in json.dumps(huge.json())
    assert client.put(url, data="null", content_type="application/json").status_code == 422
    ok = client.put(url, data={"version": 1, "ev_method": "50_50", "eac_method": "atypical"},
                    content_type="application/json")  # fmt: skip
    assert ok.status_code == 200 and ok.json()["version"] == 1
    stale = client.put(url, data={"version": 7, "ev_method": "0_100"},
                       content_type="application/json")  # fmt: skip
    assert stale.status_code == 409
    assert client.get(url).json()["ev_method"] == "50_50"


def test_api_other_departments_project_is_404(client, am_a, am_b, scene):
    project = scene[0]
    baseline = baselines.take_baseline(project, actor=am_a, name="基线", reason="")
    client.force_login(am_b)
    for url in (f"{API}/{project.pk}/baselines", f"{API}/{project.pk}/evm",
                f"{API}/{project.pk}/baselines/{baseline.pk}"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    response = client.post(f"{API}/{project.pk}/baselines", data={"name": "闯入"},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 404 and Baseline.objects.count() == 1


def test_api_baseline_of_another_project_is_404(client, am_a, scene):
    other = project_services.project_create(
        actor=am_a, customer_id=CustomerFactory(owner=am_a).pk,
        data={"name": "别的项目", "start_date": PLAN_START},
    )  # fmt: skip
    baseline = baselines.take_baseline(scene[0], actor=am_a, name="基线", reason="")
    client.force_login(am_a)
    assert client.get(f"{API}/{other.pk}/baselines/{baseline.pk}").status_code == 404
    assert client.get(f"{API}/{other.pk}/baselines/{2**63}").status_code == 422


def test_api_status_report_needs_a_baseline_then_freezes_figures(client, am_a, scene):
    project = scene[0]
    client.force_login(am_a)
    url = f"{API}/{project.pk}/status-reports"
    refused = client.post(url, data={}, content_type="application/json")
    assert refused.status_code == 422 and "baseline" in json.dumps(refused.json())
    baselines.take_baseline(project, actor=am_a, name="基线", reason="")
    made = client.post(url, data={"as_of": "2027-03-03", "summary": "进展顺利"},
                       content_type="application/json")  # fmt: skip
    assert made.status_code == 201 and made.json()["figures"]["bac"] == "2000.00"
    bad_date = client.post(url, data={"as_of": "1999-12-31"}, content_type="application/json")
    assert bad_date.status_code == 422 and StatusReport.objects.count() == 1


# --- the page ----------------------------------------------------------------------------------


def test_page_take_approve_report_and_download(client, am_a, scene):
    project = scene[0]
    client.force_login(am_a)
    page = reverse("projects:evm", args=[project.pk])
    assert "evm-empty" in client.get(page).content.decode()
    response = client.post(reverse("projects:baseline_take", args=[project.pk]),
                           {"name": "初始基线", "reason": "立项"})  # fmt: skip
    assert response.status_code == 302
    baseline = Baseline.objects.get()
    html = client.get(page).content.decode()
    assert 'data-kpi="cpi"' in html and 'id="gx-evm-curve"' in html and "初始基线" in html
    client.post(reverse("projects:baseline_approve", args=[project.pk, baseline.pk]))
    assert Baseline.objects.get().approved
    client.post(reverse("projects:status_report_take", args=[project.pk]), {"summary": "周报"})
    report = StatusReport.objects.get()
    url = reverse("projects:status_report_download", args=[project.pk, report.pk])
    csv_text = client.get(url, {"format": "csv"}).content.decode("utf-8-sig")
    assert "BAC" in csv_text and "2000.00" in csv_text
    xlsx = client.get(url, {"format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert any(row[0] == "状态" for row in sheet.iter_rows(values_only=True))


def test_page_bad_thresholds_show_the_error_and_change_nothing(client, am_a, scene):
    project = scene[0]
    client.force_login(am_a)
    response = client.post(
        reverse("projects:evm_settings", args=[project.pk]),
        {"version": "1", "ev_method": "physical", "eac_method": "cpi", "spi_amber": "abc",
         "spi_red": "0.8", "cpi_amber": "0.9", "cpi_red": "0.8"},
    )  # fmt: skip
    assert response.status_code == 422
    assert 'id="project-error"' in response.content.decode()
    from guanxi.projects.models import EvmSettings

    assert not EvmSettings.objects.exists()


def test_page_scope(client, am_b, agent, scene):
    project = scene[0]
    page = reverse("projects:evm", args=[project.pk])
    client.force_login(am_b)
    assert client.get(page).status_code == 404
    client.force_login(agent)
    assert client.get(page).status_code == 403


def test_page_query_count_is_pinned(client, am_a, scene, django_assert_max_num_queries):
    project = scene[0]
    baselines.take_baseline(project, actor=am_a, name="一", reason="")
    baselines.take_baseline(project, actor=am_a, name="二", reason="")
    client.force_login(am_a)
    client.get(reverse("projects:evm", args=[project.pk]))
    with django_assert_max_num_queries(20):
        response = client.get(reverse("projects:evm", args=[project.pk]))
    assert response.status_code == 200 and 'id="evm-compare-table"' in response.content.decode()


def test_the_weekly_job_reports_each_active_project_once(am_a, scene):
    project = scene[0]
    assert baselines.status_reports_weekly(today=dt.date(2027, 3, 9)) == 0  # no baseline yet
    baselines.take_baseline(project, actor=am_a, name="基线", reason="")
    assert baselines.status_reports_weekly(today=dt.date(2027, 3, 9)) == 1
    assert baselines.status_reports_weekly(today=dt.date(2027, 3, 10)) == 0  # same Friday
    report = StatusReport.objects.get()
    assert report.as_of == dt.date(2027, 3, 5) and report.created_by is None
    assert report.figures["pv"] == "2000.00"


def test_api_baseline_with_given_budgets_and_task_methods(client, am_a, scene):
    project, a, b, _member = scene
    client.force_login(am_a)
    url = f"{API}/{project.pk}/baselines"
    body = {"name": "按预算", "budgets": {str(b.pk): "1000"}, "methods": {str(a.pk): "0_100"}}
    created = client.post(url, data=body, content_type="application/json")
    assert created.status_code == 201 and created.json()["bac"] == "2600.00"
    rows = {r.task_id: r for r in Baseline.objects.get().tasks.all()}
    assert rows[a.pk].ev_method == "0_100" and rows[b.pk].planned_cost == D("1000.00")
    Task.objects.filter(pk=a.pk).update(progress=90, status="doing")
    figures = selectors_evm.evm_result(project=project, status_date=b.finish_date).figures
    assert figures.ev == D("0")  # 0/100: nothing until A is done; B has not started
    summary = Task.objects.get(name="实施")
    bad = client.post(url, data={"name": "坏", "budgets": {str(summary.pk): "5"}},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and "budgets" in json.dumps(bad.json())
    bad = client.post(url, data={"name": "坏", "methods": {str(a.pk): "90_10"}},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and Baseline.objects.count() == 1
