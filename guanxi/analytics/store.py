"""Writing a recompute's results into the tables the migrations made, with no DDL at run
time (docs/adr/0004-analytics-storage-without-ddl.md).

Inside the recompute's transaction ``values_replace`` deletes every ``CustomerValue`` row
and writes the new ones straight into the table (PostgreSQL: binary ``COPY`` built from the
NumPy arrays; SQLite: ``executemany``), and ``snapshot_take`` copies them into the run's
``ValueSnapshot`` rows. Until that transaction commits every other connection reads the
previous run's rows (PostgreSQL: MVCC; SQLite: the WAL snapshot), afterwards all of the
new ones: never a mix of the two. The deleted row versions stay in a PostgreSQL table
until it is vacuumed; ``tidy`` vacuums it after the commit, because autovacuum may be off
and each run would otherwise leave a whole table's worth of dead rows behind.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, models

from guanxi.analytics import aggregate
from guanxi.analytics.models import CustomerValue, ValueSnapshot
from guanxi.core.db.copy import copy_in

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
ByteArray = npt.NDArray[np.uint8]

# Rows per COPY block: bounds the encoder's memory (about 450 bytes a row).
COPY_ROWS = 100_000
# Serialises two recomputes' stores (PostgreSQL): the second waits for the first to commit
# and then deletes the first's rows. Any constant; this is "gx-cv" in ASCII.
STORE_LOCK = 0x67782D6376
_PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_PG_EPOCH_DAYS = 10_957  # days from 1970-01-01 to 2000-01-01
_FIXED_PG = {
    "bigint": ">i8",
    "integer": ">i4",
    "smallint": ">i2",
    "double precision": ">f8",
    "boolean": "u1",
    "date": ">i4",
    "timestamp with time zone": ">i8",
}
# A numeric(p, 2) with p <= 18 as 5 base-10000 digits: 4 before the point, 1 after.
# PostgreSQL strips the leading and trailing zero digits on receipt.
_NUMERIC_DIGITS = 5
_NUMERIC_NEG = 0x4000
_SNAPSHOT_COLUMNS = ("value_class", "cycle_band", "amount_band", "rfm_segment", "revenue",
                     "average_amount", "average_cycle_days", "clv", "p_alive")  # fmt: skip


@dataclass(frozen=True)
class Labels:
    """A text column as positions in ``names``; -1 is the empty string."""

    codes: IntArray
    names: tuple[str, ...]


# One column's values for every row: an array (floats: NaN is NULL; dates: days since
# 1970-01-01; money: float amounts, rounded to the fen), labels (also JSON texts), or one
# value for all rows.
Column = npt.NDArray[Any] | Labels | dt.datetime


def _fields() -> list[models.Field[Any, Any]]:
    return list(CustomerValue._meta.concrete_fields)


def _check_columns(columns: Mapping[str, Column]) -> None:
    wanted = {f.attname for f in _fields()}
    if set(columns) != wanted:
        missing, extra = sorted(wanted - set(columns)), sorted(set(columns) - wanted)
        raise ValueError(f"CustomerValue columns: missing {missing}, unknown {extra}")


def _null_mask(field: models.Field[Any, Any], values: npt.NDArray[Any]) -> Any:
    if values.dtype.kind != "f":
        return None
    null = np.isnan(values)
    if not field.null and null.any():
        raise ValueError(f"CustomerValue.{field.attname}: NULL in a NOT NULL column")
    return null


# --- PostgreSQL: binary COPY --------------------------------------------------------------


def _text_table(
    names: tuple[str, ...], prefix: bytes = b""
) -> tuple[ByteArray, npt.NDArray[np.int32]]:
    """Each name's UTF-8 bytes (padded) and length, the empty string last (index -1).
    ``prefix`` goes before each name (jsonb's binary format: a version byte, then text)."""
    encoded = [prefix + name.encode() for name in names] + [prefix]
    width = max(1, *(len(e) for e in encoded))
    table = np.zeros((len(encoded), width), dtype=np.uint8)
    for i, e in enumerate(encoded):
        table[i, : len(e)] = np.frombuffer(e, dtype=np.uint8)
    return table, np.array([len(e) for e in encoded], dtype=np.int32)


def _numeric_cents(values: npt.NDArray[np.float64]) -> ByteArray:
    """Amounts as PostgreSQL's binary numeric with 2 decimal places (NaN rows: zeros)."""
    cents = np.rint(np.nan_to_num(values) * 100.0).astype(np.int64)
    if np.any(np.abs(cents) >= 10**16):
        raise ValueError("amount out of range for numeric(16, 2)")
    whole, fen = np.divmod(np.abs(cents), 100)
    digits = np.empty((len(values), 4 + _NUMERIC_DIGITS), dtype=">i2")
    digits[:, 0] = _NUMERIC_DIGITS  # ndigits
    digits[:, 1] = _NUMERIC_DIGITS - 2  # weight of the first digit (10000^3)
    digits[:, 2] = np.where(cents < 0, _NUMERIC_NEG, 0)  # sign
    digits[:, 3] = 2  # display scale
    digits[:, 4] = whole // 10**12
    digits[:, 5] = whole // 10**8 % 10**4
    digits[:, 6] = whole // 10**4 % 10**4
    digits[:, 7] = whole % 10**4
    digits[:, 8] = fen * 100
    return digits.view(np.uint8).reshape(len(values), -1)


def _pg_field(
    field: models.Field[Any, Any], db_type: str, column: Column, start: int, stop: int
) -> tuple[ByteArray, npt.NDArray[np.int32]]:
    """Rows ``start:stop`` of one column: each row's bytes (padded to one width) and
    length (-1: NULL)."""
    n = stop - start
    if isinstance(column, Labels):
        table, lengths = _text_table(column.names, b"\x01" if db_type == "jsonb" else b"")
        codes = column.codes[start:stop]
        return table[codes], lengths[codes]
    if isinstance(column, dt.datetime):
        micro = (column - _PG_EPOCH) // dt.timedelta(microseconds=1)
        payload = np.full(n, micro, dtype=">i8").view(np.uint8).reshape(n, 8)
        return payload, np.full(n, 8, dtype=np.int32)
    values = column[start:stop]
    null = _null_mask(field, values)
    if db_type.startswith("numeric("):
        payload = _numeric_cents(values)
    else:
        if db_type == "date":
            values = values - _PG_EPOCH_DAYS
        typed = np.ascontiguousarray(np.nan_to_num(values) if null is not None else values)
        payload = typed.astype(_FIXED_PG[db_type]).view(np.uint8).reshape(n, -1)
    lengths = np.full(n, payload.shape[1], dtype=np.int32)
    if null is not None:
        lengths[null] = -1
    return payload, lengths


def _pg_block(encoded: list[tuple[ByteArray, npt.NDArray[np.int32]]], n: int) -> bytes:
    """COPY binary rows: a field count, then each field's length and bytes.

    Every field is first laid out at its widest in one byte matrix (a column at a time).
    The rows are then grouped by their fields' lengths (text values and NULLs make a few
    hundred such layouts), and each group's bytes are cut out of the matrix with one
    column selection, so no Python object is made per row. Within a group the rows keep
    their order; the groups go one after the other."""
    width = 2 + sum(4 + payload.shape[1] for payload, _lengths in encoded)
    rows = np.empty((n, width), dtype=np.uint8)
    rows[:, 0:2] = np.frombuffer(len(encoded).to_bytes(2, "big"), dtype=np.uint8)
    field_of_byte = np.full(width, -1, dtype=np.int64)  # -1: a count or length byte
    payload_byte = np.zeros(width, dtype=np.int64)  # position within the field's bytes
    key = np.zeros(n, dtype=np.int64)
    span = 1
    used = np.empty((n, len(encoded)), dtype=np.int32)
    offset = 2
    for i, (payload, lengths) in enumerate(encoded):
        size = payload.shape[1]
        rows[:, offset : offset + 4] = lengths.astype(">i4").view(np.uint8).reshape(n, 4)
        rows[:, offset + 4 : offset + 4 + size] = payload
        field_of_byte[offset + 4 : offset + 4 + size] = i
        payload_byte[offset + 4 : offset + 4 + size] = np.arange(size)
        used[:, i] = np.maximum(lengths, 0)
        if np.any(lengths != size):
            span *= size + 2
            if span >= 1 << 62:
                raise ValueError("too many variable-length columns for one layout key")
            key = key * (size + 2) + (lengths.astype(np.int64) + 1)
        offset += 4 + size
    if span == 1:
        return rows.tobytes()
    _layouts, inverse = np.unique(key, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    rows, used = rows[order], used[order]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse))]).tolist()
    header = field_of_byte < 0
    parts: list[bytes] = []
    for start, stop in itertools.pairwise(bounds):
        lengths_here = used[start]
        keep = header | (payload_byte < lengths_here[np.maximum(field_of_byte, 0)])
        parts.append(rows[start:stop][:, np.flatnonzero(keep)].tobytes())
    return b"".join(parts)


