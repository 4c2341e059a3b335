"""Reads of imports: a run is visible to the user who started it and to admins."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.accounts import scope
from guanxi.core.errors import NotFound
from guanxi.customers.models import ImportMapping, ImportRowError, ImportRun


def import_runs(*, actor: Any) -> QuerySet[ImportRun]:
    if not scope.is_staff_actor(actor):
        return ImportRun.objects.none()
    qs = ImportRun.objects.select_related("created_by", "job")
    if scope.can_manage_settings(actor):
        return qs
    return qs.filter(created_by=actor)


def import_run_get(*, actor: Any, run_id: Any) -> ImportRun:
    try:
        pk = int(run_id)
    except (TypeError, ValueError):
        raise NotFound(_("导入不存在。")) from None
    run = import_runs(actor=actor).filter(pk=pk).first()
    if run is None:
        raise NotFound(_("导入不存在。"))
    return run


def row_errors(*, run: ImportRun) -> QuerySet[ImportRowError]:
    return ImportRowError.objects.filter(run=run).order_by("row", "id")


def mappings(*, actor: Any, kind: str | None = None) -> QuerySet[ImportMapping]:
    if not scope.is_staff_actor(actor):
        return ImportMapping.objects.none()
    qs = ImportMapping.objects.all()
    return qs.filter(kind=kind) if kind else qs
