"""The attachments REST API: list and upload on a record, metadata, download, delete.

A record is named by its registered type (``kind``: ``customer``, …) and id; every read and
write is scoped like the record itself (``registry``), so a file on a customer you may not
see answers 404 just as a missing one does.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext_lazy
from ninja import File, Query, Status
from ninja.files import UploadedFile

from guanxi.accounts import permissions
from guanxi.attachments import selectors, services
from guanxi.attachments.responses import file_response
from guanxi.attachments.schemas import AttachmentOut, AttachmentSharingIn
from guanxi.core.api.bases import PageIn, PageOut, RecordId, StaffRouter, actor, page_response
from guanxi.core.api.errors import errors

router = StaffRouter(
    tags=["attachments"],
    allow=permissions.is_staff_actor,
    message=gettext_lazy("客户门户用户无权使用员工端 API。"),
)

BINARY = {
    "responses": {
        200: {
            "description": "The file, with the content type found in its bytes.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    }
}


@router.get(
    "/records/{kind}/{record_id}/attachments",
    response={200: PageOut[AttachmentOut], **errors(403, 404, 422)},
)
def attachment_list(
    request: HttpRequest, kind: str, record_id: RecordId, page: Query[PageIn]
) -> dict[str, Any]:
    """The files on a record, newest first."""
    qs = selectors.attachments_of(actor=actor(request), kind=kind, record_id=record_id)
    return page_response(qs, page)


@router.post(
    "/records/{kind}/{record_id}/attachments",
    response={201: AttachmentOut, **errors(403, 404, 422)},
)
def attachment_upload(
    request: HttpRequest, kind: str, record_id: RecordId, file: File[UploadedFile]
) -> Status[Any]:
    """Upload one file (multipart field ``file``). The type is judged by the content
    (magic bytes) and must match the file name's extension; size and types are limited by
    ``GUANXI_ATTACHMENT_MAX_BYTES`` and ``GUANXI_ATTACHMENT_TYPES``. 422 names ``file``."""
    attachment = services.attachment_add(
        actor=actor(request),
        kind=kind,
        record_id=record_id,
        stream=file.file,  # type: ignore[arg-type]  # always set for an upload
        name=file.name or "",
    )
    return Status(201, attachment)


@router.get("/attachments/{attachment_id}", response={200: AttachmentOut, **errors(403, 404, 422)})
def attachment_detail(request: HttpRequest, attachment_id: RecordId) -> Any:
    return selectors.attachment_get(actor=actor(request), attachment_id=attachment_id)


@router.get(
    "/attachments/{attachment_id}/download",
    response={200: None, **errors(403, 404, 422)},
    openapi_extra=BINARY,
)
def attachment_download(request: HttpRequest, attachment_id: RecordId) -> FileResponse:
    """The file itself, as an attachment download; logged in the security log."""
    user = actor(request)
    attachment = selectors.attachment_get(actor=user, attachment_id=attachment_id)
    services.attachment_download_log(
        actor=user, attachment=attachment, ip=request.META.get("REMOTE_ADDR")
    )
    return file_response(attachment)


@router.put(
    "/attachments/{attachment_id}/sharing",
    response={200: AttachmentOut, **errors(403, 404, 422)},
)
def attachment_sharing(
    request: HttpRequest, attachment_id: RecordId, payload: AttachmentSharingIn
) -> Any:
    """Share the file with the record's customer (the portal lists it) or stop sharing it.
    Needs the right to change the record (403); a type that cannot be shared (a cost
    entry's receipt) answers 422 naming ``shared_with_customer``."""
    return services.attachment_share(
        actor=actor(request),
        attachment_id=attachment_id,
        shared=payload.shared_with_customer,
    )


@router.delete("/attachments/{attachment_id}", response={204: None, **errors(403, 404, 422)})
def attachment_delete(request: HttpRequest, attachment_id: RecordId) -> Status[None]:
    services.attachment_delete(actor=actor(request), attachment_id=attachment_id)
    return Status(204, None)
