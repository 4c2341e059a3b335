"""The sales REST API (``/api/v1/``): pipelines, opportunities (CRUD, move, win/lose,
activities) and leads (create, duplicate check, convert). Thin over selectors/services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Query, Status

from guanxi.accounts import permissions
from guanxi.core.api.bases import (
    PageIn,
    PageOut,
    RecordId,
    StaffRouter,
    actor,
    page_response,
    sent_fields,
)
from guanxi.core.errors import NotFound
from guanxi.sales import scoring, selectors
from guanxi.sales.api_forecast import router as forecast_router
from guanxi.sales.pool.api import router as pool_router
from guanxi.sales.schemas import (
    ActivityIn,
    ActivityOut,
    DuplicateOut,
    LeadConvertIn,
    LeadCreateIn,
    LeadOut,
    LoseIn,
    MoveIn,
    OpportunityCreateIn,
    OpportunityFiltersIn,
    OpportunityOut,
    OpportunityUpdateIn,
    PipelineOut,
    VersionIn,
    WinScoreOut,
)
from guanxi.sales.services import leads as lead_services
from guanxi.sales.services import opportunities as services

router = StaffRouter(
    tags=["sales"],
    allow=permissions.is_staff_actor,
    message=gettext_lazy("客户门户用户无权使用员工端 API。"),
)

# The public pool (公海池): /api/v1/sales/pools/…
router.add_router("/pools", pool_router)
router.add_router("", forecast_router)  # /forecast, /targets, /opportunities/{id}/forecast


@router.get("/pipelines", response=list[PipelineOut])
def pipeline_list(request: HttpRequest) -> Any:
    return list(selectors.pipelines(actor=actor(request)).prefetch_related("stages"))


@router.get("/opportunities", response=PageOut[OpportunityOut])
def opportunity_list(
    request: HttpRequest, filters: Query[OpportunityFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    """The opportunities the actor may see (owner / department scope), newest first."""
    parsed = selectors.OpportunityFilters(**filters.model_dump())
    qs = selectors.filter_opportunities(
        selectors.scoped_opportunities(actor=actor(request)), parsed
    )
    return page_response(qs.order_by("-created_at", "-id"), page)


@router.post("/opportunities", response={201: OpportunityOut})
def opportunity_create(request: HttpRequest, payload: OpportunityCreateIn) -> Status[Any]:
    data = payload.model_dump(exclude_unset=True)
    keys = ("customer_id", "pipeline_id", "stage_id", "owner_id", "lines")
    args = {k: data.pop(k) for k in keys if k in data}
    if data.get("amount") is None:
        data.pop("amount", None)
    opportunity = services.opportunity_create(
        actor=actor(request),
        customer_id=args["customer_id"],
        pipeline_id=args.get("pipeline_id"),
        stage_id=args.get("stage_id"),
        owner_id=args.get("owner_id"),
        lines=args.get("lines", []),
        data=data,
    )
    return Status(201, opportunity)


@router.get("/opportunities/{opportunity_id}", response=OpportunityOut)
def opportunity_detail(request: HttpRequest, opportunity_id: RecordId) -> Any:
    return selectors.opportunity_get(actor=actor(request), opportunity_id=opportunity_id)


@router.get("/opportunities/{opportunity_id}/score", response=WinScoreOut)
def opportunity_score(request: HttpRequest, opportunity_id: RecordId) -> Any:
    """The win score with its top three reasons (404 for a closed opportunity: it has
    none)."""
    opportunity = selectors.opportunity_get(actor=actor(request), opportunity_id=opportunity_id)
    score = scoring.score_of(opportunity)
    if score is None:
        raise NotFound(_("已关闭的商机没有赢率评分。"))
    return {
        "opportunity_id": opportunity.pk,
        "probability": round(score.probability, 4),
        "percent": score.percent,
        "source": score.source,
        "reasons": [
            {
                "feature": r.feature,
                "effect": "raises" if r.raises else "lowers",
                "weight": round(r.weight, 4),
                "text": r.text,
            }
            for r in score.reasons
        ],
        "note": score.note,
        "model_id": score.model_id,
    }


@router.patch("/opportunities/{opportunity_id}", response=OpportunityOut)
def opportunity_update(
    request: HttpRequest, opportunity_id: RecordId, payload: OpportunityUpdateIn
) -> Any:
    data = sent_fields(payload)
    version = data.pop("version")
    owner_id = data.pop("owner_id", None)
    return services.opportunity_update(
        actor=actor(request), opportunity_id=opportunity_id, data=data, version=version,
        owner_id=owner_id,
    )  # fmt: skip


@router.post("/opportunities/{opportunity_id}/move", response=OpportunityOut)
def opportunity_move(request: HttpRequest, opportunity_id: RecordId, payload: MoveIn) -> Any:
    """Put the card at ``index`` of ``stage_id``'s column; 409 when ``version`` is stale."""
    return services.opportunity_move(
        actor=actor(request), opportunity_id=opportunity_id, stage_id=payload.stage_id,
        index=payload.index, version=payload.version,
    )  # fmt: skip


