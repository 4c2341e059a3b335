"""The business calendar agrees with the State Council's 2026 holiday notice.

The list below is typed from 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号),
not read from the package, so a package release that gets a day wrong fails here:

一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
二、春节：2月15日（周日）至23日（周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
三、清明节：4月4日（周六）至6日（周一）放假，共3天。
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
五、端午节：6月19日（周五）至21日（周日）放假，共3天。
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from guanxi.core import calendar

D = dt.date


def _span(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


BREAKS_2026 = {
    "元旦": _span(D(2026, 1, 1), D(2026, 1, 3)),
    "春节": _span(D(2026, 2, 15), D(2026, 2, 23)),
    "清明节": _span(D(2026, 4, 4), D(2026, 4, 6)),
    "劳动节": _span(D(2026, 5, 1), D(2026, 5, 5)),
    "端午节": _span(D(2026, 6, 19), D(2026, 6, 21)),
    "中秋节": _span(D(2026, 9, 25), D(2026, 9, 27)),
    "国庆节": _span(D(2026, 10, 1), D(2026, 10, 7)),
}
MAKE_UP_WORKING_DAYS_2026 = [
    D(2026, 1, 4),
    D(2026, 2, 14),
    D(2026, 2, 28),
    D(2026, 5, 9),
    D(2026, 9, 20),
    D(2026, 10, 10),
]
DAYS_OFF_2026 = {day for days in BREAKS_2026.values() for day in days}


def _expected_working(day: dt.date) -> bool:
    if day in MAKE_UP_WORKING_DAYS_2026:
        return True
    if day in DAYS_OFF_2026:
        return False
    return day.weekday() < 5


def test_the_break_lengths_are_the_notices():
    assert {name: len(days) for name, days in BREAKS_2026.items()} == {
        "元旦": 3,
        "春节": 9,
        "清明节": 3,
        "劳动节": 5,
        "端午节": 3,
        "中秋节": 3,
        "国庆节": 7,
    }


@pytest.mark.parametrize("day", sorted(DAYS_OFF_2026), ids=str)
def test_every_day_of_a_2026_break_is_off(day):
    assert calendar.is_working_day(day) is False


@pytest.mark.parametrize("day", MAKE_UP_WORKING_DAYS_2026, ids=str)
def test_the_2026_make_up_weekend_days_are_working_days(day):
    assert day.weekday() >= 5
    assert calendar.is_working_day(day) is True


def test_every_day_of_2026_matches_the_notice():
    wrong = [
        day
        for day in _span(D(2026, 1, 1), D(2026, 12, 31))
        if calendar.is_working_day(day) != _expected_working(day)
    ]
    assert wrong == []


def test_2026_has_the_working_day_count_of_the_notice():
    weekdays = sum(1 for day in _span(D(2026, 1, 1), D(2026, 12, 31)) if day.weekday() < 5)
    weekday_breaks = sum(1 for day in DAYS_OFF_2026 if day.weekday() < 5)
    expected = weekdays - weekday_breaks + len(MAKE_UP_WORKING_DAYS_2026)
    assert calendar.working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == expected
    # 261 weekdays − 19 weekdays inside breaks + 6 make-up days.
    assert expected == 248


def test_holiday_names_follow_the_active_language():
    with translation.override("zh-hans"):
        assert calendar.holiday_name(D(2026, 10, 1)) == "国庆节"
        assert calendar.holiday_name(D(2026, 2, 17)) == "春节"
        assert "调休" in (calendar.holiday_name(D(2026, 1, 2)) or "")
    with translation.override("en"):
        assert calendar.holiday_name(D(2026, 10, 1)) == "National Day"


def test_an_ordinary_day_and_a_weekend_have_no_holiday_name():
    assert calendar.holiday_name(D(2026, 3, 10)) is None
    assert calendar.holiday_name(D(2026, 3, 14)) is None  # a plain Saturday


def test_a_datetime_counts_as_its_calendar_day():
    assert calendar.is_working_day(dt.datetime(2026, 10, 1, 9, 30)) is False
    assert calendar.add_working_days(dt.datetime(2026, 9, 30, 18, 0), 1) == D(2026, 10, 8)


# Reminder arithmetic across a holiday week.


def test_a_reminder_three_working_days_after_the_day_before_national_day_skips_the_week():
    # Wed 30 Sep → the break 1–7 Oct → Thu 8, Fri 9, Sat 10 Oct (调休 working Saturday).
    assert calendar.add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)


def test_a_follow_up_due_in_five_working_days_before_spring_festival():
    # Thu 12 Feb: Fri 13, Sat 14 (调休), then 15–23 off, Tue 24, Wed 25.
    assert calendar.add_working_days(D(2026, 2, 12), 4) == D(2026, 2, 25)
    assert calendar.add_working_days(D(2026, 2, 12), 5) == D(2026, 2, 26)


def test_the_make_up_sunday_before_national_day_is_counted():
    # Fri 18 Sep → Sat 19 off → Sun 20 Sep is worked.
    assert calendar.add_working_days(D(2026, 9, 18), 1) == D(2026, 9, 20)


def test_going_back_across_a_holiday_week():
    assert calendar.add_working_days(D(2026, 10, 8), -1) == D(2026, 9, 30)
    assert calendar.add_working_days(D(2026, 10, 8), -2) == D(2026, 9, 29)


def test_zero_working_days_rolls_a_day_off_to_the_next_working_day():
    assert calendar.add_working_days(D(2026, 10, 3), 0) == D(2026, 10, 8)
    assert calendar.add_working_days(D(2026, 10, 8), 0) == D(2026, 10, 8)


def test_working_days_across_the_national_day_week():
    # 30 Sep (Wed) to 9 Oct (Fri): only the 8th and 9th are worked after the 30th.
    assert calendar.working_days_between(D(2026, 9, 30), D(2026, 10, 9)) == 2
    assert calendar.working_days_between(D(2026, 10, 9), D(2026, 9, 30)) == -2
    # Backwards from a day off: the days after the 30th up to the 4th, none worked.
    assert calendar.working_days_between(D(2026, 10, 4), D(2026, 9, 30)) == 0
    assert calendar.working_days_between(D(2026, 10, 4), D(2026, 10, 4)) == 0


days_2025_to_2027 = st.dates(min_value=D(2025, 1, 1), max_value=D(2027, 12, 31))


@given(day=days_2025_to_2027, n=st.integers(min_value=1, max_value=40))
def test_counting_inverts_adding_forward(day, n):
    target = calendar.add_working_days(day, n)
    assert calendar.working_days_between(day, target) == n
    assert calendar.is_working_day(target)


@given(day=days_2025_to_2027, n=st.integers(min_value=-40, max_value=-1))
def test_counting_inverts_adding_backward_from_a_working_day(day, n):
    start = calendar.add_working_days(day, 0)
    target = calendar.add_working_days(start, n)
    assert calendar.working_days_between(start, target) == n
    assert calendar.is_working_day(target)


@given(day=days_2025_to_2027, n=st.integers(min_value=1, max_value=30))
def test_adding_is_monotonic_and_never_lands_off(day, n):
    earlier = calendar.add_working_days(day, n)
    later = calendar.add_working_days(day, n + 1)
    assert day < earlier < later
    assert all(not calendar.is_working_day(d) for d in _span(earlier, later)[1:-1])


@given(a=days_2025_to_2027, b=days_2025_to_2027, c=days_2025_to_2027)
def test_counts_add_up_over_consecutive_spans(a, b, c):
    assert calendar.working_days_between(a, b) + calendar.working_days_between(
        b, c
    ) == calendar.working_days_between(a, c)
