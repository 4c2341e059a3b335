"""Value normalisers for imported (and typed) CRM data: messy Chinese business data in.

Pure Python (no Django). Each function returns a cleaned value or raises
:class:`CleaningError` with a stable ``message_code`` and ``params`` so the caller can
translate (``CleaningError.message`` is an English fallback). ``None`` or blank input raises
``CleaningError("empty")``: callers decide whether a field is optional before calling.

Speed matters (bulk import targets >= 20,000 rows/s end to end): patterns are compiled once,
character mapping uses ``str.translate`` tables, ASCII input skips translation, and the
functions whose inputs repeat across rows (dates, amounts, booleans, choices, company names)
are LRU-cached.

Decisions worth knowing
-----------------------
* Dates are year-first only (``2024-03-05``, ``2024/3/5``, ``2024.3.5``, ``2024年3月5日``,
  ``20240305``, optionally followed by a time, which is ignored). Day-first/month-first
  forms (``05/03/2024``) are ambiguous and rejected. Excel serials use the 1900 date
  system (serial 1 = 1900-01-01; serial 60 is Lotus's non-existent 1900-02-29 and is
  rejected); a digit string of at most 5 digits (optionally with a fraction) is read as a
  serial, 8 digits as ``YYYYMMDD``.
* Amounts: ``.`` is the decimal point and ``,`` a thousands separator (3-digit groups),
  except when the pattern is clearly European: both separators with ``,`` last
  (``1.200,50``), or a single ``,`` followed by 1-2 digits and no ``.`` (``1200,50``,
  ``12,5``). ``1.200`` is 1.2. Spaces, ``'`` and thin spaces are digit grouping.
  Currency marks ``¥ ￥ RMB CNY 人民币 元 元整`` are accepted; other currencies are an error
  (no silent conversion). Units: ``千 k``=1e3, ``万 w``=1e4, ``百万``=1e6, ``千万``=1e7,
  ``亿``=1e8. Negatives: ``-100``, ``−100``, ``(100)``, ``100-``. Exponent notation is
  rejected (Excel writes it for numbers it has already rounded). At most 12 integer
  digits; 2 decimal places, ROUND_HALF_UP.
* Phones, canonical key (what :func:`normalize_phone` returns and what duplicate detection
  and search compare):

  - CN mobile: the 11 digits, ``13800138000``;
  - CN landline: domestic dialling digits *with* the trunk ``0``: ``01065521234``,
    ``075512345678`` (users always type the leading 0, so a digits-only search for
    ``010-6552`` -> ``0106552`` is a substring of the key);
  - CN 400/800 service numbers: the 10 digits, ``4008108888``;
  - other countries: E.164, ``+14155552671``;
  - an extension is appended as ``;ext=808`` (``01065521234;ext=808``); :func:`parse_phone`
    gives key and extension apart.

  A local landline without area code (``6552 1234``) needs ``default_area_code``.
* E-mail: the whole address is lower-cased; a non-ASCII domain is stored in its IDNA
  (punycode) form; a non-ASCII local part is rejected.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Final, Literal

from guanxi.core.errors import PicklableError

__all__ = [
    "EARLIEST_DATE",
    "LATEST_DATE",
    "MESSAGES",
    "ChoiceMatcher",
    "CleaningError",
    "Phone",
    "check_date_range",
    "match_choice",
    "normalize_email",
    "normalize_name_key",
    "normalize_phone",
    "parse_amount",
    "parse_bool",
    "parse_date",
    "parse_int",
    "parse_phone",
    "phone_search_key",
    "split_phones",
    "to_halfwidth",
]

#: English fallback texts for each ``message_code``; ``{name}`` placeholders come from params.
MESSAGES: Final[Mapping[str, str]] = {
    "empty": "A value is required.",
    "invalid_date": "“{value}” is not a valid date; use a form like 2024-03-05.",
    "date_out_of_range": "{value} is outside {earliest}…{latest}.",
    "invalid_amount": "“{value}” is not a valid amount.",
    "amount_too_large": (
        "“{value}” is too large: at most {max_digits} digits before the decimal point."
    ),
    "invalid_integer": "“{value}” is not a whole number.",
    "integer_out_of_range": "{value} is outside the allowed range {min_value}…{max_value}.",
    "invalid_boolean": "“{value}” is not a yes/no value (是/否, Y/N, true/false, 1/0).",
    "invalid_phone": "“{value}” is not a valid phone number.",
    "phone_needs_area_code": "“{value}” has no area code; write it like 010-65521234.",
    "invalid_email": "“{value}” is not a valid e-mail address.",
    "invalid_choice": "“{value}” is not one of: {allowed}.",
}


class CleaningError(ValueError, PicklableError):
    """A value that cannot be cleaned: ``message_code`` (see :data:`MESSAGES`) and
    ``params`` for the translated message."""

    def __init__(self, message_code: str, params: Mapping[str, object] | None = None) -> None:
        self.message_code = message_code
        self.params: dict[str, object] = dict(params or {})
        super().__init__(self.message)

    @property
    def message(self) -> str:
        template = MESSAGES.get(self.message_code, self.message_code)
        params = {
            k: ", ".join(map(str, v)) if isinstance(v, list | tuple) else v
            for k, v in self.params.items()
        }
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            return template


def _err(code: str, value: object, **params: object) -> CleaningError:
    return CleaningError(code, {"value": value, **params})


# --------------------------------------------------------------------------------------
# Half-width

_HALFWIDTH_TABLE: Final[dict[int, int | None]] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_HALFWIDTH_TABLE.update(
    {
        0x3000: 0x20,  # ideographic space
        0x00A0: 0x20,  # no-break space
        0x202F: 0x20,  # narrow no-break space
        0x205F: 0x20,  # medium mathematical space
        0x1680: 0x20,
        **{cp: 0x20 for cp in range(0x2000, 0x200B)},  # en quad … hair space
        0x200B: None,  # zero-width space
        0x200C: None,  # zero-width non-joiner
        0x200D: None,  # zero-width joiner
        0x2060: None,  # word joiner
        0xFEFF: None,  # BOM / zero-width no-break space
        0x00AD: None,  # soft hyphen
        0x180E: None,  # Mongolian vowel separator
    }
)


def to_halfwidth(s: str) -> str:
    """Full-width ASCII (U+FF01–FF5E) and the ideographic space to ASCII; NBSP and other
    spaces to a plain space; zero-width characters, soft hyphens and BOMs removed;
    surrounding whitespace stripped. Idempotent. Chinese punctuation (``，。、``) stays."""
    if s.isascii():
        return s.strip()
    return s.translate(_HALFWIDTH_TABLE).strip()


def _scalar_text(s: str) -> str:
    """Half-width text without the leading apostrophe Excel users type (and our exports
    add, see spreadsheet_export.escape_cell) to force text: it never belongs to a number,
    date, phone or e-mail address."""
    s = to_halfwidth(s)
    if s.startswith("'"):
        s = s[1:].lstrip()
    return s


def _text(value: object) -> str:
    """Half-width text of a scalar input, raising ``empty`` for None/blank."""
    if value is None:
        raise CleaningError("empty", {"value": ""})
    s = _scalar_text(value if isinstance(value, str) else str(value))
    if not s:
        raise CleaningError("empty", {"value": value})
    return s


# --------------------------------------------------------------------------------------
# Dates

_EXCEL_EPOCH: Final = date(1899, 12, 30)
_MAX_SERIAL: Final = 2_958_465  # 9999-12-31
_TIME_TAIL: Final = r"(?:(?:\s+|T)\d{1,2}(?::\d{1,2}){1,2}(?:\.\d+)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?"
_DATE_YMD_RE: Final = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?" + _TIME_TAIL, re.ASCII
)
_DATE_COMPACT_RE: Final = re.compile(r"(\d{4})(\d{2})(\d{2})" + _TIME_TAIL, re.ASCII)
_SERIAL_RE: Final = re.compile(r"\d{1,5}(?:\.\d+)?", re.ASCII)


def _from_serial(serial: float, original: object) -> date:
    if not math.isfinite(serial) or serial < 1 or serial >= _MAX_SERIAL + 1:
        raise _err("invalid_date", original)
    days = int(serial)
    if days == 60:  # 1900-02-29 exists only in Lotus 1-2-3 and Excel
        raise _err("invalid_date", original)
    if days < 60:
        return _EXCEL_EPOCH + timedelta(days=days + 1)
    return _EXCEL_EPOCH + timedelta(days=days)


@lru_cache(maxsize=8192)
def _parse_date_text(raw: str) -> date:
    s = _scalar_text(raw)
    if not s:
        raise CleaningError("empty", {"value": raw})
    if len(s) > 64:
        raise _err("invalid_date", raw)
    m = _DATE_YMD_RE.fullmatch(s) or _DATE_COMPACT_RE.fullmatch(s)
    if m is not None:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise _err("invalid_date", raw) from None
    if _SERIAL_RE.fullmatch(s):
        return _from_serial(float(s), raw)
    raise _err("invalid_date", raw)


#: The dates every entry point accepts (web forms, the API, imports): one far outside is a
#: typo (year 1 for 2001 turned one customer's purchase cycle into 485,527 days), and at the
#: edges of the calendar converting to UTC overflows.
EARLIEST_DATE: Final = date(1900, 1, 1)
LATEST_DATE: Final = date(2100, 12, 31)


def check_date_range(day: date) -> date:
    """``day`` itself if it lies within ``EARLIEST_DATE``…``LATEST_DATE``, else
    ``CleaningError("date_out_of_range")``."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise CleaningError(
            "date_out_of_range",
            {
                "value": day.isoformat(),
                "earliest": EARLIEST_DATE.isoformat(),
                "latest": LATEST_DATE.isoformat(),
            },
        )
    return day


