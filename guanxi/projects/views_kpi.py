"""The portfolio dashboard (组合看板, SPEC E9): filters by manager, customer, phase, status
and colour, KPI tiles, the SPI × CPI scatter and a sortable, paged table of the projects
with their KPIs, each row leading to the project's 挣值 tab. Reads the stored snapshots
through ``selectors_kpi``; nothing is computed per request."""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from guanxi.accounts.decorators import staff_required
from guanxi.core.db.paging import COUNT_CAP, Page
from guanxi.projects import selectors, selectors_kpi
from guanxi.projects.models import KpiRag, Phase, ProjectStatus

PORTFOLIO: Final = "projects/portfolio.html"
PAGE_SIZE: Final = 25
#: points of the SPI × CPI scatter (the worst first, by colour)
SCATTER_POINTS: Final = 500
#: a stand-in id reversed once into the drill-down URL of every point
_URL_ID: Final = 987654321


def _id(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= 2**63 - 1 else None


def _filters(request: HttpRequest) -> selectors_kpi.PortfolioFilters:
    get = request.GET
    phase, status, sort = get.get("phase", ""), get.get("status", ""), get.get("sort", "rag")
    rag = get.get("rag")
    return selectors_kpi.PortfolioFilters(
        manager_id=_id(get.get("manager")),
        customer_id=_id(get.get("customer")),
        phase=phase if phase in Phase.values else "",
        status=status if status in ProjectStatus.values else "",
        rag=rag if rag in ("green", "amber", "red", "none") else None,
        sort=sort if sort.lstrip("-") in selectors_kpi.SORTS else "rag",
    )


def _query(filters: selectors_kpi.PortfolioFilters, **override: Any) -> str:
    params = {
        "manager": filters.manager_id or "",
        "customer": filters.customer_id or "",
        "phase": filters.phase,
        "status": filters.status,
        "rag": filters.rag or "",
        "sort": filters.sort,
        **override,
    }
    return urlencode({k: v for k, v in params.items() if v not in ("", None)})


@require_GET
@staff_required
def portfolio(request: HttpRequest) -> HttpResponse:
    if not selectors.can_use(request.user):
        raise DjangoPermissionDenied
    filters = _filters(request)
    # "none" in the URL: projects without figures yet (the selectors' empty colour).
    chosen = selectors_kpi.PortfolioFilters(
        **{**filters.__dict__, "rag": "" if filters.rag == "none" else filters.rag}
    )
    try:
        page_number = max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        page_number = 1
    summary = selectors_kpi.portfolio_summary(actor=request.user, filters=chosen)
    total = min(summary["projects"], COUNT_CAP)
    page = Page(
        items=selectors_kpi.portfolio_page(
            actor=request.user, filters=chosen, offset=(page_number - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        ),
        number=page_number, size=PAGE_SIZE, count=total,
        count_capped=summary["projects"] > COUNT_CAP,
    )  # fmt: skip
    # One URL reversed for all the points: reversing it per point was a tenth of the page.
    evm_url = reverse("projects:evm", args=[_URL_ID])
    scatter = [
        {"id": pk, "name": name, "spi": str(spi), "cpi": str(cpi), "rag": rag,
         "url": evm_url.replace(str(_URL_ID), str(pk))}
        for pk, name, spi, cpi, rag in selectors_kpi.portfolio_points(
            actor=request.user, filters=chosen, limit=SCATTER_POINTS
        )
    ]  # fmt: skip
    sort_key = filters.sort.lstrip("-")
    columns = []
    for key in ("name", "rag", "spi", "cpi", "milestones", "quality", "utilisation"):
        descending = filters.sort == key
        columns.append(
            {"key": key, "active": sort_key == key, "descending": filters.sort.startswith("-"),
             "query": _query(filters, sort=f"-{key}" if descending else key, page="")}
        )  # fmt: skip
    return render(
        request,
        PORTFOLIO,
        {
            "filters": filters,
            "summary": summary,
            "page": page,
            "scatter": scatter,
            "columns": {c["key"]: c for c in columns},
            "choices": selectors_kpi.portfolio_choices(actor=request.user),
            "phases": Phase.choices,
            "statuses": ProjectStatus.choices,
            "rags": [(c.value or "none", c.label) for c in KpiRag],
            "rag_queries": {
                colour: _query(filters, rag=colour, page="")
                for colour in ("red", "amber", "green", "none")
            },
            "previous_query": _query(filters, page=page.number - 1),
            "next_query": _query(filters, page=page.number + 1),
        },
    )
