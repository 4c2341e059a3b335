"""One job status: whether an import runs, how far, on which worker and why it stopped
is its progress job's (``core.Job``); the run keeps its lifecycle, checkpoint and counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from guanxi.core.errors import Conflict
from guanxi.core.jobs import worker_id
from guanxi.core.models import Job, JobStatus
from guanxi.customers.models import Customer
from guanxi.customers.tests.test_api_support import BASE, make_token
from guanxi.imports import selectors, services
from guanxi.imports.models import ImportRun, ImportStatus
from guanxi.imports.tests.support import csv_bytes, write_csv

pytestmark = pytest.mark.django_db

ROWS = [["客户名称", "城市"], ["甲方科技有限公司", "上海"], ["乙方贸易有限公司", "北京"]]


def _uploaded(actor) -> ImportRun:
    return services.import_upload(
        actor=actor,
        kind="customers",
        file=SimpleUploadedFile("c.csv", csv_bytes(ROWS)),
        file_name="c.csv",
    )


def _api(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {make_token(user)}"})


def test_the_run_keeps_no_status_or_heartbeat_of_its_own():
    names = {f.name for f in ImportRun._meta.get_fields()}
    assert not names & {"worker", "heartbeat_at"}
    assert set(ImportStatus.values) == {"uploaded", "started", "finished", "undone"}


def test_an_import_runs_as_its_job_which_records_worker_heartbeat_and_task(
    admin_user, django_capture_on_commit_callbacks
):
    run = _uploaded(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        services.import_start(actor=admin_user, run_id=run.pk)

    run.refresh_from_db()
    job = run.job
    assert (run.status, job.status, job.progress) == (
        ImportStatus.FINISHED,
        JobStatus.SUCCEEDED,
        100,
    )
    assert job.worker == worker_id() and job.heartbeat_at is not None
    assert job.task_result_id  # the django-tasks result that ran it
    assert job.result == {"run": run.pk, "created": 2, "updated": 0, "skipped": 0, "failed": 0}


def test_a_queued_run_is_running_and_cannot_be_resumed_twice(admin_user):
    run = _uploaded(admin_user)
    services.import_start(actor=admin_user, run_id=run.pk)  # its task never runs here
    run = selectors.import_run_get(actor=admin_user, run_id=run.pk)

    assert (selectors.import_run_state(run), selectors.import_run_stalled(run)) == (
        "running",
        False,
    )
    with pytest.raises(Conflict):
        services.import_resume(actor=admin_user, run_id=run.pk)


def test_a_run_whose_worker_died_is_stalled_and_resumes_from_its_checkpoint(
    admin_user, django_capture_on_commit_callbacks
):
    run = _uploaded(admin_user)
    services.import_start(actor=admin_user, run_id=run.pk)
    run.refresh_from_db()
    Job.objects.filter(pk=run.job_id).update(
        status=JobStatus.RUNNING,
        worker="another-machine:4242",
        heartbeat_at=timezone.now() - dt.timedelta(minutes=30),
    )

    body = _api(admin_user).get(f"{BASE}/imports/{run.pk}").json()
    assert (body["status"], body["stalled"]) == ("running", True)

    with django_capture_on_commit_callbacks(execute=True):
        resumed = services.import_resume(actor=admin_user, run_id=run.pk)

    resumed.refresh_from_db()
    assert resumed.job_id != run.job_id  # a new job for the new execution
    assert (resumed.status, resumed.job.status) == (ImportStatus.FINISHED, JobStatus.SUCCEEDED)
    assert Customer.objects.count() == 2


def test_a_failed_job_fails_the_run_with_its_message(admin_user):
    run = _uploaded(admin_user)
    services.import_start(actor=admin_user, run_id=run.pk)
    run.refresh_from_db()
    Job.objects.filter(pk=run.job_id).update(status=JobStatus.FAILED, message="磁盘已满")

    body = _api(admin_user).get(f"{BASE}/imports/{run.pk}").json()

    assert (body["status"], body["stalled"], body["message"]) == ("failed", False, "磁盘已满")
    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/customers/import/{run.pk}/").content.decode()
    assert 'data-status="failed"' in page and "磁盘已满" in page and 'id="resume-button"' in page


def test_a_live_worker_keeps_the_command_line_from_running_the_same_file(tmp_path, admin_user):
    path = write_csv(tmp_path / "c.csv", ROWS)
    run, _resumed = services.import_local_file(actor=admin_user, kind="customers", path=str(path))
    job = Job.objects.create(
        kind="import", status=JobStatus.RUNNING, worker=worker_id(), heartbeat_at=timezone.now()
    )
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.STARTED, job=job)

    with pytest.raises(Conflict):
        services.import_local_file(actor=admin_user, kind="customers", path=str(path))

    Job.objects.filter(pk=job.pk).update(worker="gone-machine:1", heartbeat_at=None)
    again, resumed = services.import_local_file(actor=admin_user, kind="customers", path=str(path))
    assert (again.pk, resumed) == (run.pk, True)
