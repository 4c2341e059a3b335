from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest

from guanxi.core import audit
from guanxi.core.models import AuditEntry, AuditSource, Job, SecurityEvent


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Admin writes leave the same audit records as the services (source = admin)."""

    def customer_id_of(self, obj: models.Model) -> int | None:
        return getattr(obj, "customer_id", None)

    def before_save(self, request: HttpRequest, obj: models.Model) -> None:
        """Hook for derived fields (search keys…) before the row is written."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic(), audit.audit_source(AuditSource.ADMIN):
            before = None
            if change:
                original = type(obj)._default_manager.get(pk=obj.pk)
                before = audit.snapshot(original)
                if hasattr(obj, "version"):
                    obj.version = original.version + 1
            self.before_save(request, obj)
            super().save_model(request, obj, form, change)
            if before is None:
                audit.audit_create(
                    actor=request.user, obj=obj, customer_id=self.customer_id_of(obj)
                )
            else:
                audit.audit_update(
                    actor=request.user, obj=obj, before=before, customer_id=self.customer_id_of(obj)
                )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic(), audit.audit_source(AuditSource.ADMIN):
            audit.audit_delete(actor=request.user, obj=obj, customer_id=self.customer_id_of(obj))
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic(), audit.audit_source(AuditSource.ADMIN):
            for obj in queryset:
                audit.audit_delete(
                    actor=request.user, obj=obj, customer_id=self.customer_id_of(obj)
                )
            super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "source", "action", "model", "object_repr")
    list_filter = ("action", "source", "model")
    search_fields = ("object_repr", "actor_label", "object_id")


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "event", "ip")
    list_filter = ("event",)


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "status", "progress", "message")
    list_filter = ("kind", "status")
