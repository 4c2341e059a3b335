"""Background jobs of import and export: each takes ids and calls a service."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django_tasks import task

from guanxi.core.jobs import run_job


def _language(user: Any) -> str:
    return getattr(user, "language", "") or "zh-hans"


@task()
def import_run_task(run_id: int, job_id: str) -> None:
    from guanxi.customers.importing.pipeline import import_execute
    from guanxi.customers.models import ImportRun

    run = ImportRun.objects.select_related("created_by").get(pk=run_id)

    def work(report: Any) -> dict[str, Any]:
        done = import_execute(run=run, actor=run.created_by, report=report)
        return {
            "run": done.pk,
            "created": done.created_count,
            "updated": done.updated_count,
            "skipped": done.skipped_count,
            "failed": done.failed_count,
        }

    with translation.override(_language(run.created_by)):
        run_job(job_id, work)


@task()
def import_undo_task(run_id: int, job_id: str, actor_id: int | None) -> None:
    from guanxi.accounts.models import User
    from guanxi.customers.importing.undo import import_undo

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    with translation.override(_language(actor)):
        run_job(job_id, lambda report: import_undo(run_id=run_id, actor=actor, report=report))


@task()
def export_task(job_id: str) -> None:
    from guanxi.customers.exporting import export_run_job

    export_run_job(job_id)
