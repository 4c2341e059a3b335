"""Writing one chunk of clean rows: the base of every kind's writer, and what writers share.

A writer decides for each row: create, update (the row duplicates an existing record or an
earlier row of the file), skip, or fail (with the reason); then writes the chunk in bulk
with its audit rows (and whatever else its kind records, such as timeline entries). It
runs inside the chunk's transaction (see ``pipeline``) and returns what it did for the
ledger: the ids it created per model label (``app.model``) and, per updated record,
``[label, id, {field: value before}, {field: value after}]``. Each kind's writer lives in
its app's ``importers`` and is named by its ``registry.ImportKind``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

from django.db.models import Model

from guanxi.core import audit
from guanxi.core.db.copy import fast_table, fast_update
from guanxi.core.models import AuditEntry
from guanxi.imports.context import UPDATE_ACTION, ChunkResult, RunContext, RunLedger
from guanxi.imports.rows import CleanRow, RowCleaner


class Writer:
    """The writer of one kind for one run: built once per run, then given every chunk."""

    def __init__(self, ctx: RunContext, cleaner: RowCleaner) -> None:
        self.ctx = ctx
        self.cleaner = cleaner

    def col(self, name: str) -> str:
        """The file's header of field ``name`` (what a row error names)."""
        return self.cleaner.header_of(name)

    def warm(self) -> None:
        """Load what ``prepare`` and ``write`` need, once (before the worker forks)."""

    def prepare(self, rows: list[CleanRow]) -> None:
        """Per-row work that needs no database, done before ``write`` (in the import's
        worker process when there is one): stored in ``CleanRow.prepared``."""

    def resume(self, ledger: RunLedger) -> None:
        """The run is resumed after ``ledger``'s chunks: a writer that carries state from
        chunk to chunk (the orders a later chunk adds lines to) reloads it here."""

    def write(self, rows: list[CleanRow]) -> ChunkResult:
        raise NotImplementedError


def plain(value: Any) -> Any:
    """A value as the audit log stores it (JSON)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


_EMPTY: Final[tuple[Any, ...]] = (None, "", [], {})
_PLAIN_TYPES: Final = (Decimal, dt.date)  # dt.datetime is a dt.date


def create_changes(row: dict[str, Any], names: Sequence[str]) -> dict[str, list[Any]]:
    """``audit_create``'s changes: every non-empty field as ``[None, value]``."""
    get = row.get
    out = {name: [None, value] for name in names if (value := get(name)) not in _EMPTY}
    for pair in out.values():
        if isinstance(pair[1], _PLAIN_TYPES):
            pair[1] = plain(pair[1])
    return out


@functools.cache
def audit_fields(model: type[Model]) -> list[str]:
    """The attribute names of ``model`` that audit rows record."""
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f.name not in audit.SKIPPED_FIELDS and not f.primary_key
    ]


def write_audit(rows: list[dict[str, Any]]) -> None:
    """Audit rows built with ``RunContext.audit_row``, in bulk."""
    fast_table(AuditEntry).insert(rows)


def save_simple_updates(
    ctx: RunContext,
    model: type[Model],
    objects: dict[int, Any],
    befores: dict[int, dict[str, Any]],
    result: ChunkResult,
) -> None:
    """Save the records of ``objects`` that changed since their snapshot in ``befores``
    (their ``version`` moved on), with their audit rows and ledger entries."""
    label = model._meta.label_lower
    dirty: list[Any] = []
    audits: list[dict[str, Any]] = []
    fields: set[str] = set()
    for pk, before in befores.items():
        obj = objects[pk]
        changes = audit.diff(before, audit.snapshot(obj, before.keys()))
        if not changes:
            continue
        obj.version += 1
        obj.updated_at = ctx.now
        dirty.append(obj)
        fields.update(changes)
        result.updated.append(
            [
                label,
                pk,
                {k: v[0] for k, v in changes.items()},
                {k: v[1] for k, v in changes.items()},
            ]
        )
        audits.append(
            ctx.audit_row(
                action=UPDATE_ACTION,
                model=label,
                object_id=pk,
                object_repr=str(obj),
                customer_id=getattr(obj, "customer_id", None),
                changes=changes,
            )
        )
    if dirty:
        fast_update(dirty, sorted(fields | {"version", "updated_at"}))
    write_audit(audits)
