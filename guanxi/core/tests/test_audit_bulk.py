"""The bulk audit writers: the same entries whichever way they are written (one INSERT for a
few rows; COPY on PostgreSQL from ``COPY_FROM_ROWS`` rows on)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from guanxi.core import audit
from guanxi.core.models import AuditAction, AuditEntry, AuditSource

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC)


class _Model:
    class _meta:  # what audit reads of a model class
        label_lower = "service.ticket"


def _rows(n: int) -> list[tuple[int, str, int | None, dict[str, list[object]]]]:
    return [
        (
            i,
            f"#{i} 工单",
            i if i % 2 else None,
            {"breached_at": [None, AT], "priority": ["low", "normal"]},
        )
        for i in range(1, n + 1)
    ]


@pytest.mark.parametrize("n", [3, audit.COPY_FROM_ROWS, audit.COPY_FROM_ROWS + 7])
def test_every_row_is_written_with_its_values(n: int, django_user_model) -> None:
    actor = django_user_model.objects.create(username="审计员")
    with audit.audit_source(AuditSource.API):
        written = audit.audit_bulk_update(actor=actor, model=_Model, rows=_rows(n))
    assert written == n
    entries = list(AuditEntry.objects.order_by("id"))
    assert len(entries) == n
    first, last = entries[0], entries[-1]
    assert (first.actor_id, first.actor_label, first.source) == (
        actor.pk,
        "审计员",
        AuditSource.API,
    )
    assert first.action == AuditAction.UPDATE and first.model == "service.ticket"
    assert (first.object_id, first.object_repr, first.customer_id) == ("1", "#1 工单", 1)
    assert last.customer_id == (n if n % 2 else None)
    assert first.changes == {
        "breached_at": [None, "2026-12-04T09:30:00+00:00"],
        "priority": ["low", "normal"],
    }
    assert all(e.created_at is not None for e in entries)
    # ids come from the table's own sequence: the next ordinary save does not collide
    AuditEntry.objects.create(actor_label="x", source=AuditSource.API, action=AuditAction.CREATE,
                              model="m", object_id="1", object_repr="x")  # fmt: skip


def test_a_big_batch_on_postgresql_is_one_copy(django_assert_max_num_queries) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    n = audit.COPY_FROM_ROWS * 3
    with django_assert_max_num_queries(2):  # the ids from the sequence, then COPY
        audit.audit_bulk_update(actor=None, model=_Model, rows=_rows(n))
    assert AuditEntry.objects.filter(actor_label="system").count() == n


def test_no_rows_write_nothing(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        assert audit.audit_bulk_update(actor=None, model=_Model, rows=[]) == 0
