from __future__ import annotations

from django_tasks import task

from guanxi.core.jobs import run_job


@task()
def recompute(job_id: str, run_id: int) -> None:
    """The customer-value recompute queued by ``services.analytics_recompute_start``."""
    from guanxi.analytics.services import analytics_recompute_job

    run_job(job_id, lambda report: analytics_recompute_job(run_id=run_id, report=report))
