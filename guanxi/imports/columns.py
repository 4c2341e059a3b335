"""Columns of an export list: a header, the values a row is read with, and the cell.

Rows are read with ``values()`` — no model instances (building them cost most of an
export's time: 250 µs a customer row, measured) — so a column names the values it reads
and turns them into the cell. Choice labels are resolved once per export (``Cells``), in
the exporting user's language. Headers are the import's field labels, so an export can
be imported again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise

from guanxi.accounts.models import person_name

Row = Mapping[str, Any]


class Cells:
    """What cells need beyond the row: translated choice labels, by model field."""

    def __init__(self) -> None:
        self._labels: dict[tuple[type[Any], str], dict[Any, str]] = {}

    def label(self, model: type[Any], name: str, code: Any) -> str:
        if not code:
            return ""
        labels = self._labels.get((model, name))
        if labels is None:
            field = model._meta.get_field(name)
            labels = self._labels[(model, name)] = {k: str(v) for k, v in field.flatchoices}
        return labels.get(code, str(code))


@dataclass(frozen=True)
class Column:
    header: Promise | str
    reads: tuple[str, ...]
    value: Callable[[Row, Cells], Any]


def local(value: dt.datetime | None) -> dt.datetime | None:
    """A stored (UTC) time as the shown wall-clock time, without a zone (spreadsheets)."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def field_column(name: str, header: Promise | str) -> Column:
    return Column(header, (name,), lambda row, _cells: row[name])


def text_column(name: str, header: Promise | str) -> Column:
    """A value that may be missing (a nullable relation's field): empty text then."""
    return Column(header, (name,), lambda row, _cells: row[name] or "")


def time_column(name: str, header: Promise | str) -> Column:
    return Column(header, (name,), lambda row, _cells: local(row[name]))


def choice_column(model: type[Any], path: str, header: Promise | str) -> Column:
    """The label of a choice field of ``model`` (``path`` may cross relations)."""
    name = path.rsplit("__", 1)[-1]
    return Column(header, (path,), lambda row, cells: cells.label(model, name, row[path]))


def user_column(prefix: str, header: Promise | str) -> Column:
    """``str(user)``: display name, else full name, else username; empty without a user."""
    names = tuple(f"{prefix}__{f}" for f in ("username", "display_name", "first_name", "last_name"))

    def value(row: Row, _cells: Cells) -> str:
        username, display, first, last = (row[n] for n in names)
        if username is None:
            return ""
        return person_name(display, first, last, username)

    return Column(header, names, value)
