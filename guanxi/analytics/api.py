"""The customer-value REST API (``/api/v1/analytics/``): settings, the recompute job, each
customer's value, filtered lists, and the dashboard's figures (matrix, Pareto, RFM,
cohorts, class movement, churn risk, purchase propensity, profitability).

Operations parse input, call one selector or service and return. Everything is scoped by
the actor: a customer the actor may not see answers 404, like one without a value. Bad
filters answer 422 naming the parameter.
"""

# mypy: disable-error-code="assignment"
from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import ConfigDict

from guanxi.accounts import permissions
from guanxi.analytics import selectors, services
from guanxi.analytics.models import (
    AmountBand,
    CustomerValue,
    CycleBand,
    RFMSegment,
    SegmentMap,
)
from guanxi.core.api.bases import MAX_ID, MAX_OFFSET, DecimalOut, PageIn, PageOut
from guanxi.core.api.errors import errors
from guanxi.core.db.paging import Page
from guanxi.core.errors import NotFound, PermissionDenied

F = TypeVar("F", bound=Callable[..., Any])

router = Router(tags=["analytics"])


def _staff_only(view: F) -> F:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not permissions.is_staff_actor(request.user):
            raise PermissionDenied(_("客户门户用户无权使用员工端 API。"))
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


router.add_decorator(_staff_only)

ValueClassValue = Literal[
    "platinum", "gold", "silver", "development", "adjust", "insufficient", ""
]  # fmt: skip
SortValue = Literal[tuple(selectors.SORTS)]  # type: ignore[valid-type]
SegmentValue = Literal[(*RFMSegment.values, "")]  # type: ignore[valid-type]
CELLS = ("", *(f"{a}-{c}" for a in AmountBand.values for c in CycleBand.values))
CellValue = Literal[CELLS]  # type: ignore[valid-type]


class ValueFiltersIn(Schema):
    owner: int | None = Field(None, ge=1, le=MAX_ID, description="Owner (user) id.")
    team: int | None = Field(None, ge=1, le=MAX_ID, description="Team id.")
    region: str = Field("", max_length=20, description="Province.")
    value_class: ValueClassValue = ""
    cell: CellValue = Field("", description="Matrix cell (amount band-cycle band): large-short.")
    segment: SegmentValue = ""
    key_account: bool | None = None
    dormant: bool | None = None

    def parsed(self, sort: str = "-clv") -> selectors.ValueFilters:
        return selectors.validate_value_filters({**self.model_dump(), "sort": sort})


class SortIn(Schema):
    sort: SortValue = "-clv"  # type: ignore[valid-type]


# --- output shapes -------------------------------------------------------------------------


class CustomerRefOut(Schema):
    id: int
    name: str
    owner_id: int | None
    team_id: int | None


class CostToServeItemOut(Schema):
    key: str = Field(
        ...,
        description="analytics.orders (orders x cost per order + communications x cost per "
        "communication) or a registered cost source: service.complaints, service.tickets, "
        "projects.overruns, ...",
    )
    label: str
    amount: DecimalOut


class CustomerValueOut(Schema):
    customer: CustomerRefOut
    orders: int
    purchases: int = Field(..., description="Distinct purchase days.")
    frequency: int = Field(..., description="Repeat purchases (BG/NBD x = purchases - 1).")
    revenue: DecimalOut
    first_purchase: dt.date
    last_purchase: dt.date
    average_amount: DecimalOut
    average_cycle_days: float | None
    communications: int
    customer_value: DecimalOut = Field(..., description="F1 (公式1).")
    value_check: DecimalOut | None = Field(..., description="F2 (公式2).")
    value_class: str
    value_class_label: str
    cycle_band: str
    amount_band: str
    strategy: str
    rfm_r: int
    rfm_f: int
    rfm_m: int
    rfm_segment: str
    rfm_segment_label: str
    revenue_rank: int
    key_account: bool
    p_alive: float | None = Field(
        ..., description="Null when the model could not be fitted or history_insufficient."
    )
    history_insufficient: bool = Field(
        ...,
        description="One purchase day only: BG/NBD has no evidence about drop-out yet "
        "(it would say P(alive) = 1), so p_alive is null (历史不足).",
    )
    churn_risk: float | None
    expected_purchases: float | None
    expected_spend: DecimalOut | None
    clv: DecimalOut | None
    propensity: float | None
    dormant: bool
    cost_to_serve: DecimalOut = Field(..., description="The sum of cost_breakdown.")
    cost_breakdown: list[CostToServeItemOut] = Field(
        ..., description="The cost to serve by source (F8); profit = revenue - cost_to_serve."
    )
    profit: DecimalOut
    computed_at: dt.datetime

    @staticmethod
    def resolve_frequency(obj: CustomerValue) -> int:
        return obj.purchases - 1

    @staticmethod
    def resolve_history_insufficient(obj: CustomerValue) -> bool:
        return obj.history_insufficient

    @staticmethod
    def resolve_cost_breakdown(obj: CustomerValue) -> list[dict[str, Any]]:
        return [
            {"key": key, "label": label, "amount": amount} for key, label, amount in obj.cost_items
        ]

    @staticmethod
    def resolve_value_class_label(obj: CustomerValue) -> str:
        return str(obj.get_value_class_display())

    @staticmethod
    def resolve_rfm_segment_label(obj: CustomerValue) -> str:
        return str(obj.get_rfm_segment_display())


