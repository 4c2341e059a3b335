"""Request and response shapes of the sales API. Length limits come from the models."""

# mypy: disable-error-code="assignment"

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictStr

from guanxi.core.api.bases import Date, Id, InputSchema, Int, Money, MoneyIn, QuantityIn
from guanxi.core.limits import limit
from guanxi.customers.models import Customer
from guanxi.sales.models import Lead, Opportunity

StatusValue = Literal["open", "won", "lost", "invalid"]


class StageOut(Schema):
    id: int
    name: str
    order: int
    win_probability: int
    required_fields: list[str]
    kind: Literal["open", "won", "lost"]


class PipelineOut(Schema):
    id: int
    name: str
    is_default: bool
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj: object) -> list[object]:
        return list(obj.stages.order_by("order", "id"))  # type: ignore[attr-defined]


class OpportunityLineIn(InputSchema):
    product_id: Id
    quantity: QuantityIn = 1
    unit_price: MoneyIn | None = Field(None, description="Default: the product's price.")


class OpportunityCreateIn(InputSchema):
    customer_id: Id
    name: StrictStr = Field(..., min_length=1, max_length=limit(Opportunity, "name"))
    pipeline_id: Id | None = None
    stage_id: Id | None = None
    owner_id: Id | None = None
    amount: MoneyIn | None = Field(None, description="Default: the sum of the lines.")
    expected_close: Date | None = None
    next_step: StrictStr = Field("", max_length=limit(Opportunity, "next_step"))
    next_step_due: Date | None = None
    competitors: list[StrictStr] = Field(default_factory=list, max_length=20)
    lines: list[OpportunityLineIn] = Field(default_factory=list, max_length=100)


class OpportunityUpdateIn(InputSchema):
    version: Id
    name: StrictStr = Field(None, min_length=1, max_length=limit(Opportunity, "name"))
    owner_id: Id = None
    amount: MoneyIn = None
    expected_close: Date | None = None
    next_step: StrictStr = Field(None, max_length=limit(Opportunity, "next_step"))
    next_step_due: Date | None = None
    competitors: list[StrictStr] = Field(None, max_length=20)  # type: ignore[arg-type]


class MoveIn(InputSchema):
    stage_id: Id
    index: Int = Field(..., ge=0, le=1_000_000, description="0 = top of the column.")
    version: Id


class VersionIn(InputSchema):
    version: Id


class LoseIn(InputSchema):
    version: Id
    reason: StrictStr = Field(..., min_length=1, max_length=30, description="A lost-reason code.")
    note: StrictStr = Field("", max_length=limit(Opportunity, "reason_note"))
    invalid: StrictBool = False


class OpportunityOut(Schema):
    id: int
    customer_id: int
    pipeline_id: int
    stage_id: int
    name: str
    amount: Money
    currency: str
    expected_close: dt.date | None
    owner_id: int | None
    team_id: int | None
    next_step: str
    next_step_due: dt.date | None
    status: StatusValue
    reason_id: int | None
    reason_note: str
    competitors: list[str]
    position: int | None
    closed_at: dt.datetime | None
    created_at: dt.datetime
    version: int


class OpportunityFiltersIn(Schema):
    q: str = Field("", max_length=100)
    owner: int | None = Field(None, ge=1)
    status: Literal[StatusValue, ""] = ""
    close_from: Date | None = None
    close_to: Date | None = None
    pipeline: int | None = Field(None, ge=1)


class ActivityIn(InputSchema):
    kind: Literal["call", "visit", "email", "wechat", "meeting"]
    note: StrictStr = Field(..., min_length=1, max_length=1000)


class ActivityOut(Schema):
    id: int
    customer_id: int
    opportunity_id: int | None
    kind: str
    note: str
    at: dt.datetime
    actor_id: int | None


class LeadCreateIn(InputSchema):
    name: StrictStr = Field(..., min_length=1, max_length=limit(Lead, "name"))
    company: StrictStr = Field("", max_length=limit(Lead, "company"))
    phone: StrictStr = Field("", max_length=limit(Lead, "phone"))
    email: StrictStr = Field("", max_length=limit(Lead, "email"))
    region: StrictStr = Field("", max_length=limit(Lead, "region"))
    message: StrictStr = Field("", max_length=limit(Lead, "message"))
    source: Literal["import", "manual", "campaign", "referral"] = "manual"
    owner_id: Id | None = None
    qualification: dict[str, StrictBool] = Field(default_factory=dict)


class LeadConvertIn(InputSchema):
    version: Id
    customer_id: Id | None = Field(None, description="Link this existing customer.")
    create_opportunity: StrictBool = True
    opportunity_name: StrictStr | None = Field(None, max_length=limit(Opportunity, "name"))
    amount: MoneyIn | None = None
    duplicate_reason: StrictStr | None = Field(
        None,
        max_length=limit(Customer, "duplicate_note"),
        description="Why a new customer is created although it looks like one you can see.",
    )


class LeadOut(Schema):
    id: int
    source: str
    status: str
    qualification: dict[str, bool]
    owner_id: int | None
    team_id: int | None
    name: str
    company: str
    phone: str
    email: str
    region: str
    message: str
    converted_customer_id: int | None
    converted_opportunity_id: int | None
    created_at: dt.datetime
    version: int


class DuplicateOut(Schema):
    kind: Literal["customer", "lead"]
    id: int | None = Field(..., description="Null when the record is outside your scope.")
    name: str | None
    by: Literal["phone", "email", "name"]


class WinReasonOut(Schema):
    feature: str
    effect: Literal["raises", "lowers"]
    weight: float
    text: str


class WinScoreOut(Schema):
    """An open opportunity's win probability: from the model trained on the company's own
    history (``source`` "model", with its top reasons), or — while there is too little
    history — the stage's probability (``source`` "stage", with ``note`` saying so)."""

    opportunity_id: int
    probability: float
    percent: int
    source: Literal["model", "stage"]
    reasons: list[WinReasonOut]
    note: str
    model_id: int | None
