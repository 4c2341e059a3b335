from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("管理员")
    MANAGER = "manager", _("经理")
    ACCOUNT_MANAGER = "account_manager", _("客户经理")
    SERVICE_AGENT = "service_agent", _("客服专员")
    PROJECT_MANAGER = "project_manager", _("项目经理")
    PROJECT_MEMBER = "project_member", _("项目成员")
    PORTAL = "portal", _("客户门户用户")


class ScopeLevel(models.TextChoices):
    """How far a role reaches into records (customers, and later opportunities, tickets,
    projects), as Chinese CRMs name it. The rules live in ``accounts.permissions``."""

    NONE = "none", _("无")
    OWN = "own", _("本人")
    SUBORDINATES = "subordinates", _("本人及下属")
    DEPARTMENT = "department", _("本部门")
    DEPARTMENT_TREE = "department_tree", _("本部门及下属部门")
    ALL = "all", _("全部")


class Team(models.Model):
    """A department (部门), a node of the organisation tree. Named ``Team`` in code, the
    database and the API — see docs/adr/0003-departments-keep-the-team-name.md."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def person_name(display_name: str, first_name: str, last_name: str, username: str) -> str:
    """How a user is named everywhere (``str(user)``): the display name, else the full
    name, else the username. Also for rows read without a ``User`` (exports)."""
    return display_name or f"{first_name} {last_name}".strip() or username


class User(AbstractUser):
    role = models.CharField(
        _("角色"), max_length=20, choices=Role.choices, default=Role.ACCOUNT_MANAGER
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    # The direct manager (直属上级): 本人及下属 reaches every user whose manager chain
    # leads to the actor.
    manager = models.ForeignKey(
        "self",
        verbose_name=_("直属上级"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    display_name = models.CharField(_("显示名"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    language = models.CharField(
        _("语言"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return person_name(self.display_name, self.first_name, self.last_name, self.username)

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_staff_side(self) -> bool:
        return self.is_active and self.role != Role.PORTAL


class RoleScope(models.Model):
    """How far one role reads and writes records (``accounts.permissions``); admin-editable.
    Seeded by migration 0003 with the rules of before; a role without a row has the
    defaults of ``permissions.DEFAULT_ROLE_SCOPES`` (the same)."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, unique=True)
    read_level = models.CharField(
        _("查看范围"), max_length=20, choices=ScopeLevel.choices, default=ScopeLevel.NONE
    )
    write_level = models.CharField(
        _("修改范围"), max_length=20, choices=ScopeLevel.choices, default=ScopeLevel.NONE
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("角色数据范围")
        verbose_name_plural = _("角色数据范围")
        ordering = ["role"]

    def __str__(self) -> str:
        return str(self.get_role_display())


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 hash is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class OwnedRecord(models.Model):
    """A record with a 负责人 (``owner``) and the department it belongs to (``team``): what
    the scope levels (本人 … 本部门及下属) filter on. Abstract, so each model keeps its own
    table and columns; the fields are the ones sales' opportunities and leads declared
    each for itself (same names, options and ``related_name``: no migration)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True
