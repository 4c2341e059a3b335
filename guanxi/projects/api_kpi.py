"""The projects API's KPIs (issue 15 item 7), mounted under ``/api/v1/projects/`` by
``api.py``: the portfolio (the actor's projects with their stored KPI snapshots, filtered,
sorted and paged, with the tiles' aggregates) and one project's snapshot. Thin over
``selectors_kpi``; another department's project is a 404 like a missing one."""

# mypy: disable-error-code="assignment"

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Schema
from pydantic import PlainSerializer

from guanxi.core.api.bases import Money, PageIn, QueryId, RecordId, StaffRouter, actor
from guanxi.core.db.paging import COUNT_CAP
from guanxi.projects import selectors, selectors_kpi
from guanxi.projects.models import ProjectKpi
from guanxi.projects.schemas import Phase, ProjectState

router = StaffRouter(
    tags=["projects"],
    allow=selectors.can_use,
    message=gettext_lazy("你的角色不能使用项目。"),
)

KpiIndex = Annotated[
    Decimal, PlainSerializer(lambda value: f"{value:.4f}", return_type=str, when_used="always")
]
Rag = Literal["", "green", "amber", "red"]
SortKey = Literal[
    "rag", "-rag", "name", "-name", "spi", "-spi", "cpi", "-cpi", "milestones", "-milestones",
    "quality", "-quality", "utilisation", "-utilisation", "finish", "-finish",
]  # fmt: skip


class ProjectKpiOut(Schema):
    project_id: int
    pending: bool = Field(..., description="A refresh was asked for and has not run yet.")
    computed_at: dt.datetime | None = Field(..., description="null: never computed yet.")
    status_date: dt.date | None
    has_baseline: bool
    bac: Money
    pv: Money
    ev: Money
    ac: Money
    spi: KpiIndex | None = Field(..., description="EV ÷ PV; null when PV is zero.")
    cpi: KpiIndex | None = Field(..., description="EV ÷ AC; null when AC is zero.")
    evm_rag: Rag
    milestones_due: int = Field(..., description="Baseline milestones due by the date.")
    milestones_on_time: int = Field(..., description="…of them finished by their date.")
    milestone_rate: KpiIndex | None
    deliverables_decided: int = Field(..., description="First submissions decided.")
    deliverables_first_pass: int = Field(..., description="…of them accepted.")
    first_pass_rate: KpiIndex | None
    period_start: dt.date | None
    booked_hours: Money
    available_hours: Money
    utilisation: KpiIndex | None = Field(..., description="Booked ÷ available hours.")
    rag: Rag = Field(..., description="The worst of the EVM, milestone and quality colours.")


class PortfolioRowOut(Schema):
    id: int
    name: str
    code: str
    customer_id: int
    customer_name: str
    manager_id: int | None
    phase: Phase
    status: ProjectState
    kpi: ProjectKpiOut | None = Field(..., description="null: no snapshot yet.")


class PortfolioWorstOut(Schema):
    id: int
    name: str
    spi: KpiIndex | None
    cpi: KpiIndex | None
    rag: Rag


class PortfolioSummaryOut(Schema):
    projects: int
    red: int
    amber: int
    green: int
    no_data: int
    spi: KpiIndex | None = Field(..., description="Mean SPI of the projects that have one.")
    cpi: KpiIndex | None = Field(..., description="Mean CPI of the projects that have one.")
    milestones_due: int
    milestones_on_time: int
    milestone_rate: KpiIndex | None = Field(..., description="Σ on time ÷ Σ due.")
    deliverables_decided: int
    first_pass_rate: KpiIndex | None = Field(..., description="Σ first pass ÷ Σ decided.")
    booked_hours: Money
    available_hours: Money
    utilisation: KpiIndex | None = Field(..., description="Σ booked ÷ Σ available hours.")
    bac: Money
    ev: Money
    ac: Money
    worst_spi: list[PortfolioWorstOut]
    worst_cpi: list[PortfolioWorstOut]


class PortfolioOut(Schema):
    summary: PortfolioSummaryOut
    count: int = Field(..., description="Projects matching, at most 10,000.")
    count_capped: bool
    limit: int
    offset: int
    items: list[PortfolioRowOut]


class PortfolioFiltersIn(Schema):
    manager_id: QueryId | None = None
    customer_id: QueryId | None = None
    phase: Phase | None = None
    status: ProjectState | None = None
    rag: Rag | None = Field(None, description='"" for projects without figures yet.')
    sort: SortKey = Field("rag", description='"rag": worst first; a leading "-" reverses.')


def _kpi_out(kpi: ProjectKpi) -> dict[str, Any]:
    out = {f.attname: getattr(kpi, f.attname) for f in ProjectKpi._meta.concrete_fields}
    out["project_id"] = kpi.project_id
    return out


def _worst(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"id": r["id"], "name": r["name"], "spi": r["kpi__spi"], "cpi": r["kpi__cpi"],
         "rag": r["kpi__rag"]}
        for r in rows
    ]  # fmt: skip


@router.get("/portfolio", response=PortfolioOut)
def portfolio(
    request: HttpRequest, filters: Query[PortfolioFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    """The actor's projects with their stored KPI snapshots (refreshed by the worker after
    approvals, acceptances and baselines, and nightly), in the order of ``sort``, and the
    aggregates of all that match: counts per colour, mean SPI/CPI, milestone, first-pass
    and utilisation rates, the ten worst by SPI and by CPI."""
    chosen = selectors_kpi.PortfolioFilters(
        manager_id=filters.manager_id, customer_id=filters.customer_id,
        phase=filters.phase or "", status=filters.status or "", rag=filters.rag,
        sort=filters.sort,
    )  # fmt: skip
    summary = selectors_kpi.portfolio_summary(actor=actor(request), filters=chosen)
    rows = selectors_kpi.portfolio_page(
        actor=actor(request), filters=chosen, offset=page.offset, limit=page.limit
    )
    items = []
    for project in rows:
        kpi = getattr(project, "kpi", None)
        items.append(
            {"id": project.pk, "name": project.name, "code": project.code,
             "customer_id": project.customer_id, "customer_name": project.customer.name,
             "manager_id": project.manager_id, "phase": project.phase,
             "status": project.status, "kpi": _kpi_out(kpi) if kpi is not None else None}
        )  # fmt: skip
    return {
        "summary": {
            **summary,
            "worst_spi": _worst(summary["worst_spi"]),
            "worst_cpi": _worst(summary["worst_cpi"]),
        },
        "count": min(summary["projects"], COUNT_CAP),
        "count_capped": summary["projects"] > COUNT_CAP,
        "limit": page.limit,
        "offset": page.offset,
        "items": items,
    }


@router.get("/{project_id}/kpi", response=ProjectKpiOut)
def project_kpi(request: HttpRequest, project_id: RecordId) -> dict[str, Any]:
    """The project's stored KPIs: schedule (SPI, milestones on time), cost (CPI), quality
    (first-pass acceptance) and resource utilisation, with its colour; a project never
    computed yet answers ``computed_at: null`` and ``pending: true``."""
    project = selectors.project_get(actor=actor(request), project_id=project_id, with_members=False)
    kpi = selectors_kpi.project_kpi(project=project) or ProjectKpi(project_id=project.pk)
    return _kpi_out(kpi)
