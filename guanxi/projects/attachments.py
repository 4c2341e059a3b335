"""Projects as attachable records (the project's documents: plans, minutes, reports): read
by whoever reads the project, added or removed by whoever may change it. Staff may share a
project's file with its customer (the portal registers "project" as a shared kind and
shows it on the company's project page)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from guanxi.attachments.registry import Attachable, register_attachable
from guanxi.projects.models import Project

KIND = "project"


def _for_read(actor: Any, project_id: int) -> Model:
    from guanxi.projects import selectors

    return selectors.project_get(actor=actor, project_id=project_id, with_members=False)


def _for_change(actor: Any, project_id: int) -> Model:
    from guanxi.projects.services.plan import project_lock

    return project_lock(actor, project_id)


def register() -> None:
    register_attachable(
        Attachable(
            kind=KIND,
            model=Project,
            get_for_read=_for_read,
            get_for_change=_for_change,
            customer_id=lambda project: getattr(project, "customer_id", None),
        )
    )
