"""Read-mostly admin of webhooks: subscriptions are managed on the staff pages (audited
through the services); the admin shows the outbox and the delivery log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from guanxi.webhooks.models import Delivery, DeliveryAttempt, OutboxEvent, Subscription


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("name", "url", "is_active", "consecutive_failures", "disabled_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    exclude = ("secret",)


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "event", "created_at", "actor")
    list_filter = ("event",)


class AttemptInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DeliveryAttempt
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("uuid", "subscription", "event", "status", "attempts", "last_status_code")
    list_filter = ("status",)
    list_select_related = ("subscription", "event")
    inlines = [AttemptInline]