def _pg_copy_data(columns: Mapping[str, Column], n: int) -> Iterator[bytes]:
    """The COPY stream: header, blocks of ``COPY_ROWS`` rows, trailer. (Encoding the next
    block in a thread while one is sent made no measurable difference: the server's
    index work is the bottleneck.)"""
    fields = _fields()
    db_types = [str(f.db_type(connection)) for f in fields]
    yield b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
    for start in range(0, n, COPY_ROWS):
        stop = min(n, start + COPY_ROWS)
        encoded = [
            _pg_field(f, db_type, columns[f.attname], start, stop)
            for f, db_type in zip(fields, db_types, strict=True)
        ]
        yield _pg_block(encoded, stop - start)
    yield (-1).to_bytes(2, "big", signed=True)


def _copy_postgresql(columns: Mapping[str, Column], n: int) -> None:
    copy_in(
        connection,
        CustomerValue._meta.db_table,
        [str(f.column) for f in _fields()],
        chunks=_pg_copy_data(columns, n),
        binary=True,
    )


# --- SQLite: rows for executemany ---------------------------------------------------------


def _sqlite_values(field: models.Field[Any, Any], column: Column, n: int) -> list[Any]:
    if isinstance(column, Labels):
        names = np.array([*column.names, ""], dtype=object)
        result: list[Any] = names[column.codes].tolist()
        return result
    if isinstance(column, dt.datetime):
        return [connection.ops.adapt_datetimefield_value(column)] * n
    if isinstance(field, models.DateField):
        days = np.asarray(column, dtype=np.int64).astype("datetime64[D]")
        dates: list[Any] = np.datetime_as_string(days).tolist()
        return dates
    values = column
    if isinstance(field, models.DecimalField):
        values = np.round(values, 2)
    if isinstance(field, models.BooleanField):
        values = values.astype(np.int64)
    null = _null_mask(field, values)
    plain: list[Any] = values.tolist()
    if null is not None and null.any():
        for i in np.flatnonzero(null).tolist():
            plain[i] = None
    return plain


