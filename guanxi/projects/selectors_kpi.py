"""Project and portfolio KPIs (SPEC E9): the figures of one project, computed from its
earned value (``selectors_evm``, no EVM maths here), its baseline's milestones, its
deliverables' acceptance rounds and its team's booked hours; and the portfolio dashboard,
which aggregates the stored snapshots (``ProjectKpi``) in the database, scoped by the
viewer (``selectors.scope``).

The four KPIs of a project, at the end of the status date:

* **schedule** — SPI = EV ÷ PV, and the milestones of the current baseline due by the
  status date (baseline finish ≤ date) finished on or before their baseline finish ÷ those
  due. A task records no finish time of its own, so a done milestone counts as finished
  on the day it was last changed (marking it done is, in practice, its last change);
* **cost** — CPI = EV ÷ AC;
* **quality** — first-pass acceptance: deliverables accepted in round 1 ÷ deliverables
  whose round 1 was decided (accepted or rejected);
* **resources** — booked hours (submitted or approved) of the team's members over the
  last ``PERIOD_DAYS`` days (from the project's start at the earliest) ÷ their available
  hours: allocation % × 8 h × working days of the period.

The overall colour is the worst of the EVM colour (the project's own SPI/CPI thresholds)
and the colours of the two rates (amber below ``RATE_AMBER``, red below ``RATE_RED``).
Utilisation is shown, not coloured: too low and too high are both a concern.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.utils import timezone

from guanxi.accounts.models import User
from guanxi.core import calendar
from guanxi.customers.models import Customer
from guanxi.projects import selectors, selectors_evm
from guanxi.projects.load import HOURS_PER_DAY
from guanxi.projects.models import (
    RAG_RANK,
    BaselineTask,
    DeliverableReview,
    Project,
    ProjectKpi,
    ProjectMember,
    ReviewDecision,
    TaskStatus,
    TimeEntry,
    TimeStatus,
)

__all__ = [
    "PERIOD_DAYS",
    "SORTS",
    "KpiFigures",
    "PortfolioFilters",
    "compute_figures",
    "portfolio_choices",
    "portfolio_page",
    "portfolio_points",
    "portfolio_projects",
    "portfolio_summary",
    "project_kpi",
]

ZERO: Final = Decimal("0")
INDEX: Final = Decimal("0.0001")
PERIOD_DAYS: Final = 28
RATE_AMBER: Final = Decimal("0.90")
RATE_RED: Final = Decimal("0.75")
WORST_COUNT: Final = 10


def _ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(INDEX, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class KpiFigures:
    status_date: dt.date
    has_baseline: bool
    bac: Decimal
    pv: Decimal
    ev: Decimal
    ac: Decimal
    spi: Decimal | None
    cpi: Decimal | None
    evm_rag: str
    milestones_due: int
    milestones_on_time: int
    milestone_rate: Decimal | None
    deliverables_decided: int
    deliverables_first_pass: int
    first_pass_rate: Decimal | None
    period_start: dt.date | None
    booked_hours: Decimal
    available_hours: Decimal
    utilisation: Decimal | None
    rag: str

    def as_fields(self) -> dict[str, Any]:
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields["rag_rank"] = RAG_RANK[self.rag]
        return fields


def rate_rag(rate: Decimal | None) -> str:
    if rate is None:
        return ""
    return "red" if rate < RATE_RED else "amber" if rate < RATE_AMBER else "green"


def overall_rag(*colours: str) -> str:
    ranked = [RAG_RANK[c] for c in colours if c]
    if not ranked:
        return ""
    worst = max(ranked)
    return next(colour for colour, rank in RAG_RANK.items() if rank == worst)


def milestone_counts(baseline_id: int | None, status_date: dt.date) -> tuple[int, int]:
    """(due, on time) of the baseline's milestones by ``status_date`` (one query)."""
    if baseline_id is None:
        return 0, 0
    due = on_time = 0
    rows = BaselineTask.objects.filter(
        baseline_id=baseline_id, milestone=True, is_summary=False, finish__lte=status_date
    ).values_list("finish", "task__status", "task__progress", "task__updated_at")
    for finish, status, progress, changed in rows:
        due += 1
        done = status == TaskStatus.DONE or (progress or 0) >= 100
        if (
            done
            and changed is not None
            and finish is not None
            and (timezone.localdate(changed) <= finish)
        ):
            on_time += 1
    return due, on_time


