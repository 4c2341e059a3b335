"""PostgreSQL: a large import refreshes the planner's statistics of what it wrote."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.core.models import AuditEntry
from guanxi.customers.models import Customer
from guanxi.imports import pipeline
from guanxi.imports.tests.support import run_file
from guanxi.imports.tests.test_pipeline_speedups import _pipeline_file

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's planner statistics"
)


def _planner_rows(model) -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
@pytest.mark.parametrize("threshold", [1, 10_000])
def test_a_large_import_refreshes_the_planners_statistics(tmp_path, monkeypatch, threshold):
    """An import past ``ANALYZE_AFTER_ROWS`` runs ``ANALYZE`` on what it wrote: the
    planner's row counts of the customer and audit tables are then exact. A smaller one
    does not."""
    monkeypatch.setattr(pipeline, "ANALYZE_AFTER_ROWS", threshold)

    with CaptureQueriesContext(connection) as queries:
        run = run_file(_pipeline_file(tmp_path), chunk_rows=97)

    analyzed = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    assert run.created_count > 100
    if threshold == 1:
        assert any("customers_customer" in sql for sql in analyzed)
        assert _planner_rows(Customer) == Customer.objects.count()
        assert _planner_rows(AuditEntry) == AuditEntry.objects.count()
    else:
        assert analyzed == []
