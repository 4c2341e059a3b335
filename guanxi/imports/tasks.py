"""Background jobs of import and export: each takes ids and calls a service. A task
records its own result's id on the progress job it runs (``core.Job.task_result_id``)."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django_tasks import TaskContext, task

from guanxi.core.jobs import run_job


def _language(user: Any) -> str:
    return getattr(user, "language", "") or "zh-hans"


@task(takes_context=True)
def import_run_task(context: TaskContext, run_id: int, job_id: str) -> None:
    from guanxi.imports.models import ImportRun
    from guanxi.imports.pipeline import import_execute

    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    with translation.override(_language(run.created_by)):
        import_execute(
            run=run,
            actor=run.created_by,
            job_id=job_id,
            task_result_id=str(context.task_result.id),
        )


@task(takes_context=True)
def import_undo_task(context: TaskContext, run_id: int, job_id: str, actor_id: int | None) -> None:
    from guanxi.accounts.models import User
    from guanxi.imports.undo import import_undo

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    with translation.override(_language(actor)):
        run_job(
            job_id,
            lambda report: import_undo(run_id=run_id, actor=actor, report=report),
            task_result_id=str(context.task_result.id),
        )


@task(takes_context=True)
def export_task(context: TaskContext, job_id: str) -> None:
    from guanxi.imports.exporting import export_run_job

    export_run_job(job_id, task_result_id=str(context.task_result.id))
