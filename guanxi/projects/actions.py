"""The "create project" action projects adds to a won opportunity's page (SPEC B5),
through ``core.actions`` so that sales never imports projects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from guanxi.accounts import permissions
from guanxi.projects import selectors
from guanxi.projects.models import Project


def opportunity_action_context(request: HttpRequest, opportunity: Any) -> Mapping[str, Any] | None:
    """A won opportunity: its project when it has one (readable), else the one-click
    form with the templates, for whoever may create projects."""
    if opportunity.status != "won":
        return None
    existing = Project.objects.filter(opportunity_id=opportunity.pk).first()
    if existing is not None:
        return {"project": existing if selectors.can_read(request.user, existing) else None,
                "exists": True}  # fmt: skip
    if not permissions.can_create_project(request.user):
        return None
    return {"templates": list(selectors.templates()), "exists": False}


def contract_action_context(request: HttpRequest, contract: Any) -> Mapping[str, Any] | None:
    """An approved (or running) contract: its delivery project when it has one, else the
    one-click form with the templates, for whoever may create projects."""
    existing = Project.objects.filter(contract_id=contract.pk).first()
    if existing is not None:
        return {"project": existing if selectors.can_read(request.user, existing) else None,
                "exists": True}  # fmt: skip
    if contract.status not in ("approved", "active"):
        return None
    if not permissions.can_create_project(request.user):
        return None
    return {"templates": list(selectors.templates()), "exists": False}
