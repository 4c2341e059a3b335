"""The projects API's risk register, closure and lessons operations (issue 15 items 4, 6),
mounted under ``/api/v1/projects/`` by ``api.py``: risks (create, list — one heat-map
cell too —, read, edit), draws on a risk's contingency reserve, the 5×5 heat map, the
closure with lessons and the customer's evaluation, and the lessons search across the
projects the caller reads. Thin over ``selectors_risks`` and ``services.risks`` /
``services.closure``; a project out of scope is a 404 like a missing one."""

# mypy: disable-error-code="assignment"

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Schema, Status
from pydantic import StrictStr

from guanxi.core.api.bases import (
    Date,
    InputSchema,
    Int,
    MoneyIn,
    PageIn,
    PageOut,
    RecordId,
    StaffRouter,
    actor,
    page_response,
    sent_fields,
)
from guanxi.core.api.bases import Id as UserId
from guanxi.core.api.bases import Money as MoneyOut
from guanxi.core.errors import NotFound
from guanxi.core.money import MAX_AMOUNT
from guanxi.projects import selectors, selectors_risks
from guanxi.projects.services import closure as closure_services
from guanxi.projects.services import risks as services

router = StaffRouter(
    tags=["projects"],
    allow=selectors.can_use,
    message=gettext_lazy("你的角色不能使用项目。"),
)

RiskState = Literal["open", "mitigating", "occurred", "closed"]
RiskKind = Literal[
    "schedule", "cost", "quality", "scope", "customer", "resource", "technical", "other"
]
LessonKind = Literal["went_well", "to_change"]
Level = Annotated[Int, Field(ge=1, le=5)]
Version = Annotated[Int, Field(ge=1, le=2**31 - 1)]
Title = Annotated[StrictStr, Field(min_length=1, max_length=200)]
Text500 = Annotated[StrictStr, Field(max_length=500)]
Text2000 = Annotated[StrictStr, Field(max_length=2000)]
Text4000 = Annotated[StrictStr, Field(max_length=4000)]
Text8000 = Annotated[StrictStr, Field(max_length=8000)]
PositiveMoney = Annotated[Decimal, Field(gt=0, le=MAX_AMOUNT, max_digits=14, decimal_places=2)]


class RiskOut(Schema):
    id: int
    project_id: int
    number: int
    title: str
    description: str
    category: RiskKind
    probability: int
    impact: int
    score: int
    owner_id: int | None
    triggers: str
    mitigation: str
    contingency_plan: str
    contingency_budget: MoneyOut
    reserve_used: MoneyOut
    reserve_left: MoneyOut
    status: RiskState
    signal: str
    signal_text: str
    review_date: dt.date | None
    created_at: dt.datetime
    version: int


class RiskFiltersIn(Schema):
    status: RiskState | None = None
    probability: int | None = Field(None, ge=1, le=5)
    impact: int | None = Field(None, ge=1, le=5)
    open_only: bool = False


class RiskCreateIn(InputSchema):
    title: Title
    description: Text4000 = ""
    category: RiskKind = "other"
    probability: Level = 3
    impact: Level = 3
    owner_id: UserId | None = None
    triggers: Text2000 = ""
    mitigation: Text4000 = ""
    contingency_plan: Text4000 = ""
    contingency_budget: MoneyIn = Decimal("0")
    status: RiskState = "open"
    review_date: Date | None = None


class RiskUpdateIn(InputSchema):
    version: Version
    title: Title = None
    description: Text4000 = None
    category: RiskKind = None
    probability: Level = None
    impact: Level = None
    owner_id: UserId | None = None
    triggers: Text2000 = None
    mitigation: Text4000 = None
    contingency_plan: Text4000 = None
    contingency_budget: MoneyIn = None
    status: RiskState = None
    review_date: Date | None = None


class RiskDrawIn(InputSchema):
    amount: PositiveMoney
    date: Date | None = None
    note: Text500 = ""


class RiskDrawOut(Schema):
    id: int
    risk_id: int
    amount: MoneyOut
    date: dt.date
    note: str
    created_by_id: int | None


