"""Scenes of the change-request and acceptance tests: account manager am_a's customer with
a project on a small worked plan A(2) → B(3) → C(1) starting Monday 2027-03-01 (finish
Monday 03-08, six working days), a plain team member, and a one-step internal review flow
for ``change_request`` decided by manager_a."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.approvals.models import ApproverKind, Flow, FlowStep
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.projects.models import Task
from guanxi.projects.services import changes, plan
from guanxi.projects.services import projects as project_services
from guanxi.projects.tests.factories import PLAN_START


def make_review_flow(approver: Any) -> Flow:
    flow = Flow.objects.create(document_type=changes.DOCUMENT_TYPE, name="需求变更审批")
    FlowStep.objects.create(
        flow=flow, position=1, name="部门经理审批", approver_kind=ApproverKind.USER, user=approver
    )
    return flow


@pytest.fixture(name="plan_scene")
def plan_scene_fixture(am_a, manager_a) -> dict[str, Any]:
    customer = CustomerFactory(owner=am_a, team=am_a.team, name="上海关系科技有限公司")
    pm = UserFactory(username="pm_a", role=Role.PROJECT_MANAGER, team=am_a.team)
    member = UserFactory(username="member_a", role=Role.PROJECT_MEMBER, team=am_a.team)
    project = project_services.project_create(
        actor=am_a, customer_id=customer.pk, manager_id=pm.pk,
        data={"name": "数据平台", "start_date": PLAN_START},
    )  # fmt: skip
    project_services.member_add(actor=pm, project_id=project.pk, user_id=member.pk)
    a = plan.task_create(actor=pm, project_id=project.pk, data={"name": "甲", "duration_days": 2})
    b = plan.task_create(actor=pm, project_id=project.pk, data={"name": "乙", "duration_days": 3})
    c = plan.task_create(actor=pm, project_id=project.pk, data={"name": "丙", "duration_days": 1})
    plan.link_create(actor=pm, project_id=project.pk, predecessor_id=a.pk, successor_id=b.pk)
    plan.link_create(actor=pm, project_id=project.pk, predecessor_id=b.pk, successor_id=c.pk)
    make_review_flow(manager_a)
    project.refresh_from_db()
    return {
        "project": project,
        "customer": customer,
        "pm": pm,
        "member": member,
        "am": am_a,
        "reviewer": manager_a,
        "a": Task.objects.get(pk=a.pk),
        "b": Task.objects.get(pk=b.pk),
        "c": Task.objects.get(pk=c.pk),
    }


@contextmanager
def portal_approver(user: Any, customer_id: int):
    """The portal's hooks, as the portal would register them: ``user`` approves for
    ``customer_id``. Restored afterwards."""
    saved = (changes._portal.customer_ids, changes._portal.is_approver)
    changes.register_portal_hooks(
        customer_ids=lambda u: [customer_id] if u.pk == user.pk else [],
        is_approver=lambda u, cid: u.pk == user.pk and cid == customer_id,
    )
    try:
        yield
    finally:
        changes._portal.customer_ids, changes._portal.is_approver = saved
