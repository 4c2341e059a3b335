"""The projects API's baselines and earned value (issue 15 item 2), mounted under
``/api/v1/projects/`` by ``api.py``: baselines (list, take, detail, rename, approve,
delete), the EVM figures, the S-curve series, the EVM settings and weekly status reports.
An approved baseline answers 409 to every change. Thin over ``selectors_evm`` and
``services.baselines``."""

# mypy: disable-error-code="assignment"

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Schema, Status
from pydantic import AfterValidator, PlainSerializer, StrictBool, StrictStr

from guanxi.core.api.bases import (
    MAX_ID,
    Date,
    Id,
    InputSchema,
    Money,
    MoneyIn,
    RecordId,
    StaffRouter,
    actor,
)
from guanxi.projects import selectors, selectors_evm
from guanxi.projects.services import baselines as services

router = StaffRouter(
    tags=["projects"],
    allow=selectors.can_use,
    message=gettext_lazy("你的角色不能使用项目。"),
)

IndexOut = Annotated[
    Decimal, PlainSerializer(lambda value: f"{value:.4f}", return_type=str, when_used="always")
]
Threshold = Annotated[Decimal, Field(gt=0, le=2, max_digits=4, decimal_places=2)]
EvMethodName = Literal["0_100", "50_50", "physical"]


# A status date: the plan's years, not the whole calendar the house accepts elsewhere.
def _plan_year(value: dt.date) -> dt.date:
    if not dt.date(2000, 1, 1) <= value <= dt.date(2100, 12, 31):
        raise ValueError(_("日期须在 2000-01-01 到 2100-12-31 之间。"))
    return value


EvmDate = Annotated[Date, AfterValidator(_plan_year)]
# A task id as a JSON object key (a string of digits).
TaskKey = Annotated[int, Field(ge=1, le=MAX_ID)]
EacMethodName = Literal["cpi", "atypical", "cpi_spi", "bottom_up"]


class BaselineOut(Schema):
    id: int
    project_id: int
    number: int
    name: str
    reason: str
    taken_at: dt.datetime
    taken_by_id: int | None
    change_request_ref: int | None
    bac: Money
    work_hours: Money
    planned_start: dt.date | None
    planned_finish: dt.date | None
    approved: bool
    approved_at: dt.datetime | None
    approved_by_id: int | None


class BaselineTaskOut(Schema):
    id: int
    task_id: int | None
    outline: str
    name: str
    is_summary: bool
    milestone: bool
    start: dt.date | None
    finish: dt.date | None
    work_hours: Money
    planned_cost: Money
    ev_method: str


class BaselineDetailOut(BaselineOut):
    tasks: list[BaselineTaskOut]


class BaselineCreateIn(InputSchema):
    name: Annotated[StrictStr, Field(min_length=1, max_length=100)]
    reason: Annotated[StrictStr, Field(max_length=500)] = ""
    # Per task (task id → value): a given budget instead of estimate × rate, and the EV
    # method frozen for the task.
    budgets: Annotated[dict[TaskKey, MoneyIn], Field(max_length=10_000)] = {}
    methods: Annotated[dict[TaskKey, EvMethodName], Field(max_length=10_000)] = {}


class BaselineUpdateIn(InputSchema):
    name: Annotated[StrictStr, Field(min_length=1, max_length=100)] | None = None
    reason: Annotated[StrictStr, Field(max_length=500)] | None = None


class EvmFiguresOut(Schema):
    baseline_id: int | None
    baseline_number: int | None
    status_date: dt.date
    bac: Money | None = None
    pv: Money | None = None
    ev: Money | None = None
    ac: Money | None = None
    sv: Money | None = None
    cv: Money | None = None
    spi: IndexOut | None = None
    cpi: IndexOut | None = None
    eac_cpi: Money | None = None
    eac_atypical: Money | None = None
    eac_cpi_spi: Money | None = None
    eac_bottom_up: Money | None = None
    eac_method: EacMethodName | None = None
    eac: Money | None = None
    etc: Money | None = None
    vac: Money | None = None
    tcpi_bac: IndexOut | None = None
    tcpi_eac: IndexOut | None = None
    percent_complete: IndexOut | None = None
    percent_spent: IndexOut | None = None
    planned_finish: dt.date | None = None
    forecast_finish: dt.date | None = None
    spi_t: IndexOut | None = None
    rag: str = ""


