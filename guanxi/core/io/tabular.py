"""Read CSV and XLSX uploads as rows of text, refusing hostile files early.

Pure Python (no Django): the import pipeline, the bench and the tests use it anywhere.

Format is decided by *content*, never by the file name's extension:

* ``PK\\x03\\x04`` zip whose entries look like an OOXML workbook -> ``"xlsx"``;
* legacy ``.xls`` (OLE2 compound file, which is also how Office stores password-protected
  workbooks) -> ``TabularError("xls_legacy")``;
* PDF, images, archives, executables, HTML/XML "fake xls" -> ``TabularError("not_a_table")``;
* anything else that decodes as text -> ``"csv"``.

Values
    Every value is yielded as ``str`` (surrounding whitespace stripped) or ``None`` for an
    empty cell, for CSV and XLSX alike, so the cleaning layer sees one type. XLSX typed cells
    are rendered as text: integral numbers without ``.0`` (``13800138000``), other numbers
    with Excel's 15 significant digits and never in exponent form, booleans as
    ``TRUE``/``FALSE``, dates as ISO ``2024-03-05``, date-times as ``2024-03-05 14:30:00``,
    times as ``14:30:00``. :func:`guanxi.core.text.cleaning.parse_date` accepts all of these.
    Formula cells yield their cached (last computed) value and are never evaluated; a
    formula without a cached value is an empty cell. Text that starts with ``=`` stays text.

Row numbers
    ``Table.rows()`` yields ``(row_number, values)`` where ``row_number`` is the 1-based
    spreadsheet row (XLSX) or CSV record number, counting the header row and blank rows, so
    with the header on row 1 the first data row is 2. Blank rows are skipped but keep their
    numbers. The header is the first non-blank row. Values are padded with ``None`` or cut to
    the header's width (the header's trailing empty cells are dropped first).

Delimiters
    ``,`` ``;`` tab and ``|``. The full-width comma ``，`` is used only as a last resort: when
    none of the ASCII candidates occurs in the header line and ``，`` splits the sampled lines
    consistently (Chinese text fields contain ``，`` all the time, so it is never preferred).

Encodings
    BOMs (UTF-8, UTF-16, UTF-32) win; then strict UTF-8; then GB18030 when the sample decodes
    as GB18030 and reads as common simplified Chinese; then charset-normalizer. Every GB2312/
    GBK/GB18030 answer is reported as ``gb18030`` (a superset). The caller may override.
    Decoding is strict: a byte sequence invalid in the chosen encoding later in the file
    raises ``TabularError("bad_encoding")`` with the row number.

XLSX columns
    Columns start at the sheet's first used column (the leftmost cell holding any value), so
    a sheet whose data starts in column C reads as if it started in A. Cell values follow
    :mod:`guanxi.core.io.xlsx_stream`.

Limits (see :class:`Limits`), all refused with a :class:`TabularError` before large
allocations: file size; zip entry count, declared and actual uncompressed size, per-entry
compression ratio (checked while decompressing, so lying headers do not help); any
``<!DOCTYPE``/``<!ENTITY`` in any zip entry (UTF-8 or UTF-16), checked on the zip and again by
the XML parser; the bounding box (``rows x columns``) of the cells of every zip entry, so a
stray cell far from the data is refused at once instead of after a partial import; one
worksheet row's XML (32 MB); CSV physical line length, field length (``csv.field_size_limit``),
NUL bytes and control-character garbage; column count; optional row count. Both formats are
streamed: memory does not grow with the number of rows (for XLSX it grows only with the
shared strings table, stored compactly and bounded by the uncompressed-size limit).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import IO, Final, Literal, Protocol, cast

from guanxi.core.errors import PicklableError
from guanxi.core.io import xlsx_stream

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ERROR_CODES",
    "Limits",
    "Table",
    "TabularError",
    "detect_encoding",
    "open_table",
    "sniff_delimiter",
    "sniff_format",
]

Format = Literal["csv", "xlsx"]


class BinaryReader(Protocol):
    """Anything with ``read(size) -> bytes`` (seekable or not)."""

    def read(self, size: int = ..., /) -> bytes: ...


Source = str | os.PathLike[str] | bytes | IO[bytes] | BinaryReader

MiB: Final = 1024 * 1024
DEFAULT_MAX_BYTES: Final = 200 * MiB
SAMPLE_BYTES: Final = 64 * 1024

#: The ``code`` values a :class:`TabularError` may carry (stable, for translation).
ERROR_CODES: Final = frozenset(
    {
        "empty",  # no bytes, or no non-blank row
        "too_large",  # file size, sheet area or row count over the limit
        "zip_bomb",  # too many zip entries, too much uncompressed data, suspicious ratio
        "xml_entities",  # DTD / entity declarations inside the workbook
        "xls_legacy",  # OLE2 file: legacy .xls or an encrypted/password-protected workbook
        "not_a_table",  # PDF, image, archive, executable, HTML, Word file, ...
        "unsupported_format",  # .xlsb, .ods
        "bad_xlsx",  # damaged or non-standard zip / workbook
        "bad_encoding",  # undecodable text, unknown encoding name
        "binary",  # NUL bytes or control-character garbage in a text file
        "line_too_long",  # a physical CSV line over the limit
        "field_too_long",  # a CSV field over csv.field_size_limit
        "too_many_columns",
        "sheet_not_found",
    }
)


class TabularError(PicklableError):
    """A file that cannot be read as a table. ``code`` is stable (see :data:`ERROR_CODES`);
    ``message`` is English for logs and fallback display; ``row`` is set when the problem
    was found while streaming rows."""

    def __init__(self, code: str, message: str, *, row: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.row = row


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for :func:`open_table`."""

    max_bytes: int = DEFAULT_MAX_BYTES
    #: zip entries in an XLSX
    max_zip_entries: int = 10_000
    #: total uncompressed bytes of all XLSX entries (declared and actual)
    max_uncompressed_bytes: int = 1024 * MiB
    #: uncompressed/compressed ratio of one entry, checked for entries over ``ratio_floor``
    max_compression_ratio: float = 200.0
    ratio_floor_bytes: int = 1 * MiB
    #: rows x columns of the bounding box of the cells of one zip entry
    max_sheet_cells: int = 20_000_000
    #: one physical CSV line, in characters
    max_line_chars: int = 1 * MiB
    max_columns: int = 1024
    #: data rows (None: unlimited)
    max_rows: int | None = None


