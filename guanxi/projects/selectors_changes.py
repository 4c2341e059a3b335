"""Reads of change requests and deliverable acceptance, scoped through the project the
caller resolved with ``selectors.project_get`` (another department's project is a 404),
and the quality KPI: the first-pass acceptance rate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.core.errors import NotFound
from guanxi.core.limits import MAX_ID
from guanxi.projects import selectors
from guanxi.projects.models import (
    AcceptanceCriterion,
    ChangeRequest,
    ChangeRequestTaskChange,
    ChangeStatus,
    Deliverable,
    DeliverableReview,
    Project,
    ReviewDecision,
)

__all__ = [
    "FirstPass",
    "baseline_history",
    "change_request_get",
    "change_request_list",
    "customer_change_requests",
    "customer_deliverables",
    "deliverable_get",
    "deliverable_list",
    "first_pass_rate",
    "portfolio_first_pass_rate",
    "project_first_pass_rate",
]


def change_request_list(*, project: Project, status: str = "") -> QuerySet[ChangeRequest]:
    qs = ChangeRequest.objects.filter(project=project).select_related(
        "raised_by", "decided_by", "resulting_baseline"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-number")


def change_request_get(*, project: Project, change_request_id: Any) -> ChangeRequest:
    """One request of a project the caller already resolved (404 for another project's)."""
    if isinstance(change_request_id, bool) or not isinstance(change_request_id, int):
        raise NotFound(_("需求变更不存在。"), field="change_request_id")
    found = (
        ChangeRequest.objects.filter(project=project, pk=change_request_id)
        .select_related("raised_by", "decided_by", "impact_stated_by", "applied_by",
                        "resulting_baseline")
        .prefetch_related(
            Prefetch(
                "task_changes",
                queryset=ChangeRequestTaskChange.objects.select_related(
                    "task", "predecessor", "successor"
                ),
            )
        )
        .first()
        if 1 <= change_request_id <= MAX_ID
        else None
    )  # fmt: skip
    if found is None:
        raise NotFound(_("需求变更不存在。"), field="change_request_id")
    found.project = project
    return found


def _deliverables(project: Project) -> QuerySet[Deliverable]:
    return (
        Deliverable.objects.filter(project=project)
        .select_related("decided_by", "submitted_by")
        .prefetch_related(
            Prefetch("criteria", queryset=AcceptanceCriterion.objects.order_by("position", "id")),
            Prefetch("reviews", queryset=DeliverableReview.objects.order_by("round")),
            "tasks",
        )
    )


def deliverable_list(*, project: Project) -> list[Deliverable]:
    return list(_deliverables(project).order_by("due_date", "id"))


def deliverable_get(*, project: Project, deliverable_id: Any) -> Deliverable:
    if isinstance(deliverable_id, bool) or not isinstance(deliverable_id, int):
        raise NotFound(_("交付物不存在。"), field="deliverable_id")
    found = (
        _deliverables(project).filter(pk=deliverable_id).first()
        if 1 <= deliverable_id <= MAX_ID
        else None
    )
    if found is None:
        raise NotFound(_("交付物不存在。"), field="deliverable_id")
    return found


@dataclass(frozen=True, slots=True)
class FirstPass:
    """Quality conformance (E9): of the deliverables whose first submission the customer
    decided, how many were accepted at that first submission."""

    decided: int
    first_pass: int

    @property
    def rate(self) -> Decimal | None:
        """The share accepted first time, 0…1 to four places (``None`` with none decided)."""
        if not self.decided:
            return None
        return (Decimal(self.first_pass) / Decimal(self.decided)).quantize(Decimal("0.0001"))


def first_pass_rate(*, project_ids: Iterable[int] | QuerySet[Any]) -> FirstPass:
    """The first-pass acceptance rate over the given projects, in one query: first-round
    reviews that were decided, and those of them accepted."""
    row = DeliverableReview.objects.filter(
        deliverable__project_id__in=project_ids, round=1
    ).aggregate(
        decided=Count("id", filter=~Q(decision=ReviewDecision.PENDING)),
        first_pass=Count("id", filter=Q(decision=ReviewDecision.ACCEPTED)),
    )
    return FirstPass(decided=int(row["decided"] or 0), first_pass=int(row["first_pass"] or 0))


def project_first_pass_rate(*, actor: Any, project_id: Any) -> FirstPass:
    project = selectors.project_get(actor=actor, project_id=project_id, with_members=False)
    return first_pass_rate(project_ids=[project.pk])


def portfolio_first_pass_rate(*, actor: Any) -> FirstPass:
    """Over every project the actor reads."""
    return first_pass_rate(project_ids=selectors.scope(actor, Project.objects.all()).values("pk"))


def baseline_history(*, project: Project) -> list[Any]:
    """The project's baselines, first to last, for the change history beside them."""
    from guanxi.projects.models import Baseline

    return list(
        Baseline.objects.filter(project=project).select_related("taken_by").order_by("number")
    )


# --- for the customer portal (it scopes by the customers its account acts for) ------------


def customer_change_requests(*, customer_ids: Iterable[int]) -> QuerySet[ChangeRequest]:
    """The change requests of the given customers' projects, newest first, drafts left
    out (the team has not shown them to the customer yet)."""
    return (
        ChangeRequest.objects.filter(project__customer_id__in=list(customer_ids))
        .exclude(status=ChangeStatus.DRAFT)
        .select_related("project")
        .order_by("-created_at", "-id")
    )


def customer_deliverables(*, customer_ids: Iterable[int]) -> QuerySet[Deliverable]:
    """The deliverables of the given customers' projects with criteria and reviews."""
    return (
        Deliverable.objects.filter(project__customer_id__in=list(customer_ids))
        .select_related("project")
        .prefetch_related(
            Prefetch("criteria", queryset=AcceptanceCriterion.objects.order_by("position", "id")),
            Prefetch("reviews", queryset=DeliverableReview.objects.order_by("round")),
        )
        .order_by("project_id", "due_date", "id")
    )