class RiskHeatCellOut(Schema):
    probability: int
    impact: int
    score: int
    level: Literal["low", "medium", "high"]
    count: int


class RiskHeatMapOut(Schema):
    rows: list[list[RiskHeatCellOut]] = Field(
        ..., description="Impact 5 (top row) to 1; probability 1 to 5 in each row."
    )
    open_risks: int
    reserve_budget: MoneyOut
    reserve_used: MoneyOut
    reserve_left: MoneyOut


class ProjectLessonIn(InputSchema):
    category: LessonKind
    text: Annotated[StrictStr, Field(min_length=1, max_length=4000)]
    tags: Annotated[StrictStr, Field(max_length=200)] = ""


class ProjectLessonOut(Schema):
    id: int
    project_id: int
    project_name: str
    category: LessonKind
    text: str
    tags: str
    created_at: dt.datetime

    @staticmethod
    def resolve_project_name(obj: Any) -> str:
        return str(obj.project.name)


class ProjectLessonFiltersIn(Schema):
    q: str = Field("", max_length=100)
    category: LessonKind | None = None


class ProjectClosureEvaluationIn(InputSchema):
    score: Level
    comment: Text2000 = ""


class ProjectClosureIn(InputSchema):
    version: Version
    summary: Text8000 = ""
    force_reason: Text500 = ""
    lessons: list[ProjectLessonIn] = Field(default_factory=list, max_length=50)
    evaluation: ProjectClosureEvaluationIn | None = None


class ProjectClosureOut(Schema):
    id: int
    project_id: int
    closed_at: dt.datetime
    closed_by_id: int | None
    summary: str
    forced_reason: str
    open_tasks: int
    actual_cost: MoneyOut
    budget: MoneyOut
    evaluation_score: int | None
    evaluation_comment: str
    evaluation_source: str
    evaluated_at: dt.datetime | None
    follow_up_id: int | None


def _project(request: HttpRequest, project_id: int) -> Any:
    return selectors.project_get(actor=actor(request), project_id=project_id, with_members=False)


# --- risks ---------------------------------------------------------------------------------


