"""Spreadsheet exports that cannot smuggle formulas into the user's Excel/WPS.

Pure Python (no Django).

CSV/formula injection (OWASP): a text cell that starts with ``=``, ``+``, ``-``, ``@``, tab,
CR/LF or another control character, or that starts with whitespace followed by one of
these, is prefixed with a single quote ``'``; so are full-width/small variants of
``= + - @`` and text that itself starts with ``'`` (so :func:`unescape_cell` is an exact
inverse). *Security first*: numeric-looking **strings** such as ``"-12.5"`` or
``"+8613800138000"`` are escaped too; pass real numbers as ``int``/``float``/``Decimal``
and they are written untouched (as number cells in XLSX).

Values: ``None`` -> empty; ``bool`` -> TRUE/FALSE (CSV) or a boolean cell; ``Decimal``,
``int``, ``float`` -> numbers (non-finite floats -> empty; XLSX ints beyond 15 digits, which
Excel would round, are written as text); ``date``/``datetime``/``time`` -> ISO text in CSV and
date cells in XLSX (time-zone-aware values are written in their own wall-clock time with the
zone dropped: convert to the user's zone first); anything else -> ``str(value)``, escaped.
XLSX strings lose characters XML cannot carry (C0 controls except TAB/LF/CR, lone
surrogates, U+FFFE/U+FFFF) and are cut at Excel's 32,767 characters.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any, Final

__all__ = [
    "escape_cell",
    "iter_csv",
    "unescape_cell",
    "write_csv",
    "write_xlsx",
]

CellValue = str | int | float | Decimal | bool | date | datetime | time | None

_DANGEROUS_FIRST: Final = frozenset("=+-@\t\r\n＝＋－＠﹦﹢﹣﹫")
_CSV_BATCH: Final = 512
_XML_ILLEGAL_RE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MAX_XLSX_TEXT: Final = 32_767
_MAX_EXACT_INT: Final = 10**15


def _needs_quote(s: str) -> bool:
    first = s[0]
    if first in _DANGEROUS_FIRST or first == "'":
        return True
    if first < " " or "\x7f" <= first <= "\x9f":
        return True
    if first.isspace():
        rest = s.lstrip()
        if rest:
            lead = rest[0]
            return lead in _DANGEROUS_FIRST or lead < " " or "\x7f" <= lead <= "\x9f"
    return False


def escape_cell(value: object) -> CellValue:
    """Neutralise formula injection in ``value`` (see module docstring). Numbers, booleans,
    dates and None pass through unchanged; any other object is converted with ``str``."""
    if value is None or isinstance(value, bool | int | float | Decimal | date | time):
        return value
    s = value if isinstance(value, str) else str(value)
    if s and _needs_quote(s):
        return "'" + s
    return s


def unescape_cell(value: str) -> str:
    """Inverse of :func:`escape_cell` for strings: ``unescape_cell(escape_cell(s)) == s``.
    Useful when re-importing our own exports."""
    if value.startswith("'") and len(value) > 1 and _needs_quote(value[1:]):
        return value[1:]
    return value


# --------------------------------------------------------------------------------------
# CSV


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        escaped = escape_cell(value)
        assert isinstance(escaped, str)
        return escaped
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else ""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    escaped = escape_cell(value)
    return escaped if isinstance(escaped, str) else str(escaped)


def iter_csv(
    rows: Iterable[Sequence[object]], headers: Sequence[object], *, bom: bool = True
) -> Iterator[bytes]:
    """Yield UTF-8 CSV chunks (a BOM first, so Excel in China opens it as UTF-8) for a
    streaming HTTP response. CRLF line ends, minimal quoting, every cell escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write("\ufeff")
    writer.writerow([_csv_text(h) for h in headers])
    pending = 0
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
        pending += 1
        if pending >= _CSV_BATCH:
            yield buffer.getvalue().encode("utf-8", "surrogatepass")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    tail = buffer.getvalue()
    if tail:
        yield tail.encode("utf-8", "surrogatepass")


class _Counter:
    __slots__ = ("n", "rows")

    def __init__(self, rows: Iterable[Sequence[object]]) -> None:
        self.rows = rows
        self.n = 0

    def __iter__(self) -> Iterator[Sequence[object]]:
        for row in self.rows:
            self.n += 1
            yield row


def _is_binary(fileobj: object) -> bool:
    if isinstance(fileobj, io.TextIOBase):
        return False
    if isinstance(fileobj, io.RawIOBase | io.BufferedIOBase):
        return True
    return "b" in str(getattr(fileobj, "mode", ""))


def write_csv(
    rows: Iterable[Sequence[object]],
    headers: Sequence[object],
    fileobj: IO[bytes] | IO[str],
    *,
    bom: bool = True,
) -> int:
    """Stream ``rows`` as CSV into ``fileobj`` and return the number of data rows.

    A binary file receives UTF-8 bytes. A text file receives ``str`` (open it with
    ``encoding="utf-8", newline=""``); the BOM is written as ``\\ufeff``.
    """
    counter = _Counter(rows)
    write: Callable[[Any], object] = fileobj.write
    binary = _is_binary(fileobj)
    for chunk in iter_csv(counter, headers, bom=bom):
        write(chunk if binary else chunk.decode("utf-8", "surrogatepass"))
    return counter.n


# --------------------------------------------------------------------------------------
# XLSX


def _xlsx_text(value: str) -> str:
    if not value.isascii() or _XML_ILLEGAL_RE.search(value):
        value = _XML_ILLEGAL_RE.sub("", value)
    escaped = escape_cell(value)
    assert isinstance(escaped, str)
    return escaped[:_MAX_XLSX_TEXT]


def _xlsx_value(value: object) -> CellValue:
    if value is None:
        return None
    if isinstance(value, str):
        return _xlsx_text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -_MAX_EXACT_INT < value < _MAX_EXACT_INT else _xlsx_text(str(value))
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return _xlsx_text(str(value))


_SHEET_TITLE_BAD: Final = re.compile(r"[\[\]:*?/\\]")


def write_xlsx(
    rows: Iterable[Sequence[object]],
    headers: Sequence[object],
    path_or_fileobj: str | IO[bytes],
    *,
    sheet_title: str = "Sheet1",
) -> int:
    """Write ``rows`` to an XLSX file with openpyxl's write-only mode (constant memory) and
    return the number of data rows. Strings are escaped, Decimals become number cells and
    dates date cells."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    title = _SHEET_TITLE_BAD.sub("_", sheet_title).strip("'")[:31] or "Sheet1"
    sheet = workbook.create_sheet(title=title)
    sheet.append([_xlsx_value(h) for h in headers])
    count = 0
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
        count += 1
    workbook.save(path_or_fileobj)
    return count
