"""Custom field definitions (settings) and the validation of a customer's values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.core import audit
from guanxi.core.errors import Conflict, PermissionDenied, ValidationFailed
from guanxi.core.money import MAX_AMOUNT
from guanxi.core.writes import apply_fields, full_clean, reject_unknown
from guanxi.customers.models import CUSTOM_TEXT_LENGTH, CustomFieldDefinition, CustomFieldType


def validate_custom_fields(values: Any) -> dict[str, Any]:
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise ValidationFailed({"custom_fields": _("必须是键值对象。")})
    definitions = {d.key: d for d in CustomFieldDefinition.objects.filter(active=True)}
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key, raw in values.items():
        field = f"custom_fields.{key}"
        definition = definitions.get(key)
        if definition is None:
            errors[field] = _("未定义的自定义字段。")
            continue
        if raw in (None, ""):
            continue
        if definition.field_type == CustomFieldType.TEXT:
            if not isinstance(raw, str) or len(raw) > CUSTOM_TEXT_LENGTH:
                errors[field] = _("必须是不超过 %(max)s 字的文本。") % {"max": CUSTOM_TEXT_LENGTH}
                continue
            clean[key] = raw
        elif definition.field_type == CustomFieldType.NUMBER:
            try:
                number = Decimal(str(raw))
            except InvalidOperation:
                errors[field] = _("必须是数字。")
                continue
            if isinstance(raw, bool) or not number.is_finite() or abs(number) > MAX_AMOUNT:
                errors[field] = _("必须是数字。")
                continue
            clean[key] = str(number)
        elif definition.field_type == CustomFieldType.DATE:
            try:
                clean[key] = dt.date.fromisoformat(str(raw)).isoformat()
            except ValueError:
                errors[field] = _("必须是日期（YYYY-MM-DD）。")
        elif definition.field_type == CustomFieldType.CHOICE:
            if raw not in definition.choices:
                errors[field] = _("必须是以下之一：%(choices)s") % {
                    "choices": "、".join(map(str, definition.choices))
                }
                continue
            clean[key] = raw
    for key, definition in definitions.items():
        if definition.required and key not in clean:
            errors.setdefault(f"custom_fields.{key}", _("此字段必填。"))
    if errors:
        raise ValidationFailed(errors)
    return clean


@transaction.atomic
def custom_field_create(*, actor: Any, data: Mapping[str, Any]) -> CustomFieldDefinition:
    if not permissions.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以定义自定义字段。"))
    reject_unknown(data, {"key", "label", "label_en", "field_type", "choices", "required",
                           "position", "active"})  # fmt: skip
    definition = CustomFieldDefinition()
    apply_fields(definition, data)
    full_clean(definition)
    if definition.field_type == CustomFieldType.CHOICE and (
        not isinstance(definition.choices, list) or not definition.choices
    ):
        raise ValidationFailed({"choices": _("选项类型必须给出可选值列表。")})
    if CustomFieldDefinition.objects.filter(key=definition.key).exists():
        raise Conflict(_("键已存在。"), field="key")
    definition.save()
    audit.audit_create(actor=actor, obj=definition)
    return definition