def _insert_sqlite(columns: Mapping[str, Column], n: int) -> None:
    fields = _fields()
    lists = [_sqlite_values(f, columns[f.attname], n) for f in fields]
    copy_in(
        connection,
        CustomerValue._meta.db_table,
        [str(f.column) for f in fields],
        rows=zip(*lists, strict=True),
    )


# --- the steps ----------------------------------------------------------------------------


def _rows(columns: Mapping[str, Column], keep: npt.NDArray[np.bool_]) -> dict[str, Column]:
    kept: dict[str, Column] = {}
    for name, column in columns.items():
        if isinstance(column, Labels):
            kept[name] = Labels(column.codes[keep], column.names)
        elif isinstance(column, np.ndarray):
            kept[name] = column[keep]
        else:
            kept[name] = column
    return kept


def values_replace(columns: Mapping[str, Column], n: int) -> dict[str, float]:
    """Replace every ``CustomerValue`` row by the ``n`` rows of ``columns`` (one per
    concrete field, by attname). Must run inside the caller's transaction: that is what
    keeps the previous rows visible to everyone else until it commits. Rows of customers
    deleted since their orders were read are left out (the link has no database
    constraint, see ``CustomerValue``)."""
    if not connection.in_atomic_block:
        raise RuntimeError("values_replace must run inside a transaction")
    _check_columns(columns)
    table = CustomerValue._meta.db_table
    timings: dict[str, float] = {}
    with connection.cursor() as cursor:
        t = time.perf_counter()
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [STORE_LOCK])
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - constant
        timings["store_delete_s"] = time.perf_counter() - t
        t = time.perf_counter()
        ids = columns["customer_id"]
        assert isinstance(ids, np.ndarray)
        existing = aggregate.customer_ids()
        at = np.minimum(np.searchsorted(existing, ids), max(0, len(existing) - 1))
        present = existing[at] == ids if len(existing) else np.zeros(len(ids), dtype=bool)
        if not present.all():
            columns, n = _rows(columns, present), int(present.sum())
        timings["store_customers_s"] = time.perf_counter() - t
        t = time.perf_counter()
        if n:
            if connection.vendor == "postgresql":
                _copy_postgresql(columns, n)
            else:
                _insert_sqlite(columns, n)
        timings["store_insert_s"] = time.perf_counter() - t
    return timings


