"""MSPDI import and export through the services and the ``guanxi import/export
project-plan`` commands: what lands in the database, what the file says, permissions, and
refused files leaving nothing behind."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry, SecurityEvent
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.projects import interchange, mspdi
from guanxi.projects.models import Project, ProjectMember, Task, TaskLink
from guanxi.projects.tests.test_mspdi import BILLION_LAUGHS, _file, _task

DATA = Path(__file__).parent / "data"
SAMPLE = (DATA / "erp_rollout.xml").read_bytes()

pytestmark = pytest.mark.django_db


@pytest.fixture
def pm(team_a):
    return UserFactory(username="pm_a", role=Role.PROJECT_MANAGER, team=team_a)


@pytest.fixture
def customer(am_a):
    return CustomerFactory(name="华东制造有限公司", owner=am_a)


def _counts():
    return Project.objects.count(), Task.objects.count(), TaskLink.objects.count()


def test_import_creates_the_project_tree_links_and_schedule(am_a, customer):
    result = interchange.plan_import(actor=am_a, data=SAMPLE, customer_id=customer.pk)
    project = result.project
    assert (result.tasks, result.links) == (12, 9)
    assert project.name == "华东制造 ERP 上线" and project.customer == customer
    assert project.start_date == dt.date(2026, 3, 2)
    tasks = {t.name: t for t in Task.objects.filter(project=project)}
    assert tasks["现状访谈（财务、仓储）"].parent == tasks["需求调研"]
    assert tasks["现状访谈（财务、仓储）"].duration_days == 3
    assert tasks["现状访谈（财务、仓储）"].estimate_hours == 48
    assert tasks["需求确认"].milestone and tasks["需求确认"].duration_days == 0
    assert tasks["需求调研"].is_summary
    assert tasks["需求规格说明书"].outline == "1.2"
    rows = TaskLink.objects.filter(project=project).select_related("predecessor", "successor")
    links = {(lk.predecessor.name, lk.successor.name): (lk.type, lk.lag_days) for lk in rows}
    assert links[("财务模块配置", "仓储模块配置")] == ("SS", 2)
    assert links[("财务模块配置", "数据迁移")] == ("FF", 4)
    assert links[("仓储模块配置", "数据迁移")] == ("FS", -1)
    assert links[("试运行", "客户验收签字")] == ("SF", 0)
    # The schedule was computed on import: the first task starts on the project's first day.
    assert tasks["现状访谈（财务、仓储）"].start_date == dt.date(2026, 3, 2)
    assert tasks["需求规格说明书"].start_date == dt.date(2026, 3, 5)
    assert project.scheduled_finish is not None
    assert AuditEntry.objects.filter(model="projects.task").count() >= 12
    assert AuditEntry.objects.filter(model="projects.tasklink").count() == 9


def test_export_writes_the_schedule_and_reads_back_the_same_plan(am_a, customer):
    project = interchange.plan_import(actor=am_a, data=SAMPLE, customer_id=customer.pk).project
    _project, data = interchange.plan_export(actor=am_a, project_id=project.pk)
    plan = mspdi.parse(data)
    original = mspdi.parse(SAMPLE)
    assert [(t.name, t.outline_level, t.milestone, t.summary) for t in plan.tasks] == [
        (t.name, t.outline_level, t.milestone, t.summary) for t in original.tasks
    ]
    leaves = [(t.name, t.duration_minutes) for t in plan.tasks if not t.summary]
    assert leaves == [(t.name, t.duration_minutes) for t in original.tasks if not t.summary]
    assert [t.outline_number for t in plan.tasks] == [t.outline_number for t in original.tasks]
    names = {t.uid: t.name for t in plan.tasks}
    got = sorted((names[lk.predecessor_uid], t.name, lk.type, lk.lag_minutes)
                 for t in plan.tasks for lk in t.links)  # fmt: skip
    onames = {t.uid: t.name for t in original.tasks}
    want = sorted((onames[lk.predecessor_uid], t.name, lk.type, lk.lag_minutes)
                  for t in original.tasks for lk in t.links)  # fmt: skip
    assert got == want
    first = next(t for t in plan.tasks if t.name == "现状访谈（财务、仓储）")
    assert first.early_start == dt.datetime(2026, 3, 2, 8)
    assert first.late_start is not None and first.total_slack_minutes is not None
    assert first.critical is not None
    assert plan.calendars[0].exceptions  # the platform's holidays in the plan's span
    assert SecurityEvent.objects.filter(event="project_plan_export").count() == 1


def test_second_import_of_the_export_gives_the_same_plan(am_a, customer):
    project = interchange.plan_import(actor=am_a, data=SAMPLE, customer_id=customer.pk).project
    _p, data = interchange.plan_export(actor=am_a, project_id=project.pk)
    again = interchange.plan_import(actor=am_a, data=data, customer_id=customer.pk).project

    def shape(p):
        rows = Task.objects.filter(project=p).order_by("tree_key", "id")
        return [(t.outline, t.name, t.duration_days, t.milestone, t.start_date, t.finish_date,
                 t.total_float, t.critical) for t in rows]  # fmt: skip

    assert shape(again) == shape(project)


def test_resource_becomes_assignee_and_member(am_a, customer):
    wang = UserFactory(username="wanglei", display_name="王磊", role=Role.PROJECT_MEMBER)
    project = interchange.plan_import(actor=am_a, data=SAMPLE, customer_id=customer.pk).project
    assert Task.objects.get(project=project, name="现状访谈（财务、仓储）").assignee == wang
    assert ProjectMember.objects.filter(project=project, user=wang).exists()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (BILLION_LAUGHS, "十亿笑声"),
        (b"<Project><Tasks>", "XML"),
        (_file(_task(1, "a", preds=(2,)) + _task(2, "b", preds=(1,))), "循环依赖"),
        (_file(""), "没有任务"),
    ],
)
def test_refused_file_leaves_nothing_behind(am_a, customer, data, words):
    before = _counts(), AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        interchange.plan_import(actor=am_a, data=data, customer_id=customer.pk)
    assert words in exc.value.errors["file"][0]
    assert (_counts(), AuditEntry.objects.count()) == before


def test_link_into_a_summary_tasks_own_child_is_refused_as_a_cycle(am_a, customer):
    # 2 is a child of 1 and 1 waits for 2: the schedule names the circle.
    data = _file(_task(1, "阶段", preds=(2,)) + _task(2, "子任务", level=2))
    with pytest.raises(ValidationFailed) as exc:
        interchange.plan_import(actor=am_a, data=data, customer_id=customer.pk)
    assert "file" in exc.value.errors
    assert _counts() == (0, 0, 0)


def test_member_may_not_import(customer, team_a):
    member = UserFactory(role=Role.PROJECT_MEMBER, team=team_a)
    with pytest.raises(PermissionDenied):
        interchange.plan_import(actor=member, data=SAMPLE, customer_id=customer.pk)
    assert _counts() == (0, 0, 0)


def test_customer_out_of_scope_is_refused(am_b, customer):
    with pytest.raises(ValidationFailed) as exc:
        interchange.plan_import(actor=am_b, data=SAMPLE, customer_id=customer.pk)
    assert "customer" in exc.value.errors
    assert _counts() == (0, 0, 0)


def test_export_of_a_project_out_of_scope_is_not_found(am_a, am_b, customer):
    project = interchange.plan_import(actor=am_a, data=SAMPLE, customer_id=customer.pk).project
    with pytest.raises(NotFound):
        interchange.plan_export(actor=am_b, project_id=project.pk)


# --- the commands --------------------------------------------------------------------------


def test_import_command_last_line(customer, tmp_path):
    path = tmp_path / "plan.xml"
    path.write_bytes(SAMPLE)
    out = io.StringIO()
    call_command("import", "project-plan", str(path), "--customer", customer.name, stdout=out,
                 stderr=io.StringIO())  # fmt: skip
    last = out.getvalue().strip().splitlines()[-1]
    project = Project.objects.get()
    assert last == f"project={project.pk} tasks=12 links=9"
    assert AuditEntry.objects.filter(model="projects.project", source="import").exists()


def test_export_command_writes_the_file(am_a, customer, tmp_path):
    project = interchange.plan_import(actor=am_a, data=SAMPLE, customer_id=customer.pk).project
    path = tmp_path / "out.xml"
    out = io.StringIO()
    call_command("export", "project-plan", str(project.pk), str(path), "--as", am_a.username,
                 stdout=out)  # fmt: skip
    assert out.getvalue().strip().splitlines()[-1] == f"project={project.pk} tasks=12 links=9"
    assert len(mspdi.parse(path.read_bytes()).tasks) == 12


def test_import_command_refuses_a_billion_laughs_file(customer, tmp_path):
    path = tmp_path / "evil.xml"
    path.write_bytes(BILLION_LAUGHS)
    with pytest.raises(CommandError) as exc:
        call_command("import", "project-plan", str(path), "--customer", customer.name,
                     stdout=io.StringIO())  # fmt: skip
    assert "十亿笑声" in str(exc.value)
    assert _counts() == (0, 0, 0)


def test_import_command_names_an_unknown_customer(tmp_path):
    path = tmp_path / "plan.xml"
    path.write_bytes(SAMPLE)
    with pytest.raises(CommandError) as exc:
        call_command("import", "project-plan", str(path), "--customer", "没有这家",
                     stdout=io.StringIO())  # fmt: skip
    assert "没有这家" in str(exc.value)


def test_export_command_unknown_project(tmp_path):
    with pytest.raises(CommandError):
        call_command("export", "project-plan", "999999", str(tmp_path / "x.xml"),
                     stdout=io.StringIO())  # fmt: skip
