from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from guanxi.accounts import hooks, permissions, services
from guanxi.accounts.models import ApiToken, RoleScope, Team, User
from guanxi.core import audit
from guanxi.core.admin import AuditedAdmin
from guanxi.core.errors import ValidationFailed
from guanxi.core.models import AuditSource


def _as_form_error(exc: ValidationFailed, field: str) -> forms.ValidationError:
    return forms.ValidationError(exc.errors.get(field) or [exc.message])


class TeamForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Team
        fields = ("name", "parent")

    def clean_parent(self) -> Team | None:
        parent = self.cleaned_data.get("parent")
        try:
            services.validate_team_parent(
                team_id=self.instance.pk, parent_id=parent.pk if parent else None
            )
        except ValidationFailed as exc:
            raise _as_form_error(exc, "parent_id") from exc
        return parent


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    form = TeamForm
    list_display = ("name", "parent", "created_at")
    list_filter = ("parent",)
    search_fields = ("name",)
    autocomplete_fields = ("parent",)


class UserChangeForm(BaseUserChangeForm):  # type: ignore[type-arg]
    def clean_manager(self) -> User | None:
        manager = self.cleaned_data.get("manager")
        try:
            services.validate_manager(
                user_id=self.instance.pk, manager_id=manager.pk if manager else None
            )
        except ValidationFailed as exc:
            raise _as_form_error(exc, "manager_id") from exc
        return manager


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin[User]):
    form = UserChangeForm
    list_display = ("username", "display_name", "role", "team", "manager", "is_active")
    list_filter = ("role", "team", "is_active")
    list_select_related = ("team", "manager")
    autocomplete_fields = ("team", "manager")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (
            _("Guanxi"),
            {"fields": ("role", "team", "manager", "display_name", "phone", "language")},
        ),
    )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        changed = set(form.changed_data) & {"role", "team", "manager", "is_superuser", "is_active"}
        with transaction.atomic(), audit.audit_source(AuditSource.ADMIN):
            old_team_id = (
                User.objects.filter(pk=obj.pk).values_list("team_id", flat=True).first()
                if change
                else None
            )
            super().save_model(request, obj, form, change)
            if change and old_team_id != obj.team_id:
                # The user's customers (and other apps' records) follow them, audited.
                hooks.user_team_changed(
                    actor=request.user,
                    user_id=obj.pk,
                    old_team_id=old_team_id,
                    new_team_id=obj.team_id,
                )
            if changed:
                services.security_log(actor=request.user, event="role_change",
                                      user=obj.username, fields=sorted(changed))  # fmt: skip


class RoleScopeForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = RoleScope
        fields = ("role", "read_level", "write_level")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        read, write = data.get("read_level"), data.get("write_level")
        if read and write and not permissions.level_covers(read, write):
            self.add_error("write_level", _("修改范围不能超出查看范围。"))
        return data


@admin.register(RoleScope)
class RoleScopeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Each role's 数据范围; saved through ``role_scope_update`` (validated, audited)."""

    form = RoleScopeForm
    list_display = ("role", "read_level", "write_level", "updated_at")
    list_editable = ("read_level", "write_level")
    readonly_fields = ("updated_at",)

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("form", RoleScopeForm)
        return super().get_changelist_form(request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The role is the row's key: changing it would silently re-scope two roles.
        return ("role", "updated_at") if obj is not None else ("updated_at",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with audit.audit_source(AuditSource.ADMIN):
            saved = services.role_scope_update(
                actor=request.user,
                role=obj.role,
                read_level=obj.read_level,
                write_level=obj.write_level,
            )
        obj.pk = saved.pk


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