def acceptance_counts(project_id: int) -> tuple[int, int]:
    """(decided, accepted) first submissions of the project's deliverables (one query)."""
    found = (
        DeliverableReview.objects.filter(deliverable__project_id=project_id, round=1)
        .exclude(decision=ReviewDecision.PENDING)
        .aggregate(
            decided=Count("id"), accepted=Count("id", filter=Q(decision=ReviewDecision.ACCEPTED))
        )
    )
    return int(found["decided"] or 0), int(found["accepted"] or 0)


def _working_days(first: dt.date, last: dt.date) -> int:
    count, day = 0, first
    while day <= last:
        count += calendar.is_working_day(day)
        day += dt.timedelta(days=1)
    return count


def utilisation_hours(
    project: Project, status_date: dt.date
) -> tuple[dt.date | None, Decimal, Decimal]:
    """(period start, booked, available) hours of the members (two queries)."""
    start = max(project.start_date, status_date - dt.timedelta(days=PERIOD_DAYS - 1))
    if start > status_date:
        return None, ZERO, ZERO
    members = dict(
        ProjectMember.objects.filter(project_id=project.pk).values_list("user_id", "allocation")
    )
    if not members:
        return start, ZERO, ZERO
    days = _working_days(start, status_date)
    available = sum(
        (HOURS_PER_DAY * days * Decimal(allocation) / 100 for allocation in members.values()),
        ZERO,
    ).quantize(Decimal("0.01"))
    booked = (
        TimeEntry.objects.filter(
            project_id=project.pk,
            user_id__in=list(members),
            date__range=(start, status_date),
            status__in=[TimeStatus.SUBMITTED, TimeStatus.APPROVED],
        ).aggregate(total=Sum("hours"))["total"]
        or ZERO
    )
    return start, Decimal(booked), available


def compute_figures(*, project: Project, status_date: dt.date | None = None) -> KpiFigures:
    """The project's KPIs at the end of ``status_date`` (today by default)."""
    status_date = status_date or selectors_evm.today()
    result = selectors_evm.evm_result(project=project, status_date=status_date)
    figures = result.figures
    due, on_time = milestone_counts(
        result.baseline.pk if result.baseline is not None else None, status_date
    )
    decided, first_pass = acceptance_counts(project.pk)
    period_start, booked, available = utilisation_hours(project, status_date)
    milestone_rate = _ratio(on_time, due)
    first_pass_rate = _ratio(first_pass, decided)
    evm_rag = figures.rag if figures is not None else ""
    return KpiFigures(
        status_date=status_date,
        has_baseline=result.baseline is not None,
        bac=figures.bac if figures else ZERO,
        pv=figures.pv if figures else ZERO,
        ev=figures.ev if figures else ZERO,
        ac=figures.ac if figures else sum(result.ac_by_day.values(), ZERO),
        spi=figures.spi if figures else None,
        cpi=figures.cpi if figures else None,
        evm_rag=evm_rag,
        milestones_due=due,
        milestones_on_time=on_time,
        milestone_rate=milestone_rate,
        deliverables_decided=decided,
        deliverables_first_pass=first_pass,
        first_pass_rate=first_pass_rate,
        period_start=period_start,
        booked_hours=booked,
        available_hours=available,
        utilisation=_ratio(booked, available),
        rag=overall_rag(evm_rag, rate_rag(milestone_rate), rate_rag(first_pass_rate)),
    )


def project_kpi(*, project: Project) -> ProjectKpi | None:
    """The stored snapshot of a project the caller resolved with ``project_get``."""
    return ProjectKpi.objects.filter(project_id=project.pk).first()


# --- the portfolio ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioFilters:
    manager_id: int | None = None
    customer_id: int | None = None
    phase: str = ""
    status: str = ""
    rag: str | None = None  # None: any; "": no data yet
    sort: str = "rag"


