from __future__ import annotations

from django_tasks import task

from guanxi.core.jobs import run_job


@task()
def rebuild_search_keys(job_id: str) -> None:
    from guanxi.customers.services import customer_rebuild_search_keys

    run_job(job_id, lambda report: customer_rebuild_search_keys(report=report))
