"""The customer timeline: a registry of event kinds and the one function that adds events.

A new kind (tickets, projects, surveys…) calls ``register_kind`` in its app's ``ready()`` and
``timeline_add`` from its services; the feed and its template need no change.

Titles are shown in the *reader's* language, not the writer's: a service passes the title
as a :class:`TimelineText` (an untranslated message id and its parameters). The entry keeps
the title rendered in the language of the moment (``TimelineEntry.title``, for search and
export) and the message id with its parameters in ``data[TITLE_KEY]``, from which
``TimelineEntry.display_title`` renders it again for whoever reads the feed. Parameters that
are themselves words — a choice code (电话 / Phone), field names — are stored as codes
(:class:`ChoiceLabel`, :class:`FieldLabels`) and translated at display too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from guanxi.customers.models import TimelineEntry

# Where an entry keeps its title's message id and parameters inside ``data``.
TITLE_KEY = "title_i18n"


@dataclass(frozen=True)
class TimelineKind:
    kind: str
    label: Any
    icon: str = "•"
    color: str = "secondary"


_KINDS: dict[str, TimelineKind] = {}


def register_kind(kind: str, *, label: Any, icon: str = "•", color: str = "secondary") -> None:
    _KINDS[kind] = TimelineKind(kind=kind, label=label, icon=icon, color=color)


def kind_info(kind: str) -> TimelineKind:
    return _KINDS.get(kind) or TimelineKind(kind=kind, label=kind)


def registered_kinds() -> list[TimelineKind]:
    return list(_KINDS.values())


# --- titles in the reader's language -----------------------------------------------------


@dataclass(frozen=True)
class ChoiceLabel:
    """A title parameter that is the code of a choice field (``"phone"``), shown as the
    choice's label in the reader's language (电话 / Phone)."""

    model: str  # "customers.communication"
    field: str
    value: str

    @classmethod
    def of(cls, obj: models.Model, field_name: str) -> ChoiceLabel:
        return cls(obj._meta.label_lower, field_name, str(getattr(obj, field_name)))


@dataclass(frozen=True)
class FieldLabels:
    """A title parameter naming fields of a model, shown as their verbose names joined as
    a list in the reader's language (状态、电话 / Status, Phone)."""

    model: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, model: type[models.Model], names: Iterable[str]) -> FieldLabels:
        return cls(model._meta.label_lower, tuple(names))


