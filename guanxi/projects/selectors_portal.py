"""Reads of projects for the customer portal: one customer company's projects and what the
portal shows of them. The portal resolves the company from the portal account (staff scope
does not apply) and imports this module and ``selectors``/``selectors_changes``, never
``projects.models`` (the layer contract in ``.importlinter``); the names it needs for types
and choices are re-exported here."""

from __future__ import annotations

from django.db.models import QuerySet

from guanxi.projects.models import (
    ChangeRequest,
    ChangeStatus,
    Deliverable,
    DeliverableStatus,
    Phase,
    Project,
    ProjectStatus,
    Task,
)

__all__ = [
    "ChangeRequest",
    "ChangeStatus",
    "Deliverable",
    "DeliverableStatus",
    "Phase",
    "Project",
    "ProjectStatus",
    "Task",
    "customer_active_projects",
    "customer_change_request_records",
    "customer_deliverable_records",
    "customer_project_records",
]

HOME_COLUMNS = ("id", "name", "code", "phase", "status", "start_date", "scheduled_finish")


def customer_project_records(customer_id: int) -> QuerySet[Project]:
    """Every project of the company, as bare rows (the ids of the records whose shared
    files the company sees)."""
    return Project.objects.filter(customer_id=customer_id)


def customer_deliverable_records(customer_id: int) -> QuerySet[Deliverable]:
    """Every deliverable of the company's projects, as bare rows (whose shared files the
    company sees on the deliverable's acceptance page)."""
    return Deliverable.objects.filter(project__customer_id=customer_id)


def customer_change_request_records(customer_id: int) -> QuerySet[ChangeRequest]:
    """The change requests of the company's projects the team has shown it (no drafts,
    as in the portal's list), as bare rows (whose shared files the company sees)."""
    return ChangeRequest.objects.filter(project__customer_id=customer_id).exclude(
        status=ChangeStatus.DRAFT
    )


def customer_active_projects(*, customer_id: int) -> QuerySet[Project]:
    """The company's active projects, newest first, with only the columns a list line
    shows and no per-project aggregate: the portal home reads the first few, and the
    progress average of ``selectors.customer_projects`` would group every task of every
    project before the limit applies."""
    return (
        Project.objects.filter(customer_id=customer_id, status=ProjectStatus.ACTIVE)
        .only(*HOME_COLUMNS)
        .order_by("-start_date", "-id")
    )
