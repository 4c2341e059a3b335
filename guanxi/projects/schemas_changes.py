"""Request and response shapes of the change-request and acceptance API (``api_changes``).
Component names carry a ``ChangeRequest`` / ``Acceptance`` prefix (unique across the API)."""

# mypy: disable-error-code="assignment"

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictStr

from guanxi.core.api.bases import Id, InputSchema, Int, Money
from guanxi.projects.models import MAX_COST_DELTA, MAX_DURATION_DAYS, MAX_LAG_DAYS, MAX_TASK_CHANGES

ChangeState = Literal[
    "draft", "impact_stated", "in_review", "awaiting_customer", "approved", "rejected",
    "applied", "withdrawn",
]  # fmt: skip
Origin = Literal["team", "customer"]
ChangeKind = Literal["duration", "new_task", "new_link"]
LinkKind = Literal["FS", "SS", "FF", "SF"]
DeliverableState = Literal["draft", "submitted", "accepted", "rejected"]
Decision = Literal["pending", "accepted", "rejected"]

Version = Annotated[Int, Field(ge=1, le=2**31 - 1)]
Days = Annotated[Int, Field(ge=0, le=MAX_DURATION_DAYS)]
Lag = Annotated[Int, Field(ge=-MAX_LAG_DAYS, le=MAX_LAG_DAYS)]
Title = Annotated[StrictStr, Field(min_length=1, max_length=200)]
Contact = Annotated[StrictStr, Field(min_length=1, max_length=100)]
Text100 = Annotated[StrictStr, Field(max_length=100)]
Text300 = Annotated[StrictStr, Field(min_length=1, max_length=300)]
Text2000 = Annotated[StrictStr, Field(max_length=2000)]
Text4000 = Annotated[StrictStr, Field(max_length=4000)]
CostDelta = Annotated[
    Decimal, Field(ge=-MAX_COST_DELTA, le=MAX_COST_DELTA, max_digits=14, decimal_places=2)
]


class ChangeRequestTaskChangeOut(Schema):
    id: int
    position: int
    kind: ChangeKind
    task_id: int | None
    duration_days: int | None
    name: str
    predecessor_id: int | None
    successor_id: int | None
    link_type: LinkKind
    lag_days: int


class ChangeRequestOut(Schema):
    id: int
    project_id: int
    number: int
    title: str
    description: str
    origin: Origin
    raised_by_id: int | None
    raised_via_portal: bool
    raised_for_contact: str
    status: ChangeState
    scope_impact: str
    cost_delta: Money
    quality_impact: str
    finish_before: dt.date | None
    finish_after: dt.date | None
    schedule_delta_days: int | None
    impact_stated_at: dt.datetime | None
    submitted_at: dt.datetime | None
    review_note: str
    decided_at: dt.datetime | None
    decided_by_id: int | None
    decided_on_behalf: bool
    customer_contact: str
    customer_comment: str
    applied_at: dt.datetime | None
    apply_error: str
    resulting_baseline_id: int | None
    created_at: dt.datetime
    version: int


class ChangeRequestDetailOut(ChangeRequestOut):
    task_changes: list[ChangeRequestTaskChangeOut]


class ChangeRequestFiltersIn(Schema):
    status: ChangeState | None = None


class ChangeRequestCreateIn(InputSchema):
    title: Title
    description: Text4000 = ""
    origin: Origin = "team"
    # The customer's contact in whose name the request is recorded (origin "customer").
    raised_for_contact: Text100 = ""


class ChangeRequestUpdateIn(InputSchema):
    version: Version
    title: Title = None
    description: Text4000 = None


class ChangeRequestTaskChangeIn(InputSchema):
    kind: ChangeKind
    task_id: Id | None = None
    duration_days: Days | None = None
    name: Annotated[StrictStr, Field(max_length=200)] | None = None
    predecessor_id: Id | None = None
    successor_id: Id | None = None
    type: LinkKind = "FS"
    lag_days: Lag = 0


class ChangeRequestImpactIn(InputSchema):
    version: Version
    scope_impact: Text4000 = ""
    cost_delta: CostDelta = Decimal("0")
    quality_impact: Text4000 = ""
    task_changes: Annotated[
        list[ChangeRequestTaskChangeIn], Field(max_length=MAX_TASK_CHANGES)
    ] = []


class ChangeRequestVersionIn(InputSchema):
    version: Version


class ChangeRequestDecisionIn(InputSchema):
    """The customer's decision, recorded by staff in the name of ``contact_name``."""

    version: Version
    approve: StrictBool
    contact_name: Contact
    comment: Text2000 = ""


class ChangeRequestImpactPreviewOut(Schema):
    finish_before: dt.date | None
    finish_after: dt.date | None
    duration_before: int
    duration_after: int
    delta_days: int


class AcceptanceCriterionOut(Schema):
    id: int
    position: int
    text: str
    met: bool


class AcceptanceReviewOut(Schema):
    round: int
    submitted_by_id: int | None
    created_at: dt.datetime
    decision: Decision
    decided_at: dt.datetime | None
    decided_by_id: int | None
    decided_on_behalf: bool
    customer_contact: str
    reason: str


class AcceptanceDeliverableOut(Schema):
    id: int
    name: str
    description: str
    due_date: dt.date | None
    done: bool
    status: DeliverableState
    task_ids: list[int]
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    decided_on_behalf: bool
    customer_contact: str
    rejection_reason: str
    rejection_count: int
    criteria: list[AcceptanceCriterionOut]
    reviews: list[AcceptanceReviewOut]
    version: int


class AcceptanceCriterionIn(InputSchema):
    text: Text300


class AcceptanceCriterionUpdateIn(InputSchema):
    met: StrictBool = None
    text: Text300 = None


class AcceptanceTasksIn(InputSchema):
    version: Version
    task_ids: Annotated[list[Id], Field(max_length=500)]


class AcceptanceVersionIn(InputSchema):
    version: Version


class AcceptanceDecisionIn(InputSchema):
    """The customer's acceptance, recorded by staff in the name of ``contact_name``; a
    rejection needs a ``reason``."""

    version: Version
    accept: StrictBool
    contact_name: Contact
    reason: Text2000 = ""


class AcceptanceQualityOut(Schema):
    decided: int
    first_pass: int
    first_pass_rate: Decimal | None
