"""Helpers for the import tests (no tests here)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from guanxi.imports.models import ImportRun
from guanxi.imports.pipeline import import_execute
from guanxi.imports.services import import_local_file


def csv_bytes(
    rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8", delimiter: str = ","
) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue().encode(encoding)


def write_csv(path: Path, rows: Sequence[Sequence[Any]], **kw: Any) -> Path:
    path.write_bytes(csv_bytes(rows, **kw))
    return path


def run_file(
    path: Path | str,
    kind: str = "customers",
    *,
    actor: Any = None,
    chunk_rows: int = 2000,
    **options: Any,
) -> ImportRun:
    run, _resumed = import_local_file(actor=actor, kind=kind, path=str(path), **options)
    return import_execute(run=run, actor=actor, chunk_rows=chunk_rows)


def counts(run: ImportRun) -> tuple[int, int, int, int]:
    return run.created_count, run.updated_count, run.skipped_count, run.failed_count