class RunOut(Schema):
    """A recompute. Its totals (customers … retention, message) are the reader's: over
    every customer for a reader who sees them all, else over the reader's own customers
    (``scoped``: true) for the latest run and null for older runs."""

    id: int
    status: str
    as_of: dt.date | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    duration_s: float | None
    job_id: uuid.UUID | None
    parameters: dict[str, Any]
    scoped: bool = Field(..., description="The totals are within the reader's scope.")
    customers: int | None = Field(..., description="Customers with purchases (in scope).")
    orders: int | None
    revenue: DecimalOut | None
    bgnbd: dict[str, float] | None
    gamma_gamma: dict[str, float] | None
    prediction_message: str
    thresholds: dict[str, Any]
    class_counts: dict[str, int] | None
    pareto_top_share: float | None
    key_accounts: int | None
    retention: dict[str, Any]
    timings: dict[str, float]
    has_snapshot: bool
    message: str


class RecomputeOut(Schema):
    job_id: uuid.UUID
    run_id: int
    status: str


class SettingsOut(Schema):
    version: int
    discount_rate: Decimal
    period_days: int
    horizon_periods: int
    gross_margin: Decimal
    cycle_threshold_short: Decimal | None
    cycle_threshold_long: Decimal | None
    amount_threshold_small: Decimal | None
    amount_threshold_large: Decimal | None
    rfm_segment_map: str
    cost_per_order: Decimal
    cost_per_communication: Decimal
    cost_per_ticket: Decimal
    dormant_factor: Decimal
    key_account_share: Decimal
    snapshots_kept: int
    snapshot_months_kept: int


class SettingsIn(Schema):
    """Send only the settings to change, with the ``version`` you read (409 if stale).
    Thresholds go in pairs: both numbers, or both null for terciles."""

    model_config = ConfigDict(extra="forbid")
    version: int = Field(..., ge=1)
    discount_rate: Decimal = Field(None, ge=0, le=1)
    period_days: int = Field(None, ge=1, le=366)
    horizon_periods: int = Field(None, ge=1, le=120)
    gross_margin: Decimal = Field(None, gt=0, le=1)
    cycle_threshold_short: Decimal | None = Field(None, ge=0)
    cycle_threshold_long: Decimal | None = Field(None, ge=0)
    amount_threshold_small: Decimal | None = Field(None, ge=0)
    amount_threshold_large: Decimal | None = Field(None, ge=0)
    rfm_segment_map: Literal[tuple(SegmentMap.values)] = None  # type: ignore[valid-type]
    cost_per_order: Decimal = Field(None, ge=0)
    cost_per_communication: Decimal = Field(None, ge=0)
    cost_per_ticket: Decimal = Field(None, ge=0)
    dormant_factor: Decimal = Field(None, gt=0)
    key_account_share: Decimal = Field(None, gt=0, le=1)
    snapshots_kept: int = Field(None, ge=1, le=365)
    snapshot_months_kept: int = Field(None, ge=0, le=120)


class CellOut(Schema):
    amount: str
    cycle: str
    cell: str
    value_class: str
    class_label: str
    count: int
    revenue: float
    strategy: str


class ClassOut(Schema):
    code: str
    label: str
    count: int
    revenue: float
    share: float
    strategy: str


class MatrixOut(Schema):
    cells: list[CellOut]
    classes: list[ClassOut]
    total: int


class ParetoPointOut(Schema):
    customers: float
    revenue: float


class ParetoOut(Schema):
    points: list[ParetoPointOut]
    top_share: float | None
    key_accounts: int
    key_share: float
    customers: int
    revenue: float
    key_list: list[CustomerValueOut]


class SegmentOut(Schema):
    code: str
    label: str
    count: int
    revenue: float


class RFMOut(Schema):
    grid: list[list[int]] = Field(..., description="grid[R - 1][FM - 1] = customers.")
    segments: list[SegmentOut]


class CohortOut(Schema):
    month: str
    size: int
    retention: list[float | None]


class PeriodOut(Schema):
    month: str
    retention: float | None
    churn: float | None


class CohortsOut(Schema):
    end_month: str | None
    cohorts: list[CohortOut]
    periods: list[PeriodOut]


class MovementCellOut(Schema):
    old_class: str
    new_class: str
    old_label: str
    new_label: str
    n: int


class MoverOut(Schema):
    customer_id: int
    name: str
    old_class: str
    new_class: str
    old_label: str
    new_label: str
    old_cycle_band: str
    new_cycle_band: str
    old_amount_band: str
    new_amount_band: str
    old_cycle: float | None
    new_cycle: float | None
    old_amount: DecimalOut
    new_amount: DecimalOut
    reason: str = Field(..., description="cycle, amount, both, thresholds, classified, other")
    reason_label: str


