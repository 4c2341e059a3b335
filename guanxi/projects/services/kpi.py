"""Writes of the KPI snapshots (SPEC E9): one ``ProjectKpi`` row per project, recomputed
from ``selectors_kpi.compute_figures``.

The paths that move a project's KPIs (time approved, a cost approved, a deliverable
decided, a baseline taken or approved, the EVM settings changed) call
:func:`kpi_request_refresh` inside their transaction: it marks the row pending and, only
when it was not pending already, enqueues one refresh after commit — a burst of approvals
costs one recompute (the refresh coalesces). The refresh clears ``pending`` only when no
new request came in while it computed, and then computes again. Every night (the worker's
periodic loop, hourly, a batch at a time) the active projects whose snapshot is older than
today, or still pending, are refreshed.

A snapshot is derived data (a cache of figures that are audited at their sources), so its
writes are not audited — like the analytics recompute's per-customer values, they would
drown the audit log in a row per project per night.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from guanxi.core.jobs import enqueue_on_commit
from guanxi.projects import selectors_evm, selectors_kpi
from guanxi.projects.models import Project, ProjectKpi, ProjectStatus

__all__ = ["kpi_refresh", "kpi_refresh_due", "kpi_request_refresh"]

#: projects refreshed per periodic run (the loop runs hourly: a night covers ~20,000)
NIGHTLY_BATCH: Final = 2000
#: a refresh computes again at most this many times when requests keep arriving
MAX_ROUNDS: Final = 3


def kpi_request_refresh(*, project_id: int) -> bool:
    """Ask for the project's snapshot to be recomputed after the current transaction
    commits; ``False`` when a refresh is already pending (nothing more is enqueued)."""
    from guanxi.projects.tasks import refresh_project_kpi

    now = timezone.now()
    marked = ProjectKpi.objects.filter(project_id=project_id, pending=False).update(
        pending=True, requested_at=now
    )
    if not marked:
        if ProjectKpi.objects.filter(project_id=project_id).exists():
            return False
        try:
            with transaction.atomic():
                ProjectKpi.objects.create(project_id=project_id, pending=True, requested_at=now)
        except IntegrityError:  # created by a concurrent request: that one enqueues
            return False
    enqueue_on_commit(refresh_project_kpi, project_id)
    return True


def _refresh_once(project: Project, status_date: dt.date | None) -> bool:
    """Compute and store; ``True`` when a request arrived meanwhile (compute again)."""
    started = timezone.now()
    figures = selectors_kpi.compute_figures(project=project, status_date=status_date)
    fields = figures.as_fields()
    with transaction.atomic():
        row, created = ProjectKpi.objects.select_for_update().get_or_create(
            project_id=project.pk, defaults={**fields, "pending": False, "computed_at": started}
        )
        if created:
            return False
        again = row.pending and row.requested_at is not None and row.requested_at > started
        for name, value in fields.items():
            setattr(row, name, value)
        row.computed_at = started
        row.pending = again
        row.save()
    return again


def kpi_refresh(*, project_id: int, status_date: dt.date | None = None) -> ProjectKpi | None:
    """Recompute one project's snapshot (``None``: the project is gone). Idempotent: the
    task of a request and the nightly run may both call it."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return None
    for _round in range(MAX_ROUNDS):
        if not _refresh_once(project, status_date):
            break
    return ProjectKpi.objects.get(project_id=project_id)


def kpi_refresh_due(
    *, today: dt.date | None = None, limit: int = NIGHTLY_BATCH, project_ids: Any = None
) -> int:
    """Refresh the snapshots that are out of date: active and on-hold projects with no
    snapshot, one older than ``today``, or one pending; (or exactly ``project_ids``).
    Returns how many were refreshed."""
    today = today or selectors_evm.today()
    if project_ids is not None:
        ids = list(Project.objects.filter(pk__in=list(project_ids)).values_list("pk", flat=True))
    else:
        ids = list(
            Project.objects.filter(status__in=[ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD])
            .filter(
                Q(kpi__isnull=True)
                | Q(kpi__pending=True)
                | Q(kpi__status_date__isnull=True)
                | Q(kpi__status_date__lt=today)
            )
            .order_by("id")
            .values_list("pk", flat=True)[:limit]
        )
    for project_id in ids:
        kpi_refresh(project_id=project_id, status_date=today)
    return len(ids)