def _asc(name: str) -> Any:
    return F(name).asc(nulls_last=True)


def _desc(name: str) -> Any:
    return F(name).desc(nulls_last=True)


#: sort key → ordering (a leading "-" in the request reverses it; ties by name, then id)
SORTS: Final[Mapping[str, tuple[Any, ...]]] = {
    "rag": (_desc("kpi__rag_rank"), _asc("kpi__spi")),
    "name": (_asc("name"),),
    "spi": (_asc("kpi__spi"),),
    "cpi": (_asc("kpi__cpi"),),
    "milestones": (_asc("kpi__milestone_rate"),),
    "quality": (_asc("kpi__first_pass_rate"),),
    "utilisation": (_asc("kpi__utilisation"),),
    "finish": (_asc("scheduled_finish"),),
}
_REVERSED: Final[Mapping[str, tuple[Any, ...]]] = {
    "rag": (_asc("kpi__rag_rank"), _desc("kpi__spi")),
    "name": (_desc("name"),),
    "spi": (_desc("kpi__spi"),),
    "cpi": (_desc("kpi__cpi"),),
    "milestones": (_desc("kpi__milestone_rate"),),
    "quality": (_desc("kpi__first_pass_rate"),),
    "utilisation": (_desc("kpi__utilisation"),),
    "finish": (_desc("scheduled_finish"),),
}


def _filtered(actor: Any, filters: PortfolioFilters) -> QuerySet[Project]:
    qs = selectors.scope(actor, Project.objects.all())
    if filters.manager_id is not None:
        qs = qs.filter(manager_id=filters.manager_id)
    if filters.customer_id is not None:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.phase:
        qs = qs.filter(phase=filters.phase)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.rag is not None:
        qs = (
            qs.filter(kpi__rag=filters.rag)
            if filters.rag
            else qs.filter(Q(kpi__isnull=True) | Q(kpi__rag=""))
        )
    return qs


_ROW_FIELDS: Final = (
    "id", "name", "code", "phase", "status", "scheduled_finish", "customer_id", "manager_id",
    "customer__name", "manager__username", "manager__display_name", "manager__first_name",
    "manager__last_name",
    *[f"kpi__{f.name}" for f in ProjectKpi._meta.concrete_fields if f.name != "project"],
)  # fmt: skip


def _ordering(filters: PortfolioFilters) -> tuple[Any, ...]:
    key = filters.sort.lstrip("-")
    orders = (_REVERSED if filters.sort.startswith("-") else SORTS).get(key, SORTS["rag"])
    return (*orders, "name", "id")


def portfolio_projects(*, actor: Any, filters: PortfolioFilters) -> QuerySet[Project]:
    """The projects of the dashboard's table with their snapshot (``project.kpi``, or
    none yet), in the chosen order. For one page, :func:`portfolio_page` is cheaper."""
    return (
        _filtered(actor, filters)
        .select_related("kpi", "customer", "manager")
        .only(*_ROW_FIELDS)
        .order_by(*_ordering(filters))
    )


def portfolio_page(
    *, actor: Any, filters: PortfolioFilters, offset: int, limit: int
) -> list[Project]:
    """One page of :func:`portfolio_projects` in one query, sorted twice: a subquery sorts
    the whole portfolio on the sort keys alone and keeps the page's ids, and only those
    rows are joined to their snapshot, customer and manager (joining every project's and
    carrying all snapshot columns through the top-N sort took 3/4 of the page's SQL at
    10,000 projects). The order ends in ``id``, so both sorts agree."""
    ordering = _ordering(filters)
    ids = _filtered(actor, filters).order_by(*ordering).values("pk")[offset : offset + limit]
    return list(
        Project.objects.filter(pk__in=ids)
        .select_related("kpi", "customer", "manager")
        .only(*_ROW_FIELDS)
        .order_by(*ordering)
    )