#: A CSV field longer than this raises ``field_too_long``. Process-wide (the csv module has
#: one setting); 128 Ki characters is far beyond any sane CRM field.
FIELD_SIZE_LIMIT: Final = 128 * 1024
csv.field_size_limit(FIELD_SIZE_LIMIT)

# --------------------------------------------------------------------------------------
# Format sniffing

_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS: Final = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_BINARY_MAGICS: Final[tuple[tuple[bytes, str], ...]] = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x7fELF", "an executable"),
    (b"\xca\xfe\xba\xbe", "an executable"),
    (b"\xcf\xfa\xed\xfe", "an executable"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"{\\rtf", "an RTF document"),
    (b"\x00\x00\x01\x00", "an icon"),
    (b"%!PS", "a PostScript document"),
    (b"\x28\xb5\x2f\xfd", "a zstd archive"),
)
_BOMS: Final[tuple[tuple[bytes, str], ...]] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MARKUP_RE: Final = re.compile(rb"\A\s*<(?:\?xml|!doctype|html|table|head|body|meta)\b", re.I)
_RIFF_RE: Final = re.compile(rb"\ARIFF....(?:WEBP|WAVE|AVI )", re.S)


def _bom_encoding(head: bytes) -> str | None:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def sniff_format(head: bytes, filename: str = "") -> Format:
    """Decide ``"csv"`` or ``"xlsx"`` from the first bytes of a file (at least a few KB).

    ``filename`` is used only in messages: a wrong extension does not matter. Raises
    :class:`TabularError` for anything that is not a CSV/XLSX table.
    """
    label = f"“{filename}”" if filename else "The file"
    if not head:
        raise TabularError("empty", f"{label} is empty.")
    if head.startswith(_ZIP_MAGICS):
        if b"xl/workbook.bin" in head:
            raise TabularError(
                "unsupported_format",
                f"{label} is an Excel binary workbook (.xlsb); save it as .xlsx or CSV.",
            )
        if b"application/vnd.oasis.opendocument" in head[:200]:
            raise TabularError(
                "unsupported_format",
                f"{label} is an OpenDocument file (.ods); save it as .xlsx or CSV.",
            )
        if b"[Content_Types].xml" in head or b"xl/" in head:
            if b"word/" in head or b"ppt/" in head:
                raise TabularError("not_a_table", f"{label} is a Word or PowerPoint file.")
            return "xlsx"
        raise TabularError(
            "not_a_table", f"{label} is a zip archive, not an Excel workbook or CSV file."
        )
    if head.startswith(_OLE_MAGIC):
        raise TabularError(
            "xls_legacy",
            f"{label} is a legacy Excel 97-2003 (.xls) workbook or a password-protected "
            "workbook; remove the password and save it as .xlsx or CSV (UTF-8).",
        )
    for magic, what in _BINARY_MAGICS:
        if head.startswith(magic):
            raise TabularError("not_a_table", f"{label} is {what}, not a spreadsheet.")
    if _RIFF_RE.match(head):
        raise TabularError("not_a_table", f"{label} is a media file, not a spreadsheet.")
    bom = _bom_encoding(head)
    if bom in ("utf-16", "utf-32"):
        try:
            probe = head[:4096].decode(bom, errors="ignore").encode("utf-8")
        except UnicodeError:  # pragma: no cover - errors="ignore"
            probe = b""
    else:
        probe = head[3:] if bom else head
        if b"\x00" in probe:
            raise TabularError(
                "binary", f"{label} contains binary data (NUL bytes); it is not a text table."
            )
    if _MARKUP_RE.match(probe):
        raise TabularError(
            "not_a_table",
            f"{label} is an HTML/XML document (some systems export these as “.xls”); "
            "open it in Excel and save it as .xlsx or CSV.",
        )
    return "csv"


# --------------------------------------------------------------------------------------
# Encoding detection

_GB_FAMILY: Final = frozenset({"gb2312", "gbk", "gb18030", "cp936", "ms936", "euc_cn", "euc-cn"})


