"""Tags: created as a setting, or by tagging a customer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.core import audit
from guanxi.core.errors import Conflict, PermissionDenied, ValidationFailed
from guanxi.core.writes import full_clean
from guanxi.customers.models import Tag


def resolve_tags(actor: Any, tag_names: Iterable[str] | None) -> list[Tag]:
    if tag_names is None:
        return []
    names = []
    for raw in tag_names:
        name = str(raw).strip()
        if not name or len(name) > 50:
            raise ValidationFailed({"tags": _("标签须为 1–50 个字符。")})
        names.append(name)
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [name for name in dict.fromkeys(names) if name not in existing]
    if missing and not permissions.can_create_tag(actor):
        raise ValidationFailed(
            {"tags": _("标签不存在：%(names)s（只有管理员、经理和客户经理可以新建标签）")
             % {"names": "、".join(missing)}}
        )  # fmt: skip
    for name in missing:
        existing[name] = Tag.objects.create(name=name)
        audit.audit_create(actor=actor, obj=existing[name])
    return [existing[n] for n in dict.fromkeys(names)]


@transaction.atomic
def tag_create(*, actor: Any, name: str, color: str = "secondary") -> Tag:
    """A tag as a setting (admins); tagging a customer creates missing ones for the roles
    ``can_create_tag`` admits."""
    if not permissions.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以管理标签。"))
    tag = Tag(name=name.strip(), color=color)
    full_clean(tag)
    if Tag.objects.filter(name=tag.name).exists():
        raise Conflict(_("标签已存在。"), field="name")
    tag.save()
    audit.audit_create(actor=actor, obj=tag)
    return tag