class EvmQueryIn(Schema):
    baseline_id: Id | None = None
    as_of: EvmDate | None = None


class EvmSCurveOut(Schema):
    dates: list[str]
    pv: list[str | None]
    ev: list[str | None]
    ac: list[str | None]
    planned_finish: str | None
    forecast_finish: str | None
    status_date: str


class EvmSettingsOut(Schema):
    project_id: int
    ev_method: EvMethodName
    allow_task_override: bool
    eac_method: EacMethodName
    spi_amber: Money
    spi_red: Money
    cpi_amber: Money
    cpi_red: Money
    version: int


class EvmSettingsIn(InputSchema):
    version: Annotated[int, Field(ge=1, le=2**31 - 1)]
    ev_method: EvMethodName | None = None
    allow_task_override: StrictBool | None = None
    eac_method: EacMethodName | None = None
    spi_amber: Threshold | None = None
    spi_red: Threshold | None = None
    cpi_amber: Threshold | None = None
    cpi_red: Threshold | None = None


class StatusReportOut(Schema):
    id: int
    project_id: int
    baseline_id: int | None
    as_of: dt.date
    rag: str
    figures: dict[str, Any]
    summary: str
    created_at: dt.datetime


class StatusReportIn(InputSchema):
    as_of: EvmDate | None = None
    summary: Annotated[StrictStr, Field(max_length=4000)] = ""


def _project(request: HttpRequest, project_id: int) -> Any:
    return selectors.project_get(actor=actor(request), project_id=project_id, with_members=False)


# --- baselines -----------------------------------------------------------------------------


@router.get("/{project_id}/baselines", response=list[BaselineOut])
def baseline_list(request: HttpRequest, project_id: RecordId) -> list[Any]:
    return list(selectors_evm.baseline_list(project=_project(request, project_id)))


@router.post("/{project_id}/baselines", response={201: BaselineOut})
def baseline_create(
    request: HttpRequest, project_id: RecordId, payload: BaselineCreateIn
) -> Status[Any]:
    """Freeze the plan as the next baseline: per task its scheduled dates, work and budget
    (estimate hours × the assignee's rate; the project's budget spread by work when no
    task has a rate)."""
    project = _project(request, project_id)
    baseline = services.take_baseline(
        project, actor=actor(request), name=payload.name, reason=payload.reason,
        budgets=payload.budgets, methods=payload.methods,
    )  # fmt: skip
    return Status(201, baseline)


@router.get("/{project_id}/baselines/{baseline_id}", response=BaselineDetailOut)
def baseline_detail(request: HttpRequest, project_id: RecordId, baseline_id: RecordId) -> Any:
    baseline = selectors_evm.baseline_get(
        project=_project(request, project_id), baseline_id=baseline_id
    )
    data = {name: getattr(baseline, name) for name in BaselineOut.model_fields}
    data["tasks"] = list(baseline.tasks.order_by("position", "id"))
    return data


@router.patch("/{project_id}/baselines/{baseline_id}", response=BaselineOut)
def baseline_update(
    request: HttpRequest, project_id: RecordId, baseline_id: RecordId, payload: BaselineUpdateIn
) -> Any:
    """Rename a baseline or restate its reason; an approved baseline is a 409."""
    data = payload.model_dump(exclude_unset=True, exclude_none=True)
    return services.baseline_update(
        actor=actor(request), project_id=project_id, baseline_id=baseline_id, data=data
    )


@router.delete("/{project_id}/baselines/{baseline_id}", response={204: None})
def baseline_delete(request: HttpRequest, project_id: RecordId, baseline_id: RecordId) -> Any:
    """Delete a baseline not yet approved; an approved one is a 409."""
    services.baseline_delete(actor=actor(request), project_id=project_id, baseline_id=baseline_id)
    return Status(204, None)


@router.post("/{project_id}/baselines/{baseline_id}/approve", response=BaselineOut)
def baseline_approve(request: HttpRequest, project_id: RecordId, baseline_id: RecordId) -> Any:
    """Approve (lock) a baseline: the project manager or a role above; a plain member is a
    403, an approved baseline a 409."""
    return services.baseline_approve(
        actor=actor(request), project_id=project_id, baseline_id=baseline_id
    )