@cache
def _common_hanzi() -> frozenset[str]:
    """GB2312 level-1 hanzi: the 3,755 most common simplified characters."""
    out: set[str] = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            try:
                out.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return frozenset(out)


def _reads_as_simplified_chinese(text: str) -> bool:
    common = _common_hanzi()
    hanzi = hits = 0
    for ch in text:
        if "\u4e00" <= ch <= "\u9fff":
            hanzi += 1
            if ch in common:
                hits += 1
    return hanzi > 0 and hits >= 0.7 * hanzi


def _canonical_codec(name: str) -> str:
    try:
        codec = codecs.lookup(name).name
    except LookupError as exc:
        raise TabularError("bad_encoding", f"Unknown text encoding “{name}”.") from exc
    if codec in _GB_FAMILY or name.lower().replace("-", "_") in _GB_FAMILY:
        return "gb18030"
    return codec


def _trim_sample(sample: bytes) -> bytes:
    """Cut a partial last line so a truncated multi-byte character does not confuse the
    detectors (only for samples long enough to be truncated)."""
    if len(sample) >= 4096:
        cut = sample.rfind(b"\n")
        if cut > 0:
            return sample[: cut + 1]
    return sample


def detect_encoding(sample: bytes) -> str:
    """Return a Python codec name for ``sample`` (the first KBs of a text file).

    Order: BOM (``utf-8-sig``, ``utf-16``, ``utf-32``); strict UTF-8 (incremental, so a
    character cut at the end of the sample is fine) -> ``utf-8``; GB18030 when the sample
    decodes strictly and its hanzi are mostly common simplified characters (short Chinese
    samples fool statistical detectors into Big5 and friends); charset-normalizer, with the
    whole GB family mapped to ``gb18030``. Raises ``TabularError("bad_encoding")`` when
    nothing fits.
    """
    bom = _bom_encoding(sample)
    if bom is not None:
        return bom
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    trimmed = _trim_sample(sample)
    try:
        gb_text: str | None = trimmed.decode("gb18030")
    except UnicodeDecodeError:
        gb_text = None
    if gb_text is not None and _reads_as_simplified_chinese(gb_text):
        return "gb18030"
    import charset_normalizer  # slow import; only needed off the fast paths

    best = charset_normalizer.from_bytes(trimmed).best()
    if best is not None:
        return _canonical_codec(best.encoding)
    if gb_text is not None:
        return "gb18030"
    raise TabularError(
        "bad_encoding",
        "Could not recognise the text encoding; save the file as CSV UTF-8 or as .xlsx.",
    )


# --------------------------------------------------------------------------------------
# Delimiter sniffing

_DELIMITERS: Final = (",", ";", "\t", "|")
_FULLWIDTH_COMMA: Final = "，"


def _field_counts(lines: list[str], delimiter: str) -> list[int]:
    counts: list[int] = []
    try:
        for row in csv.reader(lines, delimiter=delimiter):
            if row and any(cell.strip() for cell in row):
                counts.append(len(row))
    except csv.Error:
        return []
    return counts


def _score(counts: list[int]) -> tuple[float, int]:
    """(share of rows with the header's field count, header field count)."""
    if not counts or counts[0] < 2:
        return (0.0, 0)
    header = counts[0]
    same = sum(1 for c in counts if c == header)
    return (same / len(counts), header)


def sniff_delimiter(text: str) -> str:
    """Pick the CSV delimiter of ``text`` (a decoded sample, first lines of the file).

    Each candidate splits the sample with the csv module (so quoted delimiters do not
    count); the one that gives the header line at least two fields and splits the most rows
    into the header's field count wins, ties going to more fields, then to the order
    ``, ; TAB |``. When no candidate gives a consistent split, ``csv.Sniffer`` (limited to
    the candidates) decides; failing that, the candidate occurring most often in the header
    line; failing that (a one-column file), ``,``.
    """
    lines = text.splitlines(keepends=True)
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample probably cut the last line
    lines = lines[:50]
    if not lines:
        return ","
    best = ","
    best_score: tuple[float, int] = (0.0, 0)
    for delim in _DELIMITERS:
        score = _score(_field_counts(lines, delim))
        if score > best_score:
            best, best_score = delim, score
    if best_score[0] >= 0.9:
        return best
    header = next((ln for ln in lines if ln.strip()), "")
    if not any(d in header for d in _DELIMITERS) and _FULLWIDTH_COMMA in header:
        score = _score(_field_counts(lines, _FULLWIDTH_COMMA))
        if score[0] >= 0.9:
            return _FULLWIDTH_COMMA
    try:
        sniffed = csv.Sniffer().sniff("".join(lines), delimiters="".join(_DELIMITERS))
        if sniffed.delimiter in _DELIMITERS:
            return str(sniffed.delimiter)
    except csv.Error:
        pass
    if best_score[1] >= 2:
        return best
    occurrences = {d: header.count(d) for d in _DELIMITERS}
    top = max(occurrences, key=lambda d: occurrences[d])
    return top if occurrences[top] > 0 else ","


# --------------------------------------------------------------------------------------
# XLSX inspection (before any XML is parsed)

