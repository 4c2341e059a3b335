"""The error report of a run, as CSV or XLSX (formula-escaped like every export, in the
reader's language): every rejected row whole — all the columns of the original file, as
they were, then why it was rejected and its row number — so the clerk corrects the cells
in the report and imports the report itself again (the extra columns are not mapped).

When the run's file is gone (a local path removed since), each error is one line instead:
row number, column, value and message."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import IO, Any

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from guanxi.core.io.spreadsheet_export import iter_csv, write_xlsx
from guanxi.imports.files import open_run_table
from guanxi.imports.messages import row_message
from guanxi.imports.models import ImportRowError, ImportRun


def report_headers() -> list[str]:
    """The headers of :func:`report_rows` (one line per error)."""
    return [_("行号"), _("列"), _("值"), _("错误说明")]


def report_rows(run: ImportRun) -> Iterator[list[Any]]:
    """One line per error: row number, column, value, message."""
    qs = ImportRowError.objects.filter(run=run).order_by("row", "id")
    for row, column, value, code, params in qs.values_list(
        "row", "column", "value", "code", "params"
    ).iterator(chunk_size=2000):
        yield [row, column, value, row_message(code, params)]


def _file_available(run: ImportRun) -> bool:
    if run.local_path:
        return os.path.exists(run.local_path)
    return bool(run.storage_name) and default_storage.exists(run.storage_name)


def whole_row_headers(run: ImportRun) -> list[str]:
    """The file's own headers, then the report's two columns."""
    return [*run.headers, _("未导入原因"), _("原文件行号")]


def whole_rows(run: ImportRun) -> Iterator[list[Any]]:
    """The rejected rows of the file, each whole, with its messages ("column: message; …") and its
    row number. The file and the errors are both read in row order and merged as they
    stream: no row of either is held beyond the current one."""
    errors = (
        ImportRowError.objects.filter(run=run)
        .order_by("row", "id")
        .values_list("row", "column", "code", "params")
        .iterator(chunk_size=2000)
    )
    by_row = ((row, list(group)) for row, group in itertools.groupby(errors, key=lambda e: e[0]))
    width = len(run.headers)
    separator, colon = _("；"), _("：")
    pending = next(by_row, None)
    if pending is None:
        return
    with open_run_table(run) as table:
        for number, values in table.rows():
            while pending is not None and pending[0] < number:
                pending = next(by_row, None)  # an error of a row the file does not have
            if pending is None:
                return
            if pending[0] != number:
                continue
            cells = ["" if v is None else v for v in values[:width]]
            cells += [""] * (width - len(cells))
            message = separator.join(
                f"{column}{colon}{row_message(code, params)}"
                for _r, column, code, params in pending[1]
            )
            yield [*cells, message, number]
            pending = next(by_row, None)


def _report(run: ImportRun) -> tuple[Iterator[list[Any]], list[str]]:
    if _file_available(run) and run.headers:
        return whole_rows(run), whole_row_headers(run)
    return report_rows(run), report_headers()


def report_csv(run: ImportRun) -> Iterator[bytes]:
    rows, headers = _report(run)
    return iter_csv(rows, headers)


def report_xlsx(run: ImportRun, fileobj: IO[bytes] | str) -> int:
    rows, headers = _report(run)
    return write_xlsx(rows, headers, fileobj, sheet_title=_("错误"))
