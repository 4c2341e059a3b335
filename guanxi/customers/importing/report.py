"""The error report of a run: row number, column, value and a message, in the reader's
language, as CSV or XLSX (formula-escaped like every export)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from django.utils.translation import gettext as _

from guanxi.core.spreadsheet_export import iter_csv, write_xlsx
from guanxi.customers.importing.messages import row_message
from guanxi.customers.models import ImportRowError, ImportRun


def report_headers() -> list[str]:
    return [_("行号"), _("列"), _("值"), _("错误说明")]


def report_rows(run: ImportRun) -> Iterator[list[Any]]:
    qs = ImportRowError.objects.filter(run=run).order_by("row", "id")
    for row, column, value, code, params in qs.values_list(
        "row", "column", "value", "code", "params"
    ).iterator(chunk_size=2000):
        yield [row, column, value, row_message(code, params)]


def report_csv(run: ImportRun) -> Iterator[bytes]:
    return iter_csv(report_rows(run), report_headers())


def report_xlsx(run: ImportRun, fileobj: IO[bytes] | str) -> int:
    return write_xlsx(report_rows(run), report_headers(), fileobj, sheet_title=_("错误"))