_DTD_PATTERNS: Final = (b"<!doctype", b"<!entity")
_DTD_CARRY: Final = max(len(p) for p in _DTD_PATTERNS)
_XML_DECL_ENCODING_RE: Final = re.compile(
    rb"\A(?:\xef\xbb\xbf)?<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)"
)
_OK_XML_ENCODINGS: Final = frozenset(
    {b"utf-8", b"utf8", b"utf-16", b"utf-16le", b"utf-16be", b"us-ascii", b"ascii"}
)
# Cell (``r="AB12"``) and row (``r="12"``) positions. The fast patterns match the form
# every writer uses; a chunk with any other ``r=`` spelling (tab before it, single quotes,
# ``$``) is rescanned with the general ones. A match contains no whitespace after its
# leading one, which lets chunk boundaries be handled exactly (see _SheetBounds.feed).
_COL_REF_FAST: Final = re.compile(rb' r="([A-Z]{1,4})[0-9]')
_ROW_REF_FAST: Final = re.compile(rb' r="[A-Z]{0,4}([0-9]{1,9})"')
_COL_REF_RE: Final = re.compile(rb"\sr\s*=\s*[\"']\s*\$?([A-Za-z]{1,4})\$?[0-9]")
_ROW_REF_RE: Final = re.compile(rb"\sr\s*=\s*[\"']\s*\$?[A-Za-z]{0,4}\$?([0-9]{1,9})")
_REF_MAX_LEN: Final = 64
_EXCEL_MAX_ROWS: Final = 1_048_576
_EXCEL_MAX_COLS: Final = 16_384
_WHITESPACE_BYTES: Final = (b" ", b"\t", b"\n", b"\r")


def _col_number(letters: bytes) -> int:
    n = 0
    for b in letters.upper():
        n = n * 26 + (b - 64)
    return n


def _count_cells(part: bytes) -> int:
    return part.count(b"<c ") + part.count(b"<c>") + part.count(b"<c/>")


class _SheetBounds:
    """Upper bound of the rows x columns box of the cells of one zip entry (applied to every
    entry: which entries are worksheets is up to the workbook's rels), fed chunk by chunk,
    and a lower bound of its leftmost column. Exact for cells carrying ``r``; cells without
    ``r`` (allowed by the spec, written by few tools) are placed after their predecessor, so
    then the width is bounded by the most cells in one row, the height by the rows seen and
    the leftmost column is A."""

    __slots__ = (
        "carry",
        "max_col",
        "max_row",
        "min_col",
        "rless",
        "rless_row_max",
        "rless_running",
        "rows",
    )

    def __init__(self) -> None:
        self.carry = b""
        self.max_col = 0
        self.min_col = _EXCEL_MAX_COLS + 1
        self.max_row = 0
        self.rless = False
        self.rows = 0
        self.rless_running = 0
        self.rless_row_max = 0

    def feed(self, chunk: bytes, final: bool = False) -> None:
        buf = self.carry + chunk
        self.carry = b""
        if not final:
            cut = max(buf.rfind(ws) for ws in _WHITESPACE_BYTES)
            # A match starts at a whitespace byte and contains no other, so only one that
            # starts at the last whitespace can run past the end of this chunk.
            if cut >= 0 and len(buf) - cut < _REF_MAX_LEN:
                buf, self.carry = buf[:cut], buf[cut:]
        if not buf:
            return
        cols = _COL_REF_FAST.findall(buf)
        rows = _ROW_REF_FAST.findall(buf)
        if buf.count(b"r=") > len(rows):
            cols = _COL_REF_RE.findall(buf)
            rows = _ROW_REF_RE.findall(buf)
        if cols:
            numbers = list(map(_col_number, set(cols)))
            self.max_col = max(self.max_col, max(numbers))
            self.min_col = min(self.min_col, min(numbers))
        if rows:
            self.max_row = max(self.max_row, max(map(int, set(rows))))
        if not self.rless and buf.count(b"<c") > len(cols):
            self.rless = _count_cells(buf) > len(cols)
        if self.rless:
            self.rows += buf.count(b"<row")
            segments = buf.split(b"<row")
            self.rless_running += _count_cells(segments[0])
            for seg in segments[1:]:
                self.rless_row_max = max(self.rless_row_max, self.rless_running)
                self.rless_running = _count_cells(seg)
            self.rless_row_max = max(self.rless_row_max, self.rless_running)

    def leftmost(self) -> int:
        """0-based column that no cell of the entry lies left of."""
        if self.rless or self.min_col > _EXCEL_MAX_COLS:
            return 0
        return self.min_col - 1

    def area(self) -> tuple[int, int]:
        width, height = self.max_col, self.max_row
        if self.rless:
            width += self.rless_row_max
            height += self.rows
        return height, width


