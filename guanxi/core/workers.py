"""Worker processes: their heartbeat, whether any is alive, and the pickup of work whose
worker died.

Every ``guanxi worker`` registers itself (``WorkerProcess``, keyed ``host:pid`` like a
job's ``worker``) and a thread of it refreshes the row every ``HEARTBEAT_EVERY`` seconds,
busy or idle. So:

* a job page can say plainly that **no worker is alive** (:func:`workers_alive`) instead
  of showing "排队中 0%" forever;
* a worker tells a dead one — killed, out of memory, its machine lost — from a busy one
  by the heartbeat (and, on its own machine, by the pid), and :func:`requeue_stale` puts
  the tasks the dead one had claimed back in the queue, with their jobs back to
  "排队中". The next free worker runs them again; tasks take ids and are idempotent, and
  an import resumes from its checkpoint. A task whose workers died ``MAX_ATTEMPTS`` times
  is failed rather than tried forever (it may be what kills them).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Final

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from guanxi.core.jobs import WORKER_STALE_AFTER, job_stalled, local_process_alive, worker_alive
from guanxi.core.models import Job, JobStatus, WorkerProcess

log = logging.getLogger("guanxi.workers")

#: how often a worker refreshes its heartbeat (``jobs.WORKER_STALE_AFTER``: when it is dead)
HEARTBEAT_EVERY: Final = 5.0
#: how often a worker looks for the tasks of dead workers
SWEEP_EVERY: Final = 15.0
#: a task whose workers died this many times is failed instead of queued again
MAX_ATTEMPTS: Final = 3

_READY, _RUNNING, _FAILED = "READY", "RUNNING", "FAILED"


# --- registration and heartbeat ----------------------------------------------------------


def worker_register(*, worker: str, queues: str = "") -> WorkerProcess:
    host, _sep, pid = worker.rpartition(":")
    now = timezone.now()
    row, _created = WorkerProcess.objects.update_or_create(
        worker=worker,
        defaults={
            "host": host[:100],
            "pid": int(pid) if pid.isdigit() else 0,
            "queues": queues[:200],
            "started_at": now,
            "heartbeat_at": now,
        },
    )
    return row


def worker_beat(*, worker: str) -> None:
    updated = WorkerProcess.objects.filter(worker=worker).update(heartbeat_at=timezone.now())
    if not updated:  # swept as dead after a long pause (suspended laptop): come back
        worker_register(worker=worker)


def worker_unregister(*, worker: str) -> None:
    WorkerProcess.objects.filter(worker=worker).delete()


def workers_required() -> bool:
    """Whether tasks wait for a worker: the database backend queues them (the immediate
    backend of the tests runs them at once)."""
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    return str(backend).startswith("django_tasks_db.")


def alive_workers(*, now: dt.datetime | None = None) -> list[WorkerProcess]:
    since = (now or timezone.now()) - WORKER_STALE_AFTER
    rows = WorkerProcess.objects.filter(heartbeat_at__gte=since)
    return [row for row in rows if local_process_alive(row.worker) is not False]


def workers_alive() -> bool:
    """Whether any worker reported within ``WORKER_STALE_AFTER`` (one query)."""
    since = timezone.now() - WORKER_STALE_AFTER
    return WorkerProcess.objects.filter(heartbeat_at__gte=since).exists()


# --- pickup of a dead worker's work --------------------------------------------------------


@dataclass
class Sweep:
    requeued: list[str] = field(default_factory=list)  # task result ids queued again
    failed: list[str] = field(default_factory=list)  # task result ids given up
    jobs_failed: list[str] = field(default_factory=list)  # jobs without a task to rerun
    dead_workers: list[str] = field(default_factory=list)


def _job_language(job: Job) -> str:
    user = job.created_by
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def _requeue_result(result: DBTaskResult[Any, Any], job: Job | None, sweep: Sweep) -> None:
    """Queue ``result`` (claimed by a dead worker) again, or fail it after ``MAX_ATTEMPTS``;
    its job follows. Both updates are conditional on what was read, so two workers
    sweeping at once, or a worker claiming the task in between, cannot run it twice."""
    attempts = len(result.worker_ids or [])
    give_up = attempts >= MAX_ATTEMPTS
    with transaction.atomic():
        claimed = DBTaskResult.objects.filter(
            pk=result.pk, status=_RUNNING, started_at=result.started_at
        )
        if give_up:
            done = claimed.update(
                status=_FAILED,
                finished_at=timezone.now(),
                exception_class_path="guanxi.core.workers.WorkerDied",
                traceback=f"the workers running this task died {attempts} times",
            )
        else:
            done = claimed.update(status=_READY, started_at=None)
        if not done:
            return
        if job is not None:
            with translation.override(_job_language(job)):
                if give_up:
                    message = _("后台工作进程在执行这项任务时中断了 %(n)d 次，已停止重试。") % {
                        "n": attempts
                    }
                    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
                        status=JobStatus.FAILED,
                        message=message[:300],
                        errors=[{"message": message}],
                        finished_at=timezone.now(),
                    )
                else:
                    message = _("执行它的后台工作进程中断了，已重新排队，将从中断处继续。")
                    Job.objects.filter(pk=job.pk).exclude(
                        status__in=(JobStatus.SUCCEEDED, JobStatus.FAILED)
                    ).update(status=JobStatus.QUEUED, message=message[:300], worker="")
    (sweep.failed if give_up else sweep.requeued).append(str(result.pk))
    log.warning(
        "task %s of a dead worker (%s): %s",
        result.pk,
        (result.worker_ids or ["?"])[-1],
        "failed" if give_up else "queued again",
    )


def _fail_orphan_job(job: Job, sweep: Sweep) -> None:
    """A running job of a dead worker with no queued task to run again (started from the
    command line, or its task already finished): it stops saying it runs."""
    with translation.override(_job_language(job)):
        message = _("执行它的后台工作进程中断了。")
    updated = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, worker=job.worker).update(
        status=JobStatus.FAILED,
        message=message[:300],
        errors=[{"message": message}],
        finished_at=timezone.now(),
    )
    if updated:
        sweep.jobs_failed.append(str(job.pk))


def requeue_stale(*, now: dt.datetime | None = None) -> Sweep:
    """Put the work of dead workers back in the queue (see the module docstring).

    Looked at: running jobs whose worker is dead (their task result, if it is still
    claimed, is queued again — or failed after ``MAX_ATTEMPTS``; a job without one is
    failed), then running task results without a job claimed by a worker known dead.
    Dead workers' rows are removed afterwards."""
    now = now or timezone.now()
    sweep = Sweep()
    jobs = Job.objects.filter(status=JobStatus.RUNNING).select_related("created_by")
    handled: set[str] = set()
    for job in jobs:
        if not job_stalled(job, now=now):
            continue
        result = None
        if job.task_result_id:
            result = DBTaskResult.objects.filter(pk=job.task_result_id).first()
        if result is not None and result.status == _RUNNING:
            handled.add(str(result.pk))
            _requeue_result(result, job, sweep)
        else:
            _fail_orphan_job(job, sweep)
    for result in DBTaskResult.objects.filter(status=_RUNNING):
        if str(result.pk) in handled or not result.worker_ids:
            continue
        if worker_alive(str(result.worker_ids[-1]), now=now) is False:
            _requeue_result(result, None, sweep)
    dead = WorkerProcess.objects.filter(heartbeat_at__lt=now - WORKER_STALE_AFTER)
    sweep.dead_workers = list(dead.values_list("worker", flat=True))
    dead.delete()
    return sweep


