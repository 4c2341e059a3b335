"""A job is the one record of whether work runs: its worker and heartbeat tell a live
worker from a dead one."""

from __future__ import annotations

import datetime as dt
import os
import socket

import pytest
from django.utils import timezone

from guanxi.core.jobs import job_alive, job_create, job_stalled, run_job, worker_id
from guanxi.core.models import Job, JobStatus

pytestmark = pytest.mark.django_db


def _running(worker: str, heartbeat_ago: dt.timedelta | None = None) -> Job:
    heartbeat = timezone.now() - heartbeat_ago if heartbeat_ago is not None else None
    return Job(kind="x", status=JobStatus.RUNNING, worker=worker, heartbeat_at=heartbeat)


def test_a_job_of_this_process_is_alive():
    assert job_alive(_running(worker_id()))


def test_a_job_whose_process_on_this_machine_is_gone_is_stalled():
    pid = 2**22 + 12345  # above any pid the kernel hands out by default
    job = _running(f"{socket.gethostname()}:{pid}", dt.timedelta(seconds=1))
    assert not job_alive(job) and job_stalled(job)


def test_a_job_elsewhere_lives_by_its_heartbeat():
    assert job_alive(_running("other-host:1", dt.timedelta(minutes=1)))
    assert job_stalled(_running("other-host:1", dt.timedelta(minutes=10)))
    assert job_stalled(_running("other-host:1"))


def test_only_a_running_job_can_be_alive_or_stalled():
    for status in (JobStatus.QUEUED, JobStatus.SUCCEEDED, JobStatus.FAILED):
        job = Job(kind="x", status=status, worker=worker_id(), heartbeat_at=timezone.now())
        assert not job_alive(job) and not job_stalled(job)


def test_run_job_records_its_worker_heartbeat_task_and_outcome():
    job = job_create(kind="x", actor=None)

    def work(report):
        report(50, "half")
        seen = Job.objects.get(pk=job.pk)
        assert (seen.status, seen.progress, seen.message) == (JobStatus.RUNNING, 50, "half")
        return {"done": True}

    run_job(job.pk, work, task_result_id="result-1")

    job.refresh_from_db()
    assert (job.status, job.result, job.task_result_id) == (
        JobStatus.SUCCEEDED,
        {"done": True},
        "result-1",
    )
    assert job.worker == f"{socket.gethostname()}:{os.getpid()}" and job.heartbeat_at is not None


def test_run_job_fails_the_job_with_the_message_and_reraises():
    job = job_create(kind="x", actor=None)

    def work(report):
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        run_job(job.pk, work)

    job.refresh_from_db()
    assert (job.status, job.message, job.errors) == (
        JobStatus.FAILED,
        "boom",
        [{"message": "boom"}],
    )
