"""Task progress edits through the plan services (``task_update``, ``task_move_card``,
``task_delete``) mark the project's KPI snapshot stale and refresh it after commit, as an
approval of time does; the portfolio then shows the new figures. An edit the KPIs do not
read (the name) asks for nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.projects import selectors_evm, selectors_kpi
from guanxi.projects.models import Baseline, BaselineTask, ProjectKpi, TaskStatus
from guanxi.projects.services import kpi, plan
from guanxi.projects.tests.factories import ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db

D = Decimal
MONDAY = dt.date(2027, 3, 1)
FRIDAY_2 = dt.date(2027, 3, 12)


@pytest.fixture
def pm(db):
    return UserFactory(username="kt_pm", role=Role.PROJECT_MANAGER, team=TeamFactory())


@pytest.fixture
def planned(pm, monkeypatch):
    """One task of budget 1,000 planned for the first week, 20 % done, baselined; its
    snapshot computed as of Fri 12 Mar 2027 (PV = 1,000, EV = 200, SPI = 0.2)."""
    monkeypatch.setattr(selectors_evm, "today", lambda: FRIDAY_2)
    project = ProjectFactory(manager=pm, start_date=MONDAY)
    task = TaskFactory(project=project, name="开发", progress=20, status=TaskStatus.DOING)
    baseline = Baseline.objects.create(
        project=project, number=1, name="基线", bac=D("1000"), planned_start=MONDAY,
        planned_finish=dt.date(2027, 3, 5),
        taken_at=timezone.make_aware(dt.datetime.combine(MONDAY, dt.time(9))),
    )  # fmt: skip
    BaselineTask.objects.create(
        baseline=baseline, task=task, name="开发", planned_cost=D("1000"), start=MONDAY,
        finish=dt.date(2027, 3, 5), work_hours=D("40"),
    )  # fmt: skip
    kpi.kpi_refresh(project_id=project.pk)
    row = ProjectKpi.objects.get(project=project)
    assert (row.ev, row.spi, row.pending) == (D("200.00"), D("0.2000"), False)
    task.refresh_from_db()
    return project, task


def _portfolio(pm):
    return selectors_kpi.portfolio_summary(actor=pm, filters=selectors_kpi.PortfolioFilters())


def test_a_progress_edit_refreshes_the_portfolio_after_commit(
    pm, planned, django_capture_on_commit_callbacks
):
    project, task = planned
    assert (_portfolio(pm)["ev"], _portfolio(pm)["spi"]) == (D("200.00"), D("0.2000"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        plan.task_update(
            actor=pm, project_id=project.pk, task_id=task.pk, data={"progress": 60},
            version=task.version,
        )  # fmt: skip
    assert len(callbacks) == 1
    row = ProjectKpi.objects.get(project=project)
    assert (row.ev, row.spi, row.pending) == (D("600.00"), D("0.6000"), False)
    summary = _portfolio(pm)
    assert (summary["ev"], summary["spi"]) == (D("600.00"), D("0.6000"))


def test_the_edit_marks_the_snapshot_stale_until_the_job_runs(
    pm, planned, django_capture_on_commit_callbacks
):
    project, task = planned
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        plan.task_update(
            actor=pm, project_id=project.pk, task_id=task.pk,
            data={"status": TaskStatus.DONE}, version=task.version,
        )  # fmt: skip
    assert len(callbacks) == 1
    assert ProjectKpi.objects.get(project=project).pending
    assert _portfolio(pm)["ev"] == D("200.00")  # not yet: the job has not run
    callbacks[0]()
    row = ProjectKpi.objects.get(project=project)
    assert (row.ev, row.pending) == (D("1000.00"), False)


def test_a_card_moved_to_done_refreshes(pm, planned, django_capture_on_commit_callbacks):
    project, task = planned
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        plan.task_move_card(
            actor=pm, project_id=project.pk, task_id=task.pk, status=TaskStatus.DONE,
            version=task.version,
        )  # fmt: skip
    assert len(callbacks) == 1
    assert _portfolio(pm)["ev"] == D("1000.00")


def test_deleting_the_task_refreshes(pm, planned, django_capture_on_commit_callbacks):
    project, task = planned
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        plan.task_delete(actor=pm, project_id=project.pk, task_id=task.pk, version=task.version)
    assert len(callbacks) == 1
    assert ProjectKpi.objects.get(project=project).ev != D("200.00")


def test_a_rename_asks_for_no_refresh(pm, planned, django_capture_on_commit_callbacks):
    project, task = planned
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        plan.task_update(
            actor=pm, project_id=project.pk, task_id=task.pk, data={"name": "开发（二期）"},
            version=task.version,
        )  # fmt: skip
    assert callbacks == []
    assert not ProjectKpi.objects.get(project=project).pending
