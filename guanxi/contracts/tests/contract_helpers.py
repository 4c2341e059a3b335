"""Scenes of the contract tests: a sales team (director-manager ← seller), another team's
seller, a finance user, customers of each team, and the demo's contract flow (above
¥500,000 the sales director, then finance) plus one-step invoice and amendment flows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.approvals.models import ApprovalRequest, ApproverKind, Flow, FlowStep
from guanxi.approvals.services import approval_decide
from guanxi.contracts.models import Contract
from guanxi.contracts.services import contracts as services
from guanxi.contracts.services import plans
from guanxi.customers.tests.factories import CustomerFactory

START = dt.date(2026, 1, 1)


def make_flows(director: Any, finance: Any) -> None:
    flow = Flow.objects.create(document_type="contract", name="合同审批")
    FlowStep.objects.create(
        flow=flow,
        position=1,
        name="销售总监审批",
        approver_kind=ApproverKind.USER,
        user=director,
        condition_field="amount",
        condition_operator="gt",
        condition_value="500000",
    )
    FlowStep.objects.create(
        flow=flow, position=2, name="财务审批", approver_kind=ApproverKind.USER, user=finance
    )
    for key, name in (("contract_amendment", "合同变更审批"), ("invoice_request", "开票审批")):
        flow = Flow.objects.create(document_type=key, name=name)
        FlowStep.objects.create(
            flow=flow, position=1, name="财务审批", approver_kind=ApproverKind.USER, user=finance
        )


@pytest.fixture(name="scene")
def scene_fixture(db) -> dict[str, Any]:
    sales = TeamFactory(name="华东销售部")
    other = TeamFactory(name="华南销售部")
    director = UserFactory(
        username="c_director", role=Role.MANAGER, team=sales, display_name="赵总监"
    )
    seller = UserFactory(
        username="c_seller",
        role=Role.ACCOUNT_MANAGER,
        team=sales,
        manager=director,
        display_name="李销售",
    )
    outsider = UserFactory(username="c_outsider", role=Role.ACCOUNT_MANAGER, team=other)
    finance = UserFactory(username="c_finance", role=Role.MANAGER, display_name="钱财务")
    agent = UserFactory(username="c_agent", role=Role.SERVICE_AGENT)
    customer = CustomerFactory(name="上海关系科技有限公司", owner=seller, team=sales)
    other_customer = CustomerFactory(name="广州远方贸易有限公司", owner=outsider, team=other)
    make_flows(director, finance)
    return {
        "sales": sales,
        "director": director,
        "seller": seller,
        "outsider": outsider,
        "finance": finance,
        "agent": agent,
        "customer": customer,
        "other_customer": other_customer,
    }


def terms(amount: str = "120000.00", **extra: Any) -> dict[str, Any]:
    return {
        "title": "ERP 实施合同",
        "amount": Decimal(amount),
        "start_date": START,
        "end_date": START + dt.timedelta(days=364),
        **extra,
    }


def create(actor: Any, customer: Any, amount: str = "120000.00", **extra: Any) -> Contract:
    return services.contract_create(
        actor=actor, customer_id=customer.pk, data=terms(amount, **extra)
    )


def decide_all(contract: Any, *approvers: Any, document_type: str = "contract") -> None:
    """Approve every pending step in turn, as ``approvers`` (in order)."""
    for approver in approvers:
        request = ApprovalRequest.objects.get(document_type=document_type, object_id=contract.pk)
        approval_decide(
            actor=approver, request_id=request.pk, decision="approve", version=request.version
        )


def approved(
    scene: dict[str, Any], amount: str = "120000.00", count: int = 3, first_due: dt.date = START
) -> Contract:
    """A contract of the scene's seller with a plan of ``count`` monthly instalments,
    through its approval."""
    contract = create(scene["seller"], scene["customer"], amount)
    rows = plans.split_plan(amount=contract.amount, count=count, first_due=first_due)
    plans.plan_set(actor=scene["seller"], contract_id=contract.pk, rows=rows, version=1)
    contract.refresh_from_db()
    services.contract_submit(
        actor=scene["seller"], contract_id=contract.pk, version=contract.version
    )
    approvers = [scene["finance"]]
    if Decimal(amount) > 500000:
        approvers.insert(0, scene["director"])
    decide_all(contract, *approvers)
    contract.refresh_from_db()
    return contract
