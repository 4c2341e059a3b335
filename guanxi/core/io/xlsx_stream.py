"""Stream the rows of one XLSX worksheet as text, in memory that does not grow with the rows.

Pure Python (no Django). :mod:`guanxi.core.io.tabular` checks the zip (size, entries, ratios,
CRCs, DTD/entity declarations, the cell area) before anything here runs, and hands in a
function that yields the decompressed bytes of one zip entry.

Values are rendered as the previous reader (python-calamine 0.9.1 plus a Python renderer)
rendered them: shared and inline strings with their rich-text runs concatenated (phonetic
runs dropped) and ``_xHHHH_`` escapes decoded; numbers as integers without ``.0`` or with 15
significant digits, never in exponent form; cells whose number format is a date/time format
(built-in ids 14-22, 27-36, 45, 47, 50-58, or a custom code with date tokens outside quotes
and brackets) as ISO dates, date-times or times; elapsed time formats (``[h]:mm``, id 46) as
``timedelta`` text; booleans as ``TRUE``/``FALSE``; error cells and formulas without a
cached value as empty cells; formulas as their cached value, never evaluated. Every text is
stripped; an empty text is ``None``.

Columns start at the sheet's first used column (the leftmost cell holding any value, even an
error or an empty string), as calamine's sheet range did; row numbers are spreadsheet rows.

Where it differs from calamine: rows out of order or repeated are refused (calamine sorted
the whole sheet in memory; no spreadsheet program writes them); error values calamine did
not know (Excel 365's ``#SPILL!``, ``#CALC!``) read as empty instead of failing the sheet;
UTF-16 sheets are read; elapsed times too large for ``timedelta`` stay numbers instead of
crashing; a cell whose own reference names another row than its ``<row>`` stays in its
``<row>``.

How it stays fast: the sheet is cut into ``<row>`` elements with ``bytes.split``; a row
written the way spreadsheet writers write rows (attributes ``r``, ``s``, ``t`` in that order,
``<v>``/``<is><t>`` values, optional ``<f>``) is read with one regular expression, and any
other row (pretty-printed, prefixed, rich text, comments, unusual attributes) is parsed with
expat. Both produce the same values (tests run every fixture through both). Comments,
processing instructions and CDATA sections are rewritten before the cut, so markup inside them
cannot fool it.
"""

from __future__ import annotations

import codecs
import math
import posixpath
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Final, NoReturn
from xml.parsers import expat

from guanxi.core.errors import PicklableError

__all__ = ["PartReader", "SheetInfo", "SheetReader", "Workbook", "XlsxError"]

#: Yields the decompressed bytes of one zip entry, by entry name.
PartReader = Callable[[str], Iterator[bytes]]

EXCEL_MAX_COLUMNS: Final = 16_384
#: A single row (or shared string) whose XML is larger than this is refused: no writer
#: produces one, and the reader holds one row's XML at a time.
MAX_RECORD_BYTES: Final = 32 * 1024 * 1024
#: Limits on workbook metadata, far above what Excel allows (it caps sheets by memory,
#: custom number formats at about 250 and cell formats at 64,000).
MAX_SHEETS: Final = 10_000
MAX_RELATIONSHIPS: Final = 100_000
MAX_NUMBER_FORMATS: Final = 65_536
MAX_FORMAT_CODE_CHARS: Final = 1_024
#: Shared strings longer than this are kept as their own ``str`` so cells that repeat one
#: share it instead of copying it (a small file could otherwise expand without limit).
_LONG_SHARED_STRING: Final = 256
#: How many recently read shared strings and dates are remembered (by their raw ``<v>``).
_RECENT: Final = 4096
_MISSING: Final = "\0missing"
_PAGE_BITS: Final = 14
_PAGE_MASK: Final = (1 << _PAGE_BITS) - 1

_WORKBOOK: Final = "xl/workbook.xml"
_WORKBOOK_RELS: Final = "xl/_rels/workbook.xml.rels"


