"""Business time on the calendar: working hours 09:00–18:00 Asia/Shanghai on working days
(weekends off, public holidays off, 调休 weekend days on)."""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from guanxi.service.clock import add_business_seconds, business_seconds

SH = ZoneInfo("Asia/Shanghai")
HOUR = 3600


def at(y, m, d, h=0, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=SH)


moments = st.datetimes(
    min_value=dt.datetime(2025, 9, 1),
    max_value=dt.datetime(2026, 12, 31),
    timezones=st.just(dt.UTC),
)
spans = st.integers(min_value=0, max_value=40 * 9 * HOUR)


def test_a_working_day_has_nine_hours():
    assert business_seconds(at(2026, 12, 1), at(2026, 12, 2)) == 9 * HOUR


def test_weekend_counts_nothing():
    assert business_seconds(at(2026, 11, 28), at(2026, 11, 30)) == 0  # Sat 00:00 → Mon 00:00


def test_national_day_counts_nothing_and_make_up_saturday_counts():
    # 2026-10-01…07 are off; Saturday 2026-10-10 is a 调休 working day.
    assert business_seconds(at(2026, 10, 1), at(2026, 10, 8)) == 0
    assert business_seconds(at(2026, 10, 10), at(2026, 10, 11)) == 9 * HOUR


def test_friday_evening_target_lands_on_monday():
    due = add_business_seconds(at(2026, 11, 27, 17), 2 * HOUR)  # Fri 17:00 + 2 h
    assert due.astimezone(SH) == at(2026, 11, 30, 10)


def test_target_over_the_spring_festival_skips_it():
    due = add_business_seconds(at(2026, 2, 13, 17), 2 * HOUR)  # Fri before the holiday
    # Sat 14 Feb is a make-up working day.
    assert due.astimezone(SH) == at(2026, 2, 14, 10)
    due = add_business_seconds(at(2026, 2, 14, 17), 2 * HOUR)
    assert due.astimezone(SH) == at(2026, 2, 24, 10)  # 15–23 Feb off


@given(moments, spans, spans)
def test_elapsed_business_time_is_monotone(start, a, b):
    end_a, end_b = start + dt.timedelta(seconds=a), start + dt.timedelta(seconds=a + b)
    assert business_seconds(start, end_a) <= business_seconds(start, end_b)


@given(moments, spans, spans)
def test_elapsed_business_time_is_additive(start, a, b):
    mid = start + dt.timedelta(seconds=a)
    end = mid + dt.timedelta(seconds=b)
    assert business_seconds(start, end) == business_seconds(start, mid) + business_seconds(mid, end)


@given(moments, spans)
def test_adding_then_measuring_gives_the_target(start, target):
    start = start.replace(microsecond=0)
    due = add_business_seconds(start, target)
    assert business_seconds(start, due) == target
    assert due >= start
