"""Reads of the risk register, the closure and the lessons learned. A project is first
resolved by ``selectors.project_get`` (scoped by the actor: 404 outside it); the lessons
search reads across the projects the actor reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from guanxi.core.errors import NotFound
from guanxi.core.text.pinyin import normalize_query
from guanxi.projects import selectors
from guanxi.projects.models import (
    RISK_SCALE,
    LessonLearned,
    Project,
    ProjectClosure,
    Risk,
    RiskReserveDraw,
    RiskStatus,
    Task,
    TaskStatus,
)

__all__ = [
    "HeatCell",
    "ReserveSummary",
    "closure_get",
    "heat_map",
    "heat_map_from",
    "lesson_search",
    "open_task_count",
    "reserve_summary",
    "risk_draws",
    "risk_get",
    "risk_list",
]

MAX_QUERY = 100


def risk_list(
    *,
    project: Project,
    status: str = "",
    probability: int | None = None,
    impact: int | None = None,
    open_only: bool = False,
) -> QuerySet[Risk]:
    """The risks of a project the caller resolved with ``project_get``, highest score
    first; ``probability`` and ``impact`` filter to one heat-map cell."""
    qs = Risk.objects.filter(project=project).select_related("owner")
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.exclude(status=RiskStatus.CLOSED)
    if probability is not None:
        qs = qs.filter(probability=probability)
    if impact is not None:
        qs = qs.filter(impact=impact)
    return qs.order_by("-score", "number")


def risk_get(*, project: Project, risk_id: Any) -> Risk:
    try:
        return Risk.objects.select_related("owner").get(project=project, pk=risk_id)
    except (Risk.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("风险不存在。"), field="risk_id") from None


def risk_draws(*, risk: Risk) -> QuerySet[RiskReserveDraw]:
    return (
        RiskReserveDraw.objects.filter(risk=risk)
        .select_related("created_by")
        .order_by("date", "id")
    )


@dataclass(frozen=True)
class HeatCell:
    probability: int
    impact: int
    count: int

    @property
    def score(self) -> int:
        return self.probability * self.impact

    @property
    def level(self) -> str:
        """The cell's band: high from 15, medium from 6 (the usual 5×5 matrix)."""
        return "high" if self.score >= 15 else "medium" if self.score >= 6 else "low"


def heat_map_from(pairs: Iterable[tuple[int, int, int]]) -> list[list[HeatCell]]:
    """Rows of the 5×5 map from (probability, impact, count): impact 5 at the top,
    probability 1–5 left to right; every cell present, empty ones with 0."""
    counts = {(p, i): n for p, i, n in pairs}
    return [
        [HeatCell(p, i, counts.get((p, i), 0)) for p in RISK_SCALE] for i in reversed(RISK_SCALE)
    ]


def heat_map(*, project: Project) -> list[list[HeatCell]]:
    """The open (not closed) risks of the project counted per cell, one query."""
    rows = (
        Risk.objects.filter(project=project)
        .exclude(status=RiskStatus.CLOSED)
        .values("probability", "impact")
        .annotate(n=Count("id"))
        .order_by()
    )
    return heat_map_from((row["probability"], row["impact"], row["n"]) for row in rows)


@dataclass(frozen=True)
class ReserveSummary:
    budget: Decimal
    used: Decimal

    @property
    def left(self) -> Decimal:
        return self.budget - self.used


def reserve_summary(*, project: Project) -> ReserveSummary:
    totals = Risk.objects.filter(project=project).aggregate(
        budget=Sum("contingency_budget"), used=Sum("reserve_used")
    )
    return ReserveSummary(
        budget=Decimal(totals["budget"] or 0).quantize(Decimal("0.01")),
        used=Decimal(totals["used"] or 0).quantize(Decimal("0.01")),
    )


def closure_get(*, project: Project) -> ProjectClosure | None:
    return (
        ProjectClosure.objects.select_related("closed_by", "evaluated_by", "follow_up")
        .filter(project=project)
        .first()
    )


def open_task_count(*, project: Project) -> int:
    return (
        Task.objects.filter(project=project, is_summary=False)
        .exclude(status=TaskStatus.DONE)
        .count()
    )


def lesson_search(*, actor: Any, query: str = "", category: str = "") -> QuerySet[LessonLearned]:
    """Lessons learned of the projects the actor reads, newest first. ``query`` matches
    the text, the tags, the project's name, and their pinyin or initials."""
    qs = LessonLearned.objects.select_related("project", "project__customer")
    q = selectors.project_filter(actor)
    if q is not None:
        qs = qs.filter(project__in=Project.objects.filter(q).values("pk"))
    if category:
        qs = qs.filter(category=category)
    text = normalize_query(query or "")[:MAX_QUERY]
    if text:
        qs = qs.filter(
            Q(text__icontains=text) | Q(tags__icontains=text) | Q(search_text__icontains=text)
        )
    return qs.order_by("-created_at", "-id")
