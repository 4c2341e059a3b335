from __future__ import annotations

from django.http import FileResponse

from guanxi.attachments.models import Attachment
from guanxi.attachments.storage import attachment_storage


def file_response(attachment: Attachment) -> FileResponse:
    """The stored bytes as a download, typed by content; never rendered inline, so an
    uploaded HTML or SVG cannot run in the site's origin."""
    response = FileResponse(
        attachment_storage().open(attachment.stored_name, "rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