def parse_date(value: object) -> date:
    """Parse a date (see module docstring); ``datetime`` values lose their time."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return _parse_date_text(value)
    if isinstance(value, bool) or value is None:
        raise _err(
            "invalid_date" if value is not None else "empty", value if value is not None else ""
        )
    if isinstance(value, int | float | Decimal):
        return _from_serial(float(value), value)
    raise _err("invalid_date", value)


# --------------------------------------------------------------------------------------
# Amounts and integers

MAX_AMOUNT_DIGITS: Final = 12
_CENT: Final = Decimal("0.01")
_AMOUNT_LIMIT: Final = Decimal(10) ** MAX_AMOUNT_DIGITS
_AMOUNT_FAST_RE: Final = re.compile(r"-?\d{1,12}(?:\.\d{1,10})?", re.ASCII)
_AMOUNT_GROUPED_RE: Final = re.compile(r"-?\d{1,3}(?:,\d{3}){1,3}(?:\.\d{1,10})?", re.ASCII)
_AMOUNT_RE: Final = re.compile(r"([+-]?)([\d.,]+)(万亿|千万|百万|亿|万|千|k|w)?(-?)", re.ASCII)
_AMOUNT_PREFIXES: Final = ("人民币", "rmb", "cny", "¥", "￥")
_AMOUNT_SUFFIXES: Final = ("元整", "人民币", "rmb", "cny", "元", "整", "¥", "￥")
_UNITS: Final[Mapping[str, int]] = {
    "万亿": 10**12,
    "千万": 10**7,
    "百万": 10**6,
    "亿": 10**8,
    "万": 10**4,
    "w": 10**4,
    "千": 10**3,
    "k": 10**3,
}
_AMOUNT_SQUEEZE: Final[dict[int, int | None]] = {
    ord(" "): None,
    ord("'"): None,
    ord("_"): None,
    0x2212: ord("-"),  # minus sign
    0x2013: ord("-"),  # en dash
    ord("（"): ord("("),
    ord("）"): ord(")"),
    ord("，"): ord(","),
    ord("．"): ord("."),
}


def _valid_groups(groups: list[str]) -> bool:
    first, rest = groups[0], groups[1:]
    return (
        1 <= len(first) <= 3 and first.isdigit() and all(len(g) == 3 and g.isdigit() for g in rest)
    )


def _plain_number(num: str) -> str | None:
    """``num`` (digits with ``.``/``,``) as a plain decimal string, or None."""
    has_dot, has_comma = "." in num, "," in num
    if has_dot and has_comma:
        if num.rfind(".") > num.rfind(","):
            int_part, frac = num.rsplit(".", 1)
            thousands = ","
        else:
            int_part, frac = num.rsplit(",", 1)
            thousands = "."
        if not frac.isdigit() or not _valid_groups(int_part.split(thousands)):
            return None
        return int_part.replace(thousands, "") + "." + frac
    if has_comma:
        parts = num.split(",")
        if (
            len(parts) == 2
            and 1 <= len(parts[1]) <= 2
            and parts[0].isdigit()
            and parts[1].isdigit()
        ):
            return parts[0] + "." + parts[1]  # European decimal comma
        return "".join(parts) if _valid_groups(parts) else None
    if has_dot:
        parts = num.split(".")
        if len(parts) == 2:
            int_part, frac = parts
            if (int_part == "" or int_part.isdigit()) and frac.isdigit():
                return (int_part or "0") + "." + frac
            return int_part if int_part.isdigit() and frac == "" else None
        return "".join(parts) if _valid_groups(parts) else None
    return num if num.isdigit() else None


def _finish_amount(amount: Decimal, original: object) -> Decimal:
    if not amount.is_finite():
        raise _err("invalid_amount", original)
    if abs(amount) >= _AMOUNT_LIMIT:
        raise _err("amount_too_large", original, max_digits=MAX_AMOUNT_DIGITS)
    result = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    if abs(result) >= _AMOUNT_LIMIT:
        raise _err("amount_too_large", original, max_digits=MAX_AMOUNT_DIGITS)
    return result if result else _CENT * 0  # no "-0.00"


def _strip_affixes(s: str) -> tuple[str, int]:
    """Remove currency marks and sign markers around the number; returns (rest, number of
    negative markers seen)."""
    negatives = 0
    changed = True
    while changed and s:
        changed = False
        if s[0] == "(" and s[-1] == ")":
            s, negatives, changed = s[1:-1], negatives + 1, True
            continue
        if s[0] == "-" and len(s) > 1 and not s[1].isdigit():
            s, negatives, changed = s[1:], negatives + 1, True
            continue
        for prefix in _AMOUNT_PREFIXES:
            if s.startswith(prefix):
                s, changed = s[len(prefix) :], True
                break
        for suffix in _AMOUNT_SUFFIXES:
            if s.endswith(suffix) and len(s) > len(suffix):
                s, changed = s[: -len(suffix)], True
                break
    return s, negatives


@lru_cache(maxsize=8192)
def _parse_amount_text(raw: str) -> Decimal:
    s = _scalar_text(raw)
    if not s:
        raise CleaningError("empty", {"value": raw})
    body = s[1:].lstrip() if s[0] in "¥￥" else s
    if _AMOUNT_FAST_RE.fullmatch(body):
        return _finish_amount(Decimal(body), raw)
    if _AMOUNT_GROUPED_RE.fullmatch(body):
        return _finish_amount(Decimal(body.replace(",", "")), raw)
    if len(s) > 64:
        raise _err("invalid_amount", raw)
    s = "".join(s.translate(_AMOUNT_SQUEEZE).split()).lower()
    s, negatives = _strip_affixes(s)
    m = _AMOUNT_RE.fullmatch(s)
    if m is None:
        raise _err("invalid_amount", raw)
    sign, num, unit, trailing_minus = m.groups()
    plain = _plain_number(num)
    if plain is None or len(plain) > 40:
        raise _err("invalid_amount", raw)
    if (sign == "-") + bool(trailing_minus) + negatives > 1 or (sign == "+" and negatives):
        raise _err("invalid_amount", raw)
    try:
        amount = Decimal(plain)
    except InvalidOperation:  # pragma: no cover - _plain_number guarantees digits
        raise _err("invalid_amount", raw) from None
    if unit:
        amount *= _UNITS[unit]
    if sign == "-" or trailing_minus or negatives:
        amount = -amount
    return _finish_amount(amount, raw)


def parse_amount(value: object) -> Decimal:
    """Parse a money amount to a ``Decimal`` with 2 places (see module docstring)."""
    if isinstance(value, str):
        return _parse_amount_text(value)
    if isinstance(value, bool) or value is None:
        raise _err(
            "invalid_amount" if value is not None else "empty", value if value is not None else ""
        )
    if isinstance(value, Decimal):
        return _finish_amount(value, value)
    if isinstance(value, int):
        return _finish_amount(Decimal(value), value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _err("invalid_amount", value)
        return _finish_amount(Decimal(repr(value)), value)
    raise _err("invalid_amount", value)


_INT_RE: Final = re.compile(r"([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.0*)?", re.ASCII)
_INT64: Final = 2**63 - 1


def parse_int(value: object, *, min_value: int | None = None, max_value: int | None = None) -> int:
    """Parse a whole number: ``1,234``, ``１２``, ``+5``, ``12.0``; floats must be integral.
    Bounds default to the signed 64-bit range."""
    lo = -_INT64 - 1 if min_value is None else min_value
    hi = _INT64 if max_value is None else max_value
    if isinstance(value, bool) or value is None:
        raise _err(
            "invalid_integer" if value is not None else "empty", value if value is not None else ""
        )
    result: int
    if isinstance(value, int):
        result = value
    elif isinstance(value, float | Decimal):
        if not math.isfinite(value) or value != int(value):
            raise _err("invalid_integer", value)
        result = int(value)
    else:
        s = _text(value)
        m = _INT_RE.fullmatch("".join(s.split()).replace("−", "-"))
        if m is None or len(m[2]) > 25:
            raise _err("invalid_integer", value)
        result = int(m[2].replace(",", ""))
        if m[1] == "-":
            result = -result
    if not lo <= result <= hi:
        raise _err("integer_out_of_range", value, min_value=lo, max_value=hi)
    return result


# --------------------------------------------------------------------------------------
# Booleans

_TRUE_WORDS: Final = frozenset(
    {
        "是",
        "是的",
        "对",
        "有",
        "真",
        "y",
        "yes",
        "true",
        "t",
        "1",
        "√",
        "✓",
        "✔",
        "on",
        "启用",
        "开",
        "开启",
    }
)
_FALSE_WORDS: Final = frozenset(
    {
        "否",
        "不",
        "不是",
        "无",
        "没有",
        "假",
        "n",
        "no",
        "false",
        "f",
        "0",
        "×",
        "✗",
        "✘",
        "off",
        "禁用",
        "关",
        "关闭",
        "非",
    }
)


def parse_bool(value: object) -> bool:
    """是/否, 有/无, 对/不, Y/N, yes/no, true/false, T/F, 1/0, on/off, √/×, 启用/禁用."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal) and value in (0, 1):
        return bool(value)
    s = _text(value).casefold()
    if s in _TRUE_WORDS:
        return True
    if s in _FALSE_WORDS:
        return False
    raise _err("invalid_boolean", value)