def _snapshot_sql() -> str:
    """Snapshot every ``CustomerValue`` row for run %(run)s, with the same customer's
    class, bands and measures in the previous snapshot (run %(previous)s, -1 for none)."""
    columns = ", ".join(_SNAPSHOT_COLUMNS)
    current = ", ".join(f"n.{c}" for c in _SNAPSHOT_COLUMNS)
    table = ValueSnapshot._meta.db_table
    return (
        f"INSERT INTO {table} (run_id, customer_id, {columns}, previous_class, "  # noqa: S608
        "previous_cycle_band, previous_amount_band, previous_average_cycle_days, "
        "previous_average_amount) "
        f"SELECT %(run)s, n.customer_id, {current}, COALESCE(p.value_class, ''), "
        "COALESCE(p.cycle_band, ''), COALESCE(p.amount_band, ''), p.average_cycle_days, "
        f"p.average_amount FROM {CustomerValue._meta.db_table} n LEFT JOIN {table} p "
        "ON p.run_id = %(previous)s AND p.customer_id = n.customer_id"
    )


def snapshot_take(*, run_id: int, previous_run_id: int | None) -> dict[str, float]:
    """Copy every ``CustomerValue`` row into run ``run_id``'s snapshot, beside the same
    customer's row in ``previous_run_id``'s (in the caller's transaction)."""
    t = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The join with the previous snapshot (a million rows) in memory, not in
            # temporary files; for the rest of this transaction only.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(_snapshot_sql(), {"run": run_id, "previous": previous_run_id or -1})
    return {"snapshot_s": time.perf_counter() - t}


def tidy(*, snapshots_pruned: bool) -> dict[str, float]:
    """After the recompute committed (PostgreSQL): vacuum ``CustomerValue`` — the previous
    run's rows are dead now — and refresh its planner statistics; vacuum the snapshots
    too when old ones were deleted. ``VACUUM`` cannot run in a transaction: called inside
    one (tests) it does nothing, and the next recompute outside one catches up. A failure
    here is logged, not raised: the run itself is complete."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return {}
    timings: dict[str, float] = {}
    tables = [("vacuum_values_s", CustomerValue._meta.db_table, True)]
    if snapshots_pruned:
        tables.append(("vacuum_snapshots_s", ValueSnapshot._meta.db_table, False))
    with connection.cursor() as cursor:
        for name, table, analyse in tables:
            t = time.perf_counter()
            try:
                cursor.execute(f"VACUUM {'(ANALYZE) ' if analyse else ''}{table}")
            except Exception:
                logger.exception("VACUUM %s after the analytics recompute failed", table)
            timings[name] = time.perf_counter() - t
    return timings
