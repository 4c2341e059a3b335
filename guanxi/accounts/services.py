"""Users, departments (``Team``), managers, roles and their scope levels, API tokens."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import hooks
from guanxi.accounts import permissions as scope
from guanxi.accounts.models import ApiToken, Role, RoleScope, ScopeLevel, Team, User
from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import SecurityEvent
from guanxi.core.tokens import token_digest

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
    return token_digest(raw)


# Deeper than any real organisation; a walk up a tree or a manager chain stops here.
MAX_DEPTH = 100


def _team_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed({"name": _("名称须为 1–100 个字符。")})
    return name


def validate_team_parent(*, team_id: int | None, parent_id: int | None) -> None:
    """The parent must exist and must not be the department itself or one below it (a
    cycle would make 本部门及下属部门 endless). Raises ``ValidationFailed`` on
    ``parent_id``; also used by the admin form."""
    if parent_id is None:
        return
    if team_id is not None and parent_id == team_id:
        raise ValidationFailed({"parent_id": _("上级部门不能是部门本身。")})
    current: int | None = parent_id
    seen: set[int] = set()
    while current is not None and current not in seen and len(seen) < MAX_DEPTH:
        seen.add(current)
        row = Team.objects.filter(pk=current).values_list("parent_id", flat=True)
        if not row:
            raise ValidationFailed({"parent_id": _("上级部门不存在。")})
        if team_id is not None and current == team_id:
            raise ValidationFailed({"parent_id": _("上级部门不能是本部门的下属部门。")})
        current = row[0]
    if team_id is not None and current == team_id:
        raise ValidationFailed({"parent_id": _("上级部门不能是本部门的下属部门。")})


@transaction.atomic
def team_create(*, actor: Any, name: str, parent_id: int | None = None) -> Team:
    if not scope.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以管理部门。"))
    name = _team_name(name)
    if Team.objects.filter(name=name).exists():
        raise Conflict(_("部门已存在。"), field="name")
    validate_team_parent(team_id=None, parent_id=parent_id)
    team = Team.objects.create(name=name, parent_id=parent_id)
    audit.audit_create(actor=actor, obj=team)
    return team


@transaction.atomic
def team_update(*, actor: Any, team_id: int, name: str, parent_id: int | None) -> Team:
    """Rename a department or move it under another one (or to the top)."""
    if not scope.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以管理部门。"))
    team = Team.objects.select_for_update().filter(pk=team_id).first()
    if team is None:
        raise NotFound(_("部门不存在。"))
    name = _team_name(name)
    if Team.objects.filter(name=name).exclude(pk=team.pk).exists():
        raise Conflict(_("部门已存在。"), field="name")
    validate_team_parent(team_id=team.pk, parent_id=parent_id)
    before = audit.snapshot(team, ["name", "parent_id"])
    team.name, team.parent_id = name, parent_id
    team.save(update_fields=["name", "parent"])
    audit.audit_update(actor=actor, obj=team, before=before)
    return team


def validate_manager(*, user_id: int | None, manager_id: int | None) -> None:
    """The manager must be an active staff user other than the user, and not one of the
    user's own subordinates (a cycle would make 本人及下属 endless). Raises
    ``ValidationFailed`` on ``manager_id``; also used by the admin form."""
    if manager_id is None:
        return
    if user_id is not None and manager_id == user_id:
        raise ValidationFailed({"manager_id": _("直属上级不能是用户本人。")})
    manager = (
        User.objects.filter(pk=manager_id, is_active=True)
        .exclude(role=Role.PORTAL)
        .values_list("manager_id", flat=True)
    )
    if not manager:
        raise ValidationFailed({"manager_id": _("用户不存在。")})
    if user_id is None:
        return
    current: int | None = manager[0]
    seen: set[int] = {manager_id}
    while current is not None and current not in seen and len(seen) < MAX_DEPTH:
        if current == user_id:
            raise ValidationFailed({"manager_id": _("直属上级不能是该用户的下属。")})
        seen.add(current)
        current = User.objects.filter(pk=current).values_list("manager_id", flat=True).first()


def _check_team(team_id: int | None) -> None:
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        raise ValidationFailed({"team_id": _("部门不存在。")})


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str,
    role: str,
    team_id: int | None = None,
    manager_id: int | None = None,
    display_name: str = "",
    email: str = "",
) -> User:
    if actor is not None and not scope.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以管理用户。"))
    if role not in Role.values:
        raise ValidationFailed({"role": _("无效的角色。")})
    if User.objects.filter(username=username).exists():
        raise Conflict(_("用户名已存在。"), field="username")
    _check_team(team_id)
    validate_manager(user_id=None, manager_id=manager_id)
    user = User(
        username=username,
        role=role,
        team_id=team_id,
        manager_id=manager_id,
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
    """Change a user's role and department. Records carrying the owner's department (the
    user's customers…) follow them to the new one, through the handlers other apps
    registered (``accounts.hooks``), so the department scope stays right."""
    if not scope.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以修改角色。"))
    if role not in Role.values:
        raise ValidationFailed({"role": _("无效的角色。")})
    _check_team(team_id)
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("用户不存在。"))
    before = audit.snapshot(user, ["role", "team_id"])
    user.role = role
    user.team_id = team_id
    user.save(update_fields=["role", "team"])
    audit.audit_update(actor=actor, obj=user, before=before)
    if before["team_id"] != team_id:
        hooks.user_team_changed(
            actor=actor, user_id=user.pk, old_team_id=before["team_id"], new_team_id=team_id
        )
    security_log(actor=actor, event="role_change", user=user.username, role=role, team=team_id)
    return user


@transaction.atomic
def user_set_manager(*, actor: Any, user_id: int, manager_id: int | None) -> User:
    """Set a user's direct manager (直属上级), or none. Refuses a cycle."""
    if not scope.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以管理用户。"))
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("用户不存在。"))
    validate_manager(user_id=user.pk, manager_id=manager_id)
    before = audit.snapshot(user, ["manager_id"])
    if before["manager_id"] == manager_id:
        return user
    user.manager_id = manager_id
    user.save(update_fields=["manager"])
    audit.audit_update(actor=actor, obj=user, before=before)
    security_log(actor=actor, event="manager_change", user=user.username, manager=manager_id)
    return user


