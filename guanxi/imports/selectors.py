"""Reads of imports: a run is visible to the user who started it and to admins."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.accounts import permissions
from guanxi.core.errors import NotFound
from guanxi.core.jobs import job_alive, job_stalled
from guanxi.core.models import Job, JobStatus
from guanxi.imports import registry
from guanxi.imports.models import ImportMapping, ImportRowError, ImportRun, ImportStatus

#: what a run's page and the API call its state: its lifecycle, with a started run's
#: running or failed taken from its job
RUNNING, FAILED = "running", "failed"
STATE_LABELS: dict[str, Promise] = {
    ImportStatus.UPLOADED: ImportStatus.UPLOADED.label,
    RUNNING: gettext_lazy("导入中"),
    FAILED: gettext_lazy("失败"),
    ImportStatus.FINISHED: ImportStatus.FINISHED.label,
    ImportStatus.UNDONE: ImportStatus.UNDONE.label,
}


def import_runs(*, actor: Any) -> QuerySet[ImportRun]:
    if not permissions.is_staff_actor(actor):
        return ImportRun.objects.none()
    qs = ImportRun.objects.select_related("created_by", "job")
    if permissions.can_manage_settings(actor):
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


def import_run_state(run: ImportRun) -> str:
    """``uploaded``, ``running``, ``failed``, ``finished`` or ``undone``. A started run
    is running while its job is queued or running (see ``import_run_stalled`` for a
    worker that died), failed when its job failed or it has no job to finish it."""
    if run.status != ImportStatus.STARTED:
        return str(run.status)
    job = run.job
    if job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        return RUNNING
    return FAILED


def import_run_state_label(run: ImportRun) -> str:
    return str(STATE_LABELS[import_run_state(run)])


def import_run_stalled(run: ImportRun) -> bool:
    """Started and said to be running, but the worker running it has died: it can be
    resumed from its checkpoint."""
    return run.status == ImportStatus.STARTED and job_stalled(run.job)


def import_run_busy(run: ImportRun) -> bool:
    """A worker is on the run now, or its job waits for one."""
    job = run.job
    if run.status != ImportStatus.STARTED or job is None:
        return False
    return job.status == JobStatus.QUEUED or job_alive(job)


def import_run_undoing(run: ImportRun) -> bool:
    """A finished run whose undo job is queued or running: its page waits for 已撤销."""
    if run.status != ImportStatus.FINISHED:
        return False
    return Job.objects.filter(
        kind="import_undo", params__run=run.pk, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)
    ).exists()


def import_run_failure(run: ImportRun) -> str:
    """Why a failed run stopped (its job's message)."""
    if import_run_state(run) != FAILED or run.job is None:
        return ""
    return str(run.job.message)


#: the file rows read for the mapping page's sample values, and the samples per column
SAMPLE_ROWS, SAMPLES_PER_COLUMN, SAMPLE_LENGTH = 50, 3, 40


def column_samples(run: ImportRun) -> list[list[str]]:
    """For each column of the run's file, the first few distinct non-empty values (each cut
    to a readable length), from its first rows: what the mapping page shows beside each
    column, so a clerk sees what "地区" or "备注" actually holds before mapping it. No
    samples when the file cannot be read any more (the page still maps by header)."""
    from guanxi.core.io.tabular import TabularError
    from guanxi.imports.files import open_run_table

    samples: list[list[str]] = [[] for _h in run.headers]
    try:
        with open_run_table(run) as table:
            for n, (_number, values) in enumerate(table.rows()):
                if n >= SAMPLE_ROWS:
                    break
                for i, value in enumerate(values[: len(samples)]):
                    text = (value or "").strip()
                    column = samples[i]
                    if text and len(column) < SAMPLES_PER_COLUMN and text not in column:
                        column.append(text[:SAMPLE_LENGTH])
                if all(len(c) >= SAMPLES_PER_COLUMN for c in samples):
                    break
    except (TabularError, OSError):
        return [[] for _h in run.headers]
    return samples


def row_errors(*, run: ImportRun) -> QuerySet[ImportRowError]:
    return ImportRowError.objects.filter(run=run).order_by("row", "id")


def mappings(*, actor: Any, kind: str | None = None) -> QuerySet[ImportMapping]:
    if not permissions.is_staff_actor(actor):
        return ImportMapping.objects.none()
    qs = ImportMapping.objects.all()
    return qs.filter(kind=kind) if kind else qs


def importable_kinds(*, actor: Any) -> list[registry.ImportKind]:
    """The kinds the actor may import, in the registry's order."""
    if not permissions.is_staff_actor(actor):
        return []
    return [k for k in registry.kinds() if k.may_import(actor)]


def may_use_import_page(*, actor: Any) -> bool:
    """The 导入/导出 page (and its menu entry) is for whoever may import some kind (each
    kind's rule, from ``accounts.permissions``) or export a list."""
    return bool(importable_kinds(actor=actor)) or permissions.can_export(actor)
