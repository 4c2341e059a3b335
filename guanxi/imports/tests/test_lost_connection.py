"""An import whose database connection is lost mid-chunk (PostgreSQL: its server process
is terminated, as a network cut or a database restart would) fails that chunk whole, and
resuming it gives exactly what an uninterrupted run gives."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection
from django.db.utils import Error as DatabaseError

from guanxi.core.db.copy import FastTable
from guanxi.core.models import AuditEntry, JobStatus
from guanxi.customers.models import Customer, Tag, TimelineEntry
from guanxi.imports import pipeline
from guanxi.imports.models import ImportRowError, ImportRun, ImportStatus
from guanxi.imports.pipeline import import_execute
from guanxi.imports.tests.support import counts, run_file
from guanxi.imports.tests.test_pipeline_speedups import _fingerprint, _pipeline_file

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no connection to lose"
)


def _terminate_own_backend() -> None:
    """Ends this connection's server process from another connection."""
    pid = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True)
def test_import_resumes_after_losing_its_database_connection(tmp_path, monkeypatch):
    path = _pipeline_file(tmp_path)
    monkeypatch.setattr(pipeline, "PIPELINE_MIN_BYTES", None)  # one process: one connection
    expected = counts(run_file(path, chunk_rows=97)), _fingerprint()
    for model in (AuditEntry, TimelineEntry, ImportRowError, ImportRun, Customer, Tag):
        model.objects.all().delete()

    # Chunk 4 loses its connection after its customers went in and before their audit rows.
    real = FastTable.write_tuples
    audit_writes: list[int] = []

    def write_tuples(self, tuples):
        if self.model is AuditEntry:
            audit_writes.append(1)
            if len(audit_writes) == 4:
                _terminate_own_backend()
        return real(self, tuples)

    monkeypatch.setattr(FastTable, "write_tuples", write_tuples)
    with pytest.raises(DatabaseError):
        run_file(path, chunk_rows=97)
    monkeypatch.setattr(FastTable, "write_tuples", real)
    connection.close()

    run = ImportRun.objects.select_related("job").get()
    assert (run.status, run.job.status) == (ImportStatus.STARTED, JobStatus.FAILED)
    assert run.chunks_done == 3  # chunk 4 left nothing behind: no customers without audit
    assert Customer.objects.count() == run.created_count
    assert AuditEntry.objects.filter(model="customers.customer", action="create").count() == (
        run.created_count
    )

    resumed = import_execute(run=run, actor=None, chunk_rows=97)

    assert resumed.status == ImportStatus.FINISHED
    assert (counts(resumed), _fingerprint()) == expected
