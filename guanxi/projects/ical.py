"""RFC 5545 iCalendar text for the calendar feeds, written by hand (a few dozen lines do
not need a dependency): CRLF line ends, content lines folded at 75 octets without
splitting a UTF-8 character, TEXT values escaped, every event with a UID and a DTSTAMP.

Events here are all-day (tasks, milestones and visits are planned by the day): ``DTSTART``
is a ``DATE`` and ``DTEND`` the day after the last day (RFC 5545 §3.6.1: the end is
exclusive).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

__all__ = ["Event", "calendar", "escape_text", "fold"]

PRODID: Final = "-//Guanxi//Guanxi CRM 1.0//ZH"
_LIMIT: Final = 75


@dataclass(frozen=True)
class Event:
    uid: str
    summary: str
    start: dt.date
    #: the last day (inclusive); ``None`` for a one-day event
    finish: dt.date | None = None
    description: str = ""
    url: str = ""
    categories: tuple[str, ...] = ()
    #: when the record last changed (``LAST-MODIFIED``)
    modified: dt.datetime | None = None


def escape_text(value: str) -> str:
    """A TEXT value (§3.3.11): backslash, semicolon, comma and line breaks escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """One content line folded (§3.1): at most 75 octets per physical line, continuation
    lines starting with a space, UTF-8 sequences never split."""
    out: list[str] = []
    current: list[str] = []
    size, limit = 0, _LIMIT
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            out.append("".join(current))
            current, size, limit = [], 0, _LIMIT - 1  # the leading space counts
        current.append(ch)
        size += width
    out.append("".join(current))
    return "\r\n ".join(out)


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _date(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def calendar(*, name: str, events: Iterable[Event], now: dt.datetime, description: str = "") -> str:
    """The whole ``VCALENDAR`` text (CRLF line ends, final CRLF)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        "X-WR-TIMEZONE:Asia/Shanghai",
    ]
    if description:
        lines.append(f"X-WR-CALDESC:{escape_text(description)}")
    stamp = _utc(now)
    for ev in events:
        last = ev.finish if ev.finish and ev.finish >= ev.start else ev.start
        lines += [
            "BEGIN:VEVENT",
            f"UID:{ev.uid}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{_date(ev.start)}",
            f"DTEND;VALUE=DATE:{_date(last + dt.timedelta(days=1))}",
            f"SUMMARY:{escape_text(ev.summary)}",
            "TRANSP:TRANSPARENT",
        ]
        if ev.description:
            lines.append(f"DESCRIPTION:{escape_text(ev.description)}")
        if ev.url:
            lines.append(f"URL:{ev.url}")
        if ev.categories:
            lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in ev.categories))
        if ev.modified is not None:
            lines.append(f"LAST-MODIFIED:{_utc(ev.modified)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
