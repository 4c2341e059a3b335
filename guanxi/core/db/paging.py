"""Offset pagination with a capped count, for every list of the UI and the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from django.db.models import QuerySet

COUNT_CAP: Final = 10_000


@dataclass
class Page:
    items: list[Any]
    number: int
    size: int
    count: int
    count_capped: bool

    @property
    def has_next(self) -> bool:
        return self.number * self.size < self.count

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.size))


def paginate(
    qs: QuerySet[Any],
    *,
    page: int = 1,
    size: int,
    cap: int = COUNT_CAP,
    offset: int | None = None,
    known_count: int | None = None,
) -> Page:
    """Offset pagination with a capped count: counting a million rows for a page header
    costs more than the page itself, so past ``cap`` we say "10,000+". ``offset`` (the
    API's limit/offset) takes the place of ``page`` when given; ``known_count`` (the
    caller counted already) saves the count query."""
    page = max(1, page)
    size = max(1, min(size, 200))
    start = (page - 1) * size if offset is None else max(0, offset)
    page = start // size + 1
    items = list(qs[start : start + size])
    if known_count is not None:
        count, capped = min(known_count, cap), known_count > cap
    elif start == 0 and len(items) < size:
        count, capped = len(items), False
    else:
        count = qs.order_by()[: cap + 1].count()
        capped = count > cap
        count = min(count, cap)
    return Page(items=items, number=page, size=size, count=count, count_capped=capped)
