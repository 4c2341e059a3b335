"""Users, teams, roles and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import scope
from guanxi.accounts.models import ApiToken, Role, Team, User
from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import SecurityEvent

TOKEN_PREFIX = "gx_"  # noqa: S105 - a public prefix, not a secret


def security_log(*, actor: Any, event: str, ip: str | None = None, **details: Any) -> None:
    user = actor if getattr(actor, "is_authenticated", False) else None
    SecurityEvent.objects.create(
        actor=user,
        actor_label=user.get_username() if user else "anonymous",
        event=event,
        ip=ip,
        details=details,
    )


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def team_create(*, actor: Any, name: str) -> Team:
    if not scope.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以管理团队。"))
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed({"name": _("名称须为 1–100 个字符。")})
    if Team.objects.filter(name=name).exists():
        raise Conflict(_("团队已存在。"), field="name")
    team = Team.objects.create(name=name)
    audit.audit_create(actor=actor, obj=team)
    return team


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str,
    role: str,
    team_id: int | None = None,
    display_name: str = "",
    email: str = "",
) -> User:
    if actor is not None and not scope.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以管理用户。"))
    if role not in Role.values:
        raise ValidationFailed({"role": _("无效的角色。")})
    if User.objects.filter(username=username).exists():
        raise Conflict(_("用户名已存在。"), field="username")
    user = User(
        username=username,
        role=role,
        team_id=team_id,
        display_name=display_name,
        email=email,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    try:
        user.full_clean(exclude=["password"])
        validate_password(password, user)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"password": exc.messages}
        raise ValidationFailed(errors) from exc
    user.set_password(password)
    user.save()
    audit.audit_create(actor=actor, obj=user)
    return user


@transaction.atomic
def user_set_role(*, actor: Any, user_id: int, role: str, team_id: int | None) -> User:
    """Change a user's role/team. Their customers follow them to the new team, so the
    manager scope stays right."""
    from guanxi.customers.models import Customer

    if not scope.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以修改角色。"))
    if role not in Role.values:
        raise ValidationFailed({"role": _("无效的角色。")})
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("用户不存在。"))
    before = audit.snapshot(user, ["role", "team_id"])
    user.role = role
    user.team_id = team_id
    user.save(update_fields=["role", "team"])
    audit.audit_update(actor=actor, obj=user, before=before)
    if before["team_id"] != team_id:
        Customer.objects.filter(owner=user).update(team_id=team_id)
    security_log(actor=actor, event="role_change", user=user.username, role=role, team=team_id)
    return user


@transaction.atomic
def token_create(*, actor: Any, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token; returns it and the raw secret, which is never stored or shown again."""
    if not scope.is_staff_actor(actor):
        raise PermissionDenied(_("无权限。"))
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed({"name": _("名称须为 1–100 个字符。")})
    if days is not None and not 1 <= days <= 3650:
        raise ValidationFailed({"days": _("有效期须为 1–3650 天。")})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=raw[:10],
        key_hash=hash_token(raw),
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
    )
    audit.audit_create(actor=actor, obj=token)
    security_log(actor=actor, event="token_create", token=token.prefix)
    return token, raw


@transaction.atomic
def token_revoke(*, actor: Any, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
    if token is None:
        raise NotFound(_("令牌不存在。"))
    if token.revoked_at is None:
        before = audit.snapshot(token, ["revoked_at"])
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.audit_update(actor=actor, obj=token, before=before)
        security_log(actor=actor, event="token_revoke", token=token.prefix)
    return token


def token_authenticate(raw: str) -> User | None:
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at and token.expires_at <= now:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        # Throttled write: a busy token must not turn every read into a write.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