# --------------------------------------------------------------------------------------
# Phones

PhoneKind = Literal["mobile", "landline", "service", "international"]


@dataclass(frozen=True, slots=True)
class Phone:
    """A parsed phone number: canonical ``key`` (no extension), ``extension``, ``kind``."""

    key: str
    extension: str | None
    kind: PhoneKind

    def __str__(self) -> str:
        return self.key if self.extension is None else f"{self.key};ext={self.extension}"


_MOBILE_RE: Final = re.compile(r"1[3-9]\d{9}", re.ASCII)
_SERVICE_RE: Final = re.compile(r"[48]00\d{7}", re.ASCII)
_NON_DIGIT_RE: Final = re.compile(r"\D+", re.ASCII)
_DIGIT_GROUP_RE: Final = re.compile(r"\d+", re.ASCII)
_PHONE_CHARS_RE: Final = re.compile(r"[\d\s()+\-./]+", re.ASCII)
_PHONE_LABEL_RE: Final = re.compile(
    r"(?:telephone|tel|phone|mobile|mob|cell|fax|手机号码|手机号|手机|移动电话|电话号码|联系电话|"
    r"办公电话|电话|座机|固话|传真|m|t)\s*[:.]?\s*"
)
_PHONE_EXT_RE: Final = re.compile(
    r"(.*\d.*?)\s*(?:ext\.?|extension|x|转|分机|分機|#|,|;)\s*[:.]?\s*(\d{1,6})\s*"
)
_PHONE_SEPARATORS_RE: Final = re.compile(r"\s*(?:[/,;、，；|\n]|或|\bor\b)\s*")


