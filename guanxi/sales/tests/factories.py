from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from guanxi.customers.tests.factories import CustomerFactory
from guanxi.sales.models import LostReason, Opportunity, Pipeline, Stage


class PipelineFactory(DjangoModelFactory):
    class Meta:
        model = Pipeline

    name = factory.Sequence(lambda n: f"流程{n}")


class StageFactory(DjangoModelFactory):
    class Meta:
        model = Stage

    pipeline = factory.SubFactory(PipelineFactory)
    name = factory.Sequence(lambda n: f"阶段{n}")
    order = factory.Sequence(lambda n: n)
    win_probability = 20


class LostReasonFactory(DjangoModelFactory):
    class Meta:
        model = LostReason

    code = factory.Sequence(lambda n: f"reason{n}")
    label = factory.Sequence(lambda n: f"原因{n}")
    applies_to_invalid = True


class OpportunityFactory(DjangoModelFactory):
    """Scene data straight to the database; write-path tests call the services."""

    class Meta:
        model = Opportunity

    customer = factory.SubFactory(CustomerFactory)
    stage = factory.SubFactory(StageFactory)
    pipeline = factory.LazyAttribute(lambda o: o.stage.pipeline)
    name = factory.Sequence(lambda n: f"商机{n}")
    amount = Decimal("1000.00")
    owner = factory.LazyAttribute(lambda o: o.customer.owner)
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)
    position = factory.Sequence(lambda n: (n + 1) * 1024)


def board(pipeline_name: str = "标准流程") -> tuple[Pipeline, list[Stage]]:
    pipeline = PipelineFactory(name=pipeline_name, is_default=True)
    stages = [
        StageFactory(pipeline=pipeline, name="初步接触", order=0, win_probability=10),
        StageFactory(pipeline=pipeline, name="需求确认", order=1, win_probability=30),
        StageFactory(
            pipeline=pipeline,
            name="方案报价",
            order=2,
            win_probability=60,
            required_fields=["amount", "expected_close"],
        ),
        StageFactory(pipeline=pipeline, name="赢单", order=3, win_probability=100, kind="won"),
        StageFactory(pipeline=pipeline, name="输单", order=4, win_probability=0, kind="lost"),
    ]
    return pipeline, stages