def portfolio_points(
    *, actor: Any, filters: PortfolioFilters, limit: int
) -> list[tuple[int, str, Decimal | None, Decimal | None, str]]:
    """(id, name, SPI, CPI, colour) of the first ``limit`` projects with both indexes, in
    the chosen order: the points of the SPI × CPI scatter (one query). Ties go by id, not
    name: the chart shows no order, and comparing names in a top-500 sort of the whole
    portfolio cost half the query."""
    return list(
        _filtered(actor, filters)
        .filter(kpi__spi__isnull=False, kpi__cpi__isnull=False)
        .order_by(*_ordering(filters)[:-2], "id")
        .values_list("id", "name", "kpi__spi", "kpi__cpi", "kpi__rag")[:limit]
    )


def portfolio_summary(*, actor: Any, filters: PortfolioFilters) -> dict[str, Any]:
    """The tiles (counts per colour, mean SPI and CPI, the portfolio's milestone,
    first-pass and utilisation rates as ratios of the sums) in one query, and the ten
    worst projects by SPI and by CPI (one query each)."""
    qs = _filtered(actor, filters)
    totals = qs.aggregate(
        projects=Count("id"),
        red=Count("id", filter=Q(kpi__rag="red")),
        amber=Count("id", filter=Q(kpi__rag="amber")),
        green=Count("id", filter=Q(kpi__rag="green")),
        spi=Avg("kpi__spi"),
        cpi=Avg("kpi__cpi"),
        due=Sum("kpi__milestones_due"),
        on_time=Sum("kpi__milestones_on_time"),
        decided=Sum("kpi__deliverables_decided"),
        first_pass=Sum("kpi__deliverables_first_pass"),
        booked=Sum("kpi__booked_hours"),
        available=Sum("kpi__available_hours"),
        bac=Sum("kpi__bac"),
        ev=Sum("kpi__ev"),
        ac=Sum("kpi__ac"),
    )
    counted = totals["red"] + totals["amber"] + totals["green"]
    worst_fields = ("id", "name", "kpi__spi", "kpi__cpi", "kpi__rag")

    def worst(field: str) -> list[dict[str, Any]]:
        return list(
            qs.filter(**{f"{field}__isnull": False})
            .order_by(F(field).asc(), "name", "id")
            .values(*worst_fields)[:WORST_COUNT]
        )

    def mean(value: Any) -> Decimal | None:
        return Decimal(value).quantize(INDEX) if value is not None else None

    return {
        "projects": totals["projects"],
        "red": totals["red"],
        "amber": totals["amber"],
        "green": totals["green"],
        "no_data": totals["projects"] - counted,
        "spi": mean(totals["spi"]),
        "cpi": mean(totals["cpi"]),
        "milestones_due": totals["due"] or 0,
        "milestones_on_time": totals["on_time"] or 0,
        "milestone_rate": _ratio(totals["on_time"] or 0, totals["due"] or 0),
        "deliverables_decided": totals["decided"] or 0,
        "first_pass_rate": _ratio(totals["first_pass"] or 0, totals["decided"] or 0),
        "booked_hours": totals["booked"] or ZERO,
        "available_hours": totals["available"] or ZERO,
        "utilisation": _ratio(totals["booked"] or ZERO, totals["available"] or ZERO),
        "bac": totals["bac"] or ZERO,
        "ev": totals["ev"] or ZERO,
        "ac": totals["ac"] or ZERO,
        "worst_spi": worst("kpi__spi"),
        "worst_cpi": worst("kpi__cpi"),
    }


def portfolio_choices(*, actor: Any, limit: int = 300) -> dict[str, list[Any]]:
    """The managers and customers of the viewer's projects, for the filter form (two
    queries; at most ``limit`` customers — others are still reachable by id)."""
    scoped = selectors.scope(actor, Project.objects.all())
    managers = list(
        User.objects.filter(pk__in=scoped.filter(manager__isnull=False).values("manager_id"))
        .only("id", "username", "display_name", "first_name", "last_name")
        .order_by("username")
    )
    customers = list(
        Customer.objects.filter(pk__in=scoped.values("customer_id"))
        .only("id", "name")
        .order_by("name", "id")[:limit]
    )
    return {"managers": managers, "customers": customers}
