"""Background task of the duplicate scan (``duplicates.scan.duplicate_scan_start``)."""

from __future__ import annotations

from django_tasks import task

from guanxi.core.jobs import run_job
from guanxi.core.models import Job


@task()
def scan_duplicates(job_id: str) -> None:
    """Scan as the user who started the job, in that user's scope. Idempotent: a re-run
    finds the same pairs and changes nothing."""
    from guanxi.customers.duplicates.scan import duplicate_scan

    actor = Job.objects.select_related("created_by").get(pk=job_id).created_by
    run_job(job_id, lambda report: duplicate_scan(actor=actor, report=report).as_dict())