@transaction.atomic
def role_scope_update(*, actor: Any, role: str, read_level: str, write_level: str) -> RoleScope:
    """Set how far a role reads and writes records. The write level must lie within the
    read level: a record one may change but not see is a contradiction."""
    if not scope.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以设置数据范围。"))
    errors: dict[str, str] = {}
    if role not in Role.values:
        errors["role"] = _("无效的角色。")
    if read_level not in ScopeLevel.values:
        errors["read_level"] = _("无效的数据范围。")
    if write_level not in ScopeLevel.values:
        errors["write_level"] = _("无效的数据范围。")
    if errors:
        raise ValidationFailed(errors)
    if not scope.level_covers(read_level, write_level):
        raise ValidationFailed({"write_level": _("修改范围不能超出查看范围。")})
    row = RoleScope.objects.select_for_update().filter(role=role).first()
    if row is None:
        row = RoleScope.objects.create(role=role, read_level=read_level, write_level=write_level)
        audit.audit_create(actor=actor, obj=row)
    else:
        before = audit.snapshot(row, ["read_level", "write_level"])
        row.read_level, row.write_level = read_level, write_level
        row.save(update_fields=["read_level", "write_level", "updated_at"])
        audit.audit_update(actor=actor, obj=row, before=before)
    security_log(
        actor=actor, event="role_scope_change", role=role, read=read_level, write=write_level
    )
    scope.forget(actor)
    return row


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


@transaction.atomic
def tokens_revoke_all(*, actor: Any, user: Any, reason: str) -> int:
    """Revoke every live API token of ``user`` (after a password reset, or when the user
    asks for it with a password change): whoever learnt the old password may have made
    one. Each token is audited; one security-log entry names the reason. Returns how many
    were revoked."""
    if actor is not None and actor.pk != user.pk and not scope.can_manage_settings(actor):
        raise PermissionDenied(_("无权限。"))
    now = timezone.now()
    tokens = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    for token in tokens:
        before = audit.snapshot(token, ["revoked_at"])
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit.audit_update(actor=actor, obj=token, before=before)
    if tokens:
        security_log(
            actor=actor or user,
            event="tokens_revoke_all",
            reason=reason,
            tokens=[t.prefix for t in tokens],
        )
    return len(tokens)


def token_authenticate(raw: str) -> User | None:
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .annotate(**scope.role_scope_annotations("user__role"))
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    scope.remember_role_scope(token.user, loaded_with=token)
    now = timezone.now()
    if token.expires_at and token.expires_at <= now:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        # Throttled write: a busy token must not turn every read into a write.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
