"""Cleaning one file row into field values, or into the reasons it is rejected.

:class:`RowCleaner` is built once per run (column positions, parsers, the user directory
for owner/staff columns) and then called for every row; it does no database work.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from django.utils import timezone

from guanxi.core.io.spreadsheet_export import unescape_cell
from guanxi.core.text.cleaning import (
    ChoiceMatcher,
    CleaningError,
    check_date_range,
    normalize_email,
    parse_amount,
    parse_bool,
    parse_date,
    parse_phone,
    split_phones,
    to_halfwidth,
)
from guanxi.imports.fields import (
    AMOUNT,
    BOOL,
    CHOICE,
    CUSTOM_CHOICE,
    DATE,
    DATETIME,
    EMAIL,
    NUMBER,
    PHONE,
    QUANTITY,
    TAGS,
    TEXT,
    USER,
    FieldSpec,
    KindSpec,
    choice_matcher,
)

MAX_NUMBER: Final = Decimal("999999999999.99")  # services.MAX_AMOUNT: what the API accepts
# thousands separators, spaces and currency marks around a number: ¥1,200.50 元
_NUMBER_NOISE_RE: Final = re.compile(r"[\s,，¥$元]|^RMB|^CNY", re.IGNORECASE)
_SPACES_RE: Final = re.compile(r"\s+")
_TAG_SPLIT_RE: Final = re.compile(r"[,，、;；|/]")
_TIME_RE: Final = re.compile(r"(?:\s|T|日|号)\s*(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?")
# Full-width letters, digits and spaces only: full-width punctuation such as （） and ，
# belongs in Chinese text and stays.
_TEXT_TABLE: Final[dict[int, int | None]] = {
    **{cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)},
    **{cp: cp - 0xFEE0 for cp in range(0xFF21, 0xFF3B)},
    **{cp: cp - 0xFEE0 for cp in range(0xFF41, 0xFF5B)},
    0x3000: 0x20,
    0x00A0: 0x20,
    0x200B: None,
    0xFEFF: None,
}


@dataclass(slots=True)
class RowIssue:
    column: str
    value: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CleanRow:
    row: int
    values: dict[str, Any]
    issues: list[RowIssue]
    #: what the writer computed for the row ahead of writing (``Writer.prepare``)
    prepared: Any = None

    @property
    def ok(self) -> bool:
        return not self.issues

    def reject(self, column: str, cell: Any, code: str, **params: Any) -> None:
        text = "" if cell is None else str(cell)
        self.issues.append(RowIssue(column, text[:500], code, {"value": text[:200], **params}))


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Full-width letters/digits to half-width, stray spaces removed (runs of spaces become
    one, except in multi-line text where line breaks are kept)."""
    if not value.isascii():
        value = value.translate(_TEXT_TABLE)
    if multiline:
        return "\n".join(_SPACES_RE.sub(" ", line).strip() for line in value.splitlines()).strip()
    return _SPACES_RE.sub(" ", value).strip()


def parse_datetime(value: str) -> dt.datetime:
    """A date with an optional time (``2024-03-05 14:30``, ``2024年3月5日 9时30分``, an
    Excel serial with a fraction), aware in the current time zone; noon when no time."""
    day = check_date_range(parse_date(value))
    hour, minute, second = 12, 0, 0
    m = _TIME_RE.search(value)
    if m is not None:
        hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
    elif re.fullmatch(r"\s*\d{1,5}\.\d+\s*", value):
        fraction = float(value) % 1
        seconds = round(fraction * 86400)
        hour, minute, second = seconds // 3600 % 24, seconds // 60 % 60, seconds % 60
    try:
        naive = dt.datetime(day.year, day.month, day.day, hour, minute, second)
    except ValueError:
        raise CleaningError("invalid_date", {"value": value}) from None
    return timezone.make_aware(naive)


class UserDirectory:
    """Staff users by username and by display/full name, for owner and staff columns."""

    def __init__(self, users: Sequence[tuple[int, str, str, str]]) -> None:
        self.by_username: dict[str, int] = {}
        self.by_name: dict[str, set[int]] = {}
        for pk, username, display_name, full_name in users:
            self.by_username[username.casefold()] = pk
            for name in (display_name, full_name):
                if name.strip():
                    self.by_name.setdefault(clean_text(name).casefold(), set()).add(pk)

    def resolve(self, text: str) -> int:
        key = clean_text(text).casefold()
        pk = self.by_username.get(key)
        if pk is not None:
            return pk
        ids = self.by_name.get(key)
        if not ids:
            raise CleaningError("user_not_found", {"value": text})
        if len(ids) > 1:
            raise CleaningError("user_ambiguous", {"value": text})
        return next(iter(ids))


Parser = Callable[[str], Any]


