"""The projects API's time and cost operations (issue 15 item 1), mounted under
``/api/v1/projects/`` by ``api.py``: the caller's week timesheet (put, copy last week,
submit), time entries and their approval, cost rates (administrators and managers), a
project's cost entries with their submission and approval, and its actual cost. Thin over
``services.timesheets``, ``services.costs`` and ``selectors_actuals``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Path, Query, Schema, Status
from pydantic import StrictStr

from guanxi.core.api.bases import (
    Date,
    Id,
    InputSchema,
    Int,
    Money,
    PageIn,
    PageOut,
    QueryId,
    RecordId,
    StaffRouter,
    actor,
    page_response,
    sent_fields,
)
from guanxi.core.errors import PermissionDenied
from guanxi.core.money import MAX_AMOUNT
from guanxi.projects import selectors, selectors_actuals
from guanxi.projects.models import MAX_DAY_HOURS
from guanxi.projects.models.costs import MAX_RATE
from guanxi.projects.services import costs, timesheets

router = StaffRouter(
    tags=["projects"],
    allow=selectors.can_use,
    message=gettext_lazy("你的角色不能使用项目。"),
)

WeekPath = Annotated[str, Path(pattern=r"^\d{4}-W\d{2}$", max_length=8)]
TimeState = Literal["draft", "submitted", "approved", "rejected"]
CostState = Literal["draft", "pending", "approved", "rejected"]
Category = Literal["materials", "travel", "subcontracting", "other"]
Version = Annotated[Int, Field(ge=1, le=2**31 - 1)]
DayHours = Annotated[Decimal, Field(ge=0, le=MAX_DAY_HOURS, max_digits=4, decimal_places=2)]
CostAmount = Annotated[Decimal, Field(gt=0, le=MAX_AMOUNT, max_digits=14, decimal_places=2)]
RateAmount = Annotated[Decimal, Field(ge=0, le=MAX_RATE, max_digits=10, decimal_places=2)]
Text500 = Annotated[StrictStr, Field(max_length=500)]
# The dates of time and costs: 2000-01-01 to 2100-12-31, as the services check them.
Day = Annotated[Date, Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))]


# --- schemas -------------------------------------------------------------------------------


class TimeEntryOut(Schema):
    id: int
    user_id: int
    project_id: int
    task_id: int
    date: dt.date
    hours: Money
    note: str
    status: TimeState
    submitted_at: dt.datetime | None
    approved_by_id: int | None
    approved_at: dt.datetime | None
    reject_reason: str
    # hours × rate on the day, fixed on approval; null unless approved
    cost: Money | None
    version: int


class TimeEntryFiltersIn(Schema):
    user_id: QueryId | None = None
    project_id: QueryId | None = None
    date_from: Day | None = None
    date_to: Day | None = None
    status: TimeState | None = None


class TimesheetRowIn(InputSchema):
    task_id: Id
    hours: list[DayHours | None] = Field(..., min_length=7, max_length=7)
    note: Text500 | None = None


class TimesheetWeekIn(InputSchema):
    rows: list[TimesheetRowIn] = Field(..., max_length=timesheets.MAX_WEEK_ROWS)


class TimesheetWeekOut(Schema):
    week: str
    entries: list[TimeEntryOut]


class TimesheetCountOut(Schema):
    count: int


class TimeDecisionIn(InputSchema):
    entry_ids: list[Id] = Field(..., min_length=1, max_length=1000)


class TimeRejectIn(TimeDecisionIn):
    reason: Annotated[StrictStr, Field(min_length=1, max_length=500)]


class CostRateOut(Schema):
    id: int
    user_id: int | None
    role: str
    hourly_rate: Money
    currency: str
    valid_from: dt.date
    version: int


class CostRateIn(InputSchema):
    user_id: Id | None = None
    role: Annotated[StrictStr, Field(max_length=50)] = ""
    hourly_rate: RateAmount
    currency: Annotated[StrictStr, Field(min_length=3, max_length=3)] = "CNY"
    valid_from: Day


class CostRateUpdateIn(InputSchema):
    user_id: Id | None = None
    role: Annotated[StrictStr, Field(max_length=50)] | None = None
    hourly_rate: RateAmount | None = None
    currency: Annotated[StrictStr, Field(min_length=3, max_length=3)] | None = None
    valid_from: Day | None = None
    version: Version


class CostEntryOut(Schema):
    id: int
    project_id: int
    task_id: int | None
    category: Category
    amount: Money
    currency: str
    date: dt.date
    description: str
    status: CostState
    created_by_id: int | None
    submitted_at: dt.datetime | None
    approved_by_id: int | None
    approved_at: dt.datetime | None
    reject_reason: str
    version: int


class CostEntryFiltersIn(Schema):
    status: CostState | None = None


class CostEntryIn(InputSchema):
    category: Category
    amount: CostAmount
    date: Day
    description: Text500 = ""
    task_id: Id | None = None


class CostEntryUpdateIn(InputSchema):
    category: Category | None = None
    amount: CostAmount | None = None
    date: Day | None = None
    description: Text500 | None = None
    task_id: Id | None = None
    version: Version


class CostEntrySubmitIn(InputSchema):
    version: Version


class CostEntryDecisionIn(InputSchema):
    decision: Literal["approve", "reject"]
    comment: Annotated[StrictStr, Field(max_length=2000)] = ""


class ProjectActualsOut(Schema):
    project_id: int
    total: Money
    by_category: dict[str, Money]
    hours_by_task: dict[int, Money]
    cost_by_task: dict[int, Money]
    approval_limit: Money


# --- timesheets ----------------------------------------------------------------------------


def _week_out(week: str, entries: list[Any]) -> dict[str, Any]:
    return {"week": week, "entries": entries}


@router.get("/time/entries", response=PageOut[TimeEntryOut])
def time_entry_list(
    request: HttpRequest, filters: Query[TimeEntryFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    """Time entries on projects the caller reads: the caller's own, or one person's with
    ``user_id``."""
    qs = selectors_actuals.time_entries(
        actor=actor(request), user_id=filters.user_id, project_id=filters.project_id,
        date_from=filters.date_from, date_to=filters.date_to, status=filters.status or "",
    )  # fmt: skip
    return page_response(qs, page)


@router.get("/time/weeks/{week}", response=TimesheetWeekOut)
def timesheet_get(request: HttpRequest, week: WeekPath) -> dict[str, Any]:
    """The caller's entries of ISO week ``week`` (``2026-W05``)."""
    monday = timesheets.parse_week(week)
    entries = selectors_actuals.time_entries(
        actor=actor(request), date_from=monday, date_to=monday + dt.timedelta(days=6)
    )
    return _week_out(timesheets.week_label(monday), list(entries))


