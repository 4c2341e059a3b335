"""The one bulk writer (``copy_in``: PostgreSQL ``COPY``, elsewhere ``executemany``) and the
fast model inserts of the import's hot path built on it.

Building a Django model instance, snapshotting it for the audit row and building its
timeline entry cost more than everything else an imported row needs (about 55 µs per
customer, measured), so the create path of the import builds plain rows and writes them
with PostgreSQL ``COPY`` (SQLite: ``executemany``). Ids are allocated first from the
table's sequence (SQLite: after ``MAX(id)``, under the write lock the import transaction
holds), so the rows can reference each other and the ledger can record them.

A :class:`FastTable` writes what the model would have written: every concrete column,
defaults for missing values, ``auto_now``/``auto_now_add`` set to one timestamp per call.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router
from django.utils import timezone


class FastTable:
    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.db = router.db_for_write(model)
        meta = model._meta
        self.table = meta.db_table
        self.pk_column = meta.pk.column
        self.fields = [f for f in meta.concrete_fields if not f.primary_key]
        self.attnames = [f.attname for f in self.fields]
        self.columns: list[str] = [str(meta.pk.column), *[str(f.column) for f in self.fields]]
        self.now_fields = {
            f.attname
            for f in self.fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        }
        self._sequence: str | None = None
        self.json_fields = {f.attname: f for f in self.fields if isinstance(f, models.JSONField)}
        self.defaults: dict[str, Any] = {}
        for f in self.fields:
            if f.attname in self.now_fields:
                continue
            self.defaults[f.attname] = (
                f.get_default()
                if f.has_default()
                else ("" if f.empty_strings_allowed and not f.null else None)
            )

    @property
    def connection(self) -> Any:
        return connections[self.db]

    def allocate_ids(self, n: int) -> list[int]:
        """``n`` ids for rows about to be inserted. PostgreSQL takes them from the
        sequence, so they stay free; SQLite counts on from ``MAX(id)``, so they are free
        only until the next row of this table is written (by anyone else in this
        transaction: the import holds SQLite's write lock)."""
        if n <= 0:
            return []
        conn = self.connection
        with conn.cursor() as cursor:
            if conn.vendor == "postgresql":
                if self._sequence is None:
                    # looked up once: in the row query it would be evaluated for every id
                    # (catalog look-ups, measured 12 µs per id, 25 times nextval itself)
                    cursor.execute(
                        "SELECT pg_get_serial_sequence(%s, %s)", [self.table, self.pk_column]
                    )
                    self._sequence = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                    [self._sequence, n],
                )
                return [row[0] for row in cursor.fetchall()]
            cursor.execute(
                f"SELECT COALESCE(MAX({conn.ops.quote_name(self.pk_column)}), 0) "  # noqa: S608
                f"FROM {conn.ops.quote_name(self.table)}"
            )
            start = int(cursor.fetchone()[0]) + 1
        return list(range(start, start + n))

    def insert(
        self,
        rows: Iterable[Mapping[str, Any]],
        ids: Sequence[int] | None = None,
        *,
        count: int | None = None,
        while_writing: Callable[[], None] | None = None,
    ) -> list[int]:
        """Insert ``rows`` (attname → value; missing → the field default) and return ids.

        ``rows`` may be a generator (then give ``ids`` or ``count``): each row is built
        while PostgreSQL is already indexing the ones sent before it. ``while_writing`` is
        called once every row has been sent and before the insert is waited for: Python
        work that needs no database (the connection is busy) runs there while PostgreSQL
        is still indexing the rows."""
        if ids is None:
            n = len(rows) if count is None else count  # type: ignore[arg-type]
            if not n:
                return []
            ids = self.allocate_ids(n)
        elif not ids:
            return []
        self._write(self.tuples(rows, ids), while_writing)
        return list(ids)

    def tuples(
        self, rows: Iterable[Mapping[str, Any]], ids: Sequence[int]
    ) -> Iterator[tuple[Any, ...]]:
        """``rows`` as the column tuples ``insert`` writes, with their ids (for
        :meth:`write_tuples`)."""
        now = timezone.now()
        plain = {**self.defaults, **dict.fromkeys(self.now_fields, now)}
        for name, f in self.json_fields.items():
            encoder = f.encoder or DjangoJSONEncoder
            plain[name] = json.dumps(plain[name], cls=encoder, ensure_ascii=False)
        json_at = [self.attnames.index(name) + 1 for name in self.json_fields]
        encode = DjangoJSONEncoder(ensure_ascii=False).encode
        # every column at once (C speed): defaults, then the row's values over them
        names = self.attnames
        getter = (
            operator.itemgetter(*names)
            if len(names) > 1
            else (lambda d: (d[names[0]],))  # itemgetter of one name gives no tuple
        )
        for pk, row in zip(ids, rows, strict=True):
            merged = plain.copy()
            merged.update(row)
            values = (pk, *getter(merged))
            if json_at:
                values_list = list(values)
                for idx in json_at:
                    value = values_list[idx]
                    if not isinstance(value, str):  # a str is JSON already
                        values_list[idx] = encode(value)
                values = tuple(values_list)
            yield values

    def write_tuples(self, tuples: Iterable[tuple[Any, ...]]) -> None:
        """Insert rows made by :meth:`tuples`."""
        self._write(tuples, None)

    def _write(
        self, tuples: Iterable[tuple[Any, ...]], while_writing: Callable[[], None] | None
    ) -> None:
        conn = self.connection
        if conn.vendor == "postgresql":
            copy_in(conn, self.table, self.columns, rows=tuples, while_writing=while_writing)
            return
        copy_in(conn, self.table, self.columns, rows=map(self._sqlite_converter(conn), tuples))
        if while_writing is not None:
            while_writing()

    def _sqlite_converter(self, conn: Any) -> Any:
        """Only dates, times and decimals need Django's adaptation on SQLite; strings,
        numbers, booleans and None go as they are."""
        fields = [self.model._meta.pk, *self.fields]
        slow = [
            (i, f)
            for i, f in enumerate(fields)
            if isinstance(f, models.DateField | models.TimeField | models.DecimalField)
        ]

        def convert(row: tuple[Any, ...]) -> tuple[Any, ...]:
            if not slow:
                return row
            values = list(row)
            for i, f in slow:
                if values[i] is not None:
                    values[i] = f.get_db_prep_save(values[i], conn)
            return tuple(values)

        return convert


