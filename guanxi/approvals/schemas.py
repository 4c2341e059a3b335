"""Request and response shapes of the approvals API. Choices are ``Literal`` so the OpenAPI
document lists them; every error answer has its documented shape."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import StrictStr

from guanxi.approvals.models import Delegation
from guanxi.approvals.services import MAX_COMMENT
from guanxi.core.api.bases import Date, Id, InputSchema
from guanxi.core.api.errors import ErrorOut, FieldErrorOut
from guanxi.core.limits import limit

RequestStateValue = Literal["pending", "approved", "rejected", "withdrawn"]
StepStateValue = Literal["waiting", "pending", "approved", "rejected", "cancelled"]
ActionValue = Literal["submit", "approve", "reject", "withdraw", "resubmit", "auto_approve"]
BoxValue = Literal["submitted", "handled", "all"]


# --- errors ------------------------------------------------------------------------------


class ValidationErrorOut(Schema):
    code: Literal["validation_error"]
    message: str
    errors: list[FieldErrorOut]


ERRORS: dict[int, Any] = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ValidationErrorOut,
}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}


# --- input -------------------------------------------------------------------------------


class DecisionIn(InputSchema):
    decision: Literal["approve", "reject"]
    version: Id = Field(..., description="The request's version you saw; stale → 409.")
    comment: StrictStr = Field("", max_length=MAX_COMMENT, description="Required to reject.")


class WithdrawIn(InputSchema):
    version: Id
    comment: StrictStr = Field("", max_length=MAX_COMMENT)


class ResubmitIn(InputSchema):
    version: Id


class DelegationIn(InputSchema):
    substitute_id: Id
    starts_on: Date
    ends_on: Date
    delegator_id: Id | None = Field(None, description="Admins only: someone else's.")
    document_type: StrictStr = Field("", max_length=50, description="Empty: every type.")
    reason: StrictStr = Field("", max_length=limit(Delegation, "reason"))


class RequestFiltersIn(Schema):
    box: BoxValue = "all"
    state: RequestStateValue | None = None
    document_type: str | None = Field(None, max_length=50)


# --- output ------------------------------------------------------------------------------


class ApprovalUserOut(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)


class RequestOut(Schema):
    id: int
    document_type: str
    object_id: int
    title: str
    state: RequestStateValue
    round: int
    submitter: ApprovalUserOut
    customer_id: int | None
    submitted_at: dt.datetime
    decided_at: dt.datetime | None
    version: int


class PendingOut(Schema):
    """A step waiting for the caller: as an approver, or as a substitute of ``on_behalf_of``."""

    request: RequestOut
    step_id: int
    step_name: str
    round: int
    position: int
    on_behalf_of: ApprovalUserOut | None


class StepOut(Schema):
    id: int
    round: int
    position: int
    name: str
    state: StepStateValue
    approvers: list[ApprovalUserOut]
    acted_by: ApprovalUserOut | None
    on_behalf_of: ApprovalUserOut | None
    automatic: bool
    comment: str
    acted_at: dt.datetime | None

    @staticmethod
    def resolve_approvers(obj: Any) -> list[Any]:
        return list(obj.approvers.all())


class ActionOut(Schema):
    id: int
    round: int
    kind: ActionValue
    step_id: int | None
    step_name: str | None
    actor: ApprovalUserOut | None
    on_behalf_of: ApprovalUserOut | None
    comment: str
    state_before: str
    state_after: RequestStateValue
    created_at: dt.datetime

    @staticmethod
    def resolve_step_name(obj: Any) -> str | None:
        return obj.step.name if obj.step is not None else None


class RequestDetailOut(RequestOut):
    values: dict[str, Any]
    flow_id: int
    flow_name: str
    steps: list[StepOut]
    history: list[ActionOut]

    @staticmethod
    def resolve_flow_name(obj: Any) -> str:
        return str(obj.flow.name)

    @staticmethod
    def resolve_steps(obj: Any) -> list[Any]:
        return sorted(obj.steps.all(), key=lambda s: (s.round, s.position))

    @staticmethod
    def resolve_history(obj: Any) -> list[Any]:
        return list(obj.actions.all())


class DelegationOut(Schema):
    id: int
    delegator: ApprovalUserOut
    substitute: ApprovalUserOut
    document_type: str
    starts_on: dt.date
    ends_on: dt.date
    reason: str
    cancelled_at: dt.datetime | None
