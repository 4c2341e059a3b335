"""``projects.services.projects``: create (from a template, from a won opportunity), the
gates, the team, the customer's timeline and the audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.projects.models import GateItem, Project, Task, TaskLink
from guanxi.projects.services import projects as services
from guanxi.projects.services.plan import CycleRefused
from guanxi.projects.tests.factories import PLAN_START
from guanxi.sales.models import OpportunityStatus
from guanxi.sales.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(admin_user):
    return services.template_create(
        actor=admin_user,
        name="实施项目模板",
        tasks=[
            {"key": "kick", "name": "启动会", "milestone": True},
            {"key": "req", "name": "需求调研", "duration_days": 5},
            {"key": "dev", "name": "开发", "duration_days": 10, "offset_days": 2},
            {"key": "go", "name": "上线", "milestone": True},
        ],
        links=[
            {"predecessor": "kick", "successor": "req"},
            {"predecessor": "req", "successor": "dev", "type": "SS", "lag_days": 3},
            {"predecessor": "dev", "successor": "go"},
        ],
    )


def test_create_from_a_template_copies_and_schedules_the_plan(am_a, template):
    customer = CustomerFactory(owner=am_a)
    project = services.project_create(
        actor=am_a, customer_id=customer.pk, template_id=template.pk,
        data={"name": "ERP 实施", "start_date": PLAN_START, "budget": "120000.50"},
    )  # fmt: skip

    tasks = {t.name: t for t in Task.objects.filter(project=project)}
    assert set(tasks) == {"启动会", "需求调研", "开发", "上线"}
    assert TaskLink.objects.filter(project=project).count() == 3
    # req Mon 1 – Fri 5 March; dev SS+3 → Thu 4 March for 10 days → Wed 17 March.
    assert tasks["开发"].start_date == dt.date(2027, 3, 4)
    assert tasks["上线"].finish_date == dt.date(2027, 3, 17)
    assert project.budget == Decimal("120000.50")
    assert project.manager == am_a and project.members.filter(user=am_a).exists()
    assert project.gates.count() == 4
    entry = TimelineEntry.objects.get(customer=customer, kind="project")
    assert "ERP 实施" in entry.title
    assert AuditEntry.objects.filter(model="projects.project", action="create").count() == 1


def test_a_template_with_a_cycle_is_refused_and_leaves_no_project(am_a, admin_user):
    bad = services.template_create(
        actor=admin_user, name="坏模板",
        tasks=[{"key": "a", "name": "甲"}, {"key": "b", "name": "乙"}],
        links=[{"predecessor": "a", "successor": "b"}, {"predecessor": "b", "successor": "a"}],
    )  # fmt: skip
    customer = CustomerFactory(owner=am_a)
    with pytest.raises(CycleRefused):
        services.project_create(
            actor=am_a, customer_id=customer.pk, template_id=bad.pk,
            data={"name": "x", "start_date": PLAN_START},
        )  # fmt: skip
    assert not Project.objects.exists()
    assert not TimelineEntry.objects.filter(kind="project").exists()


def test_from_a_won_opportunity_in_one_click(am_a, template):
    opportunity = OpportunityFactory(
        customer=CustomerFactory(owner=am_a), owner=am_a, status=OpportunityStatus.WON,
        amount=Decimal("88000"), closed_at=dt.datetime(2027, 2, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    project = services.project_create_from_opportunity(
        actor=am_a, opportunity_id=opportunity.pk, template_id=template.pk
    )
    assert project.opportunity_id == opportunity.pk
    assert project.customer_id == opportunity.customer_id
    assert project.budget == Decimal("88000.00")
    assert project.lifecycle_stage == "engaged"
    assert project.tasks.count() == 4
    with pytest.raises(Conflict):
        services.project_create_from_opportunity(actor=am_a, opportunity_id=opportunity.pk)


def test_an_open_opportunity_gets_no_project(am_a):
    opportunity = OpportunityFactory(customer=CustomerFactory(owner=am_a), owner=am_a)
    with pytest.raises(ValidationFailed) as raised:
        services.project_create_from_opportunity(actor=am_a, opportunity_id=opportunity.pk)
    assert list(raised.value.errors) == ["opportunity_id"]


def test_someone_elses_opportunity_is_not_found(am_a, am_b):
    opportunity = OpportunityFactory(
        customer=CustomerFactory(owner=am_b), owner=am_b, status=OpportunityStatus.WON,
        closed_at=dt.datetime(2027, 2, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    with pytest.raises(NotFound):
        services.project_create_from_opportunity(actor=am_a, opportunity_id=opportunity.pk)


def test_a_plain_member_may_not_create_projects(am_a):
    member = UserFactory(role=Role.PROJECT_MEMBER)
    with pytest.raises(PermissionDenied):
        services.project_create(
            actor=member, customer_id=CustomerFactory(owner=am_a).pk,
            data={"name": "x", "start_date": PLAN_START},
        )  # fmt: skip


def test_bad_fields_are_all_named_and_nothing_is_written(am_a):
    customer = CustomerFactory(owner=am_a)
    with pytest.raises(ValidationFailed) as raised:
        services.project_create(
            actor=am_a, customer_id=customer.pk,
            data={"name": "", "start_date": "2027-13-01", "budget": "-1"},
        )  # fmt: skip
    assert set(raised.value.errors) == {"name", "start_date", "budget"}
    with pytest.raises(ValidationFailed) as raised:
        services.project_create(
            actor=am_a, customer_id=customer.pk,
            data={"name": "x", "start_date": PLAN_START, "due_date": dt.date(2027, 1, 1)},
        )  # fmt: skip
    assert list(raised.value.errors) == ["due_date"]
    assert not Project.objects.exists()


def _project(am_a):
    return services.project_create(
        actor=am_a, customer_id=CustomerFactory(owner=am_a).pk,
        data={"name": "门户改版", "start_date": PLAN_START},
    )  # fmt: skip


def test_a_gate_passes_only_with_its_checklist_done(am_a):
    project = _project(am_a)
    with pytest.raises(ValidationFailed) as raised:
        services.gate_pass(
            actor=am_a, project_id=project.pk, phase="identify", version=project.version
        )
    assert list(raised.value.errors) == ["items"]
    assert "确认客户需求与项目目标" in raised.value.errors["items"][0]
    assert Project.objects.get(pk=project.pk).phase == "identify"

    for item in GateItem.objects.filter(gate__project=project, gate__phase="identify"):
        services.gate_item_set(actor=am_a, project_id=project.pk, item_id=item.pk, done=True)
    passed = services.gate_pass(
        actor=am_a, project_id=project.pk, phase="identify", note="需求已确认",
        version=project.version,
    )  # fmt: skip

    assert passed.phase == "plan"
    titles = list(
        TimelineEntry.objects.filter(customer=project.customer, kind="project")
        .order_by("id")
        .values_list("title", flat=True)
    )
    assert titles[-1] == "项目 门户改版 通过阶段评审：识别需求"


def test_only_the_current_phase_gate_can_pass(am_a):
    project = _project(am_a)
    with pytest.raises(ValidationFailed) as raised:
        services.gate_pass(actor=am_a, project_id=project.pk, phase="plan", version=1)
    assert list(raised.value.errors) == ["phase"]


def test_the_last_gate_closes_the_project_into_stage_iv(am_a):
    project = _project(am_a)
    for phase in ("identify", "plan", "execute", "close"):
        for item in GateItem.objects.filter(gate__project=project, gate__phase=phase):
            services.gate_item_set(actor=am_a, project_id=project.pk, item_id=item.pk, done=True)
        project = services.gate_pass(
            actor=am_a, project_id=project.pk, phase=phase, version=project.version
        )
    assert project.status == "closed"
    assert project.lifecycle_stage == "feedback"


def test_member_allocation_is_bounded(am_a):
    project = _project(am_a)
    colleague = UserFactory(role=Role.PROJECT_MEMBER)
    with pytest.raises(ValidationFailed) as raised:
        services.member_add(actor=am_a, project_id=project.pk, user_id=colleague.pk, allocation=150)
    assert list(raised.value.errors) == ["allocation"]
    member = services.member_add(
        actor=am_a, project_id=project.pk, user_id=colleague.pk, role="测试", allocation=50
    )
    assert (member.role, member.allocation) == ("测试", 50)


def test_lifecycle_change_goes_on_the_timeline(am_a):
    project = _project(am_a)
    services.project_update(
        actor=am_a, project_id=project.pk, data={"lifecycle_stage": "feedback"},
        version=project.version,
    )  # fmt: skip
    last = TimelineEntry.objects.filter(kind="project").order_by("-id").first()
    assert last.title == "项目 门户改版 进入客户生命周期阶段：IV 交付后反馈"