def copy_in(
    conn: Any,
    table: str,
    columns: Sequence[str],
    *,
    rows: Iterable[Sequence[Any]] | None = None,
    chunks: Iterable[bytes] | None = None,
    binary: bool = False,
    while_writing: Callable[[], None] | None = None,
) -> None:
    """The one bulk writer: ``rows`` (value tuples, adapted by psycopg) or ``chunks``
    (bytes already in COPY's text or, with ``binary``, binary format) into ``table``'s
    ``columns`` on the Django connection ``conn``.

    PostgreSQL: one ``COPY … FROM STDIN`` through psycopg's own cursor, inside Django's
    error wrapper (a lost connection is ``django.db.OperationalError`` and marks the
    connection unusable). ``while_writing`` runs after the last row was sent, while the
    server is still writing. Other databases: one ``executemany`` of ``rows`` (``chunks``
    are PostgreSQL's format: refused there)."""
    quote = conn.ops.quote_name
    cols = ", ".join(quote(c) for c in columns)
    if conn.vendor == "postgresql":
        options = " (FORMAT binary)" if binary else ""
        sql = f"COPY {quote(table)} ({cols}) FROM STDIN{options}"
        with conn.wrap_database_errors, conn.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            if rows is not None:
                for row in rows:
                    copy.write_row(row)
            for chunk in chunks or ():
                copy.write(chunk)
            if while_writing is not None:
                while_writing()
        return
    if chunks is not None:
        raise ValueError("COPY-format chunks need PostgreSQL; give rows")
    marks = ", ".join(["%s"] * len(columns))
    with conn.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(table)} ({cols}) VALUES ({marks})",  # noqa: S608
            list(rows or ()),
        )
    if while_writing is not None:
        while_writing()


_TABLES: dict[type[models.Model], FastTable] = {}


def fast_table(model: type[models.Model]) -> FastTable:
    table = _TABLES.get(model)
    if table is None:
        table = _TABLES[model] = FastTable(model)
    return table


def fast_update(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """``QuerySet.bulk_update(objs, fields)`` as one statement: on PostgreSQL an
    ``UPDATE … FROM unnest(arrays)`` (Django's ``CASE WHEN`` per row costs about 3 ms a row
    to build and plan at import chunk sizes), elsewhere one ``executemany``."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    conn = connections[router.db_for_write(model)]
    quote = conn.ops.quote_name
    targets: list[models.Field[Any, Any]] = []
    for name in fields:
        found = meta.get_field(name)
        if not isinstance(found, models.Field):
            raise TypeError(f"fast_update writes concrete fields only, not {name!r}")
        targets.append(found)
    pk = meta.pk
    assert pk is not None
    pk_column = quote(str(pk.column))
    table = quote(meta.db_table)
    columns = [[f.get_db_prep_save(getattr(obj, f.attname), conn) for obj in objs] for f in targets]
    ids = [pk.get_db_prep_save(obj.pk, conn) for obj in objs]
    names = [quote(str(f.column)) for f in targets]
    sets = ", ".join(f"{name} = v.{name}" for name in names)
    if conn.vendor == "postgresql":
        selects = ", ".join(
            [
                f"unnest(%s::{pk.db_type(conn)}[]) AS {pk_column}",
                *(
                    f"unnest(%s::{f.db_type(conn)}[]) AS {name}"
                    for f, name in zip(targets, names, strict=True)
                ),
            ]
        )
        sql = (
            f"UPDATE {table} SET {sets} FROM (SELECT {selects}) AS v "  # noqa: S608
            f"WHERE {table}.{pk_column} = v.{pk_column}"
        )
        with conn.cursor() as cursor:
            cursor.execute(sql, [ids, *columns])
        return
    assignments = ", ".join(f"{name} = %s" for name in names)
    with conn.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s",  # noqa: S608
            [(*values, pk_value) for *values, pk_value in zip(*columns, ids, strict=True)],
        )
