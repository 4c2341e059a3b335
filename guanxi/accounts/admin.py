from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import ApiToken, Team, User
from guanxi.accounts.services import security_log
from guanxi.core.admin import AuditedAdmin


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ("username", "display_name", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Guanxi"), {"fields": ("role", "team", "display_name", "phone", "language")}),
    )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        changed = set(form.changed_data) & {"role", "team", "is_superuser", "is_active"}
        super().save_model(request, obj, form, change)
        if "team" in changed:
            # Customers follow their owner's team (the manager scope relies on it).
            from guanxi.customers.models import Customer

            Customer.objects.filter(owner=obj).update(team_id=obj.team_id)
        if changed:
            security_log(actor=request.user, event="role_change", user=obj.username,
                         fields=sorted(changed))  # fmt: skip


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
