"""Jobs: progress the user can watch for work that runs in a task worker.

A job is the one record of whether a piece of work runs: its status, progress and message,
which worker process runs it (``worker``) and when that worker last reported
(``heartbeat_at``, refreshed with every progress report). :func:`job_alive` tells a live
worker from a dead one (by its pid, or the worker's own heartbeat: ``core.workers``), so
work whose worker was killed is started again.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from typing import Any, Final
from uuid import UUID

from django.db import DatabaseError, transaction
from django.utils import timezone

from guanxi.core.models import Job, JobStatus, WorkerProcess

log = logging.getLogger("guanxi.jobs")

#: a running job whose worker (elsewhere, without a heartbeat row) has not reported for
#: this long is dead
STALE_AFTER: Final = dt.timedelta(minutes=5)
#: a worker whose heartbeat row (``WorkerProcess``, refreshed every few seconds by the
#: worker, busy or idle: ``core.workers``) is older than this is dead
WORKER_STALE_AFTER: Final = dt.timedelta(seconds=30)


def worker_id() -> str:
    """This process, as a job's ``worker``: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def job_create(*, kind: str, actor: Any, params: dict[str, Any] | None = None) -> Job:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return Job.objects.create(kind=kind, created_by=user, params=params or {})


def job_start(*, job_id: UUID | str, task_result_id: str = "") -> Job:
    """The job runs, in this process (its worker, with a first heartbeat)."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "status": JobStatus.RUNNING,
        "started_at": now,
        "progress": 0,
        "message": "",
        "worker": worker_id(),
        "heartbeat_at": now,
    }
    if task_result_id:
        fields["task_result_id"] = task_result_id[:64]
    Job.objects.filter(pk=job_id).update(**fields)
    return Job.objects.get(pk=job_id)


def job_progress(*, job_id: UUID | str, progress: float, message: str = "") -> None:
    """Progress (and the worker's heartbeat). Written outside any surrounding
    transaction's visibility only on commit; callers report between their own chunk
    transactions."""
    pct = max(0, min(100, int(progress)))
    Job.objects.filter(pk=job_id).update(
        progress=pct, message=message[:300], heartbeat_at=timezone.now()
    )


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


def local_process_alive(worker: str) -> bool | None:
    """Whether the process ``worker`` ("host:pid") lives, when it is one of this machine;
    ``None`` for a worker elsewhere."""
    host, _sep, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a live process of another user
        return True
    return True


def worker_alive(worker: str, *, now: dt.datetime | None = None) -> bool | None:
    """``worker`` is alive (True), dead (False) or unknown (None): by its pid on this
    machine, else by its heartbeat row (``WorkerProcess``); unknown without one (a worker
    of an older version, or a plain ``db_worker``)."""
    local = local_process_alive(worker)
    if local is not None:
        return local
    row = WorkerProcess.objects.filter(worker=worker).only("heartbeat_at").first()
    if row is None:
        return None
    return row.heartbeat_at >= (now or timezone.now()) - WORKER_STALE_AFTER


def job_alive(job: Job | None, *, now: dt.datetime | None = None) -> bool:
    """Whether a live worker runs ``job``: see :func:`worker_alive`; a worker without a
    heartbeat row lives while the job's own heartbeat is younger than ``STALE_AFTER``."""
    if job is None or job.status != JobStatus.RUNNING or not job.worker:
        return False
    alive = worker_alive(job.worker, now=now)
    if alive is not None:
        return alive
    now = now or timezone.now()
    return job.heartbeat_at is not None and now - job.heartbeat_at < STALE_AFTER


def job_stalled(job: Job | None, *, now: dt.datetime | None = None) -> bool:
    """The job says it runs, but its worker is gone."""
    return job is not None and job.status == JobStatus.RUNNING and not job_alive(job, now=now)


def run_job(
    job_id: UUID | str,
    work: Callable[[Callable[[float, str], None]], dict[str, Any]],
    *,
    task_result_id: str = "",
) -> None:
    """Run ``work(report)`` as the body of job ``job_id``; ``report(pct, message)`` updates
    progress. Any exception marks the job failed with its message and is re-raised."""
    job_start(job_id=job_id, task_result_id=task_result_id)

    def report(pct: float, message: str = "") -> None:
        job_progress(job_id=job_id, progress=pct, message=message)

    try:
        result = work(report)
    except Exception as exc:
        message = str(getattr(exc, "message", exc))
        try:
            job_fail(job_id=job_id, errors=[{"message": message}], message=message)
        except DatabaseError:  # the database may be what failed: the job is left stalled
            log.exception("could not mark job %s failed", job_id)
        raise
    job_succeed(job_id=job_id, result=result)


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