# --- earned value --------------------------------------------------------------------------


def _result(request: HttpRequest, project_id: int, params: EvmQueryIn) -> Any:
    project = _project(request, project_id)
    baseline = (
        selectors_evm.baseline_get(project=project, baseline_id=params.baseline_id)
        if params.baseline_id is not None
        else None
    )
    return selectors_evm.evm_result(project=project, baseline=baseline, status_date=params.as_of)


@router.get("/{project_id}/evm", response=EvmFiguresOut)
def evm_figures(request: HttpRequest, project_id: RecordId, params: Query[EvmQueryIn]) -> Any:
    """PV, EV, AC, SV, CV, SPI, CPI, the four EAC variants and the one the project uses
    (``eac_method``), ETC, VAC, TCPI (BAC and EAC based), the forecast finish (earned
    schedule) and the red/amber/green status — against the current baseline (the latest
    approved) or ``baseline_id``, as of today or ``as_of``. A ratio with a zero
    denominator is ``null``; a project without a baseline answers only its status date."""
    result = _result(request, project_id, params)
    figures = result.figures
    out: dict[str, Any] = {
        "baseline_id": result.baseline.pk if result.baseline else None,
        "baseline_number": result.baseline.number if result.baseline else None,
        "status_date": params.as_of or selectors_evm.today(),
    }
    if figures is not None:
        out.update(figures.as_dict())
    return out


@router.get("/{project_id}/evm/s-curve", response=EvmSCurveOut)
def evm_s_curve(request: HttpRequest, project_id: RecordId, params: Query[EvmQueryIn]) -> Any:
    """Cumulative PV, EV (where known: status reports and the status date) and AC by
    date, the baseline's planned finish and the forecast finish."""
    return selectors_evm.s_curve(_result(request, project_id, params))


@router.get("/{project_id}/evm/settings", response=EvmSettingsOut)
def evm_settings(request: HttpRequest, project_id: RecordId) -> Any:
    settings = selectors_evm.evm_settings(project=_project(request, project_id))
    return {**{f: getattr(settings, f) for f in EvmSettingsOut.model_fields if f != "project_id"},
            "project_id": project_id}  # fmt: skip


@router.put("/{project_id}/evm/settings", response=EvmSettingsOut)
def evm_settings_update(request: HttpRequest, project_id: RecordId, payload: EvmSettingsIn) -> Any:
    """Change the EV method, the EAC formula used, the thresholds (red ≤ amber, 422
    naming the field otherwise); a stale ``version`` is a 409 (1 before the first save)."""
    data = payload.model_dump(exclude_unset=True, exclude_none=True)
    version = data.pop("version")
    settings = services.evm_settings_update(
        actor=actor(request), project_id=project_id, data=data, version=version
    )
    return {**{f: getattr(settings, f) for f in EvmSettingsOut.model_fields if f != "project_id"},
            "project_id": project_id}  # fmt: skip


# --- status reports ------------------------------------------------------------------------


@router.get("/{project_id}/status-reports", response=list[StatusReportOut])
def status_report_list(request: HttpRequest, project_id: RecordId) -> list[Any]:
    return list(selectors_evm.status_report_list(project=_project(request, project_id))[:200])


@router.post("/{project_id}/status-reports", response={201: StatusReportOut})
def status_report_create(
    request: HttpRequest, project_id: RecordId, payload: StatusReportIn
) -> Status[Any]:
    """Freeze the EVM figures as of ``as_of`` (today by default) as a status report; a
    project without a baseline is a 422 naming ``baseline``."""
    report = services.status_report_create(
        actor=actor(request), project_id=project_id, as_of=payload.as_of, summary=payload.summary
    )
    return Status(201, report)


@router.get("/{project_id}/status-reports/{report_id}", response=StatusReportOut)
def status_report_detail(request: HttpRequest, project_id: RecordId, report_id: RecordId) -> Any:
    return selectors_evm.status_report_get(
        project=_project(request, project_id), report_id=report_id
    )
