"""Workers report a heartbeat; job pages say when none is alive; work whose worker died is
queued again by the next worker by itself (``core.workers``)."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskContext, task
from django_tasks_db.models import DBTaskResult

from guanxi.core import periodic, workers
from guanxi.core.jobs import job_create, job_stalled, run_job, worker_id
from guanxi.core.models import Job, JobStatus, WorkerProcess
from guanxi.core.templatetags.gx_jobs import NO_WORKER, STALLED, job_worker_state

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DEAD_HERE = f"{socket.gethostname()}:{2**22 + 4321}"  # above any pid handed out by default
ELSEWHERE = "worker-7.internal:812"


@task(takes_context=True)
def recording_task(context: TaskContext, job_id: str) -> None:
    run_job(
        job_id,
        lambda report: {"ran_by": worker_id()},
        task_result_id=str(context.task_result.id),
    )


def _enqueue_job() -> tuple[Job, DBTaskResult]:
    job = job_create(kind="test", actor=None)
    result = recording_task.enqueue(str(job.pk))
    return job, DBTaskResult.objects.get(pk=result.id)


def _claimed_by(job: Job, result: DBTaskResult, worker: str, *, claims: int = 1) -> None:
    """What a worker that took the task and then died leaves behind: the task claimed, the
    job "running 0%"."""
    now = timezone.now()
    DBTaskResult.objects.filter(pk=result.pk).update(
        status="RUNNING", started_at=now, worker_ids=[worker] * claims
    )
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        progress=0,
        worker=worker,
        heartbeat_at=now,
        started_at=now,
        task_result_id=str(result.pk),
    )


def _row(worker: str, ago: dt.timedelta) -> WorkerProcess:
    at = timezone.now() - ago
    host, _sep, pid = worker.rpartition(":")
    return WorkerProcess.objects.create(
        worker=worker, host=host, pid=int(pid), started_at=at, heartbeat_at=at
    )


# --- liveness ------------------------------------------------------------------------------


def test_a_worker_is_alive_while_its_heartbeat_is_fresh():
    assert not workers.workers_alive()
    workers.worker_register(worker=ELSEWHERE)
    assert workers.workers_alive()
    WorkerProcess.objects.update(heartbeat_at=timezone.now() - dt.timedelta(seconds=31))
    assert not workers.workers_alive()
    workers.worker_beat(worker=ELSEWHERE)
    assert workers.workers_alive()
    workers.worker_unregister(worker=ELSEWHERE)
    assert not WorkerProcess.objects.exists()


def test_a_swept_worker_that_beats_again_registers_again():
    workers.worker_beat(worker=ELSEWHERE)
    assert list(WorkerProcess.objects.values_list("worker", "pid")) == [(ELSEWHERE, 812)]


def test_a_job_elsewhere_is_judged_by_its_workers_heartbeat_not_its_progress():
    # A long chunk between two progress reports must not make a live worker look dead.
    job = Job(
        kind="x",
        status=JobStatus.RUNNING,
        worker=ELSEWHERE,
        heartbeat_at=timezone.now() - dt.timedelta(minutes=20),
    )
    _row(ELSEWHERE, dt.timedelta(seconds=2))
    assert not job_stalled(job)
    WorkerProcess.objects.update(heartbeat_at=timezone.now() - dt.timedelta(minutes=1))
    job.heartbeat_at = timezone.now()  # the row, when there is one, decides
    assert job_stalled(job)


def test_alive_workers_leaves_out_dead_processes_of_this_machine():
    _row(DEAD_HERE, dt.timedelta(seconds=1))
    _row(ELSEWHERE, dt.timedelta(seconds=1))
    assert [w.worker for w in workers.alive_workers()] == [ELSEWHERE]


# --- pickup of a dead worker's work --------------------------------------------------------


@override_settings(TASKS=DB_TASKS)
def test_a_job_whose_worker_died_here_is_queued_again():
    job, result = _enqueue_job()
    _claimed_by(job, result, DEAD_HERE)

    sweep = workers.requeue_stale()

    assert sweep.requeued == [str(result.pk)]
    result.refresh_from_db()
    job.refresh_from_db()
    assert (result.status, result.started_at) == ("READY", None)
    assert (job.status, job.worker) == (JobStatus.QUEUED, "")
    assert "重新排队" in job.message
    assert not job_stalled(job)


@override_settings(TASKS=DB_TASKS)
def test_a_job_whose_worker_elsewhere_stopped_beating_is_queued_again_and_the_row_removed():
    job, result = _enqueue_job()
    _claimed_by(job, result, ELSEWHERE)
    _row(ELSEWHERE, dt.timedelta(seconds=45))

    sweep = workers.requeue_stale()

    assert sweep.requeued == [str(result.pk)] and sweep.dead_workers == [ELSEWHERE]
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED
    assert not WorkerProcess.objects.exists()


@override_settings(TASKS=DB_TASKS)
def test_the_jobs_of_live_or_unknown_workers_are_left_alone():
    job, result = _enqueue_job()
    _claimed_by(job, result, ELSEWHERE)
    _row(ELSEWHERE, dt.timedelta(seconds=3))
    other, other_result = _enqueue_job()
    _claimed_by(other, other_result, "old-style-worker:5")  # no row, fresh job heartbeat

    sweep = workers.requeue_stale()

    assert sweep.requeued == [] and sweep.failed == []
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.RUNNING}
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"RUNNING"}


@override_settings(TASKS=DB_TASKS)
def test_a_task_claimed_again_meanwhile_is_not_queued_twice():
    job, result = _enqueue_job()
    _claimed_by(job, result, DEAD_HERE)
    seen = DBTaskResult.objects.get(pk=result.pk)
    # another worker's sweep queued it and a third worker claimed it since we read it
    DBTaskResult.objects.filter(pk=result.pk).update(
        started_at=timezone.now() + dt.timedelta(seconds=1), worker_ids=[DEAD_HERE, worker_id()]
    )

    sweep = workers.Sweep()
    workers._requeue_result(seen, job, sweep)

    assert sweep.requeued == []
    assert DBTaskResult.objects.get(pk=result.pk).status == "RUNNING"
    assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING


@override_settings(TASKS=DB_TASKS)
def test_a_task_whose_workers_died_too_often_fails_with_its_job():
    job, result = _enqueue_job()
    _claimed_by(job, result, DEAD_HERE, claims=workers.MAX_ATTEMPTS)

    sweep = workers.requeue_stale()

    assert sweep.failed == [str(result.pk)] and sweep.requeued == []
    job.refresh_from_db()
    assert DBTaskResult.objects.get(pk=result.pk).status == "FAILED"
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert "3 次" in job.message and job.errors == [{"message": job.message}]


def test_a_running_job_of_a_dead_worker_without_a_task_fails_instead_of_running_forever():
    job = job_create(kind="import", actor=None)  # started from the command line
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, worker=DEAD_HERE)

    sweep = workers.requeue_stale()

    job.refresh_from_db()
    assert sweep.jobs_failed == [str(job.pk)]
    assert (job.status, job.progress) == (JobStatus.FAILED, 0) and job.message


@override_settings(TASKS=DB_TASKS)
def test_a_claimed_task_without_a_job_is_queued_again_when_its_worker_is_known_dead():
    result = DBTaskResult.objects.get(pk=recording_task.enqueue("no-job").id)
    DBTaskResult.objects.filter(pk=result.pk).update(
        status="RUNNING", started_at=timezone.now(), worker_ids=[DEAD_HERE]
    )
    assert workers.requeue_stale().requeued == [str(result.pk)]


@override_settings(TASKS=DB_TASKS)
def test_a_superseded_job_and_its_task_are_not_run_again():
    job, result = _enqueue_job()
    _claimed_by(job, result, DEAD_HERE)

    workers.job_supersede(job=Job.objects.get(pk=job.pk))

    assert workers.requeue_stale().requeued == []
    assert DBTaskResult.objects.get(pk=result.pk).status == "FAILED"
    assert Job.objects.get(pk=job.pk).status == JobStatus.FAILED


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DB_TASKS)
def test_the_next_worker_picks_up_a_dead_workers_job_by_itself_and_finishes_it(monkeypatch):
    started = []
    monkeypatch.setattr(periodic, "start", lambda: started.append(True) or _event())
    job, result = _enqueue_job()
    _claimed_by(job, result, DEAD_HERE)

    call_command("worker", batch=True, reload=False, startup_delay=False, verbosity=0)

    job.refresh_from_db()
    result.refresh_from_db()
    assert (job.status, job.progress, job.result) == (
        JobStatus.SUCCEEDED,
        100,
        {"ran_by": worker_id()},
    )
    assert result.status == "SUCCESSFUL" and result.worker_ids == [DEAD_HERE, worker_id()]
    assert started == [True]  # the apps' periodic jobs run beside the tasks
    assert not WorkerProcess.objects.exists()  # a worker that stops says so


def _event():
    import threading

    return threading.Event()


# --- what a job page says ------------------------------------------------------------------


@override_settings(TASKS=DB_TASKS)
def test_the_page_of_a_waiting_job_says_when_no_worker_is_alive(client, admin_user):
    client.force_login(admin_user)
    job = job_create(kind="export", actor=admin_user)

    page = client.get(f"/jobs/{job.pk}/progress/").content.decode()
    assert 'id="job-no-worker"' in page and "guanxi worker" in page

    workers.worker_register(worker=ELSEWHERE)
    page = client.get(f"/jobs/{job.pk}/progress/").content.decode()
    assert "job-no-worker" not in page


@override_settings(TASKS=DB_TASKS)
def test_the_export_page_shows_the_notice_in_english_too(client, admin_user):
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"
    job = job_create(kind="export", actor=admin_user)

    page = client.get(f"/customers/export/{job.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'id="job-no-worker"' in page
    assert "No background worker is running" in page


@override_settings(TASKS=DB_TASKS)
def test_a_stalled_job_says_that_it_will_be_picked_up_again(django_assert_num_queries):
    workers.worker_register(worker=ELSEWHERE)
    job = Job(kind="x", status=JobStatus.RUNNING, worker=DEAD_HERE, heartbeat_at=timezone.now())
    with django_assert_num_queries(1):  # is any worker alive; the pid tells the rest
        assert job_worker_state(job) == STALLED
    WorkerProcess.objects.all().delete()
    assert job_worker_state(job) == NO_WORKER


def test_finished_jobs_and_the_immediate_backend_need_no_worker(django_assert_num_queries):
    finished = Job(kind="x", status=JobStatus.SUCCEEDED)
    queued = Job(kind="x", status=JobStatus.QUEUED)
    with django_assert_num_queries(0):
        assert job_worker_state(finished) == ""
        assert job_worker_state(queued) == ""  # the tests' immediate backend runs it at once


def test_admins_see_the_workers_read_only(client, admin_user):
    workers.worker_register(worker=ELSEWHERE)
    client.force_login(admin_user)

    page = client.get("/admin/core/workerprocess/")

    assert page.status_code == 200 and ELSEWHERE in page.content.decode()
    assert client.get("/admin/core/workerprocess/add/").status_code == 403
