"""Jobs: progress the user can watch for work that runs in a task worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from guanxi.core.models import Job, JobStatus


def job_create(*, kind: str, actor: Any, params: dict[str, Any] | None = None) -> Job:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return Job.objects.create(kind=kind, created_by=user, params=params or {})


def job_start(*, job_id: UUID | str) -> Job:
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), progress=0
    )
    return Job.objects.get(pk=job_id)


def job_progress(*, job_id: UUID | str, progress: float, message: str = "") -> None:
    """Progress is written outside any surrounding transaction's visibility only on
    commit; callers report between their own chunk transactions."""
    pct = max(0, min(100, int(progress)))
    Job.objects.filter(pk=job_id).update(progress=pct, message=message[:300])


def job_succeed(*, job_id: UUID | str, result: dict[str, Any], message: str = "") -> None:
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.SUCCEEDED,
        progress=100,
        result=result,
        message=message[:300],
        finished_at=timezone.now(),
    )


def job_fail(*, job_id: UUID | str, errors: list[Any], message: str = "") -> None:
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.FAILED, errors=errors, message=message[:300], finished_at=timezone.now()
    )


def run_job(
    job_id: UUID | str, work: Callable[[Callable[[float, str], None]], dict[str, Any]]
) -> None:
    """Run ``work(report)`` as the body of job ``job_id``; ``report(pct, message)`` updates
    progress. Any exception marks the job failed with its message and is re-raised."""
    job_start(job_id=job_id)

    def report(pct: float, message: str = "") -> None:
        job_progress(job_id=job_id, progress=pct, message=message)

    try:
        result = work(report)
    except Exception as exc:
        job_fail(job_id=job_id, errors=[{"message": str(exc)}], message=str(exc))
        raise
    job_succeed(job_id=job_id, result=result)


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
