"""The keyset cursor: what it accepts, that it survives a round trip, and its refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.core.db.keyset import CURSOR_MAX_LENGTH, Cursor
from guanxi.core.limits import MAX_ID

moments = st.datetimes(
    min_value=dt.datetime(1970, 1, 1),
    max_value=dt.datetime(9999, 12, 31),
    timezones=st.just(dt.UTC),
)


@given(at=moments, pk=st.integers(min_value=1, max_value=MAX_ID))
def test_a_cursor_survives_its_text(at, pk):
    cursor = Cursor(at=at, id=pk)
    text = str(cursor)
    assert len(text) <= CURSOR_MAX_LENGTH
    assert Cursor.parse(text) == cursor


def test_cursors_compare_as_their_rows_order():
    t = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
    assert Cursor(t, 5) < Cursor(t, 6) < Cursor(t + dt.timedelta(microseconds=1), 1)


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "1.2.3", "1764748800000000", ".5", "5.", "1.0", f"1.{MAX_ID + 1}",
     "-1.5", "9999999999999999999.1", "1e6.1", " 1 . 2 ", "1." + "9" * 40],
)  # fmt: skip
def test_anything_else_is_refused(raw):
    with pytest.raises(ValueError):
        Cursor.parse(raw)
