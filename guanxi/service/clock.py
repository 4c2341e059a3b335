"""Business time for SLA clocks: working hours on the working days of the business
calendar (``core.calendar``: Chinese public holidays and 调休 make-up days).

Working hours are ``GUANXI_SERVICE_HOURS`` (default 09:00–18:00) in
``GUANXI_SERVICE_TIME_ZONE`` (default Asia/Shanghai). Time is counted in whole seconds:
``business_seconds(a, b)`` is additive over consecutive spans and monotone in ``b``, and
``business_seconds(a, add_business_seconds(a, n)) == n``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

from guanxi.core.calendar import is_working_day

_ONE_DAY = dt.timedelta(days=1)
# Far enough for any target (ten years of working days); a longer walk is a bug.
_MAX_DAYS = 3660


def _zone() -> ZoneInfo:
    return ZoneInfo(getattr(settings, "GUANXI_SERVICE_TIME_ZONE", "Asia/Shanghai"))


def _hours() -> tuple[dt.time, dt.time]:
    start, end = getattr(settings, "GUANXI_SERVICE_HOURS", ((9, 0), (18, 0)))
    return dt.time(*start), dt.time(*end)


def _window(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start, end = _hours()
    return dt.datetime.combine(day, start, zone), dt.datetime.combine(day, end, zone)


def _whole(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("business time needs aware datetimes")
    return moment.replace(microsecond=0)


def business_seconds(start: dt.datetime, end: dt.datetime) -> int:
    """Working seconds between ``start`` and ``end`` (0 when ``end`` is not later)."""
    start, end = _whole(start), _whole(end)
    if end <= start:
        return 0
    zone = _zone()
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day, last = local_start.date(), local_end.date()
    total = 0
    while day <= last:
        if is_working_day(day):
            open_at, close_at = _window(day, zone)
            lo, hi = max(open_at, local_start), min(close_at, local_end)
            if hi > lo:
                total += int((hi - lo).total_seconds())
        day += _ONE_DAY
    return total


def add_business_seconds(start: dt.datetime, seconds: int) -> dt.datetime:
    """The moment ``seconds`` working seconds after ``start`` (``start`` itself for 0)."""
    start = _whole(start)
    if seconds <= 0:
        return start
    zone = _zone()
    cursor = start.astimezone(zone)
    day = cursor.date()
    remaining = seconds
    for _step in range(_MAX_DAYS):
        if is_working_day(day):
            open_at, close_at = _window(day, zone)
            lo = max(open_at, cursor)
            if close_at > lo:
                available = int((close_at - lo).total_seconds())
                if remaining <= available:
                    return (lo + dt.timedelta(seconds=remaining)).astimezone(dt.UTC)
                remaining -= available
        day += _ONE_DAY
        cursor = dt.datetime.combine(day, dt.time(0), zone)
    raise ValueError("SLA target beyond the business calendar's range")
