"""The demo's projects (``guanxi.demo.seeders.projects``): templates with real plans, about
twenty projects in every phase and status with a schedule computed by CPM, gates passed
behind the current phase, and every projects page has content for the administrator and
for a project manager."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from guanxi.accounts.models import User
from guanxi.customers.models import TimelineEntry
from guanxi.demo.build import build_demo
from guanxi.projects import cpm, selectors
from guanxi.projects.models import (
    PHASE_ORDER,
    CalendarFeed,
    Deliverable,
    LinkType,
    PhaseGate,
    Project,
    ProjectMember,
    ProjectStatus,
    ProjectTemplate,
    Task,
    TaskLink,
)

TODAY = dt.date(2026, 11, 24)
pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    build_demo(customers=60, today=TODAY)


def test_the_demo_has_projects_in_every_phase_and_status_with_real_plans(demo):
    assert ProjectTemplate.objects.count() == 3
    assert {t.tasks.count() for t in ProjectTemplate.objects.all()} >= {6, 11, 16}
    projects = list(Project.objects.all())
    assert 15 <= len(projects) <= 25
    assert {p.phase for p in projects} == set(PHASE_ORDER)
    assert {p.status for p in projects} == set(ProjectStatus.values)
    assert sum(1 for p in projects if p.opportunity_id) >= 5
    assert any(p.parent_id for p in projects)
    assert set(TaskLink.objects.values_list("type", flat=True)) == set(LinkType.values)
    assert TaskLink.objects.exclude(lag_days=0).exists()
    assert Task.objects.filter(milestone=True).exists()
    assert Task.objects.filter(parent__isnull=False).exists()
    assert Task.objects.filter(status="done", progress=100).exists()
    assert Task.objects.filter(assignee__isnull=False).exists()
    assert ProjectMember.objects.values("project").distinct().count() == len(projects)
    assert Deliverable.objects.filter(done=True).exists()
    assert CalendarFeed.objects.filter(kind="user").exists()
    assert CalendarFeed.objects.filter(kind="project").exists()
    assert TimelineEntry.objects.filter(kind="project").count() > len(projects)
    # (one demo build for the checks below: each build takes a while)
    _the_stored_schedule_is_the_cpm_schedule()
    _gates_behind_the_current_phase_are_passed()


def _the_stored_schedule_is_the_cpm_schedule():
    for project in Project.objects.all():
        fresh = selectors.project_schedule(project=project)
        stored = {t.pk: t for t in Task.objects.filter(project=project)}
        assert stored, project
        for pk, item in fresh.tasks.items():
            task = stored[pk]
            assert (task.start_date, task.finish_date) == (item.start, item.finish)
            assert task.total_float == item.total_float and task.critical == item.critical
        assert project.scheduled_finish == fresh.finish
        assert any(t.critical for t in stored.values())
        assert all(t.total_float is not None and t.total_float >= 0 for t in stored.values())
    assert isinstance(fresh, cpm.Schedule)


def _gates_behind_the_current_phase_are_passed():
    for project in Project.objects.all():
        passed = set(
            PhaseGate.objects.filter(project=project, passed_at__isnull=False).values_list(
                "phase", flat=True
            )
        )
        current = PHASE_ORDER.index(project.phase)
        if project.status == ProjectStatus.CLOSED:
            assert passed == set(PHASE_ORDER)
        else:
            assert passed == set(PHASE_ORDER[:current])
        # (the last gate is passed by the closure, which has rules of its own)
        passed_gates = PhaseGate.objects.filter(project=project, passed_at__isnull=False)
        for gate in passed_gates.exclude(phase="close"):
            assert not gate.items.filter(done=False).exists()


@pytest.mark.parametrize("username", ["admin", "zhoutao"])
def test_every_projects_page_has_content(client, demo, username):
    user = User.objects.get(username=username)
    client.force_login(user)
    listing = client.get(reverse("projects:list"))
    assert listing.status_code == 200
    shown = selectors.project_list(actor=user)
    assert shown.exists()
    assert listing.content.decode().count("data-project=") >= min(shown.count(), 5)
    project = shown.filter(phase="execute").first() or shown.first()
    assert project is not None
    pages = {
        "detail": reverse("projects:detail", args=[project.pk]),
        "board": reverse("projects:board", args=[project.pk]),
        "gantt": reverse("projects:gantt", args=[project.pk]),
        "gates": reverse("projects:gates", args=[project.pk]),
        "load": reverse("projects:load") + f"?start={TODAY - dt.timedelta(days=60):%Y-%m-%d}",
        "feeds": reverse("projects:feeds"),
        "person": reverse("projects:person_load", args=[project.manager_id]),
        "new": reverse("projects:new"),
        "import": reverse("projects:plan_import"),
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (name, url)
    task = Task.objects.filter(project=project, is_summary=False).first()
    assert task is not None
    detail = client.get(pages["detail"]).content.decode()
    assert task.name in detail
    assert reverse("projects:plan_download", args=[project.pk]) in detail
    listing_html = listing.content.decode()
    for name in ("load", "feeds", "import"):
        assert reverse(f"projects:{'plan_import' if name == 'import' else name}") in listing_html
    assert task.name in client.get(pages["board"]).content.decode()
    bars = client.get(reverse("projects:gantt_data", args=[project.pk])).json()["tasks"]
    assert any("gx-critical" in bar["custom_class"] for bar in bars)
    assert "确认客户需求与项目目标" in client.get(pages["gates"]).content.decode()
    xml = client.get(reverse("projects:plan_download", args=[project.pk]))
    assert xml.status_code == 200 and task.name in xml.content.decode()
    feeds = client.get(pages["feeds"]).content.decode()
    if username == "zhoutao":
        assert CalendarFeed.objects.get(owner=user, kind="user").token_prefix in feeds
