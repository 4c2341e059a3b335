"""Fixtures of the approval tests: an organisation (staff → manager → director, a finance
role), flows of the test ``expense`` document type, and documents."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.approvals.models import ApproverKind, Flow, FlowStep
from guanxi.approvals.tests.docapp.documents import KEY
from guanxi.approvals.tests.docapp.models import Expense


@pytest.fixture
def org(db) -> dict[str, Any]:
    """director (华东大区) ← manager (华东销售部, role manager) ← staff; finance (财务部)."""
    region = TeamFactory(name="华东大区")
    sales = TeamFactory(name="华东销售部", parent=region)
    finance_team = TeamFactory(name="财务部")
    director = UserFactory(username="director", role=Role.MANAGER, team=region,
                           display_name="总监")  # fmt: skip
    manager = UserFactory(username="manager", role=Role.MANAGER, team=sales, manager=director,
                          display_name="经理")  # fmt: skip
    staff = UserFactory(username="staff", role=Role.ACCOUNT_MANAGER, team=sales, manager=manager,
                        display_name="员工")  # fmt: skip
    finance = UserFactory(username="finance", role=Role.SERVICE_AGENT, team=finance_team,
                          display_name="财务")  # fmt: skip
    outsider = UserFactory(username="outsider", role=Role.ACCOUNT_MANAGER, team=finance_team)
    return {
        "region": region, "sales": sales, "director": director, "manager": manager,
        "staff": staff, "finance": finance, "outsider": outsider,
    }  # fmt: skip


def make_flow(*steps: dict[str, Any], name: str = "费用审批", active: bool = True) -> Flow:
    flow = Flow.objects.create(document_type=KEY, name=name, active=active)
    for position, spec in enumerate(steps, start=1):
        FlowStep.objects.create(flow=flow, position=position, **spec)
    return flow


MANAGER_STEP = {"name": "直属上级审批", "approver_kind": ApproverKind.MANAGER}


@pytest.fixture
def two_step_flow(org) -> Flow:
    """The direct manager, then the director when the amount is above 500,000."""
    return make_flow(
        MANAGER_STEP,
        {
            "name": "总监审批",
            "approver_kind": ApproverKind.USER,
            "user": org["director"],
            "condition_field": "amount",
            "condition_operator": "gt",
            "condition_value": "500000",
        },
    )


def make_expense(owner: Any, amount: str = "1000", **kwargs: Any) -> Expense:
    return Expense.objects.create(
        title=kwargs.pop("title", "差旅费"), amount=Decimal(amount), owner=owner, **kwargs
    )
