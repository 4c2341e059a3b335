"""``projects.services.plan``: tasks, links, the recompute stored on the tasks, the drag,
refused writes leave nothing behind."""

from __future__ import annotations

import datetime as dt

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.projects.models import Project, Task, TaskLink
from guanxi.projects.services import plan
from guanxi.projects.services.plan import CycleRefused
from guanxi.projects.tests.factories import PLAN_START, MemberFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(team_a):
    manager = UserFactory(role=Role.PROJECT_MANAGER, team=team_a)
    return ProjectFactory(manager=manager, team=team_a)


def add(project, name, days=1, **data):
    return plan.task_create(
        actor=project.manager,
        project_id=project.pk,
        data={"name": name, "duration_days": days, **data},
    )


def link(project, a, b, kind="FS", lag=0):
    return plan.link_create(
        actor=project.manager, project_id=project.pk, predecessor_id=a.pk,
        successor_id=b.pk, type=kind, lag_days=lag,
    )  # fmt: skip


def test_adding_a_link_moves_the_successor_and_marks_the_critical_path(project):
    design = add(project, "设计", 3)
    build = add(project, "开发", 5)
    doc = add(project, "文档", 1)
    link(project, design, build)

    design, build, doc = (Task.objects.get(pk=t.pk) for t in (design, build, doc))
    # Monday 1 March 2027: design Mon–Wed, build Thu 4 – Wed 10 March.
    assert (design.start_date, design.finish_date) == (PLAN_START, dt.date(2027, 3, 3))
    assert (build.start_date, build.finish_date) == (dt.date(2027, 3, 4), dt.date(2027, 3, 10))
    assert design.critical and build.critical and not doc.critical
    assert doc.total_float == 7 and doc.free_float == 7
    assert [t.outline for t in Task.objects.filter(project=project)] == ["1", "2", "3"]
    project.refresh_from_db()
    assert project.scheduled_finish == dt.date(2027, 3, 10)


def test_a_cycle_is_refused_naming_it_and_nothing_is_saved(project):
    a, b, c = add(project, "甲"), add(project, "乙"), add(project, "丙")
    link(project, a, b)
    link(project, b, c)
    audits = AuditEntry.objects.count()

    with pytest.raises(CycleRefused) as raised:
        link(project, c, a)

    assert raised.value.status == 400
    assert raised.value.field == "links"
    assert "甲 → 乙 → 丙 → 甲" in raised.value.message
    assert TaskLink.objects.filter(project=project).count() == 2
    assert AuditEntry.objects.count() == audits


def test_a_lag_out_of_bounds_names_the_field(project):
    a, b = add(project, "甲"), add(project, "乙")
    with pytest.raises(ValidationFailed) as raised:
        link(project, a, b, lag=1000)
    assert list(raised.value.errors) == ["lag_days"]
    assert not TaskLink.objects.exists()


def test_the_same_link_twice_is_a_conflict(project):
    a, b = add(project, "甲"), add(project, "乙")
    link(project, a, b)
    with pytest.raises(Conflict):
        link(project, a, b, "SS")


def test_dragging_a_task_moves_its_successor(project):
    a, b = add(project, "甲", 2), add(project, "乙", 2)
    link(project, a, b)
    a.refresh_from_db()

    plan.task_reschedule(
        actor=project.manager, project_id=project.pk, task_id=a.pk,
        start=dt.date(2027, 3, 8), version=a.version,
    )  # fmt: skip

    a.refresh_from_db()
    b.refresh_from_db()
    assert a.start_no_earlier == dt.date(2027, 3, 8)
    assert (a.start_date, a.finish_date) == (dt.date(2027, 3, 8), dt.date(2027, 3, 9))
    assert (b.start_date, b.finish_date) == (dt.date(2027, 3, 10), dt.date(2027, 3, 11))
    entry = AuditEntry.objects.filter(model="projects.task", object_id=str(b.pk)).last()
    assert entry.changes["start_date"] == ["2027-03-03", "2027-03-10"]


def test_a_stale_version_is_a_conflict_and_changes_nothing(project):
    a = add(project, "甲", 2)
    with pytest.raises(Conflict):
        plan.task_update(
            actor=project.manager, project_id=project.pk, task_id=a.pk,
            data={"name": "改名"}, version=a.version + 1,
        )  # fmt: skip
    assert Task.objects.get(pk=a.pk).name == "甲"