class XlsxError(PicklableError):
    """A workbook that cannot be read. ``code`` is one of :data:`tabular.ERROR_CODES`."""

    def __init__(self, code: str, message: str, *, row: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.row = row


def _bad(message: str, row: int | None = None) -> NoReturn:
    raise XlsxError("bad_xlsx", message, row=row)


# --------------------------------------------------------------------------------------
# expat, configured for untrusted input


def _refuse_dtd(*_args: object) -> NoReturn:
    raise XlsxError(
        "xml_entities",
        "The workbook contains XML document type / entity declarations; refusing it.",
    )


def _refuse_external_entity(*_args: object) -> int:
    _refuse_dtd()


def _new_parser(*, utf8: bool = False) -> expat.XMLParserType:
    """An expat parser that refuses DTDs and entity declarations and never loads anything
    external (the zip check refuses them earlier; this is the second line). ``utf8``
    overrides the document's declared encoding (used after transcoding UTF-16)."""
    parser = expat.ParserCreate("utf-8" if utf8 else None)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.UnparsedEntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_external_entity
    parser.buffer_text = True
    return parser


@cache
def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _parse_small_part(
    chunks: Iterable[bytes],
    part: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
) -> None:
    """Run ``start(local_name, attributes)`` (and ``end``) over a small XML part."""
    parser = _new_parser()
    parser.StartElementHandler = lambda name, attrs: start(_local(name), attrs)
    if end is not None:
        parser.EndElementHandler = lambda name: end(_local(name))
    try:
        for chunk in _utf8(chunks):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        _bad(f"{part} is not well-formed XML ({exc}).")


def _utf8(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks as UTF-8: UTF-16 parts (with or without BOM) are transcoded, so one
    byte-level reader serves every part. Other encodings are refused by the zip check."""
    it = iter(chunks)
    first = b""
    for first in it:
        if first:
            break
    if not first:
        return
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16"
    elif first.startswith(b"<\x00"):
        codec = "utf-16-le"
    elif first.startswith(b"\x00<"):
        codec = "utf-16-be"
    else:
        yield first
        yield from it
        return
    decoder = codecs.getincrementaldecoder(codec)("strict")
    try:
        yield decoder.decode(first).encode("utf-8")
        for chunk in it:
            yield decoder.decode(chunk).encode("utf-8")
        yield decoder.decode(b"", final=True).encode("utf-8")
    except UnicodeDecodeError as exc:
        _bad(f"invalid UTF-16 text ({exc.reason}).")


# --------------------------------------------------------------------------------------
# Workbook metadata


@dataclass(frozen=True, slots=True)
class SheetInfo:
    name: str
    #: zip entry of the sheet XML (None when the workbook's relationships do not name one)
    part: str | None
    #: a worksheet, not a chart, dialog or macro sheet
    worksheet: bool
    visible: bool


class Workbook:
    """Sheet names, kinds and visibility of a workbook; :meth:`sheet` opens one sheet."""

    sheets: tuple[SheetInfo, ...]
    date1904: bool

    def __init__(self, read_part: PartReader, part_sizes: Mapping[str, int]) -> None:
        self._read_part = read_part
        self._sizes = part_sizes
        self._lower = {name.lower(): name for name in part_sizes}
        rels, first_of_kind = self._relationships()
        sheets: list[SheetInfo] = []
        flags = {"date1904": False}

        def start(name: str, attrs: dict[str, str]) -> None:
            if name == "sheet":
                if len(sheets) >= MAX_SHEETS:
                    _bad(f"the workbook lists more than {MAX_SHEETS:,} sheets.")
                rel_id = next((v for k, v in attrs.items() if ":" in k and _local(k) == "id"), None)
                target, kind = rels.get(rel_id or "", (None, ""))
                sheets.append(
                    SheetInfo(
                        name=attrs.get("name", ""),
                        part=target,
                        worksheet=kind == "worksheet",
                        visible=attrs.get("state", "visible") not in ("hidden", "veryHidden"),
                    )
                )
            elif name == "workbookPr":
                flags["date1904"] = attrs.get("date1904", "").strip().lower() in ("1", "true")

        _parse_small_part(read_part(_WORKBOOK), _WORKBOOK, start)
        self.sheets = tuple(sheets)
        self.date1904 = flags["date1904"]
        # found by relationship, else at the usual path (as calamine did)
        self._shared_part = first_of_kind.get("sharedStrings") or self._find("xl/sharedStrings.xml")
        self._styles_part = first_of_kind.get("styles") or self._find("xl/styles.xml")
        self._shared: SharedStrings | None = None
        self._kinds: bytes | None = None

    def _find(self, path: str) -> str | None:
        return path if path in self._sizes else self._lower.get(path.lower())

    def _relationships(self) -> tuple[dict[str, tuple[str | None, str]], dict[str, str]]:
        """The workbook's relationships: rId -> (zip entry, kind such as ``worksheet``),
        and kind -> the first zip entry of that kind."""
        rels: dict[str, tuple[str | None, str]] = {}
        first_of_kind: dict[str, str] = {}
        rels_part = self._find(_WORKBOOK_RELS)
        if rels_part is None:
            return rels, first_of_kind

        def start(name: str, attrs: dict[str, str]) -> None:
            if name != "Relationship":
                return
            if len(rels) >= MAX_RELATIONSHIPS:
                _bad("the workbook has too many relationships.")
            kind = attrs.get("Type", "").rpartition("/")[2]
            target = attrs.get("Target", "")
            part = None
            if attrs.get("TargetMode", "") != "External" and target:
                target = target.replace("\\", "/")
                if target.startswith("/"):
                    path = target.lstrip("/")
                else:
                    path = posixpath.normpath(posixpath.join(posixpath.dirname(_WORKBOOK), target))
                part = self._find(path)
            rels[attrs.get("Id", "")] = (part, kind)
            if part is not None:
                first_of_kind.setdefault(kind, part)

        _parse_small_part(self._read_part(rels_part), rels_part, start)
        return rels, first_of_kind

    def sheet(self, info: SheetInfo) -> SheetReader:
        """A reader for one sheet (loads the shared strings and styles on first use)."""
        if info.part is None:
            _bad(f"sheet “{info.name}” has no worksheet part.")
        if self._shared is None:
            self._shared = (
                SharedStrings.read(self._read_part(self._shared_part), self._shared_part)
                if self._shared_part is not None
                else SharedStrings()
            )
        if self._kinds is None:
            self._kinds = (
                _number_format_kinds(self._read_part(self._styles_part), self._styles_part)
                if self._styles_part is not None
                else b""
            )
        return SheetReader(
            name=info.name,
            chunks=lambda: self._read_part(info.part or ""),
            size=self._sizes.get(info.part, 0),
            shared=self._shared,
            kinds=self._kinds,
            date1904=self.date1904,
        )


# --------------------------------------------------------------------------------------
# Number formats (styles.xml)

_OTHER: Final = 0
_DATETIME: Final = 1
_TIMEDELTA: Final = 2
_BUILTIN_KINDS: Final = {
    **dict.fromkeys((*range(14, 23), *range(27, 37), 45, 47, *range(50, 59)), _DATETIME),
    46: _TIMEDELTA,
}


def _format_code_kind(code: str) -> int:
    """Whether a custom number format shows dates/times, elapsed time or something else:
    the first section's tokens outside quotes, brackets and escapes (calamine's rules)."""
    escaped = in_quote = hms = ampm = False
    brackets = 0
    prev = " "
    for ch in code[:MAX_FORMAT_CODE_CHARS]:
        if escaped:
            escaped = False
        elif ch in "_\\*":
            escaped = True  # the next character is a literal (or a fill/width character)
        elif in_quote:
            if ch == '"':
                in_quote = False
        elif ch == '"':
            in_quote = True
        elif ch == ";":
            return _OTHER  # only the first (positive numbers) section counts
        elif ch == "[":
            brackets += 1
        elif ch == "]":
            if brackets == 1 and hms:
                return _TIMEDELTA
            brackets = max(brackets - 1, 0)
        elif brackets == 0 and not ampm and ch in "aA":
            ampm = True
        elif brackets == 0 and ch in ("pmPM/" if ampm else "dmhysDMHYS"):
            return _DATETIME
        elif not (hms and ch.lower() == prev.lower()):
            hms = prev == "[" and ch in "mhsMHS"
        prev = ch
    return _OTHER


def _number_format_kinds(chunks: Iterable[bytes], part: str) -> bytes:
    """Kind (_OTHER, _DATETIME, _TIMEDELTA) of each cell format (``cellXfs/xf``), by index."""
    custom: dict[int, int] = {}
    kinds = bytearray()
    depth = {"cellXfs": 0, "numFmts": 0}

    def number(text: str | None) -> int | None:
        text = (text or "").strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "numFmts":
            depth["numFmts"] += 1
        elif name == "numFmt" and depth["numFmts"]:
            fmt_id = number(attrs.get("numFmtId"))
            if fmt_id is not None and len(custom) < MAX_NUMBER_FORMATS:
                custom[fmt_id] = _format_code_kind(attrs.get("formatCode", ""))
        elif name == "cellXfs":
            depth["cellXfs"] += 1
        elif name == "xf" and depth["cellXfs"]:
            fmt_id = number(attrs.get("numFmtId"))
            if fmt_id is None:
                kinds.append(_OTHER)
            elif fmt_id in custom:
                kinds.append(custom[fmt_id])
            else:
                kinds.append(_BUILTIN_KINDS.get(fmt_id, _OTHER))

    def end(name: str) -> None:
        if name in depth:
            depth[name] -= 1

    _parse_small_part(chunks, part, start, end)
    return bytes(kinds)


# --------------------------------------------------------------------------------------
# Text and values

_XML_REF_RE: Final = re.compile(r"&(?:#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6})|(amp|lt|gt|quot|apos));|&")
_XML_NAMED: Final = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_ESCAPE_RE: Final = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CONTROL_CHARS: Final = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r"}


def _xml_ref(match: re.Match[str]) -> str:
    named = match.group(3)
    if named is not None:
        return _XML_NAMED[named]
    digits, hexdigits = match.group(1), match.group(2)
    if digits is None and hexdigits is None:
        _bad("a cell contains a bare “&” (not well-formed XML).")
    code = int(digits) if digits is not None else int(hexdigits, 16)
    if (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    ):
        return chr(code)
    _bad(f"a cell refers to character #{code}, which XML does not allow.")


def _xml_text(raw: bytes) -> str:
    """Character data of an element as expat would report it (UTF-8, line ends
    normalised, entity and character references decoded)."""
    try:
        text = raw.decode()
    except UnicodeDecodeError as exc:
        _bad(f"a cell is not valid UTF-8 ({exc.reason}).")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        text = _XML_REF_RE.sub(_xml_ref, text)
    return text


def _unescape_char(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    return match.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


def _string(text: str) -> str | None:
    """A string cell's text: ``_xHHHH_`` escapes decoded (Excel writes control characters
    that way), stripped, ``None`` when empty."""
    if "_x" in text:
        text = _ESCAPE_RE.sub(_unescape_char, text)
    return text.strip() or None


def _format_float(value: float) -> str:
    if value != value or value in (math.inf, -math.inf):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = format(value, ".15g")
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def _number(text: str) -> float | None:
    """``text`` as a float when calamine would read it as one: ASCII, no surrounding
    whitespace, no ``_`` separators (Python's ``float`` accepts all three)."""
    if not text or not text.isascii() or "_" in text or text[0] <= " " or text[-1] <= " ":
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _round_half_away(value: float) -> int:
    whole = math.trunc(value)
    if abs(value - whole) >= 0.5:
        return whole + (1 if value > 0 else -1)
    return whole


_EXCEL_EPOCH: Final = datetime(1899, 12, 30)
_DAY_MS: Final = 86_400_000


def _date_text(value: float, kind: int, date1904: bool) -> str:
    """A number shown with a date/time (or elapsed time) format, as calamine converted it:
    serial 60 is 1900-02-28 (Excel's fictitious 1900-02-29 does not exist), values below 1
    are times, whole values dates, others date-times, all rounded to the millisecond;
    values outside years 1-9999 stay numbers."""
    if value != value:  # calamine's float-to-int cast makes NaN 0 ms
        return "0:00:00" if kind == _TIMEDELTA else _EXCEL_EPOCH.isoformat(sep=" ")
    if not math.isfinite(value):
        return _format_float(value)
    if kind == _TIMEDELTA:
        try:
            return str(timedelta(milliseconds=_round_half_away(value * _DAY_MS)))
        except OverflowError:
            return _format_float(value)
    serial = value + 1462 if date1904 else value
    if serial < 60:
        serial += 1
    ms = _round_half_away(serial * _DAY_MS)
    if value < 1.0:
        return (datetime.min + timedelta(milliseconds=ms % _DAY_MS)).time().isoformat()
    try:
        moment = _EXCEL_EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        return _format_float(value)
    if value.is_integer():
        return moment.date().isoformat()
    return moment.isoformat(sep=" ")


_ISO_DATETIME_RE: Final = re.compile(
    r"\s*([+-]?[0-9]{4,})-([0-9]{1,2})-([0-9]{1,2})T([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})"
    r"(?:\.([0-9]+))?"
)
_ISO_DATE_RE: Final = re.compile(r"\s*([+-]?[0-9]{4,})-([0-9]{1,2})-([0-9]{1,2})")
_ISO_TIME_RE: Final = re.compile(r"\s*([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2})(?:\.([0-9]+))?)?")


def _micro(fraction: str | None) -> int:
    return int((fraction or "")[:6].ljust(6, "0"))


def _iso_text(text: str) -> str | None:
    """A ``t="d"`` cell: an ISO 8601 date, date-time or time rendered like the other date
    cells; anything else stays text."""
    try:
        if "T" in text:
            m = _ISO_DATETIME_RE.fullmatch(text)
            if m:
                y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
                return datetime(y, mo, d, h, mi, s, _micro(m.group(7))).isoformat(sep=" ")
        elif ":" in text:
            m = _ISO_TIME_RE.fullmatch(text)
            if m:
                h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
                return time(h, mi, s, _micro(m.group(4))).isoformat()
        else:
            m = _ISO_DATE_RE.fullmatch(text)
            if m:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        pass
    return text.strip() or None


def _small_int(raw: str) -> int:
    """``raw`` as an index the way calamine read one: digits only (and no more than fit in
    a machine word), else 0."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else 0


# --------------------------------------------------------------------------------------
# Shared strings


class SharedStrings:
    """The shared strings table, compact: strings are stored stripped, 16,384 to a page
    joined into one ``str`` with an ``array`` of offsets (a few bytes of overhead per string
    instead of ~60 for a ``str`` object each); long strings are kept whole."""

    __slots__ = ("_big", "_count", "_offsets", "_pages", "_part_offsets", "_parts")

    def __init__(self) -> None:
        self._pages: list[str] = []
        self._offsets: list[array[int]] = []
        self._big: dict[int, str] = {}
        self._parts: list[str] = []
        self._part_offsets: array[int] = array("I", [0])
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, text: str | None) -> None:
        if text is None:
            text = ""
        elif len(text) > _LONG_SHARED_STRING:
            self._big[self._count] = text
            text = ""
        self._parts.append(text)
        self._part_offsets.append(self._part_offsets[-1] + len(text))
        self._count += 1
        if not self._count & _PAGE_MASK:
            self._flush()

    def _flush(self) -> None:
        self._pages.append("".join(self._parts))
        self._offsets.append(self._part_offsets)
        self._parts = []
        self._part_offsets = array("I", [0])

    def get(self, index: int) -> str | None:
        page = index >> _PAGE_BITS
        offsets = self._offsets[page]
        j = index & _PAGE_MASK
        a = offsets[j]
        b = offsets[j + 1]
        return self._pages[page][a:b] if b > a else self._big.get(index)

    @classmethod
    def read(cls, chunks: Iterable[bytes], part: str) -> SharedStrings:
        table = cls()
        add = table.add
        prefix = b""
        fast: re.Pattern[bytes] | None = None
        try:
            for batch in _records(_utf8(chunks), "sst", "si", part):
                if fast is None or batch.prefix != prefix:
                    prefix, fast = batch.prefix, _si_pattern(batch.prefix)
                match = fast if batch.closed else None
                for piece in batch.pieces:
                    m = match.fullmatch(piece) if match is not None else None
                    if m is not None:
                        add(_string(_xml_text(m.group(1))))
                    else:
                        for text in _slow_shared_strings(batch.whole(piece)):
                            add(_string(text))
        except _MissingContainer:
            pass  # no <sst>: no strings
        if table._parts:
            table._flush()
        return table


#: A shared string written the usual way (its ``</si>`` cut off).
_SI_TEMPLATE: Final = (
    rb'\s*<P:si><P:t(?: xml:space="preserve")?>([^<\x00-\x08\x0b\x0c\x0e-\x1f]*)</P:t>'
)


@cache
def _si_pattern(prefix: bytes) -> re.Pattern[bytes]:
    """A shared string written the usual way: one plain ``<t>``."""
    return re.compile(_with_prefix(_SI_TEMPLATE, prefix))


def _with_prefix(template: bytes, prefix: bytes) -> bytes:
    p = re.escape(prefix)
    return template.replace(b"<P:", b"<" + p).replace(b"</P:", b"</" + p)


def _slow_shared_strings(piece: bytes) -> list[str]:
    """Every ``<si>`` in ``piece``, parsed by expat (see :class:`_Runs`)."""
    out: list[str] = []
    runs = _Runs()

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "si":
            runs.reset()
        else:
            runs.start(local, attrs)

    def end(name: str) -> None:
        local = _local(name)
        if local == "si":
            out.append(runs.text())
        else:
            runs.end(local)

    _parse_fragment(piece, start, end, runs.chars)
    return out


class _Runs:
    """Text of a rich string (``<si>`` or ``<is>``): its ``<t>`` elements, phonetic
    (``<rPh>``) runs excluded, each trimmed of XML whitespace unless it has
    ``xml:space="preserve"`` (what calamine does; it matters only between runs)."""

    __slots__ = ("parts", "phonetic", "preserve", "run")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.run: list[str] | None = None
        self.preserve = False
        self.phonetic = 0

    def reset(self) -> None:
        self.parts = []
        self.run = None
        self.phonetic = 0

    def start(self, local: str, attrs: dict[str, str]) -> None:
        if local == "t" and not self.phonetic:
            self.run = []
            self.preserve = attrs.get("xml:space") == "preserve"
        elif local == "rPh":
            self.phonetic += 1

    def end(self, local: str) -> None:
        if local == "t" and self.run is not None:
            text = "".join(self.run)
            self.parts.append(text if self.preserve else text.strip(" \t\r\n"))
            self.run = None
        elif local == "rPh":
            self.phonetic -= 1

    def chars(self, data: str) -> None:
        if self.run is not None:
            self.run.append(data)

    def text(self) -> str:
        return "".join(self.parts)


def _parse_fragment(
    piece: bytes,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None],
    chars: Callable[[str], None],
    row: int | None = None,
) -> None:
    """Parse a run of sibling elements (one or more rows or shared strings) with expat.
    Namespace processing is off, so prefixes need no declarations."""
    parser = _new_parser(utf8=True)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(b"<_>", False)
        parser.Parse(piece, False)
        parser.Parse(b"</_>", True)
    except expat.ExpatError as exc:
        _bad(f"the worksheet XML is damaged near row {row} ({exc}).", row)


# --------------------------------------------------------------------------------------
# Cutting a part into records

_START_TAG_RE: Final = re.compile(
    rb"<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*(/?)>"
)
_SECTION_RE: Final = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[(.*?)\]\]>|<\?.*?\?>|(<!--|<!\[CDATA\[|<\?)", re.S
)


class _Found(Exception):
    pass


def _rewrite_sections(buf: bytes) -> tuple[bytes, bytes]:
    """Drop comments and processing instructions and turn CDATA sections into escaped
    text, so a ``</row>`` inside one cannot cut a record. Returns (rewritten part,
    unterminated tail to prepend to the next chunk)."""
    out: list[bytes] = []
    pos = 0
    for m in _SECTION_RE.finditer(buf):
        out.append(buf[pos : m.start()])
        if m.group(2) is not None:  # an opener without its end: wait for more bytes
            return b"".join(out), buf[m.start() :]
        cdata = m.group(1)
        if cdata is not None:
            escaped = cdata.replace(b"&", b"&amp;").replace(b"<", b"&lt;")
            out.append(escaped.replace(b">", b"&gt;"))
        pos = m.end()
    out.append(buf[pos:])
    return b"".join(out), b""


@dataclass(frozen=True, slots=True)
class _Batch:
    """Pieces of a part: each piece is the XML of one or more consecutive records; when
    ``closed``, the last record of each piece was followed by ``delimiter`` (its end tag,
    cut off), otherwise the piece is what precedes the container's end tag. ``prefix`` is
    the container's namespace prefix (``b"x:"`` or usually ``b""``)."""

    prefix: bytes
    delimiter: bytes
    pieces: list[bytes]
    closed: bool

    def whole(self, piece: bytes) -> bytes:
        return piece + self.delimiter if self.closed else piece


def _records(
    chunks: Iterator[bytes],
    container: str,
    record: str,
    part: str,
    on_head: Callable[[str, dict[str, str]], None] | None = None,
) -> Iterator[_Batch]:
    """Cut the ``record`` elements inside ``container`` out of a part, a chunk at a time.
    Elements before the container go to ``on_head``; reading stops at the container's end
    tag. See :class:`_Batch`."""
    head = _new_parser(utf8=True)
    found: list[tuple[str, int]] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == container:
            found.append((name, head.CurrentByteIndex))
            raise _Found
        if on_head is not None:
            on_head(local, attrs)

    head.StartElementHandler = start
    fed = 0
    previous = b""
    rest = b""
    for chunk in chunks:
        try:
            head.Parse(chunk, False)
        except _Found:
            index = found[0][1]
            window = previous + chunk
            offset = index - (fed - len(previous))
            if offset < 0:
                _bad(f"{part}: the <{container}> start tag is too long.")
            tag = _START_TAG_RE.match(window, offset)
            if tag is None:
                _bad(f"{part}: the <{container}> start tag is damaged.")
            if tag.group(1):  # <sheetData/>: no records
                return
            rest = window[tag.end() :]
            break
        except expat.ExpatError as exc:
            _bad(f"{part} is not well-formed XML ({exc}).")
        fed += len(chunk)
        previous = chunk
    else:
        try:
            head.Parse(b"", True)
        except expat.ExpatError as exc:
            _bad(f"{part} is not well-formed XML ({exc}).")
        raise _MissingContainer

    qualified = found[0][0]
    prefix = qualified[: len(qualified) - len(container)].encode()
    end_tag = b"</" + qualified.encode() + b">"
    delimiter = b"</" + prefix + record.encode() + b">"
    buf = rest
    pending = b""
    finished = False
    while True:
        if b"<!" in buf or b"<?" in buf:
            buf, pending = _rewrite_sections(buf)
        end = buf.find(end_tag)
        if end >= 0:
            buf = buf[:end]
            finished = True
        pieces = buf.split(delimiter)
        carry = pieces.pop()
        if pieces:
            yield _Batch(prefix, delimiter, pieces, True)
        if finished:
            if carry.strip():
                yield _Batch(prefix, delimiter, [carry], False)
            return
        carry += pending
        if len(carry) > MAX_RECORD_BYTES:
            raise XlsxError(
                "too_large",
                f"{part}: one <{record}> is larger than {MAX_RECORD_BYTES // (1024 * 1024)} MB.",
            )
        more = next(chunks, None)
        if more is None:
            _bad(f"{part} is truncated (no </{container}>).")
        buf = carry + more


class _MissingContainer(Exception):
    pass


# --------------------------------------------------------------------------------------
# Sheets


# ``<P:`` below is replaced by ``<`` plus the part's namespace prefix (usually none).
_ROW_TOKEN_TEMPLATE: Final = (
    # a cell: group 1 column letters, 2 style, 3 type, 4/5 "<v>" and its text, 6/7 "<is>" and
    # the text of its single <t>
    rb'<P:c r="([A-Z]{1,3})[0-9]{1,7}"(?: s="([0-9]{1,6})")?(?: t="([A-Za-z]{1,9})")?'
    rb'(?: (?:cm|vm|ph)="[0-9]{1,9}")* ?'
    rb"(?:/>|>"
    rb"(?:<P:f(?: [^>]*)?(?:/>|>[^<]*</P:f>))?"
    rb"(?:(<P:v>)([^<\x00-\x08\x0b\x0c\x0e-\x1f]*)</P:v>"
    rb'|(<P:is>)<P:t(?: xml:space="preserve")?>([^<\x00-\x08\x0b\x0c\x0e-\x1f]*)</P:t></P:is>)?'
    rb"</P:c>)"
    # a row start tag: group 8 its r, 9 "/" when it is empty
    rb'|<P:row(?: r="([0-9]{1,7})")?(?: (?!r=)[A-Za-z_][\w:.-]*="[^"<]*")* ?(/?)>'
    # group 10 whitespace, 11 anything else
    rb"|([ \t\r\n]+)"
    rb"|(.)"
)


@cache
def _row_pattern(prefix: bytes) -> re.Pattern[bytes]:
    """One token of a row written the usual way: a cell (attributes ``r``, ``s``, ``t`` in
    that order, optional ``cm``/``vm``/``ph``; an optional ``<f>``, then ``<v>`` or a plain
    ``<is><t>``), a row start tag (any attributes), ``</row>``, whitespace, or anything else
    (the row is then parsed by expat)."""
    return re.compile(_with_prefix(_ROW_TOKEN_TEMPLATE, prefix), re.S)


_COLUMN_CACHE: Final[dict[bytes, int]] = {}


def _column(letters: str) -> int:
    """0-based column of ``AB`` (case-insensitive), or -1 if not a column."""
    col = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            return -1
        col = col * 26 + ord(ch) - 64
    return col - 1 if 0 < col <= EXCEL_MAX_COLUMNS else -1


def _fast_column(letters: bytes) -> int:
    col = _COLUMN_CACHE.get(letters)
    if col is None:
        col = _column(letters.decode())
        if col < 0:
            _bad(f"cell column {letters.decode()} is outside Excel's grid.")
        _COLUMN_CACHE[letters] = col
    return col


Row = tuple[int, list[str | None]]


class SheetReader:
    """Rows of one sheet, read from the zip each time :meth:`rows` is iterated.

    ``height`` estimates the last row number for progress: the sheet's ``<dimension>`` when
    it is plausible, otherwise extrapolated from the bytes read so far.
    """

    def __init__(
        self,
        *,
        name: str,
        chunks: Callable[[], Iterator[bytes]],
        size: int,
        shared: SharedStrings,
        kinds: bytes,
        date1904: bool,
    ) -> None:
        self.name = name
        self._chunks = chunks
        self._size = size
        self._shared = shared
        self._kinds = kinds
        self._any_dates = any(kinds)
        self._date1904 = date1904
        self._style_cache: dict[bytes, int] = {}
        # real sheets repeat values (categories, dates): recently read ones, by their <v>
        self._recent_shared: dict[bytes, str | None] = {}
        self._recent_dates: tuple[dict[bytes, str], ...] = ({}, {}, {})  # by kind
        self._dimension_rows = 0
        self._consumed = 0
        self._last_row = 0

    @property
    def height(self) -> int:
        seen = self._last_row
        if self._dimension_rows > 1 and self._dimension_rows >= seen:
            return self._dimension_rows
        if seen and self._consumed:
            return max(seen, round(seen * self._size / self._consumed))
        return self._dimension_rows

    def first_column(self, lower_bound: int = 0) -> int:
        """The leftmost column holding any value (0-based), which becomes the first column
        of every row. Stops at the first such cell in column ``lower_bound`` (the zip check
        knows no cell lies further left), so usually after the first row."""
        best = EXCEL_MAX_COLUMNS
        for _, _, leftmost in self._scan(first_column=0, width=None):
            if leftmost < best:
                best = leftmost
                if best <= lower_bound:
                    break
        return 0 if best == EXCEL_MAX_COLUMNS else best

    def rows(self, *, first_column: int = 0, width: int | None = None) -> Iterator[Row]:
        """``(row number, values)`` for each row with a non-empty value. ``values[i]`` is
        column ``first_column + i``. With ``width``, cells from index ``width`` on are
        dropped except the first non-empty one, kept at index ``width``: callers that cut
        rows to ``width`` still see the row as non-blank (and a header that is too wide)."""
        for number, values, _ in self._scan(first_column=first_column, width=width):
            if values:
                yield number, values

    # -- reading ----------------------------------------------------------------------
    def _counted(self) -> Iterator[bytes]:
        self._consumed = 0
        for chunk in _utf8(self._chunks()):
            self._consumed += len(chunk)
            yield chunk

    def _on_head(self, name: str, attrs: dict[str, str]) -> None:
        if name == "dimension":
            last = attrs.get("ref", "").rpartition(":")[2].lstrip("$ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            if last.isascii() and last.isdigit() and len(last) < 10:
                self._dimension_rows = int(last)

    def _scan(
        self, *, first_column: int, width: int | None
    ) -> Iterator[tuple[int, list[str | None], int]]:
        state = _RowState(self, first_column, width)
        records = _records(self._counted(), "sheetData", "row", self.name, self._on_head)
        try:
            for batch in records:
                state.read(batch)
                if state.out:
                    self._last_row = state.last_row
                    yield from state.out
                    state.out.clear()
        except _MissingContainer:
            _bad(f"sheet “{self.name}” is not a worksheet (it has no cells).")
        except XlsxError as exc:
            if exc.row is None:
                exc.row = state.last_row + 1
            raise

    # -- values -------------------------------------------------------------------------
    def style_kind(self, style: str | bytes | None) -> int:
        if not style or not self._any_dates:
            return _OTHER
        key = style if isinstance(style, bytes) else style.encode()
        kind = self._style_cache.get(key)
        if kind is None:
            text = key.decode("ascii", "replace")
            index = _small_int(text)
            kind = self._kinds[index] if index < len(self._kinds) else _OTHER
            if len(self._style_cache) < MAX_NUMBER_FORMATS:
                self._style_cache[key] = kind
        return kind

    def value(
        self,
        typ: str | None,
        style: str | bytes | None,
        last: str | None,
        v: str | None,
        inline: str | None,
    ) -> tuple[bool, str | None]:
        """(holds a value, text) of a cell whose last ``<f>``/``<v>``/``<is>`` child was
        ``last``, with ``v``/``inline`` the text of its ``<v>``/``<is>``."""
        if last == "is":
            return True, _string(inline or "")
        if last != "v" or v is None:
            return False, None
        if typ is None or typ == "n":
            if not v:
                return False, None
            number = _number(v)
            if number is None:
                if typ is None:
                    return True, v.strip() or None
                _bad(f"a number cell holds {v[:40]!r}.")
            kind = self.style_kind(style)
            if kind:
                return True, _date_text(number, kind, self._date1904)
            return True, _format_float(number)
        if typ == "s":
            if not v:
                return False, None
            return True, self.shared(_small_int(v))
        if typ == "str":
            return True, _string(v)
        if typ == "inlineStr" or typ == "is":
            return False, None  # calamine ignores <v> in inline string cells
        if typ == "b":
            if not v:
                return False, None
            flag = v.strip().lower()
            if flag in ("1", "true"):
                return True, "TRUE"
            if flag in ("0", "false"):
                return True, "FALSE"
            _bad(f"a boolean cell holds {v[:40]!r}.")
        if typ == "e":
            return bool(v), None  # error values (#N/A, #DIV/0!, ...) read as empty
        if typ == "d":
            return True, _iso_text(v)
        _bad(f"unknown cell type t={typ[:20]!r}.")

    def shared(self, index: int) -> str | None:
        try:
            return self._shared.get(index)
        except IndexError:
            _bad(f"a cell refers to shared string {index}, which does not exist.")


class _RowState:
    """Rows being assembled for one pass over a sheet."""

    __slots__ = (
        "first_column",
        "last_row",
        "out",
        "sheet",
        "width",
    )

    def __init__(self, sheet: SheetReader, first_column: int, width: int | None) -> None:
        self.sheet = sheet
        self.first_column = first_column
        self.width = width
        self.last_row = 0
        self.out: list[tuple[int, list[str | None], int]] = []

    def _next_number(self, r: str | bytes | None) -> int:
        if r is None or not r:
            return self.last_row + 1
        number = int(r) if r.isdigit() and r.isascii() and len(r) < 10 else 0
        if number < 1:
            _bad(f"row number {r[:20]!r} is not valid.", self.last_row + 1)
        if number <= self.last_row:
            _bad(f"row {number} comes after row {self.last_row}; rows must be in order.", number)
        return number

    def _finish(
        self, number: int, values: list[str | None], extra: str | None, leftmost: int
    ) -> None:
        if extra is not None and self.width is not None:
            values.extend([None] * (self.width - len(values)))
            values.append(extra)
        if leftmost < EXCEL_MAX_COLUMNS:
            self.out.append((number, values, leftmost))
        self.last_row = number

    # -- the usual rows: one regular expression ----------------------------------------
    def read(self, batch: _Batch) -> None:
        """Read every piece of ``batch``: with the row pattern when all its tokens are
        usual ones, else with expat (:class:`_ExpatRows`)."""
        sheet = self.sheet
        shared = sheet._shared
        pages, offsets, big = shared._pages, shared._offsets, shared._big
        any_dates = sheet._any_dates
        style_kinds = sheet._style_cache
        date1904 = sheet._date1904
        recent_shared, recent_dates = sheet._recent_shared, sheet._recent_dates
        columns = _COLUMN_CACHE
        offset = self.first_column
        width = self.width
        limit = EXCEL_MAX_COLUMNS if width is None else width
        closed = batch.closed
        findall = _row_pattern(batch.prefix).findall
        out = self.out
        for piece in batch.pieces:
            last = self.last_row
            rows: list[tuple[int, list[str | None], str | None, int]] = []
            number = 0
            values: list[str | None] = []
            extra: str | None = None
            leftmost = EXCEL_MAX_COLUMNS
            usual = True
            in_row = False
            # entity references, carriage returns and _xHHHH_ escapes are rare: look for
            # them once per row, not once per cell
            plain = not (b"&" in piece or b"\r" in piece or b"_x" in piece)
            for (
                letters,
                style,
                typ,
                vmark,
                vraw,
                ismark,
                israw,
                rownum,
                rowslash,
                space,
                other,
            ) in findall(piece):
                if letters:
                    if not in_row:
                        usual = False
                        break
                    if ismark:
                        if plain:
                            try:
                                text = israw.decode().strip() or None
                            except UnicodeDecodeError:
                                text = _string(_xml_text(israw))  # raises the error
                        else:
                            text = _string(_xml_text(israw))
                    elif not vmark:
                        continue
                    elif typ == b"s":
                        text = recent_shared.get(vraw, _MISSING)
                        if text is _MISSING:
                            if not vraw:
                                continue
                            index = int(vraw) if vraw.isdigit() and len(vraw) < 19 else 0
                            # SharedStrings.get, inlined
                            try:
                                bounds = offsets[index >> _PAGE_BITS]
                                j = index & _PAGE_MASK
                                a = bounds[j]
                                b = bounds[j + 1]
                            except IndexError:
                                text = sheet.shared(index)  # raises the error
                            else:
                                page = pages[index >> _PAGE_BITS]
                                text = page[a:b] if b > a else big.get(index)
                            if len(recent_shared) >= _RECENT:
                                recent_shared.clear()
                            recent_shared[vraw] = text
                    elif not typ and plain and vraw:  # a number (or untyped text)
                        kind = 0
                        if style and any_dates:
                            kind = style_kinds.get(style, -1)
                            if kind < 0:
                                kind = sheet.style_kind(style)
                        if not kind and vraw.isdigit() and len(vraw) < 16 and vraw[0] != 48:
                            text = vraw.decode()  # an integer ("0..." goes the long way)
                        else:
                            raw = vraw.decode("utf-8", "replace")
                            as_float = _number(raw)
                            if as_float is None:
                                if "\ufffd" in raw:
                                    _xml_text(vraw)  # raises the UTF-8 error, if any
                                text = raw.strip() or None
                            elif kind:
                                recent = recent_dates[kind]
                                text = recent.get(vraw)
                                if text is None:
                                    text = _date_text(as_float, kind, date1904)
                                    if len(recent) >= _RECENT:
                                        recent.clear()
                                    recent[vraw] = text
                            else:
                                text = _format_float(as_float)
                    else:
                        valued, text = sheet.value(
                            typ.decode() if typ else None, style, "v", _xml_text(vraw), None
                        )
                        if not valued:
                            continue
                    col = columns.get(letters)
                    if col is None:
                        col = _fast_column(letters)
                    if col < leftmost:
                        leftmost = col
                    if text is None:
                        continue
                    c = col - offset
                    if c >= limit:
                        if extra is None:
                            extra = text
                        continue
                    n = len(values)
                    if c == n:
                        values.append(text)
                    elif c > n:
                        values.extend([None] * (c - n))
                        values.append(text)
                    elif c >= 0:
                        values[c] = text
                    else:
                        _bad(f"cell {letters.decode()} lies left of the first column.", number)
                elif space:
                    continue
                elif other:
                    usual = False
                    break
                else:  # a row start tag (every group but r and "/" is empty)
                    if in_row:  # the previous row never ended
                        usual = False
                        break
                    if rownum:
                        number = int(rownum)
                        if number <= last:
                            usual = False  # the slow path reports it
                            break
                    else:
                        number = last + 1
                    last = number
                    if rowslash:
                        rows.append((number, [], None, EXCEL_MAX_COLUMNS))
                    else:
                        in_row = True
                        values = []
                        extra = None
                        leftmost = EXCEL_MAX_COLUMNS
            if in_row:
                if closed:
                    rows.append((number, values, extra, leftmost))
                else:
                    usual = False
            if not usual:
                self.slow(batch.whole(piece))
                continue
            for number, values, extra, leftmost in rows:
                if leftmost < EXCEL_MAX_COLUMNS:
                    if extra is not None and width is not None:
                        values.extend([None] * (width - len(values)))
                        values.append(extra)
                    out.append((number, values, leftmost))
                self.last_row = number

    # -- anything else: expat -----------------------------------------------------------
    def slow(self, piece: bytes) -> None:
        _ExpatRows(self).parse(piece)


class _ExpatRows:
    """expat handlers reading rows into a :class:`_RowState` with the same rules as
    :meth:`_RowState.fast`, for rows in any valid form."""

    __slots__ = (
        "cell_last",
        "cell_style",
        "cell_type",
        "cell_v",
        "collect",
        "column",
        "extra",
        "in_cell",
        "in_is",
        "inline",
        "leftmost",
        "limit",
        "number",
        "runs",
        "state",
        "text",
        "values",
    )

    def __init__(self, state: _RowState) -> None:
        self.state = state
        self.limit = EXCEL_MAX_COLUMNS if state.width is None else state.width
        self.number: int | None = None
        self.values: list[str | None] = []
        self.extra: str | None = None
        self.leftmost = EXCEL_MAX_COLUMNS
        self.column = -1
        self.in_cell = self.in_is = self.collect = False
        self.runs = _Runs()
        self.cell_type: str | None = None
        self.cell_style: str | None = None
        self.cell_last: str | None = None
        self.cell_v: str | None = None
        self.inline: str | None = None
        self.text: list[str] = []

    def parse(self, piece: bytes) -> None:
        _parse_fragment(piece, self.start, self.end, self.chars, self.state.last_row + 1)
        if self.number is not None:  # cells outside <row> elements
            self.finish_row()

    def start_row(self, r: str | None) -> None:
        if self.number is not None:  # cells outside <row> came first
            self.finish_row()
        self.number = self.state._next_number(r)
        self.values = []
        self.extra = None
        self.leftmost = EXCEL_MAX_COLUMNS
        self.column = -1

    def finish_row(self) -> None:
        assert self.number is not None
        self.state._finish(self.number, self.values, self.extra, self.leftmost)
        self.number = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if self.in_is:
            self.runs.start(local, attrs)
        elif self.in_cell:
            if local == "v":
                self.cell_last = "v"
                self.text = []
                self.collect = True
            elif local == "is":
                self.cell_last = "is"
                self.runs.reset()
                self.in_is = True
            elif local == "f":
                self.cell_last = "f"
        elif local == "c":
            if self.number is None:  # a cell outside <row>: calamine puts it on the next row
                self.start_row(None)
            ref = attrs.get("r")
            if ref is None:
                self.column += 1
            else:
                letters = ref.rstrip("0123456789")
                column = _column(letters) if ref[len(letters) :].isdigit() else -1
                if column < 0:
                    _bad(f"cell reference {ref[:20]!r} is not valid.", self.number)
                self.column = column
            self.cell_type = attrs.get("t")
            self.cell_style = attrs.get("s")
            self.cell_last = self.cell_v = self.inline = None
            self.in_cell = True
        elif local == "row":
            self.start_row(attrs.get("r"))

    def end(self, name: str) -> None:
        local = _local(name)
        if self.in_is:
            if local == "is":
                self.in_is = False
                self.inline = self.runs.text()
            else:
                self.runs.end(local)
        elif self.collect:
            if local == "v":
                self.collect = False
                self.cell_v = "".join(self.text)
        elif local == "c" and self.in_cell:
            self.in_cell = False
            self.end_cell()
        elif local == "row" and self.number is not None and not self.in_cell:
            self.finish_row()

    def end_cell(self) -> None:
        state = self.state
        valued, text = state.sheet.value(
            self.cell_type, self.cell_style, self.cell_last, self.cell_v, self.inline
        )
        if not valued:
            return
        self.leftmost = min(self.leftmost, self.column)
        if text is None:
            return
        c = self.column - state.first_column
        if c >= self.limit:
            if self.extra is None:
                self.extra = text
            return
        if c < 0:
            _bad("a cell lies left of the first column.", self.number)
        values = self.values
        if c >= len(values):
            values.extend([None] * (c - len(values) + 1))
        values[c] = text

    def chars(self, data: str) -> None:
        if self.collect:
            self.text.append(data)
        elif self.in_is:
            self.runs.chars(data)
