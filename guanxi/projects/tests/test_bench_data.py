"""The projects phase of the bench data set (``bench.projects_data``): the sizes the SPEC
asks for, and rows that are what the projects app would store — the CPM schedule, outline
numbers, tree keys — readable through the app's own selectors."""

from __future__ import annotations

import datetime as dt

import pytest

from bench import projects_data
from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.projects import selectors
from guanxi.projects.models import PhaseGate, Project, ProjectMember, Task, TaskLink

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 24)


def test_the_large_set_has_ten_thousand_projects_with_half_a_million_tasks():
    projects, per_project = projects_data.SIZES["large"]
    assert (projects, projects * per_project) == (10_000, 500_000)
    small, small_per = projects_data.SIZES["small"]
    assert small * small_per == 5_000  # the same slice per customer as the small set


def test_generated_projects_carry_the_schedule_the_app_computes(monkeypatch, team_a):
    owner = UserFactory(role=Role.ACCOUNT_MANAGER, team=team_a)
    customers = [CustomerFactory(owner=owner, team=team_a) for _ in range(3)]
    monkeypatch.setattr(projects_data, "SIZES", {"small": (4, 50)})
    monkeypatch.setattr(projects_data, "BATCH", 3)  # two batches

    counts = projects_data.generate(
        "small", [(c.pk, owner.pk, team_a.pk) for c in customers], TODAY
    )

    assert counts == {"projects": 4, "tasks": 200, "links": 4 * 44, "members": 4, "gates": 16}
    assert Project.objects.count() == 4 and Task.objects.count() == 200
    assert TaskLink.objects.count() == 176 and PhaseGate.objects.count() == 16
    assert ProjectMember.objects.filter(user=owner).count() == 4
    for project in Project.objects.all():
        fresh = selectors.project_schedule(project=project)
        rows = {t.pk: t for t in Task.objects.filter(project=project)}
        assert len(rows) == 50
        for pk, item in fresh.tasks.items():
            task = rows[pk]
            assert (task.start_date, task.finish_date) == (item.start, item.finish)
            assert (task.total_float, task.critical, task.is_summary) == (
                item.total_float, item.critical, item.summary,
            )  # fmt: skip
        assert project.scheduled_finish == fresh.finish
        outlines = list(
            Task.objects.filter(project=project)
            .order_by("tree_key")
            .values_list("outline", flat=True)
        )
        assert outlines[:3] == ["1", "1.1", "1.2"] and outlines[-1] == "5.9"
    assert selectors.project_list(actor=owner).count() == 4
