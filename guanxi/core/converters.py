"""URL path converters. ``<id:pk>`` is a record id: 1…``limits.MAX_ID``. Anything else in
its place (``/customers/99999999999999999999999/``) is no URL at all, a 404, instead of an
integer the database driver cannot bind."""

from __future__ import annotations

from guanxi.core.limits import MAX_ID


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(value)  # Django: this pattern does not match
        return number

    def to_url(self, value: int | str) -> str:
        return str(int(value))
