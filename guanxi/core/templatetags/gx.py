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

from guanxi.core.money import MoneyField
from guanxi.core.references import reference_names

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


def _rows_model(model: type[models.Model] | None, name: str) -> type[models.Model] | None:
    """The model of a reverse relation recorded as a list of rows (an order's ``lines``)."""
    if model is None:
        return None
    try:
        rel = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if isinstance(rel, models.ForeignObjectRel) and rel.related_model is not None:
        related = rel.related_model
        return related if isinstance(related, type) else None
    return None


def _number(value: Decimal) -> str:
    """``2.00`` → ``2``, ``1234.5`` → ``1,234.5``."""
    text = f"{value.normalize():,f}" if value == value.to_integral() else f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _show(field: models.Field[Any, Any] | None, value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if field is not None and field.choices:
        labels = {str(k): v for k, v in field.flatchoices}
        if str(value) in labels:
            return str(labels[str(value)])
    if isinstance(field, MoneyField):
        return money(value)
    if isinstance(field, models.DecimalField):
        try:
            return _number(Decimal(str(value)))
        except (InvalidOperation, ValueError):
            return str(value)
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


def _dict(value: dict[str, Any], model: type[models.Model] | None = None) -> str:
    """One recorded row (an order line): its fields' labels and shown values, in the
    reader's language; ids and keys that only link rows are left out."""
    parts = []
    for key, item in value.items():
        if key in ("id", "pk") or key in HIDDEN or key.endswith("_key"):
            continue
        field = _field(model, key)
        label = str(field.verbose_name) if field is not None else key
        parts.append(f"{label}{_('：')}{_show(field, item)}")
    return _("，").join(parts)


def _rows_value(model: type[models.Model], value: Any) -> str:
    if not isinstance(value, list):
        return _show(None, value)
    if not value:
        return "—"
    return _("；").join(_dict(v, model) if isinstance(v, dict) else str(v) for v in value)


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


def _label(field: Any, name: str) -> str:
    """A field's translated name; for recorded rows of a related model (``lines``), that
    model's plural name (订单明细)."""
    if name == "tags":
        return _("标签")
    if isinstance(field, type) and issubclass(field, models.Model):
        return str(field._meta.verbose_name_plural)
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
        lines = None if field is not None else _rows_model(model, name)
        if lines is not None:
            rows.append(ChangeRow(name, _label(lines, name), _rows_value(lines, old),
                                  _rows_value(lines, new)))  # fmt: skip
            continue
        rows.append(ChangeRow(name, _label(field, name), _show(field, old), _show(field, new)))
    return rows


def attach_change_rows(
    entries: Iterable[Any], *, actor: Any, model_attr: str, changes: Callable[[Any], Any]
) -> None:
    """Set ``entry.change_rows`` on each entry, with foreign-key ids shown as the related
    object's name (王经理, not 2) when ``actor`` may see it (``core.references``: each app's
    scoped resolver), ``#id`` otherwise. One resolver call per related model that occurs, so
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
            plan.append((name, field or _rows_model(model, name), old, new))
        plans.append(plan)
    names = reference_names(actor, wanted)

    def show(field: Any, value: Any) -> str:
        if isinstance(field, type):  # recorded rows of a related model
            return _rows_value(field, value)
        if isinstance(field, models.ForeignKey) and value is not None:
            known = names.get(field.related_model, {})
            obj = known.get(value)
            if obj is None and isinstance(value, str) and value.isdigit():
                obj = known.get(int(value))
            return obj if obj is not None else f"#{value}"
        return _show(field, value)

    for entry, plan in zip(entries, plans, strict=True):
        entry.change_rows = [
            ChangeRow(name, _label(field, name), show(field, old), show(field, new))
            for name, field, old, new in plan
        ]
