"""Price terms and discount limits in the Django admin (settings, not records of
customers), audited old → new like every admin write (``core.admin.AuditedAdmin``). Quotes
themselves are written only through ``services.quotes``: read-only here."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from guanxi.contracts.models import DiscountLimit, ProductTerms, Quote, QuoteLine
from guanxi.core.admin import AuditedAdmin


@admin.register(ProductTerms)
class ProductTermsAdmin(AuditedAdmin):
    list_display = ("product", "list_price", "unit", "tax_rate")
    search_fields = ("product__code", "product__name")
    raw_id_fields = ("product",)
    readonly_fields = ("version",)


@admin.register(DiscountLimit)
class DiscountLimitAdmin(AuditedAdmin):
    list_display = ("role", "max_discount")


class QuoteLineInline(admin.TabularInline):  # type: ignore[type-arg]
    model = QuoteLine
    extra = 0
    can_delete = False
    readonly_fields = (
        "position", "product", "description", "unit", "quantity", "unit_price",
        "discount_percent", "tax_rate", "net_amount", "tax_amount", "total",
    )  # fmt: skip
    fields = readonly_fields


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("number", "revision", "title", "customer", "status", "total", "valid_until")
    list_filter = ("status",)
    search_fields = ("number", "title", "customer__name")
    inlines = [QuoteLineInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
