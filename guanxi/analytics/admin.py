"""Read-only admin views of the analytics results. They are written only by the recompute
and the settings are changed on the analytics settings page (through the service, which
validates and audits), so the admin offers no add, change or delete."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from guanxi.analytics.models import AnalyticsRun, AnalyticsSettings, CustomerValue


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AnalyticsRun)
class AnalyticsRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "status", "as_of", "customers", "duration_s", "finished_at")
    list_filter = ("status",)


@admin.register(CustomerValue)
class CustomerValueAdmin(ReadOnlyAdmin):
    list_display = ("customer", "value_class", "revenue", "clv", "p_alive", "rfm_segment")
    list_filter = ("value_class", "rfm_segment", "key_account", "dormant")
    raw_id_fields = ("customer",)
    show_full_result_count = False


@admin.register(AnalyticsSettings)
class AnalyticsSettingsAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "discount_rate", "period_days", "horizon_periods", "version")
