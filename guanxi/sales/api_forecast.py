"""The forecast and target REST API (``/api/v1/sales/forecast``, ``/api/v1/sales/targets``),
mounted from ``sales/api.py``. Thin over ``selectors_forecast`` / ``selectors_targets`` and
``services.forecast`` / ``services.targets``; every read scoped to the caller."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Schema, Status
from pydantic import StrictStr

from guanxi.accounts import permissions
from guanxi.core.api.bases import Id, InputSchema, Int, Money, RecordId, StaffRouter, actor
from guanxi.core.errors import ValidationFailed
from guanxi.sales import selectors_forecast, selectors_targets
from guanxi.sales.services import forecast as forecast_services
from guanxi.sales.services import targets as target_services

router = StaffRouter(
    tags=["sales-forecast"],
    allow=permissions.can_create_customer,
    message=gettext_lazy("只有销售相关角色可以使用销售预测和业绩目标。"),
)

Category = Literal["commit", "best_case", "pipeline", "omitted"]
Metric = Literal["revenue", "new_customers", "collections", "retention", "satisfaction"]


class ForecastQuery(Schema):
    start: StrictStr = Field("", max_length=10, description="YYYY-MM; default: this month.")
    months: StrictStr = Field("", max_length=3, description="1–24; default 6.")
    group: Literal["month", "owner", "team"] = "month"
    owner: StrictStr = Field("", max_length=20)
    team: StrictStr = Field("", max_length=20)
    pipeline: StrictStr = Field("", max_length=20)


class ForecastCellOut(Schema):
    count: int
    amount: Money
    weighted: Money
    url: str = Field(..., description="The opportunity list filtered to this number.")


class LineOut(Schema):
    key: str | None = Field(..., description="Month (YYYY-MM), owner id or department id.")
    label: str
    buckets: dict[str, ForecastCellOut] = Field(
        ..., description="won, commit, best_case, pipeline, omitted"
    )
    commit_total: Money
    best_case_total: Money
    weighted_total: Money


class ForecastOut(Schema):
    start: dt.date
    months: int
    group: str
    lines: list[LineOut]
    total: LineOut


def _line(line: selectors_forecast.Line) -> dict[str, Any]:
    key = line.key
    if isinstance(key, dt.date):
        key = f"{key:%Y-%m}"
    return {
        "key": None if key is None else str(key),
        "label": str(line.label),
        "buckets": {b: vars(c) for b, c in line.cells.items()},
        "commit_total": line.commit_total,
        "best_case_total": line.best_case_total,
        "weighted_total": line.weighted_total,
    }


@router.get("/forecast", response=ForecastOut)
def forecast(request: HttpRequest, query: Query[ForecastQuery]) -> Any:
    """The weighted pipeline by month / owner / department with its forecast categories
    and closed-won beside it, over the opportunities the caller may read."""
    params = selectors_forecast.validate_params(query.model_dump(), today=timezone.localdate())
    result = selectors_forecast.forecast(actor=actor(request), params=params)
    return {
        "start": params.start,
        "months": params.months,
        "group": params.group,
        "lines": [_line(line) for line in result.lines],
        "total": _line(result.total),
    }


class ForecastIn(InputSchema):
    version: Id
    category: Category | None = None
    probability: Int | None = Field(None, ge=0, le=100, description="Empty: the stage's.")


class OpportunityForecastOut(Schema):
    id: int
    version: int
    forecast_category: str
    probability: int | None


@router.patch("/opportunities/{opportunity_id}/forecast", response=OpportunityForecastOut)
def opportunity_forecast(
    request: HttpRequest, opportunity_id: RecordId, payload: ForecastIn
) -> Any:
    """Set an open opportunity's forecast category and/or own win probability (send
    ``probability: null`` to fall back to the stage's); 409 when ``version`` is stale."""
    sent = payload.model_dump(exclude_unset=True)
    kwargs: dict[str, Any] = {}
    if "category" in sent:
        if sent["category"] is None:
            raise ValidationFailed({"category": _("无效的选项。")})
        kwargs["category"] = sent["category"]
    if "probability" in sent:
        kwargs["probability"] = sent["probability"]
    return forecast_services.opportunity_set_forecast(
        actor=actor(request), opportunity_id=opportunity_id, version=payload.version, **kwargs
    )


# --- targets -------------------------------------------------------------------------------