def _member_chunks(
    fileobj: IO[bytes], info: zipfile.ZipInfo, budget: list[int], limits: Limits
) -> Iterator[bytes]:
    """Decompress one zip entry ourselves, never producing more than its declared size or
    the remaining budget, and verify its CRC and end of stream."""
    fileobj.seek(info.header_offset)
    header = fileobj.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise TabularError("bad_xlsx", "The workbook's zip structure is damaged.")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    position = info.header_offset + 30 + name_len + extra_len
    remaining_in = info.compress_size
    produced = 0
    crc = 0
    out_chunk = MiB
    decomp = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None

    def account(data: bytes) -> bytes:
        nonlocal produced, crc
        produced += len(data)
        if produced > info.file_size:
            raise TabularError(
                "zip_bomb",
                f"Workbook entry {info.filename!r} expands beyond its declared size.",
            )
        budget[0] -= len(data)
        if budget[0] < 0:
            raise TabularError(
                "zip_bomb",
                "The workbook expands to more than "
                f"{limits.max_uncompressed_bytes // MiB} MB of data.",
            )
        crc = zlib.crc32(data, crc)
        return data

    while remaining_in > 0:
        # seek every time: several readers may share the file (a table's rows re-iterated)
        fileobj.seek(position)
        raw = fileobj.read(min(64 * 1024, remaining_in))
        if not raw:
            raise TabularError("bad_xlsx", "The workbook is truncated.")
        position += len(raw)
        remaining_in -= len(raw)
        if decomp is None:
            yield account(raw)
            continue
        try:
            data = decomp.decompress(raw, out_chunk)
            while True:
                if data:
                    yield account(data)
                if not decomp.unconsumed_tail:
                    break
                data = decomp.decompress(decomp.unconsumed_tail, out_chunk)
        except zlib.error as exc:
            raise TabularError("bad_xlsx", "The workbook's compressed data is damaged.") from exc
    if decomp is not None:
        try:
            tail = decomp.flush()
        except zlib.error as exc:  # pragma: no cover - defensive
            raise TabularError("bad_xlsx", "The workbook's compressed data is damaged.") from exc
        if tail:
            yield account(tail)
        if not decomp.eof:
            raise TabularError("bad_xlsx", f"Workbook entry {info.filename!r} is truncated.")
    if produced != info.file_size or (crc & 0xFFFFFFFF) != info.CRC:
        raise TabularError("bad_xlsx", f"Workbook entry {info.filename!r} is damaged (CRC).")