def _cn_landline(nsn: str) -> bool:
    """Valid CN fixed-line national significant number (area code without trunk 0)."""
    if not 9 <= len(nsn) <= 11 or nsn[0] == "0":
        return False
    import phonenumbers

    number = phonenumbers.PhoneNumber(country_code=86, national_number=int(nsn))
    return bool(phonenumbers.is_valid_number(number))


class _NeedsAreaCode(Exception):
    pass


def _cn_number(
    digits: str, *, international: bool, default_area_code: str | None
) -> tuple[str, PhoneKind] | None:
    trunk = digits.startswith("0")
    nsn = digits[1:] if trunk else digits
    if _MOBILE_RE.fullmatch(nsn):
        return nsn, "mobile"
    if _SERVICE_RE.fullmatch(nsn):
        return nsn, "service"
    if trunk or international:
        return ("0" + nsn, "landline") if _cn_landline(nsn) else None
    if 7 <= len(nsn) <= 8 and nsn[0] not in "01":
        if default_area_code:
            area = _NON_DIGIT_RE.sub("", default_area_code).lstrip("0")
            full = area + nsn
            return ("0" + full, "landline") if _cn_landline(full) else None
        raise _NeedsAreaCode
    return None


def _international(digits: str) -> tuple[str, PhoneKind] | None:
    if not 7 <= len(digits) <= 15:
        return None
    import phonenumbers

    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if number.country_code == 86:
        return _cn_number(str(number.national_number), international=True, default_area_code=None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), "international"