class TargetOut(Schema):
    id: int
    version: int
    metric: str
    year: int
    month: int
    owner_id: int | None
    team_id: int | None
    value: Money


class TargetRowOut(Schema):
    subject: Literal["owner", "team"]
    subject_id: int
    label: str
    metric: str
    target: Money
    actual: Decimal | None = Field(..., description="Empty while the metric has no data.")
    attainment: Decimal | None = Field(..., description="Actual over target, in percent.")
    history: Decimal | None = Field(..., description="Monthly average (rates: the rate) of "
                                    "the trailing history window.")  # fmt: skip
    no_data: str
    warning: str = Field(..., description="Far from the history (the policy's band).")
    members_total: Decimal | None
    members_warning: str = Field(..., description="Members' targets do not add up.")
    targets: list[TargetOut]


class AttainmentOut(Schema):
    period: str
    band_percent: int
    history_months: int
    rows: list[TargetRowOut]


class PeriodQuery(Schema):
    period: StrictStr = Field("", max_length=10, description="YYYY-MM, YYYY-Qn or YYYY.")


@router.get("/targets", response=AttainmentOut)
def target_attainment(request: HttpRequest, query: Query[PeriodQuery]) -> Any:
    """The targets of a month, quarter or year the caller may read, with actuals,
    attainment, history and warnings."""
    period = selectors_targets.parse_period(query.period, today=timezone.localdate())
    data = selectors_targets.attainment(actor=actor(request), period=period)
    rows = [
        {**{k: getattr(r, k) for k in ("subject", "subject_id", "label", "metric", "target",
                                        "actual", "attainment", "history", "no_data", "warning",
                                        "members_total", "members_warning")},
         "targets": r.targets}
        for r in data.rows
    ]  # fmt: skip
    return {"period": period.key, "band_percent": data.policy.band_percent,
            "history_months": data.policy.history_months, "rows": rows}  # fmt: skip


class TargetIn(InputSchema):
    metric: Metric
    year: Int = Field(..., ge=2000, le=2100)
    month: Int = Field(..., ge=1, le=12)
    value: Decimal = Field(..., ge=0, le=Decimal("999999999999.99"), decimal_places=2)
    owner_id: Id | None = None
    team_id: Id | None = None
    version: Id | None = Field(None, description="Required to change an existing target.")


@router.post("/targets", response={200: TargetOut, 201: TargetOut})
def target_set(request: HttpRequest, payload: TargetIn) -> Status[Any]:
    """Set one month's target of an owner or (``team_id``) a department: 201 when new,
    200 when an existing one changed (with its ``version``); managers and admins only."""
    target = target_services.target_set(actor=actor(request), **payload.model_dump())
    return Status(200 if payload.version is not None else 201, target)


@router.get("/targets/policy", response=dict[str, int])
def target_policy(request: HttpRequest) -> Any:
    rules = selectors_targets.policy()
    return {"band_percent": rules.band_percent, "history_months": rules.history_months}


class PolicyIn(InputSchema):
    band_percent: Int = Field(..., ge=1, le=1000)
    history_months: Int = Field(..., ge=1, le=24)


@router.put("/targets/policy", response=dict[str, int])
def target_policy_update(request: HttpRequest, payload: PolicyIn) -> Any:
    """The band around the history and the months of history (administrators)."""
    rules = target_services.target_policy_update(actor=actor(request), **payload.model_dump())
    return {"band_percent": rules.band_percent, "history_months": rules.history_months}


@router.get("/targets/{target_id}", response=TargetOut)
def target_detail(request: HttpRequest, target_id: RecordId) -> Any:
    return selectors_targets.target_get(actor=actor(request), target_id=target_id)


class TargetUpdateIn(InputSchema):
    version: Id
    value: Decimal = Field(..., ge=0, le=Decimal("999999999999.99"), decimal_places=2)


@router.patch("/targets/{target_id}", response=TargetOut)
def target_update(request: HttpRequest, target_id: RecordId, payload: TargetUpdateIn) -> Any:
    return target_services.target_update(
        actor=actor(request), target_id=target_id, value=payload.value, version=payload.version
    )


@router.delete("/targets/{target_id}", response={204: None})
def target_delete(request: HttpRequest, target_id: RecordId, version: int) -> Status[None]:
    target_services.target_delete(actor=actor(request), target_id=target_id, version=version)
    return Status(204, None)
