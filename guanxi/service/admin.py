"""The service models in the Django admin, audited old → new like every admin write
(``core.admin.AuditedAdmin``). SLA policies are edited here; tickets are read-only here
(status, clocks and messages are kept consistent by the app's services); received mail
is kept for inspection only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from guanxi.core.admin import AuditedAdmin
from guanxi.service.models import Complaint, InboundMail, Mailbox, RootCause, SlaPolicy, Ticket


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedAdmin):
    list_display = ("name", "priority", "value_class", "channel", "first_response_minutes",
                    "resolution_minutes", "warn_before_minutes", "active", "order")  # fmt: skip
    list_filter = ("active", "priority", "channel")
    readonly_fields = ("version",)


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(_ReadOnly):
    list_display = ("id", "subject", "customer", "status", "priority", "assignee", "created_at")
    list_filter = ("status", "priority", "category", "channel")
    search_fields = ("subject", "requester_email")
    raw_id_fields = ("customer", "contact", "assignee")


@admin.register(InboundMail)
class InboundMailAdmin(_ReadOnly):
    list_display = ("id", "received_at", "from_email", "subject", "status", "size")
    list_filter = ("status",)
    search_fields = ("from_email", "subject", "message_id")
    exclude = ("raw",)


@admin.register(Mailbox)
class MailboxAdmin(AuditedAdmin):
    """Company mailboxes polled by IMAP; the password stays in the named environment
    variable, never in the database."""

    list_display = ("name", "host", "port", "username", "folder", "active", "last_polled_at",
                    "last_error")  # fmt: skip
    list_filter = ("active",)
    readonly_fields = ("version", "uid_validity", "last_uid", "last_polled_at", "last_error")


@admin.register(RootCause)
class RootCauseAdmin(AuditedAdmin):
    """The complaint root-cause tree (also on the desk's settings page)."""

    list_display = ("name", "parent", "active", "order")
    list_filter = ("active",)
    search_fields = ("name",)
    readonly_fields = ("version",)


@admin.register(Complaint)
class ComplaintAdmin(_ReadOnly):
    list_display = ("ticket", "root_cause", "compensation_amount", "compensation_kind",
                    "department", "created_at")  # fmt: skip
    list_filter = ("compensation_kind", "root_cause")
    raw_id_fields = ("ticket", "product")