def job_supersede(*, job: Job | None) -> None:
    """``job`` is replaced by a new one (a resumed import): it stops, and its task, if a
    dead worker still holds it or it still waits, is not run again by a sweep — two tasks
    must not work on the same run at once."""
    if job is None:
        return
    with transaction.atomic():
        if job.task_result_id:
            DBTaskResult.objects.filter(
                pk=job.task_result_id, status__in=(_READY, _RUNNING)
            ).update(
                status=_FAILED,
                finished_at=timezone.now(),
                exception_class_path="guanxi.core.workers.Superseded",
                traceback="replaced by a new job",
            )
        Job.objects.filter(pk=job.pk, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).update(
            status=JobStatus.FAILED, finished_at=timezone.now()
        )


# --- the worker's own thread ---------------------------------------------------------------


def _heartbeat_loop(worker: str, stop: threading.Event) -> None:
    last_sweep = float("-inf")
    clock = 0.0
    try:
        while True:
            close_old_connections()
            try:
                worker_beat(worker=worker)
                if clock - last_sweep >= SWEEP_EVERY:
                    last_sweep = clock
                    requeue_stale()
            except Exception:  # a database hiccup must not kill the heartbeat
                log.exception("worker heartbeat failed")
            if stop.wait(HEARTBEAT_EVERY):
                return
            clock += HEARTBEAT_EVERY
    finally:
        connection.close()


@dataclass
class Heartbeat:
    worker: str
    stop: threading.Event
    thread: threading.Thread


def start_heartbeat(*, worker: str, queues: str = "") -> Heartbeat:
    """Register ``worker``, queue the work of dead workers once, and keep the heartbeat
    (and the sweep) going in a daemon thread until :func:`stop_heartbeat`."""
    worker_register(worker=worker, queues=queues)
    requeue_stale()
    stop = threading.Event()
    thread = threading.Thread(
        target=_heartbeat_loop, args=(worker, stop), name="guanxi-heartbeat", daemon=True
    )
    thread.start()
    return Heartbeat(worker=worker, stop=stop, thread=thread)


def stop_heartbeat(heartbeat: Heartbeat) -> None:
    """Stop the thread, then remove the row: a beat still under way would otherwise
    register the stopping worker again."""
    heartbeat.stop.set()
    heartbeat.thread.join(timeout=2 * HEARTBEAT_EVERY)
    close_old_connections()
    worker_unregister(worker=heartbeat.worker)
