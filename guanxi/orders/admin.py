from django.contrib import admin

from guanxi.core.admin import AuditedAdmin
from guanxi.orders.models import Order, Product


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    list_display = ("code", "name", "category", "unit_price", "active")
    search_fields = ("code", "name")


@admin.register(Order)
class OrderAdmin(AuditedAdmin):
    list_display = ("number", "customer", "order_date", "status", "total")
    raw_id_fields = ("customer", "created_by")
    readonly_fields = ("total", "version")
