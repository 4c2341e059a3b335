"""Project and portfolio KPIs (``selectors_kpi``, ``services.kpi``, ``api_kpi``, the 组合看板
page): the four KPIs on a small case worked by hand, the colour rule, the refresh after
approvals and baselines (coalesced), the nightly run, scope, filters, sorting, the API and
the dashboard's pinned query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.projects import selectors_evm, selectors_kpi
from guanxi.projects.models import (
    Baseline,
    BaselineTask,
    CostCategory,
    CostEntry,
    CostStatus,
    Deliverable,
    DeliverableReview,
    ProjectKpi,
    ProjectStatus,
    Task,
    TaskStatus,
    TimeEntry,
    TimeStatus,
)
from guanxi.projects.services import baselines, kpi, timesheets
from guanxi.projects.tests.factories import MemberFactory, ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/projects"
D = Decimal
MONDAY = dt.date(2027, 3, 1)  # PLAN_START: no holiday in March 2027
FRIDAY_2 = dt.date(2027, 3, 12)  # the status date of the worked case
WEEK = "2027-W09"


@pytest.fixture
def team(db):
    return TeamFactory(name="交付一部")


@pytest.fixture
def pm(team):
    return UserFactory(username="k_pm", role=Role.PROJECT_MANAGER, team=team)


@pytest.fixture
def stranger(db):
    return UserFactory(
        username="k_stranger", role=Role.PROJECT_MANAGER, team=TeamFactory(name="交付二部")
    )


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _approved_time(**fields):
    entry = TimeEntry(status=TimeStatus.APPROVED, **fields)
    timesheets.price_time_entries([entry])
    entry.save()
    return entry


@pytest.fixture
def worked(pm):
    """The hand-worked case, as of Fri 12 Mar 2027 (see the test)."""
    project = ProjectFactory(manager=pm, name="数据平台", start_date=MONDAY)
    m1_user = MemberFactory(project=project, allocation=100).user
    m2_user = MemberFactory(project=project, allocation=50).user
    outsider = UserFactory(role=Role.PROJECT_MEMBER)
    work = TaskFactory(project=project, name="开发", progress=50, status=TaskStatus.DOING)
    ms = [
        TaskFactory(project=project, name=f"里程碑{i}", milestone=True, duration_days=0)
        for i in range(4)
    ]
    baseline = Baseline.objects.create(
        project=project, number=1, name="基线", taken_at=_at(MONDAY), bac=D("1000"),
        planned_start=MONDAY, planned_finish=dt.date(2027, 3, 30),
    )  # fmt: skip
    BaselineTask.objects.create(
        baseline=baseline, task=work, name="开发", planned_cost=D("1000"),
        start=MONDAY, finish=dt.date(2027, 3, 5), work_hours=D("40"),
    )  # fmt: skip
    # (baseline finish, done?, the day it was last changed)
    plans = [
        (dt.date(2027, 3, 10), True, dt.date(2027, 3, 9)),  # on time
        (dt.date(2027, 3, 11), True, dt.date(2027, 3, 15)),  # finished late
        (dt.date(2027, 3, 12), False, dt.date(2027, 3, 12)),  # due, not done
        (dt.date(2027, 3, 30), True, dt.date(2027, 3, 2)),  # not due yet
    ]
    for task, (finish, done, changed) in zip(ms, plans, strict=True):
        BaselineTask.objects.create(
            baseline=baseline, task=task, name=task.name, milestone=True,
            start=finish, finish=finish,
        )  # fmt: skip
        Task.objects.filter(pk=task.pk).update(
            status=TaskStatus.DONE if done else TaskStatus.TODO,
            progress=100 if done else 0, updated_at=_at(changed),
        )  # fmt: skip
    CostEntry.objects.create(
        project=project, category=CostCategory.TRAVEL, amount=D("250"), date=MONDAY,
        status=CostStatus.APPROVED,
    )  # fmt: skip
    # Deliverables: accepted first time; rejected then accepted; submitted, undecided.
    for name, decisions in (("方案", ["accepted"]), ("系统", ["rejected", "accepted"]),
                            ("文档", ["pending"])):  # fmt: skip
        deliverable = Deliverable.objects.create(project=project, name=name)
        for round_, decision in enumerate(decisions, start=1):
            DeliverableReview.objects.create(
                deliverable=deliverable, round=round_, decision=decision
            )
    # Hours: members 40 h approved + 20 h submitted count; a draft, an outsider's hours
    # and hours before the period do not.
    for day in range(5):
        _approved_time(user=m1_user, project=project, task=work,
                       date=MONDAY + dt.timedelta(days=day), hours=D("8"))  # fmt: skip
    TimeEntry.objects.create(user=m2_user, project=project, task=work, date=MONDAY,
                             hours=D("20"), status=TimeStatus.SUBMITTED)  # fmt: skip
    TimeEntry.objects.create(user=m2_user, project=project, task=work, date=FRIDAY_2,
                             hours=D("8"), status=TimeStatus.DRAFT)  # fmt: skip
    _approved_time(user=outsider, project=project, task=work, date=MONDAY, hours=D("10"))
    _approved_time(user=m1_user, project=project, task=work,
                   date=MONDAY - dt.timedelta(days=1), hours=D("5"))  # fmt: skip
    return project


def test_worked_example(worked):
    """By hand, as of Fri 12 Mar 2027:

    * cost and schedule: one task, budget 1,000 over Mon 1 – Fri 5 Mar, 50 % done
      (physical): PV = 1,000, EV = 500 → SPI = 0.5; AC = travel 250 + approved time
      (no cost rates: 0) → CPI = 500 / 250 = 2.0; EVM colour red (SPI < 0.85).
    * milestones: due by 12 Mar are those of 10, 11 and 12 Mar; only the 10 Mar one was
      finished by its date (9 Mar); 11 Mar's was finished 15 Mar, 12 Mar's is open; 30
      Mar's is not due → 1 / 3 = 0.3333.
    * quality: round 1 decided for two deliverables, accepted for one → 0.5.
    * utilisation: period 1–12 Mar (the start; 10 working days); available 8 × 10 × 100 %
      + 8 × 10 × 50 % = 120 h; booked 40 (approved) + 20 (submitted) = 60 → 0.5.
    * overall: the worst of red (EVM), red (0.33 < 0.75) and red (0.5 < 0.75) → red.
    """
    f = selectors_kpi.compute_figures(project=worked, status_date=FRIDAY_2)
    assert f.has_baseline
    assert (f.bac, f.pv, f.ev, f.ac) == (D("1000"), D("1000.00"), D("500.00"), D("250.00"))
    assert (f.spi, f.cpi, f.evm_rag) == (D("0.5000"), D("2.0000"), "red")
    assert (f.milestones_due, f.milestones_on_time, f.milestone_rate) == (3, 1, D("0.3333"))
    assert (f.deliverables_decided, f.deliverables_first_pass) == (2, 1)
    assert f.first_pass_rate == D("0.5000")
    assert f.period_start == MONDAY
    assert (f.booked_hours, f.available_hours, f.utilisation) == (D("60"), D("120.00"),
                                                                   D("0.5000"))  # fmt: skip
    assert f.rag == "red"


def test_without_a_baseline_only_the_other_kpis_are_known(pm):
    project = ProjectFactory(manager=pm, start_date=MONDAY)
    f = selectors_kpi.compute_figures(project=project, status_date=FRIDAY_2)
    assert not f.has_baseline
    assert (f.spi, f.cpi, f.milestone_rate, f.first_pass_rate, f.utilisation) == (None,) * 5
    assert f.rag == ""


def test_a_project_not_started_has_no_period(pm):
    project = ProjectFactory(manager=pm, start_date=dt.date(2027, 6, 1))
    MemberFactory(project=project)
    f = selectors_kpi.compute_figures(project=project, status_date=FRIDAY_2)
    assert (f.period_start, f.available_hours, f.utilisation) == (None, D("0"), None)


def test_the_colour_is_the_worst_of_its_parts():
    assert selectors_kpi.rate_rag(None) == ""
    assert selectors_kpi.rate_rag(D("0.90")) == "green"
    assert selectors_kpi.rate_rag(D("0.8999")) == "amber"
    assert selectors_kpi.rate_rag(D("0.7499")) == "red"
    assert selectors_kpi.overall_rag("", "") == ""
    assert selectors_kpi.overall_rag("green", "", "amber") == "amber"
    assert selectors_kpi.overall_rag("red", "green") == "red"


# --- refresh ------------------------------------------------------------------------------------


def test_refresh_stores_the_figures(worked):
    row = kpi.kpi_refresh(project_id=worked.pk, status_date=FRIDAY_2)
    assert row is not None and not row.pending and row.computed_at is not None
    assert (row.spi, row.milestones_due, row.rag, row.rag_rank) == (D("0.5000"), 3, "red", 3)
    assert kpi.kpi_refresh(project_id=10**9) is None


def test_time_approval_refreshes_the_snapshot_after_commit(
    pm, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(selectors_evm, "today", lambda: FRIDAY_2)
    project = ProjectFactory(manager=pm, start_date=MONDAY)
    worker = MemberFactory(project=project, user__team=pm.team).user
    task = TaskFactory(project=project)
    timesheets.timesheet_week_save(
        actor=worker, week=WEEK, rows=[{"task_id": task.pk, "hours": ["8", "8"] + [None] * 5}]
    )
    timesheets.timesheet_week_submit(actor=worker, week=WEEK)
    ids = list(TimeEntry.objects.values_list("pk", flat=True))
    assert not ProjectKpi.objects.filter(project=project).exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        timesheets.time_entries_approve(actor=pm, entry_ids=ids)
    assert len(callbacks) == 1
    row = ProjectKpi.objects.get(project=project)
    assert not row.pending and row.computed_at is not None
    assert row.booked_hours == D("16")


def test_requests_coalesce_into_one_refresh(pm, django_capture_on_commit_callbacks):
    project = ProjectFactory(manager=pm)
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        assert kpi.kpi_request_refresh(project_id=project.pk) is True
        assert kpi.kpi_request_refresh(project_id=project.pk) is False
        assert kpi.kpi_request_refresh(project_id=project.pk) is False
    assert len(callbacks) == 1
    assert ProjectKpi.objects.get(project=project).pending
    kpi.kpi_refresh(project_id=project.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert kpi.kpi_request_refresh(project_id=project.pk) is True  # done: asks again
    assert len(callbacks) == 1


def test_a_request_during_a_refresh_computes_again(pm, monkeypatch):
    project = ProjectFactory(manager=pm)
    real = selectors_kpi.compute_figures
    calls = []

    def compute(**kwargs):
        calls.append(1)
        if len(calls) == 1:  # someone approves time while the first round computes
            ProjectKpi.objects.filter(project_id=project.pk).update(
                pending=True, requested_at=timezone.now()
            )
        return real(**kwargs)

    kpi.kpi_request_refresh(project_id=project.pk)
    monkeypatch.setattr(selectors_kpi, "compute_figures", compute)
    row = kpi.kpi_refresh(project_id=project.pk)
    assert len(calls) == 2 and row is not None and not row.pending


def test_taking_a_baseline_refreshes(pm, django_capture_on_commit_callbacks):
    project = ProjectFactory(manager=pm, start_date=MONDAY)
    TaskFactory(project=project, estimate_hours=D("8"))
    with django_capture_on_commit_callbacks(execute=True):
        baselines.take_baseline(project, actor=pm, name="基线", reason="")
    assert ProjectKpi.objects.get(project=project).has_baseline


def test_the_nightly_run_refreshes_active_projects_once_a_day(pm):
    active = ProjectFactory(manager=pm)
    on_hold = ProjectFactory(manager=pm, status=ProjectStatus.ON_HOLD)
    ProjectFactory(manager=pm, status=ProjectStatus.CLOSED)
    assert kpi.kpi_refresh_due(today=FRIDAY_2) == 2
    assert set(ProjectKpi.objects.values_list("project_id", flat=True)) == {active.pk, on_hold.pk}
    assert kpi.kpi_refresh_due(today=FRIDAY_2) == 0
    assert kpi.kpi_refresh_due(today=FRIDAY_2 + dt.timedelta(days=1)) == 2
    kpi.kpi_request_refresh(project_id=active.pk)  # a lost task: the next run takes it
    assert kpi.kpi_refresh_due(today=FRIDAY_2 + dt.timedelta(days=1)) == 1


# --- the portfolio ------------------------------------------------------------------------------


def _snapshot(project, **fields):
    defaults = {"pending": False, "computed_at": timezone.now(), "status_date": FRIDAY_2}
    defaults.update(fields)
    if "rag" in defaults:
        defaults["rag_rank"] = {"": 0, "green": 1, "amber": 2, "red": 3}[defaults["rag"]]
    return ProjectKpi.objects.create(project=project, **defaults)


@pytest.fixture
def portfolio(pm, stranger):
    mine = [
        ProjectFactory(manager=pm, name="甲", phase="execute"),
        ProjectFactory(manager=pm, name="乙", phase="plan"),
        ProjectFactory(manager=pm, name="丙", phase="execute", status=ProjectStatus.ON_HOLD),
        ProjectFactory(manager=pm, name="丁"),
    ]
    theirs = ProjectFactory(manager=stranger, name="外部")
    _snapshot(
        mine[0],
        rag="red",
        spi=D("0.70"),
        cpi=D("1.10"),
        milestones_due=4,
        milestones_on_time=1,
        booked_hours=D("30"),
        available_hours=D("100"),
    )
    _snapshot(
        mine[1],
        rag="green",
        spi=D("1.00"),
        cpi=D("0.90"),
        milestones_due=2,
        milestones_on_time=2,
        deliverables_decided=2,
        deliverables_first_pass=1,
        booked_hours=D("50"),
        available_hours=D("100"),
    )
    _snapshot(mine[2], rag="amber", spi=D("0.90"), cpi=D("1.30"))
    _snapshot(theirs, rag="red", spi=D("0.10"), cpi=D("0.10"))
    return mine, theirs


def _filters(**fields):
    return selectors_kpi.PortfolioFilters(**fields)


def test_the_summary_aggregates_the_viewers_snapshots(pm, portfolio):
    s = selectors_kpi.portfolio_summary(actor=pm, filters=_filters())
    assert (s["projects"], s["red"], s["amber"], s["green"], s["no_data"]) == (4, 1, 1, 1, 1)
    assert (s["spi"], s["cpi"]) == (D("0.8667"), D("1.1000"))
    assert (s["milestones_due"], s["milestones_on_time"]) == (6, 3)
    assert s["milestone_rate"] == D("0.5000")
    assert s["first_pass_rate"] == D("0.5000")
    assert s["utilisation"] == D("0.4000")
    assert [p["name"] for p in s["worst_spi"]] == ["甲", "丙", "乙"]
    assert [p["name"] for p in s["worst_cpi"]] == ["乙", "甲", "丙"]


def test_scope_hides_other_peoples_projects(pm, stranger, portfolio):
    names = [p.name for p in selectors_kpi.portfolio_projects(actor=pm, filters=_filters())]
    assert "外部" not in names
    s = selectors_kpi.portfolio_summary(actor=stranger, filters=_filters())
    assert (s["projects"], s["red"]) == (1, 1)


def test_filters(pm, portfolio):
    mine, _theirs = portfolio

    def names(**fields):
        return [p.name for p in selectors_kpi.portfolio_projects(actor=pm, filters=_filters(
            sort="name", **fields))]  # fmt: skip

    assert names(phase="execute") == ["丙", "甲"]
    assert names(status="on_hold") == ["丙"]
    assert names(customer_id=mine[1].customer_id) == ["乙"]
    assert names(manager_id=pm.pk, rag="red") == ["甲"]
    assert names(rag="") == ["丁"]
    assert names(manager_id=10**9) == []


def test_sorting_puts_the_worst_first_and_unknowns_last(pm, portfolio):
    def names(sort):
        return [p.name for p in selectors_kpi.portfolio_projects(actor=pm, filters=_filters(
            sort=sort))]  # fmt: skip

    assert names("rag") == ["甲", "丙", "乙", "丁"]
    assert names("spi") == ["甲", "丙", "乙", "丁"]
    assert names("-spi") == ["乙", "丙", "甲", "丁"]
    assert names("cpi")[0] == "乙"


# --- API ---------------------------------------------------------------------------------------


def test_api_portfolio(client, pm, portfolio):
    mine, _theirs = portfolio
    client.force_login(pm)
    body = client.get(f"{API}/portfolio", {"phase": "execute", "sort": "spi"}).json()
    assert body["count"] == 2 and body["summary"]["projects"] == 2
    assert [i["name"] for i in body["items"]] == ["甲", "丙"]
    first = body["items"][0]["kpi"]
    assert (first["spi"], first["rag"], first["milestone_rate"]) == ("0.7000", "red", None)
    assert body["summary"]["worst_spi"][0]["name"] == "甲"
    by_manager = client.get(f"{API}/portfolio", {"manager_id": pm.pk, "rag": "red"}).json()
    assert [i["name"] for i in by_manager["items"]] == ["甲"]
    by_customer = client.get(f"{API}/portfolio", {"customer_id": mine[1].customer_id}).json()
    assert [i["name"] for i in by_customer["items"]] == ["乙"]
    paged = client.get(f"{API}/portfolio", {"limit": 1, "offset": 1}).json()
    assert paged["count"] == 4 and len(paged["items"]) == 1


def test_api_portfolio_bad_filters_are_422_naming_the_field(client, pm, portfolio):
    client.force_login(pm)
    cases = [
        ({"sort": "drop"}, "sort"),
        ({"rag": "blue"}, "rag"),
        ({"manager_id": "x"}, "manager_id"),
        ({"limit": 0}, "limit"),
    ]
    for params, field in cases:
        response = client.get(f"{API}/portfolio", params)
        assert response.status_code == 422, params
        assert field in response.content.decode()


def test_api_project_kpi_and_scope(client, pm, stranger, portfolio):
    mine, theirs = portfolio
    client.force_login(pm)
    body = client.get(f"{API}/{mine[0].pk}/kpi").json()
    assert (body["project_id"], body["spi"], body["cpi"], body["rag"]) == (
        mine[0].pk, "0.7000", "1.1000", "red")  # fmt: skip
    empty = client.get(f"{API}/{mine[3].pk}/kpi").json()
    assert empty["computed_at"] is None and empty["pending"] is True
    assert client.get(f"{API}/{theirs.pk}/kpi").status_code == 404
    assert client.get(f"{API}/{10**9}/kpi").status_code == 404


def test_api_needs_a_projects_role(client, portfolio):
    client.force_login(UserFactory(role=Role.SERVICE_AGENT))
    assert client.get(f"{API}/portfolio").status_code == 403


def test_openapi_documents_the_operations(client, pm):
    client.force_login(pm)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"200", "403", "422"} <= set(paths["/api/v1/projects/portfolio"]["get"]["responses"])
    assert {"200", "404"} <= set(paths["/api/v1/projects/{project_id}/kpi"]["get"]["responses"])


# --- the page ----------------------------------------------------------------------------------


def test_page_shows_tiles_table_and_drill_down(client, pm, portfolio):
    mine, theirs = portfolio
    client.force_login(pm)
    response = client.get(reverse("projects:portfolio"), {"sort": "spi"})
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("projects:evm", args=[mine[0].pk]) in html
    assert reverse("projects:evm", args=[theirs.pk]) not in html
    assert html.index("甲") < html.index("乙")
    assert 'data-tile="projects"' in html and 'id="gx-portfolio-scatter"' in html
    bad = client.get(reverse("projects:portfolio"), {"sort": "x", "manager": "y", "page": "z"})
    assert bad.status_code == 200


def test_page_filters_by_colour(client, pm, portfolio):
    client.force_login(pm)
    html = client.get(reverse("projects:portfolio"), {"rag": "none"}).content.decode()
    assert 'data-project="' in html and "丁" in html and ">甲<" not in html


def test_the_list_links_to_the_dashboard_and_the_evm_tab_shows_the_panel(client, pm, portfolio):
    mine, _theirs = portfolio
    client.force_login(pm)
    assert reverse("projects:portfolio") in client.get(reverse("projects:list")).content.decode()
    html = client.get(reverse("projects:evm", args=[mine[0].pk])).content.decode()
    assert 'id="project-kpi"' in html and 'data-kpi="schedule"' in html


def test_the_page_needs_a_projects_role(client, portfolio):
    client.force_login(UserFactory(role=Role.SERVICE_AGENT))
    assert client.get(reverse("projects:portfolio")).status_code == 403


def test_dashboard_query_count_does_not_grow_with_projects(
    client, pm, portfolio, django_assert_max_num_queries
):
    client.force_login(pm)
    url = reverse("projects:portfolio")
    client.get(url)
    with django_assert_max_num_queries(10):
        client.get(url, {"phase": "execute", "sort": "-cpi"})
    for i in range(30):
        _snapshot(ProjectFactory(manager=pm, name=f"批量{i}"), rag="green", spi=D("1"))
    with django_assert_max_num_queries(10):
        response = client.get(url, {"page": "2"})
    assert response.status_code == 200
    with django_assert_max_num_queries(6):
        client.get(f"{API}/portfolio", {"sort": "quality"})
