"""Presentation helpers shared by every app's templates: money, counts, audit changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def money(value: Any, symbol: str = "¥") -> str:
    """``Decimal("1234.5")`` → ``¥1,234.50``; the same in every language (CNY is shown the
    way Chinese invoices show it)."""
    if value in (None, ""):
        return "—"
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if number < 0 else ""
    return f"{sign}{symbol}{abs(number):,.2f}"


@register.filter
def thousands(value: Any) -> str:
    """``10000`` → ``10,000`` regardless of the active locale's grouping rules."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def model_name(label: str) -> str:
    """``"customers.contact"`` → the model's translated verbose name (联系人 / contact)."""
    model = _model(label)
    return str(model._meta.verbose_name) if model else label


@dataclass(frozen=True)
class ChangeRow:
    field: str
    label: str
    old: str
    new: str


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, name: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    for candidate in (name, name.removesuffix("_id")):
        try:
            field = model._meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
        if isinstance(field, models.Field):
            return field
    return None


def _show(field: models.Field[Any, Any] | None, value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if field is not None and field.choices:
        labels = {str(k): v for k, v in field.flatchoices}
        if str(value) in labels:
            return str(labels[str(value)])
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return formats.date_format(moment, "Y-m-d H:i")
    if isinstance(value, list):
        return "、".join(_show(None, v) if not isinstance(v, dict) else _dict(v) for v in value)
    if isinstance(value, dict):
        return _dict(value)
    return str(value)


def _dict(value: dict[str, Any]) -> str:
    return "，".join(f"{k}: {v}" for k, v in value.items())


# Derived or redundant on a customer's page: search keys, the owning customer, the creator.
HIDDEN = frozenset({"customer", "customer_id", "created_by", "created_by_id"})


def _hidden(name: str) -> bool:
    return name in HIDDEN or name.endswith("_key")


def _pairs(changes: Any) -> list[tuple[str, Any, Any]]:
    if not isinstance(changes, dict):
        return []
    out = []
    for name, pair in changes.items():
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        if not _hidden(name):
            out.append((name, old, new))
    return out


def _label(field: models.Field[Any, Any] | None, name: str) -> str:
    if name == "tags":
        return _("标签")
    return str(field.verbose_name) if field is not None else name


@register.filter
def change_rows(changes: Any, model_label: str = "") -> list[ChangeRow]:
    """Audit/timeline ``{"field": [old, new]}`` → rows with the field's translated name and
    display values (choices as their labels), so history reads "状态：潜在 → 活跃".
    Foreign keys show as ids unless ``attach_change_rows`` resolved them first."""
    model = _model(model_label) if model_label else None
    rows = []
    for name, old, new in _pairs(changes):
        field = _field(model, name)
        rows.append(ChangeRow(name, _label(field, name), _show(field, old), _show(field, new)))
    return rows


def attach_change_rows(
    entries: Iterable[Any], *, model_attr: str, changes: Callable[[Any], Any]
) -> None:
    """Set ``entry.change_rows`` on each entry, with foreign-key ids shown as the related
    object's name (王经理, not 2). One ``in_bulk`` query per related model that occurs, so
    the cost does not grow with the number of entries."""
    entries = list(entries)
    wanted: dict[Any, set[Any]] = {}
    plans = []
    for entry in entries:
        model = _model(getattr(entry, model_attr) or "")
        plan = []
        for name, old, new in _pairs(changes(entry)):
            field = _field(model, name)
            if isinstance(field, models.ForeignKey):
                ids = wanted.setdefault(field.related_model, set())
                ids.update(v for v in (old, new) if isinstance(v, int | str))
            plan.append((name, field, old, new))
        plans.append(plan)
    names = {
        related: related._default_manager.in_bulk(list(ids)) for related, ids in wanted.items()
    }

    def show(field: models.Field[Any, Any] | None, value: Any) -> str:
        if isinstance(field, models.ForeignKey) and value is not None:
            obj = names.get(field.related_model, {}).get(value)
            return str(obj) if obj is not None else f"#{value}"
        return _show(field, value)

    for entry, plan in zip(entries, plans, strict=True):
        entry.change_rows = [
            ChangeRow(name, _label(field, name), show(field, old), show(field, new))
            for name, field, old, new in plan
        ]