def _classify(
    digits: str, plus: bool, default_area_code: str | None
) -> tuple[str, PhoneKind] | None:
    if plus:
        if digits.startswith("86"):
            return _cn_number(digits[2:], international=True, default_area_code=None)
        return _international(digits)
    if digits.startswith("00"):
        if digits.startswith("0086"):
            return _cn_number(digits[4:], international=True, default_area_code=None)
        return _international(digits[2:])
    if digits.startswith("86") and len(digits) >= 11:
        found = _cn_number(digits[2:], international=True, default_area_code=None)
        if found is not None:
            return found
    return _cn_number(digits, international=False, default_area_code=default_area_code)


def parse_phone(value: object, *, default_area_code: str | None = None) -> Phone:
    """Parse one phone number in any common format (see module docstring for the key).

    ``default_area_code`` (``"010"`` or ``"10"``) completes 7-8 digit local landlines.
    """
    if isinstance(value, bool) or value is None:
        raise _err(
            "invalid_phone" if value is not None else "empty", value if value is not None else ""
        )
    if isinstance(value, int):
        s = str(value)
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise _err("invalid_phone", value)
        s = str(int(value))
    else:
        s = _text(value)
    # Fast path: bare mobile digits, the bulk of real data.
    if len(s) == 11 and s.isascii() and s.isdigit() and _MOBILE_RE.fullmatch(s):
        return Phone(s, None, "mobile")
    if len(s) > 64:
        raise _err("invalid_phone", value)
    low = s.lower().replace("：", ":")
    label = _PHONE_LABEL_RE.match(low)
    if label is not None and label.end() < len(low) and not low[0].isdigit():
        low = low[label.end() :]
    extension: str | None = None
    ext = _PHONE_EXT_RE.fullmatch(low)
    if ext is not None:
        low, extension = ext[1], ext[2]
    if not _PHONE_CHARS_RE.fullmatch(low):
        raise _err("invalid_phone", value)
    plus = low.lstrip().startswith("+")
    digits = _NON_DIGIT_RE.sub("", low)
    try:
        found = _classify(digits, plus, default_area_code)
        if found is None and extension is None:
            groups = _DIGIT_GROUP_RE.findall(low)
            if len(groups) >= 3 and len(groups[-1]) <= 5:
                # 010-6552 1234-808: a trailing dash group that only fits as an extension
                head = _classify(digits[: -len(groups[-1])], plus, default_area_code)
                if head is not None and head[1] in ("landline", "service", "international"):
                    found, extension = head, groups[-1]
    except _NeedsAreaCode:
        raise _err("phone_needs_area_code", value) from None
    if found is None:
        raise _err("invalid_phone", value)
    return Phone(found[0], extension, found[1])