@router.put("/time/weeks/{week}", response=TimesheetWeekOut)
def timesheet_put(request: HttpRequest, week: WeekPath, payload: TimesheetWeekIn) -> dict[str, Any]:
    """Save the caller's week grid in one transaction: a row per task with seven hours
    (Monday first; null or 0 empties a draft cell). Every bad cell is named at once
    (``rows.<i>.hours.<d>``; ``days.<d>`` for a day over 24 hours); nothing is saved then.
    Rows left out keep their entries."""
    monday = timesheets.parse_week(week)
    entries = timesheets.timesheet_week_save(
        actor=actor(request), week=monday, rows=payload.model_dump()["rows"]
    )
    return _week_out(timesheets.week_label(monday), entries)


@router.post("/time/weeks/{week}/copy-last-week", response=TimesheetCountOut)
def timesheet_copy(request: HttpRequest, week: WeekPath) -> dict[str, int]:
    """Copy the previous week's hours into this week's empty cells, as drafts."""
    return {"count": timesheets.timesheet_copy_last_week(actor=actor(request), week=week)}


@router.post("/time/weeks/{week}/submit", response=TimesheetCountOut)
def timesheet_submit(request: HttpRequest, week: WeekPath) -> dict[str, int]:
    """Submit the week's draft and rejected entries for approval."""
    return {"count": timesheets.timesheet_week_submit(actor=actor(request), week=week)}


@router.post("/time/entries/approve", response=TimesheetCountOut)
def time_entries_approve(request: HttpRequest, payload: TimeDecisionIn) -> dict[str, int]:
    """Approve submitted entries (all or none): the project's manager, or someone whose
    scope reaches the person — never one's own."""
    count = timesheets.time_entries_approve(actor=actor(request), entry_ids=payload.entry_ids)
    return {"count": count}


@router.post("/time/entries/reject", response=TimesheetCountOut)
def time_entries_reject(request: HttpRequest, payload: TimeRejectIn) -> dict[str, int]:
    """Reject submitted entries with a reason (all or none)."""
    count = timesheets.time_entries_reject(
        actor=actor(request), entry_ids=payload.entry_ids, reason=payload.reason
    )
    return {"count": count}


@router.post("/time/entries/reopen", response=TimesheetCountOut)
def time_entries_reopen(request: HttpRequest, payload: TimeRejectIn) -> dict[str, int]:
    """Take approved entries back with a reason (all or none): they become rejected, lose
    their cost, and the person may correct and submit them again."""
    count = timesheets.time_entries_reopen(
        actor=actor(request), entry_ids=payload.entry_ids, reason=payload.reason
    )
    return {"count": count}


# --- cost rates ----------------------------------------------------------------------------


def _rates_allowed(request: HttpRequest) -> None:
    if not costs.can_manage_rates(actor(request)):
        raise PermissionDenied(str(gettext_lazy("只有管理员和经理可以维护成本费率。")))


