from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest

from guanxi.core import audit
from guanxi.core.models import (
    AuditAction,
    AuditEntry,
    AuditSource,
    Job,
    SecurityEvent,
    WorkerProcess,
)

_ENTRY_ATTR = "_gx_admin_audit_entry"
_M2M_ATTR = "_gx_admin_m2m_before"


def _m2m_fields(obj: models.Model, form: Any) -> list[str]:
    """The many-to-many fields of ``obj`` the admin form edits (tags, groups, …)."""
    fields = getattr(form, "fields", {})
    return [f.name for f in obj._meta.many_to_many if f.name in fields]


def _m2m_state(obj: models.Model, names: list[str]) -> dict[str, list[str]]:
    if obj.pk is None:
        return {name: [] for name in names}
    return {name: sorted(str(related) for related in getattr(obj, name).all()) for name in names}


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Admin writes leave the same audit records as the services (source = admin): one
    entry per save with old → new of the fields *and* of the many-to-many relations (the
    admin saves those after ``save_model``, in ``save_related``, so they are read before
    the save and merged into the same entry afterwards)."""

    def customer_id_of(self, obj: models.Model) -> int | None:
        return getattr(obj, "customer_id", None)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        obj = form.instance
        names = _m2m_fields(obj, form)
        before = getattr(obj, _M2M_ATTR, None)
        with transaction.atomic(), audit.audit_source(AuditSource.ADMIN):
            super().save_related(request, form, formsets, change)
            if not names or before is None:
                return
            changes = audit.diff(before, _m2m_state(obj, names))
            if not changes:
                return
            entry = getattr(obj, _ENTRY_ATTR, None)
            if entry is not None:
                entry.changes = {**entry.changes, **changes}
                entry.save(update_fields=["changes"])
            else:
                setattr(
                    obj,
                    _ENTRY_ATTR,
                    audit.record(
                        actor=request.user,
                        action=AuditAction.UPDATE,
                        obj=obj,
                        changes=changes,
                        customer_id=self.customer_id_of(obj),
                    ),
                )

    def before_save(self, request: HttpRequest, obj: models.Model) -> None:
        """Hook for derived fields (search keys…) before the row is written."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic(), audit.audit_source(AuditSource.ADMIN):
            before = None
            names = _m2m_fields(obj, form)
            if change:
                original = type(obj)._default_manager.get(pk=obj.pk)
                before = audit.snapshot(original)
                setattr(obj, _M2M_ATTR, _m2m_state(original, names))
                if hasattr(obj, "version"):
                    obj.version = original.version + 1
            else:
                setattr(obj, _M2M_ATTR, {name: [] for name in names})
            self.before_save(request, obj)
            super().save_model(request, obj, form, change)
            entry: AuditEntry | None
            if before is None:
                entry = audit.audit_create(
                    actor=request.user, obj=obj, customer_id=self.customer_id_of(obj)
                )
            else:
                entry = audit.audit_update(
                    actor=request.user, obj=obj, before=before, customer_id=self.customer_id_of(obj)
                )
            setattr(obj, _ENTRY_ATTR, entry)

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


@admin.register(WorkerProcess)
class WorkerProcessAdmin(ReadOnlyAdmin):
    """The workers that reported lately (``core.workers``); a dead one's row is removed by
    the next live worker once it has queued its tasks again."""

    list_display = ("worker", "queues", "started_at", "heartbeat_at")
