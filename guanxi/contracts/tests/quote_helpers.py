"""Scenes of the quote tests: a sales team (manager ← account manager), another team's
seller, an opportunity, products with price terms, discount limits and a discount flow
approved by the direct manager."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.approvals.models import ApproverKind, Flow, FlowStep
from guanxi.contracts.models import DiscountLimit, ProductTerms
from guanxi.contracts.services import quotes as services
from guanxi.customers.tests.factories import CustomerFactory, ProductFactory
from guanxi.sales.tests.factories import OpportunityFactory, board


@pytest.fixture(name="scene")
def scene_fixture(db) -> dict[str, Any]:
    sales = TeamFactory(name="华东销售部")
    other_team = TeamFactory(name="华南销售部")
    manager = UserFactory(username="q_manager", role=Role.MANAGER, team=sales,
                          display_name="王经理")  # fmt: skip
    seller = UserFactory(username="q_seller", role=Role.ACCOUNT_MANAGER, team=sales,
                         manager=manager, display_name="李销售")  # fmt: skip
    outsider = UserFactory(username="q_outsider", role=Role.ACCOUNT_MANAGER, team=other_team)
    _pipeline, stages = board()
    customer = CustomerFactory(name="上海关系科技有限公司", owner=seller, team=sales)
    opportunity = OpportunityFactory(customer=customer, stage=stages[2], name="ERP 升级项目",
                                     owner=seller, team=sales)  # fmt: skip
    other_customer = CustomerFactory(owner=outsider, team=other_team)
    other_opportunity = OpportunityFactory(customer=other_customer, stage=stages[0],
                                           owner=outsider, team=other_team)  # fmt: skip
    licence = ProductFactory(code="ERP-STD", name="企业版许可证", unit_price=Decimal("100.00"))
    ProductTerms.objects.create(product=licence, list_price=Decimal("12800.00"), unit="套",
                                tax_rate=Decimal("13.00"))  # fmt: skip
    service = ProductFactory(code="SVC-DAY", name="实施服务（人天）", unit_price=Decimal("2500.00"))
    ProductTerms.objects.create(product=service, list_price=Decimal("2500.00"), unit="人天",
                                tax_rate=Decimal("6.00"))  # fmt: skip
    DiscountLimit.objects.create(role=Role.ACCOUNT_MANAGER, max_discount=Decimal("10.00"))
    DiscountLimit.objects.create(role=Role.MANAGER, max_discount=Decimal("30.00"))
    return {
        "sales": sales, "manager": manager, "seller": seller, "outsider": outsider,
        "customer": customer, "opportunity": opportunity, "other_opportunity": other_opportunity,
        "licence": licence, "service": service, "stages": stages,
    }  # fmt: skip


@pytest.fixture(name="discount_flow")
def discount_flow_fixture(db) -> Flow:
    flow = Flow.objects.create(document_type=services.DOCUMENT_TYPE, name="报价折扣审批")
    FlowStep.objects.create(flow=flow, position=1, name="直属上级审批",
                            approver_kind=ApproverKind.MANAGER)  # fmt: skip
    return flow


def make_quote(scene: dict[str, Any], *, discount: str = "0", quantity: str = "2", **kw: Any):
    return services.quote_create(
        actor=kw.pop("actor", scene["seller"]),
        opportunity_id=scene["opportunity"].pk,
        lines=[
            {"product_id": scene["licence"].pk, "quantity": quantity, "discount_percent": discount},
            {"product_id": scene["service"].pk, "quantity": "3"},
        ],
        **kw,
    )