@router.get("/costs/rates", response=PageOut[CostRateOut])
def cost_rate_list(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    """Hourly cost rates per person or project role, each valid from a date on."""
    _rates_allowed(request)
    return page_response(selectors_actuals.cost_rate_list(), page)


@router.post("/costs/rates", response={201: CostRateOut})
def cost_rate_create(request: HttpRequest, payload: CostRateIn) -> Status[Any]:
    """A rate for a person (``user_id``) or a project role (``role``), not both."""
    data = payload.model_dump()
    if data["user_id"] is None:
        data.pop("user_id")
    return Status(201, costs.cost_rate_create(actor=actor(request), data=data))


@router.patch("/costs/rates/{rate_id}", response=CostRateOut)
def cost_rate_update(request: HttpRequest, rate_id: RecordId, payload: CostRateUpdateIn) -> Any:
    data = sent_fields(payload)
    version = data.pop("version")
    return costs.cost_rate_update(actor=actor(request), rate_id=rate_id, data=data, version=version)


@router.delete("/costs/rates/{rate_id}", response={204: None})
def cost_rate_delete(
    request: HttpRequest,
    rate_id: RecordId,
    version: int = Query(..., ge=1, le=2**31 - 1),  # type: ignore[type-arg]
) -> Status[None]:
    costs.cost_rate_delete(actor=actor(request), rate_id=rate_id, version=version)
    return Status(204, None)


# --- cost entries --------------------------------------------------------------------------


@router.get("/{project_id}/cost-entries", response=PageOut[CostEntryOut])
def cost_entry_list(
    request: HttpRequest,
    project_id: RecordId,
    filters: Query[CostEntryFiltersIn],
    page: Query[PageIn],
) -> dict[str, Any]:
    project = selectors.project_get(actor=actor(request), project_id=project_id)
    qs = selectors_actuals.cost_entry_list(project=project, status=filters.status or "")
    return page_response(qs, page)


@router.post("/{project_id}/cost-entries", response={201: CostEntryOut})
def cost_entry_create(
    request: HttpRequest, project_id: RecordId, payload: CostEntryIn
) -> Status[Any]:
    """A draft cost entry (materials, travel, subcontracting, other)."""
    entry = costs.cost_entry_create(
        actor=actor(request), project_id=project_id, data=payload.model_dump()
    )
    return Status(201, entry)


@router.get("/{project_id}/actuals", response=ProjectActualsOut)
def project_actuals(request: HttpRequest, project_id: RecordId) -> dict[str, Any]:
    """The actual cost (AC) to date: approved time × rate plus approved cost entries."""
    project = selectors.project_get(actor=actor(request), project_id=project_id)
    by_category = selectors_actuals.actual_cost_by_category(project.pk)
    return {
        "project_id": project.pk,
        "total": sum(by_category.values(), Decimal("0")),
        "by_category": by_category,
        "hours_by_task": selectors_actuals.actual_hours_by_task(project.pk),
        "cost_by_task": selectors_actuals.actual_cost_by_task(project.pk),
        "approval_limit": costs.approval_limit(),
    }


@router.post("/{project_id}/actuals/reprice", response=TimesheetCountOut)
def time_costs_reprice(request: HttpRequest, project_id: RecordId) -> dict[str, int]:
    """Price the project's approved time again at the rates as they are now (approved
    time otherwise keeps the cost it was approved at): administrators and managers only.
    Answers how many entries changed."""
    return {"count": timesheets.time_costs_reprice(actor=actor(request), project_id=project_id)}


@router.get("/costs/entries/{entry_id}", response=CostEntryOut)
def cost_entry_detail(request: HttpRequest, entry_id: RecordId) -> Any:
    return selectors_actuals.cost_entry_get(actor=actor(request), entry_id=entry_id)


@router.patch("/costs/entries/{entry_id}", response=CostEntryOut)
def cost_entry_update(request: HttpRequest, entry_id: RecordId, payload: CostEntryUpdateIn) -> Any:
    """Edit a draft or rejected entry; a stale ``version`` is a 409."""
    data = sent_fields(payload)
    version = data.pop("version")
    return costs.cost_entry_update(
        actor=actor(request), entry_id=entry_id, data=data, version=version
    )


@router.delete("/costs/entries/{entry_id}", response={204: None})
def cost_entry_delete(
    request: HttpRequest,
    entry_id: RecordId,
    version: int = Query(..., ge=1, le=2**31 - 1),  # type: ignore[type-arg]
) -> Status[None]:
    costs.cost_entry_delete(actor=actor(request), entry_id=entry_id, version=version)
    return Status(204, None)


@router.post("/costs/entries/{entry_id}/submit", response=CostEntryOut)
def cost_entry_submit(request: HttpRequest, entry_id: RecordId, payload: CostEntrySubmitIn) -> Any:
    """Submit: approved at once up to the approval limit, otherwise to the
    ``project_cost`` approval flow (422 naming ``document_type`` when none is active)."""
    return costs.cost_entry_submit(actor=actor(request), entry_id=entry_id, version=payload.version)


@router.post("/costs/entries/{entry_id}/decision", response=CostEntryOut)
def cost_entry_decision(
    request: HttpRequest, entry_id: RecordId, payload: CostEntryDecisionIn
) -> Any:
    """Approve or reject the pending entry's current approval step (its approvers only;
    a rejection needs a comment)."""
    return costs.cost_entry_decide(
        actor=actor(request), entry_id=entry_id, decision=payload.decision,
        comment=payload.comment,
    )  # fmt: skip
