"""The registries other apps plug into from their ``AppConfig.ready()``.

- :func:`register_kind` — a kind of notification (label, the channels it goes to unless the
  user chose otherwise). ``notify(kind=...)`` refuses an unregistered kind.
- :func:`register_rule` — a scheduled rule: ``run(today)`` yields :class:`Due` reminders;
  the worker runs every rule once a day across any number of workers and the sweep is
  idempotent (each :class:`Due` carries a ``dedupe_key``, so a rule run twice notifies once).
- :func:`register_my_day` — a section of the "my day" home page: ``items(actor, today)``
  returns the actor's open items (:class:`MyDayItem`) and optionally ``count`` their number.

Notifications does not import the apps above it (customers, analytics, …); they register
here instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# A title or body: plain text, or a lazy translation (``gettext_lazy`` / ``format_lazy``)
# that ``notify`` renders in each recipient's own language.
Text = str | Promise


class Channel:
    INAPP = "inapp"
    EMAIL = "email"
    IM = "im"

    ALL: tuple[str, ...] = (INAPP, EMAIL, IM)
    LABELS: dict[str, Any] = {INAPP: _("站内"), EMAIL: _("邮件"), IM: _("群机器人")}


@dataclass(frozen=True)
class NotificationKind:
    key: str
    label: Any
    default_channels: frozenset[str] = frozenset({Channel.INAPP})
    # Kinds an individual cannot switch off in the inbox (e.g. approvals waiting for them).
    inapp_required: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.default_channels) - set(Channel.ALL)
        if unknown:
            raise ValueError(f"unknown channels {sorted(unknown)} for kind {self.key!r}")
        object.__setattr__(self, "default_channels", frozenset(self.default_channels))


@dataclass(frozen=True)
class Due:
    """One reminder a rule found due: who gets it, what it says, what it links to.

    ``dedupe_key`` makes the rule idempotent: a recipient receives a given key once ever,
    however often the rule runs (include the due date when the same record may be due again
    later, e.g. ``"followup:42:2026-12-02"``)."""

    kind: str
    recipient_ids: Sequence[int]
    title: Text
    dedupe_key: str
    body: Text = ""
    url: str = ""
    subject_model: str = ""
    subject_id: str = ""


@dataclass(frozen=True)
class DueQuery:
    """Many reminders of one kind at once, written by one ``INSERT … SELECT`` (no row passes
    through Python): one per row of ``rows`` (a queryset of the rule's app).

    Each field below is an expression over ``rows`` (``F``, ``Concat``, ``Cast``, ``Value``
    …). ``title`` is a msgid with ``%(name)s`` placeholders (``gettext_noop``), translated
    in each recipient's language, its placeholders filled from ``params``; ``dedupe_key``
    works as on :class:`Due` (a recipient receives a key once ever). Rows whose recipient is
    null or inactive are skipped."""

    kind: str
    rows: QuerySet[Any]
    recipient: Any
    title: str
    dedupe_key: Any
    params: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None
    url: Any = None
    subject_model: str = ""
    subject_id: Any = None


@dataclass(frozen=True)
class Rule:
    """A scheduled rule. ``run(today)`` yields what is due on ``today``: :class:`Due`
    reminders (a generator is best: the sweep writes in batches while it reads) or, for
    rules over many rows, :class:`DueQuery` sets written in SQL. Rules run in ``order``."""

    key: str
    label: Any
    run: Callable[[dt.date], Iterable[Due | DueQuery]]
    order: int = 100


@dataclass(frozen=True)
class MyDayItem:
    title: str
    url: str = ""
    when: dt.date | dt.datetime | None = None
    note: str = ""
    overdue: bool = False


@dataclass(frozen=True)
class Section:
    """A card of "my day". ``items`` gives at most ``limit`` items (most urgent first);
    ``count``, when given, the full number (otherwise the number of items shown).
    ``visible`` restricts the card to some users (roles); by default every staff user."""

    key: str
    label: Any
    order: int
    items: Callable[[Any, dt.date], Sequence[MyDayItem]]
    count: Callable[[Any, dt.date], int] | None = None
    visible: Callable[[Any], bool] = field(default=lambda actor: True)
    limit: int = 10
    more_url: str = ""


_KINDS: dict[str, NotificationKind] = {}
_RULES: dict[str, Rule] = {}
_SECTIONS: dict[str, Section] = {}


def register_kind(kind: NotificationKind) -> NotificationKind:
    _KINDS[kind.key] = kind
    return kind


def register_rule(rule: Rule) -> Rule:
    _RULES[rule.key] = rule
    return rule


def register_my_day(section: Section) -> Section:
    _SECTIONS[section.key] = section
    return section


def get_kind(key: str) -> NotificationKind:
    try:
        return _KINDS[key]
    except KeyError:
        raise LookupError(f"unregistered notification kind {key!r}") from None


def kinds() -> list[NotificationKind]:
    return list(_KINDS.values())


def kind_label(key: str) -> Any:
    found = _KINDS.get(key)
    return found.label if found is not None else key


def rules() -> list[Rule]:
    return sorted(_RULES.values(), key=lambda r: (r.order, r.key))


def get_rule(key: str) -> Rule:
    try:
        return _RULES[key]
    except KeyError:
        raise LookupError(f"unregistered reminder rule {key!r}") from None


def my_day_sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))
