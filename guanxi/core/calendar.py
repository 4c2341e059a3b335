"""The business calendar: Chinese public holidays and make-up working days (调休).

One service that SLA clocks, reminders and project schedules use, so that "three working
days" means the same thing everywhere. The data comes from the maintained ``holidays``
package, which carries the State Council's yearly notice (国务院办公厅关于部分节假日安排的
通知) including the weekend days that become working days. A year the notice has not been
published for yet falls back to the fixed-date rules the package knows and ordinary
Saturdays/Sundays, so keep the package current (constraints.txt) each December.

Counting conventions (``working_days_between`` is additive over consecutive spans, and
``working_days_between(a, add_working_days(a, n)) == n`` for every ``n > 0``, and for
``n < 0`` when ``a`` is itself a working day):

* ``add_working_days(day, n)`` moves ``n`` working days forward (``n > 0``) or backward
  (``n < 0``), not counting ``day`` itself; ``n == 0`` gives ``day`` if it is a working day,
  otherwise the next working day.
* ``working_days_between(a, b)`` counts the working days ``d`` with ``a < d <= b`` when
  ``b >= a``, and minus those with ``b < d <= a`` when ``b < a``.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading

import holidays
from django.utils import translation

__all__ = [
    "add_working_days",
    "holiday_name",
    "is_working_day",
    "working_days_between",
]

# The package's language codes for the site's languages; anything else reads Chinese.
_PACKAGE_LANGUAGE = {"zh-hans": "zh_CN", "zh": "zh_CN", "en": "en_US"}
_DEFAULT_PACKAGE_LANGUAGE = "zh_CN"
# The calendar object expands lazily by year and is not safe to expand from two threads.
_lock = threading.Lock()
_ONE_DAY = dt.timedelta(days=1)


@functools.cache
def _calendar(language: str) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", language=language)


def _package_language() -> str:
    code = (translation.get_language() or "").lower()
    base = code.split("-")[0]
    return _PACKAGE_LANGUAGE.get(code, _PACKAGE_LANGUAGE.get(base, _DEFAULT_PACKAGE_LANGUAGE))


def _as_date(day: dt.date) -> dt.date:
    # A datetime is a date too; compare calendar days only.
    if isinstance(day, dt.datetime):
        return day.date()
    return day


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day: not a public holiday, and a weekday or a 调休 day."""
    day = _as_date(day)
    with _lock:
        return bool(_calendar(_DEFAULT_PACKAGE_LANGUAGE).is_working_day(day))


def holiday_name(day: dt.date) -> str | None:
    """The holiday's name in the active language, or ``None`` for a day that is not one.

    Ordinary weekends are not holidays; a 调休 rest day carries the package's name for it
    ("休息日（由 2026-01-04 调休）").
    """
    day = _as_date(day)
    with _lock:
        name = _calendar(_package_language()).get(day)
    return str(name) if name is not None else None


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The date ``n`` working days after (or, for negative ``n``, before) ``day``."""
    day = _as_date(day)
    step = _ONE_DAY if n >= 0 else -_ONE_DAY
    if n == 0:
        while not is_working_day(day):
            day += step
        return day
    remaining = abs(n)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(a: dt.date, b: dt.date) -> int:
    """Working days from ``a`` to ``b``; negative when ``b`` is before ``a`` (see module)."""
    a, b = _as_date(a), _as_date(b)
    if b >= a:
        first, last, sign = a + _ONE_DAY, b, 1
    else:
        first, last, sign = b + _ONE_DAY, a, -1
    count = 0
    day = first
    while day <= last:
        if is_working_day(day):
            count += 1
        day += _ONE_DAY
    return sign * count
