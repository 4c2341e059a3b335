"""The ``tasks`` import kind: tasks from CSV/XLSX rows into a project — hierarchy from
outline numbers or a parent's name, durations, estimates, assignees, predecessors written
as MS Project writes them ("3FS+2"), the schedule recomputed, bad rows named by column,
cycles refused, scope, duplicates and undo."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.models import AuditEntry
from guanxi.imports import registry
from guanxi.imports.models import ImportRowError
from guanxi.imports.services import can_import
from guanxi.imports.tests.support import counts, run_file, write_csv
from guanxi.imports.undo import import_undo
from guanxi.projects import importers
from guanxi.projects.models import Task, TaskLink
from guanxi.projects.tests.factories import PLAN_START, MemberFactory, ProjectFactory

pytestmark = pytest.mark.django_db

HEADER = ["项目编号", "大纲编号", "任务名称", "工期", "开始日期", "预计工时", "负责人", "前置任务"]


@pytest.fixture
def pm(team_a):
    return UserFactory(username="pm_t", role=Role.PROJECT_MANAGER, team=team_a)


@pytest.fixture
def project(pm):
    return ProjectFactory(name="官网改版", code="PRJ-01", manager=pm, start_date=PLAN_START)


def _rows(dev):
    return [
        HEADER,
        ["PRJ-01", "1", "需求阶段", "", "", "", "", ""],
        ["PRJ-01", "1.1", "需求调研", "5 个工作日", "", "40h", "pm_t", ""],
        ["PRJ-01", "1.2", "需求评审", "0", "", "", "", "2FS+1"],
        ["PRJ-01", "2", "开发", "10d", "", "160", dev.username, "3"],
        ["PRJ-01", "3", "上线", "0", "", "", "", "4FS;2SS+2"],
    ]


def test_the_kind_is_registered():
    kind = registry.kind("tasks")
    assert kind.models == (TaskLink, Task)
    assert {"project", "outline", "name", "duration", "predecessors"} <= set(kind.spec.by_name)


def test_tasks_come_in_with_their_tree_links_and_schedule(tmp_path, project, pm):
    dev = MemberFactory(project=project).user
    run = run_file(write_csv(tmp_path / "t.csv", _rows(dev)), "tasks", actor=pm)
    assert counts(run) == (5, 0, 0, 0)
    tasks = {t.name: t for t in Task.objects.filter(project=project)}
    assert [tasks[n].outline for n in ("需求阶段", "需求调研", "需求评审", "开发", "上线")] == [
        "1", "1.1", "1.2", "2", "3",
    ]  # fmt: skip
    assert tasks["需求调研"].parent == tasks["需求阶段"]
    assert tasks["需求阶段"].is_summary
    assert (tasks["需求调研"].duration_days, tasks["需求调研"].estimate_hours) == (5, Decimal(40))
    assert tasks["需求调研"].assignee == pm and tasks["开发"].assignee == dev
    assert tasks["需求评审"].milestone and tasks["需求评审"].duration_days == 0
    links = {
        (link.predecessor.name, link.successor.name, link.type, link.lag_days)
        for link in TaskLink.objects.filter(project=project).select_related(
            "predecessor", "successor"
        )
    }
    assert links == {
        ("需求调研", "需求评审", "FS", 1),
        ("需求评审", "开发", "FS", 0),
        ("开发", "上线", "FS", 0),
        ("需求调研", "上线", "SS", 2),
    }
    # 需求调研 Mon 1 – Fri 5 March 2027; FS+1 puts the review after Mon 8 March (a
    # milestone shows at the end of its day, as MS Project shows it); 开发 from Tue 9
    # March for 10 working days → Mon 22 March; 上线 then.
    assert tasks["需求调研"].start_date == dt.date(2027, 3, 1)
    assert tasks["需求评审"].start_date == dt.date(2027, 3, 8)
    assert tasks["开发"].finish_date == dt.date(2027, 3, 22)
    assert tasks["上线"].critical and tasks["开发"].critical
    project.refresh_from_db()
    assert project.scheduled_finish == tasks["上线"].finish_date
    assert AuditEntry.objects.filter(model="projects.task", action="create").count() == 5
    assert AuditEntry.objects.filter(model="projects.tasklink", action="create").count() == 4
    assert set(
        AuditEntry.objects.filter(model="projects.task").values_list("customer_id", flat=True)
    ) == {project.customer_id}


def test_a_parent_by_name_and_a_start_date(tmp_path, project, pm):
    rows = [
        ["项目", "任务名称", "上级任务", "工期", "开始日期", "里程碑"],
        ["官网改版", "设计", "", "3", "", ""],
        ["官网改版", "视觉稿", "设计", "2", "2027-03-10", ""],
        ["官网改版", "验收", "", "", "", "是"],
    ]
    run = run_file(write_csv(tmp_path / "t.csv", rows), "tasks", actor=pm)
    assert counts(run) == (3, 0, 0, 0)
    design, draft, done = Task.objects.filter(project=project).order_by("id")
    assert draft.parent == design and draft.start_no_earlier == dt.date(2027, 3, 10)
    assert draft.start_date == dt.date(2027, 3, 10)
    assert done.milestone and done.duration_days == 0


def test_bad_rows_are_named_by_column_and_the_good_ones_come_in(tmp_path, project, pm):
    outsider = UserFactory(username="outsider_t", role=Role.PROJECT_MEMBER)
    rows = [
        HEADER,
        ["PRJ-01", "1", "好任务", "2", "", "", "", ""],
        ["PRJ-404", "2", "项目不存在", "2", "", "", "", ""],
        ["PRJ-01", "3", "工期不对", "两天", "", "", "", ""],
        ["PRJ-01", "4", "工时不对", "2", "", "很多", "", ""],
        ["PRJ-01", "5", "不是成员", "2", "", "", outsider.username, ""],
        ["PRJ-01", "6", "前置不对", "2", "", "", "", "甲乙"],
        ["PRJ-01", "7", "前置不存在", "2", "", "", "", "99"],
        ["PRJ-01", "8.1", "上级不存在", "2", "", "", "", ""],
        ["PRJ-01", "9", "依赖自己", "2", "", "", "", "9"],
        ["PRJ-01", "10", "依赖失败的行", "2", "", "", "", "4"],
    ]
    run = run_file(write_csv(tmp_path / "t.csv", rows), "tasks", actor=pm)
    assert counts(run) == (1, 0, 0, 9)
    errors = {e.row: (e.column, e.code) for e in ImportRowError.objects.filter(run=run)}
    assert errors == {
        3: ("项目编号", "task_project_not_found"),
        4: ("工期", "task_duration_invalid"),
        5: ("预计工时", "task_estimate_invalid"),
        6: ("负责人", "task_assignee_not_member"),
        7: ("前置任务", "task_predecessor_invalid"),
        8: ("前置任务", "task_predecessor_not_found"),
        9: ("大纲编号", "task_outline_parent"),
        10: ("前置任务", "task_predecessor_self"),
        11: ("前置任务", "task_predecessor_not_found"),
    }
    assert list(Task.objects.filter(project=project).values_list("name", flat=True)) == ["好任务"]


def test_a_cycle_is_refused_naming_it_and_nothing_of_it_comes_in(tmp_path, project, pm):
    rows = [
        ["项目编号", "任务名称", "工期", "前置任务"],
        ["PRJ-01", "甲", "1", "3"],
        ["PRJ-01", "乙", "1", "1"],
        ["PRJ-01", "丙", "1", "2"],
        ["PRJ-01", "丁", "1", ""],
    ]
    run = run_file(write_csv(tmp_path / "t.csv", rows), "tasks", actor=pm)
    assert counts(run) == (1, 0, 0, 3)
    errors = {e.row: e for e in ImportRowError.objects.filter(run=run)}
    # the last row of the cycle is named with it; the rows leaning on it were not imported
    assert (errors[4].column, errors[4].code) == ("前置任务", "task_predecessor_cycle")
    assert errors[4].params["cycle"] in ("甲 → 乙 → 丙 → 甲", "乙 → 丙 → 甲 → 乙",
                                         "丙 → 甲 → 乙 → 丙")  # fmt: skip
    assert {errors[2].code, errors[3].code} == {"task_predecessor_not_found"}
    assert list(Task.objects.filter(project=project).values_list("name", flat=True)) == ["丁"]
    assert not TaskLink.objects.filter(project=project).exists()


def test_a_predecessor_closing_a_cycle_with_the_saved_plan_fails_its_row(tmp_path, project, pm):
    rows = [["项目编号", "任务名称", "前置任务"], ["PRJ-01", "甲", ""], ["PRJ-01", "乙", "1"]]
    run_file(write_csv(tmp_path / "a.csv", rows), "tasks", actor=pm)
    # 甲 again (an update) would now wait for 乙, which waits for 甲
    again = [["项目编号", "任务名称", "序号", "前置任务"], ["PRJ-01", "乙", "2", ""],
             ["PRJ-01", "甲", "1", "2"]]  # fmt: skip
    run = run_file(write_csv(tmp_path / "b.csv", again), "tasks", actor=pm)
    error = ImportRowError.objects.get(run=run)
    assert (error.row, error.code) == (3, "task_predecessor_cycle")
    assert TaskLink.objects.filter(project=project).count() == 1


def test_a_project_outside_the_scope_is_not_found_and_a_read_only_one_refused(
    tmp_path, project, am_b, team_a
):
    mine = ProjectFactory(code="PRJ-02", manager=am_b)
    reader = UserFactory(username="viewer_t", role=Role.MANAGER, team=team_a)
    rows = [["项目编号", "任务名称"], ["PRJ-01", "甲"], ["PRJ-02", "乙"]]
    run = run_file(write_csv(tmp_path / "t.csv", rows), "tasks", actor=am_b)
    errors = {e.row: e.code for e in ImportRowError.objects.filter(run=run)}
    assert errors == {2: "task_project_not_found"}
    assert Task.objects.filter(project=mine).count() == 1
    assert not Task.objects.filter(project=project).exists()
    assert can_import(reader, "tasks") is True


def test_the_same_file_again_updates_or_skips(tmp_path, project, pm):
    dev = MemberFactory(project=project).user
    run_file(write_csv(tmp_path / "a.csv", _rows(dev)), "tasks", actor=pm)
    rows = _rows(dev)
    rows[2][3] = "6"  # 需求调研 now takes six days
    again = run_file(write_csv(tmp_path / "b.csv", rows), "tasks", actor=pm)
    assert counts(again) == (0, 1, 4, 0)
    assert Task.objects.filter(project=project).count() == 5
    assert Task.objects.get(name="需求调研").duration_days == 6
    assert Task.objects.get(name="开发").start_date == dt.date(2027, 3, 10)
    assert TaskLink.objects.filter(project=project).count() == 4
    rows[2][3] = "7"
    skipped = run_file(write_csv(tmp_path / "c.csv", rows), "tasks", actor=pm,
                       on_duplicate="skip")  # fmt: skip
    assert counts(skipped) == (0, 0, 5, 0)
    assert Task.objects.get(name="需求调研").duration_days == 6
    import_undo(run_id=again.pk, actor=pm)
    assert Task.objects.get(name="需求调研").duration_days == 5


def test_undo_removes_the_tasks_and_links_of_the_run(tmp_path, project, pm):
    dev = MemberFactory(project=project).user
    run = run_file(write_csv(tmp_path / "a.csv", _rows(dev)), "tasks", actor=pm)
    import_undo(run_id=run.pk, actor=pm)
    assert not Task.objects.filter(project=project).exists()
    assert not TaskLink.objects.filter(project=project).exists()


def _schedule(project):
    project.refresh_from_db()
    return project.scheduled_finish, {
        t.name: (t.start_date, t.finish_date, t.total_float, t.critical)
        for t in Task.objects.filter(project=project)
    }


def test_undo_of_an_update_schedules_the_project_again(tmp_path, project, pm):
    dev = MemberFactory(project=project).user
    run_file(write_csv(tmp_path / "a.csv", _rows(dev)), "tasks", actor=pm)
    imported = _schedule(project)
    rows = _rows(dev)
    rows[2][3] = "8"  # 需求调研 now takes eight days: 开发 and 上线 move three days
    again = run_file(write_csv(tmp_path / "b.csv", rows), "tasks", actor=pm)
    assert _schedule(project) != imported

    import_undo(run_id=again.pk, actor=pm)

    assert Task.objects.get(name="需求调研").duration_days == 5
    assert _schedule(project) == imported
    assert Task.objects.get(name="开发").start_date == dt.date(2027, 3, 9)


def test_undo_that_removes_a_predecessor_schedules_the_project_again(tmp_path, project, pm):
    rows = [["项目编号", "任务名称", "工期"], ["PRJ-01", "上线", "1"]]
    run_file(write_csv(tmp_path / "a.csv", rows), "tasks", actor=pm)
    planned = _schedule(project)
    # 上线 (the same task: unchanged) now waits for a new ten-day 联调
    again = [["项目编号", "序号", "任务名称", "工期", "前置任务"],
             ["PRJ-01", "1", "联调", "10", ""], ["PRJ-01", "2", "上线", "1", "1"]]  # fmt: skip
    run = run_file(write_csv(tmp_path / "b.csv", again), "tasks", actor=pm)
    assert Task.objects.get(name="上线").start_date == dt.date(2027, 3, 15)

    import_undo(run_id=run.pk, actor=pm)

    assert list(Task.objects.filter(project=project).values_list("name", flat=True)) == ["上线"]
    assert not TaskLink.objects.filter(project=project).exists()
    assert _schedule(project) == planned
    assert planned[1]["上线"][0] == PLAN_START
    assert AuditEntry.objects.filter(
        model="projects.project", object_id=str(project.pk), action="update"
    ).exists()  # the finish moved back, audited


def test_who_may_import_tasks(pm, agent, am_a):
    member = UserFactory(role=Role.PROJECT_MEMBER)
    assert importers.may_import_tasks(pm) and importers.may_import_tasks(am_a)
    assert not importers.may_import_tasks(agent)
    assert not importers.may_import_tasks(member)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", [(3, "FS", 0)]),
        ("3FS+2", [(3, "FS", 2)]),
        ("3ss-1d；4ff", [(3, "SS", -1), (4, "FF", 0)]),
        ("５SF＋３ 个工作日", [(5, "SF", 3)]),
        ("2完成-开始+1天", [(2, "FS", 1)]),
        ("3XX", None),
        ("3FS+1000", None),
    ],
)
def test_predecessors_read_as_ms_project_writes_them(text, expected):
    assert importers._predecessors(text) == expected


@pytest.mark.parametrize(
    ("text", "days"),
    [("5", 5), ("5d", 5), ("5 个工作日", 5), ("2.5 days?", 3), ("12h", 2), ("x", None),
     ("2001", None)],
)  # fmt: skip
def test_durations_in_working_days(text, days):
    assert importers._duration(text) == days