def test_sub_tasks_make_a_summary_with_rolled_up_dates_and_outline(project):
    phase = add(project, "阶段一", 1)
    first = add(project, "需求", 2, parent_id=phase.pk)
    second = add(project, "设计", 3, parent_id=phase.pk)
    link(project, first, second)

    phase.refresh_from_db()
    second.refresh_from_db()
    assert phase.is_summary
    assert (phase.start_date, phase.finish_date) == (PLAN_START, dt.date(2027, 3, 5))
    assert second.outline == "1.2"


def test_a_milestone_has_no_duration(project):
    m = add(project, "上线", 5, milestone=True)
    assert m.duration_days == 0 and m.milestone


def test_bad_fields_are_named(project):
    with pytest.raises(ValidationFailed) as raised:
        add(project, "甲", 2001)
    assert list(raised.value.errors) == ["duration_days"]
    with pytest.raises(ValidationFailed) as raised:
        add(project, "")
    assert list(raised.value.errors) == ["name"]
    assert not Task.objects.exists()


def test_a_task_cannot_go_under_its_own_sub_task(project):
    parent = add(project, "父")
    child = add(project, "子", parent_id=parent.pk)
    parent.refresh_from_db()
    with pytest.raises(ValidationFailed) as raised:
        plan.task_update(
            actor=project.manager, project_id=project.pk, task_id=parent.pk,
            data={"parent_id": child.pk}, version=parent.version,
        )  # fmt: skip
    assert list(raised.value.errors) == ["parent_id"]


def test_assignee_must_be_on_the_team(project, am_b):
    with pytest.raises(ValidationFailed) as raised:
        add(project, "甲", assignee_id=am_b.pk)
    assert list(raised.value.errors) == ["assignee_id"]


def test_someone_from_another_department_gets_not_found(project, team_b):
    outsider = UserFactory(role=Role.PROJECT_MANAGER, team=team_b)
    with pytest.raises(NotFound):
        plan.task_create(actor=outsider, project_id=project.pk, data={"name": "x"})
    assert not Task.objects.exists()


def test_a_colleague_who_only_reads_may_not_plan(project, team_a):
    colleague = UserFactory(role=Role.PROJECT_MEMBER, team=team_a)  # reads the department
    with pytest.raises(PermissionDenied):
        plan.task_create(actor=colleague, project_id=project.pk, data={"name": "x"})


def test_a_member_may_update_tasks(project):
    member = MemberFactory(project=project).user
    task = plan.task_create(actor=member, project_id=project.pk, data={"name": "我的任务"})
    assert task.pk


def test_kanban_move_renumbers_the_column_and_done_means_100(project):
    a, b, c = add(project, "甲"), add(project, "乙"), add(project, "丙")
    moved = plan.task_move_card(
        actor=project.manager, project_id=project.pk, task_id=c.pk, status="doing",
        version=c.version,
    )  # fmt: skip
    assert moved.status == "doing"
    b.refresh_from_db()
    plan.task_move_card(
        actor=project.manager, project_id=project.pk, task_id=b.pk, status="doing",
        before_id=c.pk, version=b.version,
    )  # fmt: skip
    order = list(
        Task.objects.filter(project=project, status="doing")
        .order_by("board_position")
        .values_list("name", flat=True)
    )
    assert order == ["乙", "丙"]
    a.refresh_from_db()
    done = plan.task_move_card(
        actor=project.manager, project_id=project.pk, task_id=a.pk, status="done",
        version=a.version,
    )  # fmt: skip
    assert done.progress == 100


def test_deleting_a_summary_deletes_its_parts_and_reschedules(project):
    phase = add(project, "阶段")
    add(project, "子", 4, parent_id=phase.pk)
    later = add(project, "后", 1)
    phase.refresh_from_db()
    plan.task_delete(
        actor=project.manager, project_id=project.pk, task_id=phase.pk, version=phase.version
    )
    assert list(Task.objects.filter(project=project).values_list("name", flat=True)) == ["后"]
    later.refresh_from_db()
    assert later.outline == "1"
    assert Project.objects.get(pk=project.pk).scheduled_finish == PLAN_START
