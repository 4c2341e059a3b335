"""Request and response shapes of the portal API (``/api/v1/portal/``). Every component is
named ``Portal…``: the staff API has its own ``TicketOut`` and the OpenAPI document keeps one
schema per name. Only what a customer may see is in them (no internal notes, no staff-
internal fields, no costs)."""

# mypy: disable-error-code="assignment"

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import StrictStr

from guanxi.core.api.bases import InputSchema, Int

PortalCategory = Literal["inquiry", "complaint", "repair", "suggestion"]
PortalTicketStatus = Literal["new", "open", "waiting", "resolved", "closed"]


class PortalMeOut(Schema):
    username: str
    email: str
    company: str
    role: Literal["viewer", "requester", "approver"]

    @staticmethod
    def resolve_username(obj: Any) -> str:
        return str(obj.user.get_username())

    @staticmethod
    def resolve_email(obj: Any) -> str:
        return str(obj.user.email)

    @staticmethod
    def resolve_company(obj: Any) -> str:
        return str(obj.customer.name)


class PortalProjectOut(Schema):
    id: int
    name: str
    code: str
    phase: str
    status: str
    start_date: dt.date
    scheduled_finish: dt.date | None
    progress: int | None = Field(None, description="Mean progress of the work tasks, 0–100.")

    @staticmethod
    def resolve_progress(obj: Any) -> int | None:
        value = getattr(obj, "progress_avg", None)
        return None if value is None else round(value)


class PortalMilestoneOut(Schema):
    id: int
    name: str
    finish_date: dt.date | None
    progress: int


class PortalDeliverableOut(Schema):
    id: int
    name: str
    due_date: dt.date | None
    done: bool


class PortalProjectDetailOut(PortalProjectOut):
    milestones: list[PortalMilestoneOut]
    deliverables: list[PortalDeliverableOut]

    # The view puts the lists the portal may show on the object (``portal_*``).
    @staticmethod
    def resolve_milestones(obj: Any) -> list[Any]:
        return list(obj.portal_milestones)

    @staticmethod
    def resolve_deliverables(obj: Any) -> list[Any]:
        return list(obj.portal_deliverables)


class PortalTicketOut(Schema):
    id: int
    subject: str
    category: PortalCategory
    status: PortalTicketStatus
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: int


class PortalMessageOut(Schema):
    id: int
    kind: Literal["incoming", "reply"]
    body: str
    created_at: dt.datetime


class PortalTicketDetailOut(PortalTicketOut):
    promise: str = Field(..., description="The service promise (SLA) in plain words.")
    messages: list[PortalMessageOut] = Field(..., description="No internal notes.")

    @staticmethod
    def resolve_promise(obj: Any) -> str:
        return str(obj.portal_promise)

    @staticmethod
    def resolve_messages(obj: Any) -> list[Any]:
        return list(obj.portal_messages)


class PortalTicketIn(InputSchema):
    subject: StrictStr = Field(..., min_length=1, max_length=200)
    category: PortalCategory = "inquiry"
    description: StrictStr = Field(..., min_length=1, max_length=100_000)


class PortalReplyIn(InputSchema):
    body: StrictStr = Field(..., min_length=1, max_length=100_000)


class PortalCloseIn(InputSchema):
    version: Int | None = Field(None, ge=1, le=2_147_483_647)


class PortalTicketFiltersIn(Schema):
    status: Literal["open", "new", "waiting", "resolved", "closed"] | None = None


class PortalSurveyOut(Schema):
    id: int
    kind: Literal["csat", "nps"]
    ticket_id: int | None
    sent_at: dt.datetime
    expires_at: dt.datetime
    score: int | None
    answered_at: dt.datetime | None


class PortalSurveyAnswerIn(InputSchema):
    score: Int = Field(..., ge=0, le=10)
    comment: StrictStr = Field("", max_length=2000)


class PortalDocumentOut(Schema):
    """A file staff shared with the company (the uploader is not shown)."""

    id: int
    name: str
    size: int = Field(..., description="Bytes.")
    content_type: str = Field(..., description="The type found in the content.")
    record_type: str = Field(
        ...,
        alias="target_model",
        description="What the file is on: service.ticket, contracts.contract, projects.project.",
    )
    record_id: str = Field(..., alias="target_id")
    created_at: dt.datetime
