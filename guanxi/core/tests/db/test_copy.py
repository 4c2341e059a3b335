"""``copy_in``: the one bulk writer, on SQLite (executemany) and PostgreSQL (COPY)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from guanxi.core.db.copy import copy_in
from guanxi.core.models import SecurityEvent

pytestmark = pytest.mark.django_db

COLUMNS = ("created_at", "actor_label", "event", "ip", "details")


def _rows(n):
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return [(at, f"用户{i}", "login", None, f'{{"n": {i}}}') for i in range(n)]


def test_copy_in_writes_every_row_with_its_values():
    copy_in(connection, SecurityEvent._meta.db_table, COLUMNS, rows=_rows(3))

    events = list(SecurityEvent.objects.order_by("pk"))
    assert [e.actor_label for e in events] == ["用户0", "用户1", "用户2"]
    assert [e.details for e in events] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert {e.event for e in events} == {"login"}


def test_copy_in_calls_while_writing_once_after_the_rows():
    seen = []

    copy_in(
        connection,
        SecurityEvent._meta.db_table,
        COLUMNS,
        rows=iter(_rows(2)),
        while_writing=lambda: seen.append("called"),
    )

    assert seen == ["called"]
    assert SecurityEvent.objects.count() == 2


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL accepts COPY chunks")
def test_copy_in_refuses_copy_format_chunks_without_postgresql():
    with pytest.raises(ValueError, match="PostgreSQL"):
        copy_in(connection, SecurityEvent._meta.db_table, COLUMNS, chunks=[b"x\n"])

    assert SecurityEvent.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY text format is PostgreSQL's")
def test_copy_in_writes_text_format_chunks_on_postgresql():
    chunk = "2026-01-01 00:00:00+00\t张三\tlogin\t\\N\t{}\n".encode()

    copy_in(connection, SecurityEvent._meta.db_table, COLUMNS, chunks=[chunk])

    assert list(SecurityEvent.objects.values_list("actor_label", "event")) == [("张三", "login")]
