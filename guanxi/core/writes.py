"""Small steps every service's write takes, the same way in every app: refuse unknown
fields, copy input onto a model, run the model's field validation as a ``ValidationFailed``
naming each field, and check the ``version`` the client saw (a stale write is a 409)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from guanxi.core.errors import Conflict, ValidationFailed
from guanxi.core.models import VersionedModel


def reject_unknown(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed({name: _("未知字段。") for name in unknown})


def full_clean(obj: models.Model, exclude: Sequence[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationFailed(exc.message_dict) from exc


def collect_errors(*checks: Callable[[], object]) -> None:
    """Run every check, then raise one ``ValidationFailed`` holding all their field errors:
    a user sees every bad field at once, not the next one only after fixing the first."""
    errors: dict[str, list[str]] = {}
    for check in checks:
        try:
            check()
        except ValidationFailed as exc:
            for name, messages in exc.errors.items():
                errors.setdefault(name, []).extend(
                    m for m in messages if m not in errors.get(name, [])
                )
    if errors:
        raise ValidationFailed(errors)


def check_version(obj: VersionedModel, expected: int | None) -> None:
    """No write without a version: a missing one is refused like a bad field (a client
    that does not say what it saw would overwrite silently), a stale one is a conflict."""
    current = obj.version
    if expected is None:
        raise ValidationFailed({"version": _("缺少版本号：请刷新页面后重试。")})
    if expected != current:
        raise Conflict(
            _("该记录已被他人修改（当前版本 %(current)s，提交版本 %(expected)s），请刷新后重试。")
            % {"current": current, "expected": expected},
            field="version",
        )


def _is_text(obj: models.Model, name: str) -> bool:
    try:
        field = obj._meta.get_field(name)
    except Exception:
        return False
    return isinstance(field, models.CharField | models.TextField)


def apply_fields(obj: models.Model, data: Mapping[str, Any]) -> None:
    """Set each of ``data`` on ``obj``; ``None`` on a text field means empty text."""
    for key, value in data.items():
        setattr(obj, key, "" if value is None and _is_text(obj, key) else value)
