from django.contrib import admin

from guanxi.attachments.models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin[Attachment]):
    list_display = ("name", "target_model", "target_id", "size", "content_type", "created_at")
    list_filter = ("target_model", "content_type")
    search_fields = ("name", "sha256", "target_id")
    readonly_fields = [f.name for f in Attachment._meta.fields]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Files come in through the record pages and the API, checked by content.
        return False
