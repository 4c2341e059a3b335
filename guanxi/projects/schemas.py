"""Request and response shapes of the projects API. Bounds come from the models."""

# mypy: disable-error-code="assignment"

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictStr

from guanxi.core.api.bases import Date, Id, InputSchema, Int, Money, MoneyIn, QueryId
from guanxi.projects.models import MAX_DURATION_DAYS, MAX_ESTIMATE_HOURS, MAX_LAG_DAYS

Phase = Literal["identify", "plan", "execute", "close"]
Stage = Literal["potential", "proposal", "engaged", "feedback"]
ProjectState = Literal["active", "on_hold", "closed", "cancelled"]
TaskState = Literal["todo", "doing", "review", "done"]
# How earned value credits a task; "" = the project's default.
TaskEvMethod = Literal["", "0_100", "50_50", "physical"]
LinkKind = Literal["FS", "SS", "FF", "SF"]

Days = Annotated[Int, Field(ge=0, le=MAX_DURATION_DAYS)]
Lag = Annotated[Int, Field(ge=-MAX_LAG_DAYS, le=MAX_LAG_DAYS)]
Percent = Annotated[Int, Field(ge=0, le=100)]
Hours = Annotated[Decimal, Field(ge=0, le=MAX_ESTIMATE_HOURS, max_digits=7, decimal_places=2)]
Version = Annotated[Int, Field(ge=1, le=2**31 - 1)]


Name = Annotated[StrictStr, Field(min_length=1, max_length=200)]
Code = Annotated[StrictStr, Field(max_length=40)]
Text500 = Annotated[StrictStr, Field(max_length=500)]
Text4000 = Annotated[StrictStr, Field(max_length=4000)]
Text8000 = Annotated[StrictStr, Field(max_length=8000)]
Role = Annotated[StrictStr, Field(max_length=50)]


class ProjectOut(Schema):
    id: int
    name: str
    code: str
    customer_id: int
    opportunity_id: int | None
    contract_id: int | None
    parent_id: int | None
    template_id: int | None
    goal: str
    scope: str
    start_date: dt.date
    due_date: dt.date | None
    scheduled_finish: dt.date | None
    budget: Money
    currency: str
    manager_id: int | None
    team_id: int | None
    lifecycle_stage: Stage
    phase: Phase
    status: ProjectState
    created_at: dt.datetime
    version: int


class ProjectFiltersIn(Schema):
    q: str = Field("", max_length=100)
    phase: Phase | None = None
    status: ProjectState | None = None
    customer_id: QueryId | None = None


class ProjectCreateIn(InputSchema):
    customer_id: Id
    name: Name
    code: Code = ""
    goal: Text4000 = ""
    scope: Text8000 = ""
    start_date: Date
    due_date: Date | None = None
    budget: MoneyIn = Decimal("0")
    lifecycle_stage: Stage = "engaged"
    manager_id: Id | None = None
    template_id: Id | None = None
    parent_id: Id | None = None


class ProjectFromOpportunityIn(InputSchema):
    opportunity_id: Id
    template_id: Id | None = None


class ProjectFromContractIn(InputSchema):
    contract_id: Id
    template_id: Id | None = None


class ProjectUpdateIn(InputSchema):
    version: Version
    name: Name = None
    code: Code = None
    goal: Text4000 = None
    scope: Text8000 = None
    start_date: Date = None
    due_date: Date | None = None
    budget: MoneyIn = None
    lifecycle_stage: Stage = None
    status: ProjectState = None


class ProjectMemberOut(Schema):
    id: int
    user_id: int
    role: str
    allocation: int


class ProjectMemberIn(InputSchema):
    user_id: Id
    role: Role = ""
    allocation: Annotated[Int, Field(ge=1, le=100)] = 100


class TaskOut(Schema):
    id: int
    parent_id: int | None
    outline: str
    name: str
    notes: str
    estimate_hours: Money
    duration_days: int
    milestone: bool
    assignee_id: int | None
    progress: int
    status: TaskState
    start_no_earlier: dt.date | None
    start_date: dt.date | None
    finish_date: dt.date | None
    late_start: dt.date | None
    late_finish: dt.date | None
    total_float: int | None
    free_float: int | None
    critical: bool
    is_summary: bool
    ev_method: TaskEvMethod
    version: int


class TaskFiltersIn(Schema):
    q: str = Field("", max_length=100)
    status: TaskState | None = None
    assignee_id: QueryId | None = None
    critical: bool | None = None
    milestone: bool | None = None


class TaskCreateIn(InputSchema):
    name: Name
    notes: Text4000 = ""
    parent_id: Id | None = None
    estimate_hours: Hours = Decimal("0")
    duration_days: Days = 1
    milestone: StrictBool = False
    assignee_id: Id | None = None
    progress: Percent = 0
    status: TaskState = "todo"
    start_no_earlier: Date | None = None
    ev_method: TaskEvMethod = ""


class TaskUpdateIn(InputSchema):
    version: Version
    name: Name = None
    notes: Text4000 = None
    parent_id: Id | None = None
    estimate_hours: Hours = None
    duration_days: Days = None
    milestone: StrictBool = None
    assignee_id: Id | None = None
    progress: Percent = None
    status: TaskState = None
    start_no_earlier: Date | None = None
    ev_method: TaskEvMethod = None


class RescheduleIn(InputSchema):
    version: Version
    start: Date


class LinkOut(Schema):
    id: int
    predecessor_id: int
    successor_id: int
    type: LinkKind
    lag_days: int


class LinkIn(InputSchema):
    predecessor_id: Id
    successor_id: Id
    type: LinkKind = "FS"
    lag_days: Lag = 0


class ScheduledTaskOut(Schema):
    id: int
    early_start: dt.date
    early_finish: dt.date
    late_start: dt.date
    late_finish: dt.date
    total_float: int
    free_float: int
    critical: bool
    summary: bool


class ScheduleOut(Schema):
    start: dt.date
    finish: dt.date
    duration_days: int
    critical_path: list[int]
    tasks: list[ScheduledTaskOut]


class GateItemOut(Schema):
    id: int
    text: str
    done: bool
    done_at: dt.datetime | None


class GateOut(Schema):
    phase: Phase
    passed_at: dt.datetime | None
    passed_by_id: int | None
    note: str
    items: list[GateItemOut]
    # The customer's satisfaction with the phase (1–5), recorded once its gate passed.
    csat_score: int | None
    csat_comment: str
    csat_source: Literal["staff", "portal", ""]
    csat_contact: str
    csat_at: dt.datetime | None


class GateItemIn(InputSchema):
    done: StrictBool


class GatePassIn(InputSchema):
    version: Version
    note: Text500 = ""


class GateCsatIn(InputSchema):
    score: Annotated[Int, Field(ge=1, le=5)]
    comment: Annotated[StrictStr, Field(max_length=2000)] = ""
    contact_name: Annotated[StrictStr, Field(max_length=100)] = ""