@router.get("/{project_id}/risks", response=PageOut[RiskOut])
def risk_list(
    request: HttpRequest, project_id: RecordId, filters: Query[RiskFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    """The project's risks, highest score first; ``probability`` + ``impact`` give one
    heat-map cell."""
    qs = selectors_risks.risk_list(
        project=_project(request, project_id), status=filters.status or "",
        probability=filters.probability, impact=filters.impact, open_only=filters.open_only,
    )  # fmt: skip
    return page_response(qs, page)


@router.post("/{project_id}/risks", response={201: RiskOut})
def risk_create(request: HttpRequest, project_id: RecordId, payload: RiskCreateIn) -> Status[Any]:
    """A risk; its score is probability × impact."""
    data = payload.model_dump()
    risk = services.risk_create(actor=actor(request), project_id=project_id, data=data)
    return Status(201, risk)


@router.get("/{project_id}/risks/{risk_id}", response=RiskOut)
def risk_detail(request: HttpRequest, project_id: RecordId, risk_id: RecordId) -> Any:
    return selectors_risks.risk_get(project=_project(request, project_id), risk_id=risk_id)


@router.patch("/{project_id}/risks/{risk_id}", response=RiskOut)
def risk_update(
    request: HttpRequest, project_id: RecordId, risk_id: RecordId, payload: RiskUpdateIn
) -> Any:
    """Edit a risk; a stale ``version`` is a 409, a budget below what was drawn a 422."""
    data = sent_fields(payload)
    version = data.pop("version")
    return services.risk_update(
        actor=actor(request), project_id=project_id, risk_id=risk_id, data=data, version=version
    )


@router.get("/{project_id}/risks/{risk_id}/draws", response=list[RiskDrawOut])
def risk_draw_list(request: HttpRequest, project_id: RecordId, risk_id: RecordId) -> list[Any]:
    risk = selectors_risks.risk_get(project=_project(request, project_id), risk_id=risk_id)
    return list(selectors_risks.risk_draws(risk=risk))


@router.post("/{project_id}/risks/{risk_id}/draws", response={201: RiskDrawOut})
def risk_draw_create(
    request: HttpRequest, project_id: RecordId, risk_id: RecordId, payload: RiskDrawIn
) -> Status[Any]:
    """Draw on the risk's contingency reserve: more than is left is a 422 naming ``amount``."""
    draw = services.reserve_draw(
        actor=actor(request), project_id=project_id, risk_id=risk_id, amount=payload.amount,
        date=payload.date, note=payload.note,
    )  # fmt: skip
    return Status(201, draw)


@router.get("/{project_id}/risk-heatmap", response=RiskHeatMapOut)
def risk_heat_map(request: HttpRequest, project_id: RecordId) -> dict[str, Any]:
    """Open (not closed) risks counted per probability × impact cell, and the reserve."""
    project = _project(request, project_id)
    rows = selectors_risks.heat_map(project=project)
    reserve = selectors_risks.reserve_summary(project=project)
    return {
        "rows": [
            [
                {
                    "probability": c.probability,
                    "impact": c.impact,
                    "score": c.score,
                    "level": c.level,
                    "count": c.count,
                }
                for c in row
            ]
            for row in rows
        ],
        "open_risks": sum(c.count for row in rows for c in row),
        "reserve_budget": reserve.budget,
        "reserve_used": reserve.used,
        "reserve_left": reserve.left,
    }


# --- closure and lessons -------------------------------------------------------------------


@router.get("/{project_id}/closure", response={200: ProjectClosureOut})
def closure_detail(request: HttpRequest, project_id: RecordId) -> Any:
    """The project's closure record (404 while it is not closed)."""
    closure = selectors_risks.closure_get(project=_project(request, project_id))
    if closure is None:
        raise NotFound(_("该项目尚未结项。"), field="project_id")
    return closure


@router.post("/{project_id}/closure", response={201: ProjectClosureOut})
def closure_create(
    request: HttpRequest, project_id: RecordId, payload: ProjectClosureIn
) -> Status[Any]:
    """Close the project from its last phase: open tasks are a 422 naming ``force_reason``
    unless one is given; a second closure is a 409. Plans the account manager's follow-up
    visit and records lessons and the customer's evaluation when sent."""
    closure = closure_services.close_project(
        actor=actor(request), project_id=project_id, summary=payload.summary,
        lessons=[lesson.model_dump() for lesson in payload.lessons],
        evaluation=payload.evaluation.model_dump() if payload.evaluation else None,
        force_reason=payload.force_reason, version=payload.version,
    )  # fmt: skip
    return Status(201, closure)


@router.post("/{project_id}/closure/evaluation", response=ProjectClosureOut)
def closure_evaluation(
    request: HttpRequest, project_id: RecordId, payload: ProjectClosureEvaluationIn
) -> Any:
    """The customer's evaluation of the team, recorded on their behalf (once: 409 after)."""
    return closure_services.closure_evaluate(
        actor=actor(request), project_id=project_id, score=payload.score, comment=payload.comment
    )


@router.get("/{project_id}/lessons", response=list[ProjectLessonOut])
def lesson_list(request: HttpRequest, project_id: RecordId) -> list[Any]:
    project = _project(request, project_id)
    return list(selectors_risks.lesson_search(actor=actor(request)).filter(project=project))


@router.post("/{project_id}/lessons", response={201: ProjectLessonOut})
def lesson_create(
    request: HttpRequest, project_id: RecordId, payload: ProjectLessonIn
) -> Status[Any]:
    lesson = services.lesson_add(
        actor=actor(request), project_id=project_id, category=payload.category,
        text=payload.text, tags=payload.tags,
    )  # fmt: skip
    return Status(201, lesson)


@router.get("/lessons/search", response=PageOut[ProjectLessonOut])
def lesson_search(
    request: HttpRequest, filters: Query[ProjectLessonFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    """Lessons learned across the projects the caller reads; ``q`` matches text, tags and
    project name, also by pinyin or initials."""
    qs = selectors_risks.lesson_search(
        actor=actor(request), query=filters.q, category=filters.category or ""
    )
    return page_response(qs, page)