def normalize_phone(value: object, *, default_area_code: str | None = None) -> str:
    """Canonical phone key, ``;ext=NNN`` appended when there is an extension."""
    phone = parse_phone(value, default_area_code=default_area_code)
    if phone.extension is None:
        return phone.key
    return f"{phone.key};ext={phone.extension}"


def split_phones(value: str) -> list[str]:
    """Split a cell holding several numbers (``138…/139…``, ``、``, ``；``, ``或``)."""
    return [p for p in _PHONE_SEPARATORS_RE.split(to_halfwidth(value)) if p.strip()]


def phone_search_key(query: str) -> str | None:
    """Digits to search stored phone keys with (``key LIKE %result%``), or None when
    ``query`` does not look like a phone number (contains letters/hanzi, or fewer than 3
    digits). A complete number in any format gives its canonical key (no extension);
    otherwise the digits, without a leading ``+86``/``0086`` and without a bare ``86``
    followed by an 11-digit mobile."""
    s = _scalar_text(query)
    if not s:
        return None
    try:
        return parse_phone(s).key
    except CleaningError:
        pass
    if not _PHONE_CHARS_RE.fullmatch(s):
        return None
    digits = _NON_DIGIT_RE.sub("", s)
    if s.lstrip().startswith("+86"):
        digits = digits[2:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
        digits = digits[2:]
    return digits if len(digits) >= 3 else None


# --------------------------------------------------------------------------------------
# E-mail

_EMAIL_TABLE: Final[dict[int, int | None]] = {
    ord("。"): ord("."),
    0xFF61: ord("."),  # halfwidth ideographic full stop
    0xFE52: ord("."),  # small full stop
    0xFE6B: ord("@"),  # small commercial at
}
_EMAIL_LOCAL: Final = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_EMAIL_DOMAIN: Final = (
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
)
_EMAIL_RE: Final = re.compile(f"({_EMAIL_LOCAL})@({_EMAIL_DOMAIN})")
_EMAIL_SPACES_RE: Final = re.compile(r"\s*([@.])\s*")


def _keep_group_1(match: re.Match[str]) -> str:
    return match[1]


def normalize_email(value: object) -> str:
    """Lower-cased, validated e-mail address. Accepts full-width ``＠``/``．``, ``。`` for
    ``.``, ``mailto:``, ``Name <addr>`` and stray spaces or trailing punctuation."""
    s = _text(value)
    if not s.isascii():
        s = s.translate(_EMAIL_TABLE)
    s = s.lower()
    if "<" in s and s.endswith(">"):
        s = s[s.rindex("<") + 1 : -1]
    if s.startswith("mailto:"):
        s = s[7:]
    if " " in s or "\t" in s:
        s = _EMAIL_SPACES_RE.sub(_keep_group_1, s)  # "zhang @ qq . com"; others fail below
    s = s.rstrip(".,;:\"'").lstrip("\"'")
    if len(s) > 254 or s.count("@") != 1:
        raise _err("invalid_email", value)
    local, domain = s.split("@")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise _err("invalid_email", value) from None
    if len(local) > 64 or len(domain) > 253:
        raise _err("invalid_email", value)
    address = f"{local}@{domain}"
    if not _EMAIL_RE.fullmatch(address):
        raise _err("invalid_email", value)
    return address


# --------------------------------------------------------------------------------------
# Company / person name keys

_REGION_PAREN_RE: Final = re.compile(r"[(\[【〔]\s*(?:中国|中國|china|prc)\s*[)\]】〕]")
_NON_WORD_RE: Final = re.compile(r"[\W_]+")
_CN_SUFFIXES: Final = tuple(
    sorted(
        {
            "股份有限公司",
            "有限责任公司",
            "有限責任公司",
            "股份公司",
            "有限公司",
            "集团公司",
            "集團公司",
            "分公司",
            "集团",
            "集團",
            "公司",
        },
        key=len,
        reverse=True,
    )
)
_CN_SUFFIX_SET: Final = frozenset(_CN_SUFFIXES)
_CN_SUFFIX_ENDINGS: Final = tuple({suffix[-1] for suffix in _CN_SUFFIXES})
_CN_SUFFIX_RE_ONE: Final = re.compile("|".join(map(re.escape, _CN_SUFFIXES)))
_CN_SUFFIX_RE: Final = re.compile(f"(?:{_CN_SUFFIX_RE_ONE.pattern})+\\Z")
_EN_SUFFIXES: Final = frozenset(
    {
        "co", "corp", "corporation", "company", "ltd", "limited", "inc", "incorporated",
        "llc", "llp", "plc", "gmbh", "pte", "pty", "ag", "sa", "bv", "group",
    }
)  # fmt: skip


#: Longer names are cut before keying (bounds the work per value; no real name is longer).
MAX_NAME_KEY_INPUT: Final = 256


def normalize_name_key(name: str) -> str:
    """Key for duplicate detection of organisation/person names: half-width, case-folded,
    without spaces and punctuation, with legal-form suffixes removed (longest first,
    repeatedly: 西门子(中国)有限公司 -> 西门子; Huawei Technologies Co., Ltd. ->
    huaweitechnologies). English suffixes are removed as whole words. When stripping would
    leave nothing (a company called 集团), the unstripped key is returned."""
    return _name_key(name[:MAX_NAME_KEY_INPUT])


@lru_cache(maxsize=16384)
def _name_key(name: str) -> str:
    s = to_halfwidth(name).casefold()
    if not s:
        return ""
    if "(" in s or "[" in s or "【" in s or "〔" in s:
        s = _REGION_PAREN_RE.sub(" ", s)
    words = _NON_WORD_RE.sub(" ", s).split()
    full = "".join(words)
    while len(words) > 1 and words[-1] in _EN_SUFFIXES:
        words.pop()
    key = "".join(words)
    if key in _CN_SUFFIX_SET or not key.endswith(_CN_SUFFIX_ENDINGS):
        return key or full
    match = _CN_SUFFIX_RE.search(key)
    if match is not None:
        start = match.start()
        if start == 0:  # the name is only suffixes (集团有限公司): keep the first one
            first = _CN_SUFFIX_RE_ONE.match(key)
            start = first.end() if first is not None else len(key)
        key = key[:start]
    return key or full


# --------------------------------------------------------------------------------------
# Choices

_CHOICE_DROP: Final[dict[int, None]] = dict.fromkeys(map(ord, " \t\r\n-_"), None)


def _choice_key(label: str) -> str:
    return _scalar_text(label).casefold().translate(_CHOICE_DROP)


class ChoiceMatcher:
    """Match free text to a choice code. ``choices`` maps each code to its accepted labels
    (Chinese, English, synonyms); the code itself is always accepted. Matching ignores case,
    full-width forms, whitespace, ``-`` and ``_``. A label that normalises to two codes is a
    configuration error (``ValueError``)."""

    __slots__ = ("_allowed", "_index", "_lookup")

    def __init__(self, choices: Mapping[str, Iterable[str]]) -> None:
        index: dict[str, str] = {}
        allowed: list[str] = []
        for code, labels in choices.items():
            names = [labels] if isinstance(labels, str) else list(labels)
            allowed.append(names[0] if names else code)
            for label in (code, *names):
                key = _choice_key(label)
                if not key:
                    continue
                other = index.setdefault(key, code)
                if other != code:
                    raise ValueError(f"choice label {label!r} matches both {other!r} and {code!r}")
        self._index = index
        self._allowed = allowed
        self._lookup: Callable[[str], str] = lru_cache(maxsize=1024)(self._match_text)

    @property
    def allowed(self) -> list[str]:
        return list(self._allowed)

    def _match_text(self, text: str) -> str:
        code = self._index.get(_choice_key(text))
        if code is None:
            if not to_halfwidth(text):
                raise CleaningError("empty", {"value": text})
            raise _err("invalid_choice", text, allowed=list(self._allowed))
        return code

    def __call__(self, value: object) -> str:
        if value is None:
            raise CleaningError("empty", {"value": ""})
        text = value if isinstance(value, str) else str(value)
        if len(text) > 256:  # no label is that long; keep such values out of the cache
            raise _err("invalid_choice", text[:256], allowed=list(self._allowed))
        return self._lookup(text)


_MATCHERS: dict[int, tuple[Mapping[str, Iterable[str]], int, ChoiceMatcher]] = {}


def match_choice(value: object, choices: Mapping[str, Iterable[str]]) -> str:
    """Code in ``choices`` matching ``value`` (see :class:`ChoiceMatcher`). The matcher for a
    given mapping object is built once and cached, so pass a constant mapping (or build a
    :class:`ChoiceMatcher` yourself)."""
    cached = _MATCHERS.get(id(choices))
    if cached is None or cached[0] is not choices or cached[1] != len(choices):
        if len(_MATCHERS) >= 256:
            _MATCHERS.clear()
        cached = (choices, len(choices), ChoiceMatcher(choices))
        _MATCHERS[id(choices)] = cached
    return cached[2](value)