def _zip_entry_count(fileobj: IO[bytes]) -> int | None:
    """Entry count from the zip's end-of-central-directory record (zip64 aware), or None
    when there is no such record (zipfile then reports the damage)."""
    size = fileobj.seek(0, io.SEEK_END)
    tail_len = min(size, 22 + 0xFFFF)
    fileobj.seek(size - tail_len)
    tail = fileobj.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        return None
    (count,) = struct.unpack("<H", tail[pos + 10 : pos + 12])
    if count != 0xFFFF:
        return int(count)
    locator = pos - 20
    if locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
        (offset,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
        if offset < size:
            fileobj.seek(offset)
            record = fileobj.read(56)
            if len(record) == 56 and record[:4] == b"PK\x06\x06":
                return int(struct.unpack("<Q", record[32:40])[0])
    return int(count)


def _inspect_xlsx(
    fileobj: IO[bytes], limits: Limits, label: str
) -> tuple[dict[str, zipfile.ZipInfo], dict[str, int]]:
    """Check an XLSX zip before any of it is parsed (see the module docstring). Returns its
    entries by name and, for each, a column no cell of it lies left of (0-based)."""
    entries = _zip_entry_count(fileobj)
    if entries is not None and entries > limits.max_zip_entries:
        # checked before zipfile builds one object per central directory entry
        raise TabularError("zip_bomb", f"{label} contains too many zip entries ({entries}).")
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise TabularError("bad_xlsx", f"{label} is damaged or not a valid .xlsx file.") from exc
    if len(infos) > limits.max_zip_entries:
        raise TabularError("zip_bomb", f"{label} contains too many zip entries ({len(infos)}).")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise TabularError("bad_xlsx", f"{label} has duplicate zip entries.")
    name_set = set(names)
    if "xl/workbook.bin" in name_set:
        raise TabularError(
            "unsupported_format", f"{label} is an Excel binary workbook (.xlsb); save it as .xlsx."
        )
    if "mimetype" in name_set and "[Content_Types].xml" not in name_set:
        raise TabularError(
            "unsupported_format",
            f"{label} is an OpenDocument file (.ods); save it as .xlsx or CSV.",
        )
    if "[Content_Types].xml" not in name_set or "xl/workbook.xml" not in name_set:
        raise TabularError("not_a_table", f"{label} is a zip file but not an Excel workbook.")
    declared = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise TabularError("bad_xlsx", f"{label} contains encrypted entries.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise TabularError("bad_xlsx", f"{label} uses an unsupported zip compression.")
        declared += info.file_size
        if (
            info.file_size > limits.ratio_floor_bytes
            and info.file_size > limits.max_compression_ratio * max(info.compress_size, 1)
        ):
            raise TabularError(
                "zip_bomb",
                f"{label}: entry {info.filename!r} has a suspicious compression ratio "
                f"({info.file_size // max(info.compress_size, 1)}:1).",
            )
    if declared > limits.max_uncompressed_bytes:
        raise TabularError(
            "zip_bomb",
            f"{label} expands to {declared // MiB} MB; the limit is "
            f"{limits.max_uncompressed_bytes // MiB} MB.",
        )
    budget = [limits.max_uncompressed_bytes]
    leftmost: dict[str, int] = {}
    for info in infos:
        if info.is_dir():
            continue
        bounds = _SheetBounds()
        tail = b""
        utf16: codecs.IncrementalDecoder | None = None
        first = True
        for raw in _member_chunks(fileobj, info, budget, limits):
            if first:
                first = False
                if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    utf16 = codecs.getincrementaldecoder("utf-16")("replace")
                elif b"\x00" in raw[:4]:
                    # UTF-16 without BOM, or a binary part (EMF, printer settings): scan it
                    # as UTF-16 text so a UTF-16 worksheet cannot hide from the checks.
                    codec = "utf-16-le" if raw[1:2] == b"\x00" else "utf-16-be"
                    utf16 = codecs.getincrementaldecoder(codec)("replace")
            chunk = raw if utf16 is None else utf16.decode(raw).encode("utf-8", "replace")
            if not tail:
                declared_enc = _XML_DECL_ENCODING_RE.match(chunk)
                if declared_enc and declared_enc.group(1).lower() not in _OK_XML_ENCODINGS:
                    raise TabularError(
                        "bad_xlsx",
                        f"{label}: entry {info.filename!r} declares an unsupported XML encoding.",
                    )
            window = tail + chunk
            if b"<!" in window:
                lowered = window.lower()
                if any(p in lowered for p in _DTD_PATTERNS):
                    raise TabularError(
                        "xml_entities",
                        f"{label} contains XML document type / entity declarations, which "
                        "Excel never writes; refusing it for safety.",
                    )
            tail = window[-_DTD_CARRY:]
            bounds.feed(chunk)
        bounds.feed(b"", final=True)
        height, width = bounds.area()
        if height > _EXCEL_MAX_ROWS or width > _EXCEL_MAX_COLS:
            raise TabularError(
                "too_large", f"{label} has cells outside Excel's grid ({info.filename!r})."
            )
        if height * width > limits.max_sheet_cells:
            raise TabularError(
                "too_large",
                f"{label}: a sheet spans {height:,} rows x {width:,} columns, more than "
                f"{limits.max_sheet_cells:,} cells; delete unused rows/columns far from the data.",
            )
        leftmost[info.filename] = bounds.leftmost()
    return {info.filename: info for info in infos if not info.is_dir()}, leftmost


# --------------------------------------------------------------------------------------
# Values

_INVISIBLE: Final = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None)


def _clean_header(value: str | None) -> str:
    if value is None:
        return ""
    return value.translate(_INVISIBLE).strip()


# --------------------------------------------------------------------------------------
# Table


class _NulInText(Exception):
    pass


class Table:
    """An opened CSV/XLSX table: ``headers`` and a re-iterable :meth:`rows`.

    Use as a context manager (or call :meth:`close`) to release a file opened from a path.
    """

    format: Format
    headers: list[str]
    sheet_names: list[str]
    sheet_name: str | None
    encoding: str | None
    delimiter: str | None
    header_row: int

    def __init__(
        self,
        *,
        fmt: Format,
        fileobj: IO[bytes],
        owns_file: bool,
        limits: Limits,
        label: str,
    ) -> None:
        self.format = fmt
        self._file = fileobj
        self._owns_file = owns_file
        self._limits = limits
        self._label = label
        self.headers = []
        self.sheet_names = []
        self.sheet_name = None
        self.encoding = None
        self.delimiter = None
        self.header_row = 0
        #: the XLSX sheet being read (its ``height`` drives import progress)
        self._sheet: xlsx_stream.SheetReader | None = None
        self._first_column = 0

    # -- lifecycle ------------------------------------------------------------------
    def close(self) -> None:
        self._sheet = None
        if self._owns_file:
            self._file.close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- rows -----------------------------------------------------------------------
    def rows(self) -> Iterator[tuple[int, list[str | None]]]:
        """Yield ``(row_number, values)`` for each non-blank data row (see module doc)."""
        if self.format == "csv":
            return self._csv_rows(skip_to=self.header_row)
        return self._xlsx_rows(skip_to=self.header_row)

    def _shape(
        self, records: Iterator[tuple[int, list[str | None]]]
    ) -> Iterator[tuple[int, list[str | None]]]:
        width = len(self.headers)
        pad = [None] * width
        max_rows = self._limits.max_rows
        count = 0
        for number, values in records:
            if not any(values):
                continue
            count += 1
            if max_rows is not None and count > max_rows:
                raise TabularError(
                    "too_large", f"{self._label} has more than {max_rows:,} data rows.", row=number
                )
            n = len(values)
            if n < width:
                values.extend(pad[: width - n])
            elif n > width:
                del values[width:]
            yield number, values

    # CSV ---------------------------------------------------------------------------
    def _lines(self, text: IO[str]) -> Iterator[str]:
        limit = self._limits.max_line_chars
        readline = text.readline
        while True:
            line = readline(limit)
            if not line:
                return
            if len(line) >= limit and not line.endswith(("\n", "\r")):
                raise TabularError(
                    "line_too_long",
                    f"{self._label} has a line longer than {limit:,} characters.",
                )
            if "\x00" in line:
                raise _NulInText
            yield line

    def _csv_records(self) -> Iterator[tuple[int, list[str | None]]]:
        assert self.encoding is not None and self.delimiter is not None
        self._file.seek(0)
        text = io.TextIOWrapper(self._file, encoding=self.encoding, errors="strict", newline="")
        number = 0
        try:
            reader = csv.reader(self._lines(text), delimiter=self.delimiter)
            for row in reader:
                number += 1
                yield number, [v.strip() or None for v in row]
        except UnicodeDecodeError as exc:
            raise TabularError(
                "bad_encoding",
                f"{self._label} is not valid {self.encoding} near row {number + 1}; "
                "choose the right encoding or save the file as CSV UTF-8.",
                row=number + 1,
            ) from exc
        except _NulInText:
            raise TabularError(
                "binary",
                f"{self._label} contains NUL bytes near row {number + 1}.",
                row=number + 1,
            ) from None
        except csv.Error as exc:
            msg = str(exc)
            if "NUL" in msg:
                raise TabularError(
                    "binary",
                    f"{self._label} contains NUL bytes near row {number + 1}.",
                    row=number + 1,
                ) from exc
            if "field larger than field limit" in msg:
                raise TabularError(
                    "field_too_long",
                    f"{self._label} has a field longer than {FIELD_SIZE_LIMIT:,} characters "
                    f"near row {number + 1} (often an unclosed quote).",
                    row=number + 1,
                ) from exc
            raise TabularError(
                "not_a_table", f"{self._label}: {msg} near row {number + 1}.", row=number + 1
            ) from exc
        finally:
            with contextlib.suppress(ValueError):  # already detached
                text.detach()

    def _csv_rows(self, skip_to: int) -> Iterator[tuple[int, list[str | None]]]:
        records = self._csv_records()
        return self._shape((n, v) for n, v in records if n > skip_to)

    # XLSX --------------------------------------------------------------------------
    def _xlsx_records(self, width: int | None = None) -> Iterator[tuple[int, list[str | None]]]:
        sheet = self._sheet
        assert sheet is not None
        try:
            yield from sheet.rows(first_column=self._first_column, width=width)
        except xlsx_stream.XlsxError as exc:
            raise _tabular_error(exc, self._label) from exc

    def _xlsx_rows(self, skip_to: int) -> Iterator[tuple[int, list[str | None]]]:
        # cells right of the header are cut while reading (their values are never used)
        records = self._xlsx_records(width=len(self.headers))
        return self._shape((n, v) for n, v in records if n > skip_to)

    # -- setup ----------------------------------------------------------------------
    def _read_header(self, records: Iterator[tuple[int, list[str | None]]]) -> None:
        for number, values in records:
            if any(values):
                headers = [_clean_header(v) for v in values]
                while headers and not headers[-1]:
                    headers.pop()
                if len(headers) > self._limits.max_columns:
                    raise TabularError(
                        "too_many_columns",
                        f"{self._label} has {len(headers)} columns; the limit is "
                        f"{self._limits.max_columns}.",
                    )
                self.headers = headers
                self.header_row = number
                return
        raise TabularError("empty", f"{self._label} has no header row (it is empty).")


def _to_seekable(source: Source, limits: Limits) -> tuple[IO[bytes], bool, int]:
    """Return (binary seekable file at offset 0, owns_file, size)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > limits.max_bytes:
            raise TabularError("too_large", _too_large(len(data), limits))
        return io.BytesIO(data), True, len(data)
    if isinstance(source, (str, os.PathLike)):
        size = os.stat(source).st_size
        if size > limits.max_bytes:
            raise TabularError("too_large", _too_large(size, limits))
        return open(source, "rb"), True, size  # closed by Table.close
    fileobj = cast(IO[bytes], source)
    probe = fileobj.read(0)
    if not isinstance(probe, bytes):
        raise TypeError("open_table needs a binary file object")
    seekable = getattr(fileobj, "seekable", None)
    if seekable is not None and seekable():
        start = fileobj.tell()
        end = fileobj.seek(0, io.SEEK_END)
        size = end - start
        if size > limits.max_bytes:
            raise TabularError("too_large", _too_large(size, limits))
        if start == 0:
            fileobj.seek(0)
            return fileobj, False, size
        fileobj.seek(start)
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=16 * MiB)  # noqa: SIM115
    copied = 0
    while True:
        block = fileobj.read(MiB)
        if not block:
            break
        copied += len(block)
        if copied > limits.max_bytes:
            spool.close()
            raise TabularError("too_large", _too_large(copied, limits))
        spool.write(block)
    spool.seek(0)
    return spool, True, copied


def _too_large(size: int, limits: Limits) -> str:
    return (
        f"The file is {size / MiB:.1f} MB; the limit is {limits.max_bytes / MiB:.0f} MB. "
        "Split it into smaller files."
    )


def _check_text_sample(text: str, label: str) -> None:
    if "\x00" in text:
        raise TabularError("binary", f"{label} contains binary data (NUL bytes).")
    if not text:
        return
    controls = sum(
        1 for ch in text if (ch < " " and ch not in "\t\n\r\x0c") or "\x7f" <= ch <= "\x9f"
    )
    if controls > max(4, len(text) // 100):
        raise TabularError(
            "binary", f"{label} contains binary data, not text; it is not a CSV table."
        )


def _encoding_sample(fileobj: IO[bytes], head: bytes) -> bytes:
    """``head``, or when it is pure ASCII the first later block with non-ASCII bytes
    (within 8 MB), so an ASCII-only start does not hide a GBK file."""
    if not head.isascii() or len(head) < SAMPLE_BYTES:
        return head
    fileobj.seek(len(head))
    for _ in range(128):
        block = fileobj.read(SAMPLE_BYTES)
        if not block:
            break
        if not block.isascii():
            start = block.find(b"\n") + 1  # resynchronise on a line start
            return block[start:] if 0 < start < len(block) else block
    return head


def _open_csv(table: Table, head: bytes, encoding: str | None, delimiter: str | None) -> None:
    if encoding is None:
        enc = detect_encoding(_encoding_sample(table._file, head))
    else:
        enc = _canonical_codec(encoding)
        if enc == "utf-8" and head.startswith(codecs.BOM_UTF8):
            enc = "utf-8-sig"
    decoder = codecs.getincrementaldecoder(enc)("strict")
    try:
        sample = decoder.decode(_trim_sample(head), final=False)
    except UnicodeDecodeError as exc:
        raise TabularError(
            "bad_encoding",
            f"{table._label} is not valid {enc} text; choose the right encoding or save the "
            "file as CSV UTF-8.",
        ) from exc
    _check_text_sample(sample, table._label)
    table.encoding = enc
    if delimiter is not None:
        if len(delimiter) != 1 or delimiter in '"\r\n':
            raise ValueError(f"invalid CSV delimiter {delimiter!r}")
        table.delimiter = delimiter
    else:
        table.delimiter = sniff_delimiter(sample)
    table._read_header(table._csv_records())


def _tabular_error(exc: xlsx_stream.XlsxError, label: str) -> TabularError:
    return TabularError(exc.code, f"{label}: {exc.message}", row=exc.row)


def _open_xlsx(table: Table, sheet: str | int | None) -> None:
    infos, leftmost = _inspect_xlsx(table._file, table._limits, table._label)
    fileobj, limits = table._file, table._limits

    def read_part(name: str) -> Iterator[bytes]:
        return _member_chunks(fileobj, infos[name], [limits.max_uncompressed_bytes], limits)

    try:
        workbook = xlsx_stream.Workbook(read_part, {n: i.file_size for n, i in infos.items()})
    except xlsx_stream.XlsxError as exc:
        raise _tabular_error(exc, table._label) from exc
    sheets = workbook.sheets
    names = [s.name for s in sheets]
    table.sheet_names = names
    if not names:
        raise TabularError("empty", f"{table._label} has no sheets.")
    if sheet is None:
        visible = [s for s in sheets if s.worksheet and s.visible]
        chosen = visible[0] if visible else sheets[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise TabularError(
                "sheet_not_found", f"{table._label} has no sheet number {sheet + 1}."
            )
        chosen = sheets[sheet]
    else:
        wanted = sheet.strip()
        matches = [s for s in sheets if s.name == wanted] or [
            s for s in sheets if s.name.strip().casefold() == wanted.casefold()
        ]
        if not matches:
            raise TabularError(
                "sheet_not_found",
                f"{table._label} has no sheet named “{sheet}” (sheets: {', '.join(names)}).",
            )
        chosen = matches[0]
    try:
        reader = workbook.sheet(chosen)
        table._first_column = reader.first_column(leftmost.get(chosen.part or "", 0))
    except xlsx_stream.XlsxError as exc:
        raise _tabular_error(exc, table._label) from exc
    table._sheet = reader
    table.sheet_name = chosen.name
    table._read_header(table._xlsx_records())


def open_table(
    source: Source,
    *,
    filename: str = "",
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: Limits | None = None,
) -> Table:
    """Open a CSV or XLSX table from a path, bytes or a binary file object.

    ``filename`` is for messages only; the format comes from the content. ``encoding`` and
    ``delimiter`` override detection (CSV only). ``sheet`` picks an XLSX sheet by name or
    0-based index; by default the first visible worksheet. ``max_bytes`` is the size limit
    (``limits.max_bytes`` wins when ``limits`` is given). A file object is not closed by
    the table; a path is (use ``with open_table(...) as table``).
    """
    lim = limits if limits is not None else Limits(max_bytes=max_bytes)
    label = f"“{filename}”" if filename else "The file"
    fileobj, owns, size = _to_seekable(source, lim)
    try:
        if size == 0:
            raise TabularError("empty", f"{label} is empty.")
        fileobj.seek(0)
        head = fileobj.read(SAMPLE_BYTES)
        # A zip is judged by its central directory (in _inspect_xlsx), not by the names
        # that happen to sit in the first 64 KB (a large thumbnail may come first).
        fmt: Format = "xlsx" if head.startswith(_ZIP_MAGICS) else sniff_format(head, filename)
        table = Table(fmt=fmt, fileobj=fileobj, owns_file=owns, limits=lim, label=label)
        if fmt == "csv":
            _open_csv(table, head, encoding, delimiter)
        else:
            _open_xlsx(table, sheet)
    except BaseException:
        if owns:
            fileobj.close()
        raise
    return table
