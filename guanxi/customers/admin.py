from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from guanxi.core.admin import AuditedAdmin
from guanxi.customers.models import (
    Communication,
    Contact,
    Customer,
    CustomFieldDefinition,
    Preference,
    Tag,
)
from guanxi.customers.services import refresh_contact_keys, refresh_customer_keys


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin):
    list_display = ("name", "kind", "status", "owner", "province", "city", "since")
    list_filter = ("kind", "status", "team")
    search_fields = ("name", "name_initials", "phone_key", "email")
    raw_id_fields = ("owner",)
    readonly_fields = (
        "search_text",
        "name_pinyin",
        "name_initials",
        "name_key",
        "phone_key",
        "version",
    )
    filter_horizontal = ("tags",)

    def customer_id_of(self, obj: Any) -> int | None:
        return int(obj.pk)

    def before_save(self, request: HttpRequest, obj: Any) -> None:
        refresh_customer_keys(obj)
        obj.team_id = obj.owner.team_id if obj.owner else None


@admin.register(Contact)
class ContactAdmin(AuditedAdmin):
    list_display = ("name", "customer", "title", "mobile", "email")
    search_fields = ("name", "mobile_key", "email")
    raw_id_fields = ("customer",)
    readonly_fields = ("phone_key", "mobile_key", "version")

    def before_save(self, request: HttpRequest, obj: Any) -> None:
        refresh_contact_keys(obj)


@admin.register(Preference)
class PreferenceAdmin(AuditedAdmin):
    list_display = ("customer", "category", "key", "value")
    raw_id_fields = ("customer",)


@admin.register(Communication)
class CommunicationAdmin(AuditedAdmin):
    list_display = ("customer", "channel", "direction", "occurred_at", "next_follow_up")
    raw_id_fields = ("customer", "contact", "staff")


@admin.register(Tag)
class TagAdmin(AuditedAdmin):
    list_display = ("name", "color")


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(AuditedAdmin):
    list_display = ("key", "label", "field_type", "required", "active")
