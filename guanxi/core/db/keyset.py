"""Keyset ("seek") paging over a newest-first list ordered by ``(<time field>, id)``.

OFFSET makes the database walk and throw away every row before the page (page 400 of 25
reads 10,000 rows), and a row arriving between two requests shifts every later page by
one: the reader sees a row twice or never. A keyset page instead starts strictly after the
last row shown, ``WHERE (created_at, id) < (:at, :id)``, which an index on
``(…, -created_at, -id)`` answers by seeking: the same cost on any page, and rows that
arrive meanwhile (newer, so before the cursor) never disturb the pages after it.

The cursor is ``"<microseconds since the epoch, UTC>.<id>"``: plain digits, safe in a URL,
and a value the reader could have built from the row they saw (it carries nothing secret).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Final

from django.db.models import Q, QuerySet

from guanxi.core.db.paging import COUNT_CAP
from guanxi.core.limits import MAX_ID

EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_MICROSECOND: Final = dt.timedelta(microseconds=1)
_MAX_MICROS: Final = (dt.datetime.max.replace(tzinfo=dt.UTC) - EPOCH) // _ONE_MICROSECOND
CURSOR_PATTERN: Final = r"^\d{1,19}\.\d{1,19}$"
CURSOR_MAX_LENGTH: Final = 40
_CURSOR = re.compile(CURSOR_PATTERN)


@dataclass(frozen=True, order=True)
class Cursor:
    """A row's place in the list: its time and id."""

    at: dt.datetime
    id: int

    def __str__(self) -> str:
        return f"{(self.at - EPOCH) // _ONE_MICROSECOND}.{self.id}"

    @classmethod
    def parse(cls, raw: str) -> Cursor:
        """The cursor ``raw`` spells; ``ValueError`` for anything else (the caller names
        the parameter in its error)."""
        text = (raw or "").strip()
        if len(text) > CURSOR_MAX_LENGTH or not _CURSOR.match(text):
            raise ValueError(text)
        micros_text, id_text = text.split(".")
        micros, pk = int(micros_text), int(id_text)
        if not (1 <= pk <= MAX_ID and 0 <= micros <= _MAX_MICROS):
            raise ValueError(text)
        return cls(at=EPOCH + micros * _ONE_MICROSECOND, id=pk)

    @classmethod
    def of(cls, row: Any, field: str) -> Cursor:
        return cls(at=getattr(row, field), id=row.pk)


@dataclass
class KeysetPage:
    items: list[Any]
    older: Cursor | None  # ``before=`` this for the next (older) page; None: no older rows
    newer: Cursor | None  # ``after=`` this for the previous (newer) page; None: the newest
    count: int  # rows of the whole list (not only this page), at most ``cap``
    count_capped: bool

    @property
    def has_next(self) -> bool:
        return self.older is not None

    @property
    def has_previous(self) -> bool:
        return self.newer is not None


def _older_than(cursor: Cursor, field: str) -> Q:
    # The redundant ``field <= at`` is the index's range bound: with the OR alone a planner
    # may scan from the newest row instead of seeking to the cursor.
    return Q(**{f"{field}__lte": cursor.at}) & (
        Q(**{f"{field}__lt": cursor.at}) | Q(**{field: cursor.at, "id__lt": cursor.id})
    )


def _newer_than(cursor: Cursor, field: str) -> Q:
    return Q(**{f"{field}__gte": cursor.at}) & (
        Q(**{f"{field}__gt": cursor.at}) | Q(**{field: cursor.at, "id__gt": cursor.id})
    )


def keyset_page(
    qs: QuerySet[Any],
    *,
    size: int,
    before: Cursor | None = None,
    after: Cursor | None = None,
    field: str = "created_at",
    cap: int = COUNT_CAP,
) -> KeysetPage:
    """One newest-first page of ``qs``: the ``size`` rows just older than ``before``, or
    just newer than ``after`` (then, when fewer than a page is newer, the newest page), or
    the newest page. Two queries at most for the rows (one more when ``after`` reaches the
    newest), and a capped count of the whole list unless the newest page shows it all."""
    size = max(1, min(size, 200))
    newest_first = qs.order_by(f"-{field}", "-id")
    if after is not None and before is None:
        rows = list(newest_first.filter(_newer_than(after, field)).reverse()[: size + 1])
        if len(rows) > size:
            items = rows[:size][::-1]
            return _page(qs, items, older=Cursor.of(items[-1], field),
                         newer=Cursor.of(items[0], field), cap=cap)  # fmt: skip
    page = newest_first.filter(_older_than(before, field)) if before else newest_first
    rows = list(page[: size + 1])
    items = rows[:size]
    older = Cursor.of(items[-1], field) if len(rows) > size else None
    newer = Cursor.of(items[0], field) if before is not None and items else None
    if before is None and older is None:
        return KeysetPage(items, None, None, count=len(items), count_capped=False)
    return _page(qs, items, older=older, newer=newer, cap=cap)


def _page(
    qs: QuerySet[Any], items: list[Any], *, older: Cursor | None, newer: Cursor | None, cap: int
) -> KeysetPage:
    count = qs.order_by()[: cap + 1].count()
    return KeysetPage(items, older, newer, count=min(count, cap), count_capped=count > cap)