@dataclass(frozen=True)
class TimelineText:
    """A title to be shown in the reader's language: ``msgid`` is the untranslated message
    (mark it with ``gettext_noop`` so ``makemessages`` finds it), ``params`` its
    ``%(name)s`` values — plain text and numbers, or :class:`ChoiceLabel` /
    :class:`FieldLabels` for words that need translating themselves."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def encode(self) -> dict[str, Any]:
        """The JSON kept in ``TimelineEntry.data[TITLE_KEY]``."""
        return {"msgid": self.msgid, "params": {k: _encode(v) for k, v in self.params.items()}}

    def render(self) -> str:
        """The title in the active language."""
        return render_title(self.encode())


def _encode(value: Any) -> Any:
    if isinstance(value, ChoiceLabel):
        return {"choice": f"{value.model}.{value.field}", "value": value.value}
    if isinstance(value, FieldLabels):
        return {"fields": value.model, "names": list(value.names)}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal | dt.date):
        return str(value)
    raise TypeError(f"unsupported timeline title parameter {value!r}")


def _model_field(model_label: str, name: str) -> models.Field[Any, Any] | None:
    try:
        model = apps.get_model(model_label)
        found = model._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None
    return found if isinstance(found, models.Field) else None


def _decode(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    if "choice" in value:
        model_label, _dot, name = str(value["choice"]).rpartition(".")
        code = str(value.get("value", ""))
        choice_field = _model_field(model_label, name)
        choices = {str(k): v for k, v in choice_field.flatchoices} if choice_field else {}
        return str(choices.get(code, code))
    if "fields" in value:
        names = []
        for name in value.get("names") or []:
            named = _model_field(str(value["fields"]), str(name).removesuffix("_id"))
            names.append(str(named.verbose_name) if named is not None else str(name))
        return pgettext("list separator", "、").join(names)
    raise ValueError(f"unknown timeline title parameter {value!r}")


def render_title(spec: Mapping[str, Any]) -> str:
    """Render an encoded title in the active language. A translation whose placeholders
    do not match its message falls back to the message itself."""
    msgid = spec["msgid"]
    if not isinstance(msgid, str):
        raise TypeError("msgid must be text")
    params = {k: _decode(v) for k, v in (spec.get("params") or {}).items()}
    translated = gettext(msgid)
    if not params:
        if "%(" in msgid:
            raise ValueError("title parameters missing")
        return translated
    try:
        return translated % params
    except (KeyError, ValueError, TypeError):
        return msgid % params


def display_title(entry: TimelineEntry) -> str:
    """``entry``'s title in the reader's language; the stored ``title`` for entries written
    without a message id (older rows, free-text titles) or whose parameters no longer
    decode."""
    spec = (entry.data or {}).get(TITLE_KEY) if isinstance(entry.data, dict) else None
    if isinstance(spec, Mapping):
        try:
            return render_title(spec)
        except (KeyError, ValueError, TypeError):
            pass
    return entry.title


# --- writing entries -----------------------------------------------------------------------


def timeline_entry(
    *,
    customer_id: int,
    kind: str,
    occurred_at: dt.datetime,
    title: str | TimelineText,
    body: str = "",
    actor: Any = None,
    subject: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    """An unsaved entry (for bulk paths); ``timeline_add`` saves one. Pass ``title`` as a
    :class:`TimelineText` so each reader sees it in their own language; a plain string is
    shown as written."""
    if kind not in _KINDS:
        raise ValueError(f"unregistered timeline kind {kind!r}")
    data = dict(data or {})
    if isinstance(title, TimelineText):
        data[TITLE_KEY] = title.encode()
        title = title.render()
    return TimelineEntry(
        customer_id=customer_id,
        kind=kind,
        occurred_at=occurred_at,
        title=title[:200],
        body=body,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        subject_model=subject._meta.label_lower if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        data=data,
    )


def timeline_add(**kwargs: Any) -> TimelineEntry:
    entry = timeline_entry(**kwargs)
    entry.save()
    return entry


def timeline_refresh(
    *,
    subject: models.Model,
    kind: str,
    occurred_at: dt.datetime,
    title: str | TimelineText,
    body: str = "",
    data: dict[str, Any] | None = None,
) -> int:
    """Rewrite the entries of ``kind`` about ``subject`` after the subject was edited (a
    communication's entry *is* the communication: a corrected summary must not leave the
    old one on the timeline). The old values stay in the audit history. Returns the number
    of entries rewritten."""
    fresh = timeline_entry(
        customer_id=0, kind=kind, occurred_at=occurred_at, title=title, body=body,
        subject=subject, data=data,
    )  # fmt: skip
    return TimelineEntry.objects.filter(
        kind=kind, subject_model=fresh.subject_model, subject_id=fresh.subject_id
    ).update(occurred_at=fresh.occurred_at, title=fresh.title, body=fresh.body, data=fresh.data)


register_kind("communication", label=_("沟通"), icon="☎", color="primary")
register_kind("change", label=_("资料变更"), icon="✎", color="secondary")
register_kind("customer", label=_("客户"), icon="★", color="info")
register_kind("contact", label=_("联系人"), icon="☺", color="secondary")
register_kind("preference", label=_("偏好"), icon="♥", color="warning")
register_kind("merge", label=_("合并"), icon="⇄", color="dark")
register_kind("collaborator", label=_("团队成员"), icon="⚇", color="info")
register_kind("bin", label=_("回收站"), icon="♻", color="danger")