class RowCleaner:
    """Turns ``values`` of one file row into field values. ``mapping[i]`` names the field of
    column ``i``. Phone fields also give ``<field>_key`` (the canonical phone key)."""

    def __init__(
        self,
        spec: KindSpec,
        headers: Sequence[str],
        mapping: Sequence[str],
        *,
        users: UserDirectory,
    ) -> None:
        self.spec = spec
        self.users = users
        self.columns: list[tuple[int, str, FieldSpec, Parser]] = []
        for i, name in enumerate(mapping):
            if name:
                f = spec.by_name[name]
                self.columns.append((i, headers[i] or f"#{i + 1}", f, self._parser(f)))
        mapped = {f.name for _i, _h, f, _p in self.columns}
        self.missing_required = [f for f in spec.fields if f.required and f.name not in mapped]

    def _parser(self, f: FieldSpec) -> Parser:
        kind = f.type
        if kind == TEXT:
            multiline = (f.max_length or 0) > 200
            limit = f.max_length

            def text(value: str) -> str:
                out = clean_text(value, multiline=multiline)
                if limit is not None and len(out) > limit:
                    raise CleaningError("too_long", {"value": value[:50], "max_length": limit})
                return out

            return text
        if kind == CHOICE:
            matcher = choice_matcher(f.choices, f.words)
            choices_name = f.choices.__name__

            def choice(value: str) -> str:
                try:
                    return matcher(value)
                except CleaningError as exc:
                    if exc.message_code == "invalid_choice":
                        exc.params["allowed"] = list(f.choices.values)
                        exc.params["choices"] = choices_name
                    raise

            return choice
        if kind == NUMBER:
            return _number
        if kind == CUSTOM_CHOICE:
            options = tuple(f.choices or ())
            matcher = ChoiceMatcher({c: [c] for c in options})

            def custom_choice(value: str) -> str:
                try:
                    return matcher(value)
                except CleaningError as exc:
                    if exc.message_code == "invalid_choice":
                        exc.params["allowed"] = "、".join(options)
                    raise

            return custom_choice
        if kind == DATE:
            return _date
        if kind == DATETIME:
            return parse_datetime
        if kind == PHONE:
            return _phone
        if kind == EMAIL:
            return normalize_email
        if kind == AMOUNT:
            return _amount
        if kind == QUANTITY:
            return _quantity
        if kind == BOOL:
            return parse_bool
        if kind == USER:
            return self.users.resolve
        if kind == TAGS:
            return _tags
        raise ValueError(kind)

    def clean(self, row: int, raw: Sequence[str | None]) -> CleanRow:
        out = CleanRow(row, {}, [])
        values = out.values
        for i, header, f, parse in self.columns:
            cell = raw[i]
            if cell is None or not cell.strip():
                if f.required:
                    out.reject(header, "", "required")
                continue
            if cell[0] == "'":  # our own export's (or error report's) formula escape
                cell = unescape_cell(cell)
            try:
                value = parse(cell)
            except CleaningError as exc:
                out.issues.append(
                    RowIssue(header, cell[:500], exc.message_code, _json_params(exc.params))
                )
                continue
            if f.type == PHONE:
                values[f.name], values[f.name + "_key"] = value
            else:
                values[f.name] = value
        for f in self.missing_required:
            out.reject(str(f.label), "", "required")
        return out

    def header_of(self, field_name: str) -> str:
        for _i, header, f, _p in self.columns:
            if f.name == field_name:
                return header
        return field_name


def _json_params(params: dict[str, object]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | list) or v is None else str(v)
        for k, v in params.items()
    }


def _date(value: str) -> dt.date:
    return check_date_range(parse_date(value))


def _phone(value: str) -> tuple[str, str]:
    """(display text, canonical key) of the first number in the cell."""
    parts = split_phones(value)
    first = clean_text(parts[0] if parts else value)
    phone = parse_phone(first)
    key = phone.key if phone.extension is None else f"{phone.key};ext={phone.extension}"
    return first[:40], key


def _amount(value: str) -> Decimal:
    amount = parse_amount(value)
    if amount < 0:
        raise CleaningError("negative_amount", {"value": value})
    return amount


def _number(value: str) -> str:
    """A custom number field: any finite number (negative too) as exact decimal text, the
    form ``services`` stores (``１,２００.５`` → ``"1200.5"``, ``¥1,200.50`` → ``"1200.50"``)."""
    text = _NUMBER_NOISE_RE.sub("", to_halfwidth(value))
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CleaningError("invalid_number", {"value": value[:50]}) from None
    if not number.is_finite():
        raise CleaningError("invalid_number", {"value": value[:50]})
    if abs(number) > MAX_NUMBER:
        raise CleaningError("amount_too_large", {"value": value[:50]})
    return str(number)


def _quantity(value: str) -> Decimal:
    amount = parse_amount(value)
    if amount <= 0:
        raise CleaningError("quantity_not_positive", {"value": value})
    return amount


def _tags(value: str) -> list[str]:
    names = [clean_text(t) for t in _TAG_SPLIT_RE.split(value)]
    out = list(dict.fromkeys(n for n in names if n))
    for name in out:
        if len(name) > 50:
            raise CleaningError("too_long", {"value": name[:50], "max_length": 50})
    return out