@router.post("/opportunities/{opportunity_id}/win", response=OpportunityOut)
def opportunity_win(request: HttpRequest, opportunity_id: RecordId, payload: VersionIn) -> Any:
    return services.opportunity_win(
        actor=actor(request), opportunity_id=opportunity_id, version=payload.version
    )


@router.post("/opportunities/{opportunity_id}/lose", response=OpportunityOut)
def opportunity_lose(request: HttpRequest, opportunity_id: RecordId, payload: LoseIn) -> Any:
    """Lost (or, with ``invalid``, invalid) with a reason code."""
    return services.opportunity_lose(
        actor=actor(request), opportunity_id=opportunity_id, version=payload.version,
        reason=payload.reason, note=payload.note, invalid=payload.invalid,
    )  # fmt: skip


@router.post("/opportunities/{opportunity_id}/activities", response={201: ActivityOut})
def activity_create(
    request: HttpRequest, opportunity_id: RecordId, payload: ActivityIn
) -> Status[Any]:
    activity = services.activity_create(
        actor=actor(request), opportunity_id=opportunity_id, data=payload.model_dump()
    )
    return Status(201, activity)


@router.get("/leads", response=PageOut[LeadOut])
def lead_list(request: HttpRequest, page: Query[PageIn], status: str = "") -> dict[str, Any]:
    return page_response(selectors.lead_list(actor=actor(request), status=status[:20]), page)


@router.post("/leads", response={201: LeadOut})
def lead_create(request: HttpRequest, payload: LeadCreateIn) -> Status[Any]:
    """Assigned by the assignment rules unless ``owner_id`` is given."""
    data = payload.model_dump()
    source, owner_id = data.pop("source"), data.pop("owner_id")
    lead = lead_services.lead_create(
        actor=actor(request), data=data, source=source, owner_id=owner_id
    )
    return Status(201, lead)


@router.get("/leads/duplicates", response=list[DuplicateOut])
def lead_duplicate_check(
    request: HttpRequest, name: str = "", company: str = "", phone: str = "", email: str = ""
) -> Any:
    """Customers (and their contacts) and leads that look like the same company/person."""
    hits = lead_services.lead_duplicates(
        actor=actor(request), name=name[:100], company=company[:200], phone=phone[:40],
        email=email[:254],
    )  # fmt: skip
    return [
        {"kind": h.kind, "id": h.id if h.visible else None,
         "name": h.name if h.visible else None, "by": h.by}
        for h in hits
    ]  # fmt: skip


@router.get("/leads/{lead_id}", response=LeadOut)
def lead_detail(request: HttpRequest, lead_id: RecordId) -> Any:
    return selectors.lead_get(actor=actor(request), lead_id=lead_id)


@router.post("/leads/{lead_id}/convert", response=LeadOut)
def lead_convert(request: HttpRequest, lead_id: RecordId, payload: LeadConvertIn) -> Any:
    opportunity: dict[str, Any] | None = None
    if payload.create_opportunity:
        opportunity = {}
        if payload.opportunity_name:
            opportunity["name"] = payload.opportunity_name
        if payload.amount is not None:
            opportunity["amount"] = payload.amount
    return lead_services.lead_convert(
        actor=actor(request), lead_id=lead_id, version=payload.version,
        customer_id=payload.customer_id, opportunity=opportunity,
        duplicate_reason=payload.duplicate_reason,
    )  # fmt: skip
