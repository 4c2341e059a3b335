"""Data: whether an import runs, on which worker, its heartbeat and why it failed move to
its progress job (``core.Job``); the run keeps its lifecycle. A running or failed run
becomes "started", its job says running (with the run's worker and heartbeat) or failed
(with the run's message). A run without a job (one the command line ran) gets one.
Backwards, a started run is "failed" unless its job is queued or running."""

from django.db import migrations
from django.utils import timezone


def to_jobs(apps, schema_editor):
    ImportRun = apps.get_model("imports", "ImportRun")
    Job = apps.get_model("core", "Job")
    runs = ImportRun.objects.filter(status__in=["running", "failed"]).select_related("job")
    for run in runs.iterator(chunk_size=500):
        job = run.job
        if job is None:
            job = Job(
                kind="import",
                created_by_id=run.created_by_id,
                params={"run": run.pk},
                started_at=run.started_at,
            )
        if run.status == "failed":
            job.status = "failed"
            job.message = run.message[:300]
            job.errors = [{"message": run.message}] if run.message else []
            job.finished_at = job.finished_at or timezone.now()
            run.message = ""
        elif not (job.status == "queued" and not run.worker):  # else: waiting for a worker
            job.status = "running"
        job.worker = run.worker
        job.heartbeat_at = run.heartbeat_at
        job.save()
        run.status = "started"
        run.job = job
        run.save(update_fields=["status", "job", "message"])


def from_jobs(apps, schema_editor):
    ImportRun = apps.get_model("imports", "ImportRun")
    for run in ImportRun.objects.filter(status="started").select_related("job").iterator(
        chunk_size=500
    ):
        job = run.job
        failed = job is None or job.status not in ("queued", "running")
        run.status = "failed" if failed else "running"
        run.worker = job.worker if job is not None else ""
        run.heartbeat_at = job.heartbeat_at if job is not None else None
        if failed and job is not None and not run.message:
            run.message = job.message[:500]
        run.save(update_fields=["status", "worker", "heartbeat_at", "message"])


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0002_relabel_import_records"),
        ("core", "0002_job_worker_heartbeat_task_result"),
    ]

    operations = [migrations.RunPython(to_jobs, from_jobs)]