class RunRefOut(Schema):
    id: int
    as_of: dt.date | None


class MovementOut(Schema):
    from_run: RunRefOut | None
    to_run: RunRefOut | None
    moved: int
    matrix: list[MovementCellOut]
    movers: list[MoverOut]


class MovementIn(Schema):
    from_run: int | None = Field(None, ge=1, le=MAX_ID)
    to_run: int | None = Field(None, ge=1, le=MAX_ID)
    from_class: ValueClassValue = ""
    to_class: ValueClassValue = ""
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ProfitabilityOut(Schema):
    revenue: DecimalOut
    cost: DecimalOut
    profit: DecimalOut
    customers: int
    unprofitable: int
    least: list[CustomerValueOut]


# --- operations ----------------------------------------------------------------------------


def _page_out(result: Page, page: PageIn) -> dict[str, Any]:
    return {
        "count": result.count,
        "count_capped": result.count_capped,
        "limit": page.limit,
        "offset": page.offset,
        "items": result.items,
    }


@router.get("/settings", response=SettingsOut)
def settings_detail(request: HttpRequest) -> Any:
    return selectors.settings_get(actor=request.user)


@router.patch("/settings", response=SettingsOut)
def settings_update(request: HttpRequest, payload: SettingsIn) -> Any:
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    return services.analytics_settings_update(actor=request.user, version=version, changes=changes)


@router.post("/recompute", response={202: RecomputeOut})
def recompute(request: HttpRequest) -> Status[Any]:
    job, run = services.analytics_recompute_start(actor=request.user)
    return Status(202, {"job_id": job.id, "run_id": run.pk, "status": run.status})


@router.get("/runs", response=list[RunOut])
def run_list(request: HttpRequest) -> Any:
    return selectors.run_list_views(actor=request.user)


@router.get("/runs/latest", response={200: RunOut, **errors(404)})
def run_latest(request: HttpRequest) -> Any:
    run = selectors.latest_run(actor=request.user)
    if run is None:
        raise NotFound(_("还没有完成的客户价值计算。"))
    return selectors.run_view(actor=request.user, run=run, latest=run)


@router.get("/customers/{customer_id}", response=CustomerValueOut)
def customer_value(request: HttpRequest, customer_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Any:
    return selectors.customer_value_get(actor=request.user, customer_id=customer_id)


@router.get("/values", response=PageOut[CustomerValueOut])
def value_list(
    request: HttpRequest,
    filters: Query[ValueFiltersIn],
    order: Query[SortIn],
    page: Query[PageIn],
) -> dict[str, Any]:
    result = selectors.value_list(
        actor=request.user, filters=filters.parsed(order.sort), size=page.limit,
        offset=page.offset,
    )  # fmt: skip
    return _page_out(result, page)


@router.get("/matrix", response=MatrixOut)
def matrix(request: HttpRequest, filters: Query[ValueFiltersIn]) -> Any:
    return selectors.value_matrix(actor=request.user, filters=filters.parsed())


@router.get("/pareto", response=ParetoOut)
def pareto(request: HttpRequest, filters: Query[ValueFiltersIn]) -> Any:
    return selectors.pareto_curve(actor=request.user, filters=filters.parsed())


@router.get("/rfm", response=RFMOut)
def rfm(request: HttpRequest, filters: Query[ValueFiltersIn]) -> Any:
    return selectors.rfm_grid(actor=request.user, filters=filters.parsed())


@router.get("/cohorts", response=CohortsOut)
def cohorts(
    request: HttpRequest,
    filters: Query[ValueFiltersIn],
    months: Annotated[int, Query(ge=1, le=60)] = 12,
) -> Any:
    return selectors.cohort_table(actor=request.user, filters=filters.parsed(), months=months)


@router.get("/movement", response=MovementOut)
def movement(
    request: HttpRequest, filters: Query[ValueFiltersIn], params: Query[MovementIn]
) -> Any:
    return selectors.class_movement(
        actor=request.user, filters=filters.parsed(), from_run=params.from_run,
        to_run=params.to_run, from_class=params.from_class, to_class=params.to_class,
        limit=params.limit, offset=params.offset,
    )  # fmt: skip


@router.get("/churn-risk", response=PageOut[CustomerValueOut])
def churn_risk(
    request: HttpRequest, filters: Query[ValueFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    result = selectors.churn_risk(
        actor=request.user, filters=filters.parsed(), limit=page.limit, offset=page.offset
    )
    return _page_out(result, page)


@router.get("/propensity", response=PageOut[CustomerValueOut])
def propensity(
    request: HttpRequest, filters: Query[ValueFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    result = selectors.propensity_list(
        actor=request.user, filters=filters.parsed(), limit=page.limit, offset=page.offset
    )
    return _page_out(result, page)


@router.get("/profitability", response=ProfitabilityOut)
def profitability(request: HttpRequest, filters: Query[ValueFiltersIn]) -> Any:
    return selectors.profitability(actor=request.user, filters=filters.parsed())
