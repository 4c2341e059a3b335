"""Writes of attachments: add (validated by content), delete, and the download log.

Every write runs in one transaction with its audit record and the owning app's reaction
(a timeline entry on the customer). The bytes go to storage inside that transaction and
are removed again if it fails; the add is *durable* (never nested in a caller's
transaction) so no later rollback can leave bytes without a row. A deleted attachment's
bytes are removed only after the deletion committed.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from typing import IO, Any

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.services import security_log
from guanxi.attachments import content, limits, registry
from guanxi.attachments.models import Attachment
from guanxi.attachments.storage import attachment_storage
from guanxi.core import audit
from guanxi.core.errors import NotFound, ValidationFailed

CHUNK = 64 * 1024


def _clean_name(name: str) -> str:
    base = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if not base:
        raise ValidationFailed({"file": _("文件名不能为空。")})
    if len(base) > limits.NAME_MAX_LENGTH:
        stem, dot, ext = base.rpartition(".")
        keep = limits.NAME_MAX_LENGTH - len(ext) - 1
        base = f"{stem[:keep]}.{ext}" if dot and keep > 0 else base[: limits.NAME_MAX_LENGTH]
    return base


def _measure(stream: IO[bytes]) -> tuple[int, str]:
    """Size and SHA-256 of the whole stream, stopping as soon as it passes the limit."""
    maximum = limits.max_bytes()
    digest = hashlib.sha256()
    size = 0
    stream.seek(0)
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > maximum:
            raise ValidationFailed(
                {"file": _("文件太大：最大 %(mb)s MB。") % {"mb": _megabytes(maximum)}}
            )
        digest.update(chunk)
    stream.seek(0)
    return size, digest.hexdigest()


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}" if size >= 1024 * 1024 else f"{size / (1024 * 1024):.2f}"


def check_upload(stream: IO[bytes], name: str) -> tuple[str, int, str, content.FileType]:
    """(clean name, size, sha256, detected type) of an upload, or ValidationFailed on
    ``file`` naming what is wrong. The type is read from the bytes, never the name."""
    clean = _clean_name(name)
    size, sha256 = _measure(stream)
    if size == 0:
        raise ValidationFailed({"file": _("文件是空的。")})
    detected = content.detect(stream)
    allowed = limits.allowed_types()
    if detected is None or detected.key not in allowed:
        raise ValidationFailed({"file": _("不支持该文件类型（按文件内容判断）。")})
    if content.extension(clean) not in detected.extensions:
        raise ValidationFailed(
            {
                "file": _("文件内容与扩展名不符：内容是 %(type)s，应使用扩展名 %(ext)s。")
                % {
                    "type": detected.key.upper(),
                    "ext": "、".join(f".{e}" for e in detected.extensions),
                }
            }
        )
    return clean, size, sha256, detected


def attachment_add(
    *,
    actor: Any,
    kind: str,
    record_id: int,
    stream: IO[bytes],
    name: str,
    uploaded_by: Any = None,
) -> Attachment:
    """Attach the file in ``stream`` (called ``name`` by the client) to the record.

    ``uploaded_by``, with ``actor=None`` (the system resolves the record): the person the
    file is written for — a customer's portal user, who has no staff scope — its uploader
    and the actor of its audit entry and the record's reaction."""
    if uploaded_by is not None and actor is not None:
        raise ValueError("uploaded_by is for system writes (actor=None)")
    by = uploaded_by if uploaded_by is not None else actor
    attachable = registry.attachable(kind)
    # 404 for a record out of scope and 403 for one the actor may only read, before
    # anything about the file is said; the record is locked again for the write below.
    with transaction.atomic():
        attachable.get_for_change(actor, record_id)
    clean, size, sha256, detected = check_upload(stream, name)
    storage = attachment_storage()
    stored: list[str] = []
    try:
        # Durable: only the outermost transaction could remove the bytes of a rollback.
        with transaction.atomic(durable=True):
            record = attachable.get_for_change(actor, record_id)
            attachment = Attachment(
                target_model=attachable.label,
                target_id=str(record.pk),
                name=clean,
                size=size,
                content_type=detected.mime,
                sha256=sha256,
                uploaded_by=by if getattr(by, "is_authenticated", False) else None,
            )
            now = timezone.now()
            wanted = f"attachments/{now:%Y/%m}/{uuid.uuid4().hex}.{detected.extensions[0]}"
            stream.seek(0)
            attachment.stored_name = storage.save(wanted, File(stream, name=wanted))
            stored.append(attachment.stored_name)
            attachment.save()
            audit.audit_create(actor=by, obj=attachment, customer_id=attachable.customer_id(record))
            if attachable.on_added is not None:
                attachable.on_added(by, record, attachment)
    except BaseException:
        for path in stored:
            storage.delete(path)
        raise
    return attachment


def _resolve_for_change(actor: Any, attachment_id: int) -> tuple[Attachment, Any, Any]:
    row = (
        Attachment.objects.filter(pk=attachment_id).values_list("target_model", "target_id").first()
    )
    attachable = registry.attachable_for_label(row[0]) if row else None
    if row is None or attachable is None:
        raise NotFound(_("附件不存在。"))
    try:
        record = attachable.get_for_change(actor, int(row[1]))
    except NotFound:
        raise NotFound(_("附件不存在。")) from None
    attachment = Attachment.objects.select_for_update().filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("附件不存在。"))
    return attachment, attachable, record


@transaction.atomic
def attachment_delete(*, actor: Any, attachment_id: int) -> None:
    attachment, attachable, record = _resolve_for_change(actor, attachment_id)
    audit.audit_delete(actor=actor, obj=attachment, customer_id=attachable.customer_id(record))
    if attachable.on_removed is not None:
        attachable.on_removed(actor, record, attachment)
    path = attachment.stored_name
    attachment.delete()
    storage = attachment_storage()
    transaction.on_commit(lambda: storage.delete(path))


def attachment_download_log(*, actor: Any, attachment: Attachment, ip: str | None) -> None:
    """Downloads go to the security log (who read which file, from where)."""
    security_log(
        actor=actor,
        event="attachment_download",
        ip=ip,
        attachment_id=attachment.pk,
        record=f"{attachment.target_model}#{attachment.target_id}",
        name=attachment.name,
    )


@transaction.atomic
def attachment_share(*, actor: Any, attachment_id: int, shared: bool) -> Attachment:
    """Share a file with the record's customer (the portal shows it) or stop sharing it.

    Whoever may change the record may share its files; a reader gets 403, a file out of
    scope 404. Only types registered as shareable take the flag (a cost entry's receipt
    stays internal); the change is audited, old → new, on the customer's history."""
    attachment, attachable, record = _resolve_for_change(actor, attachment_id)
    if shared and not registry.is_shareable(attachable.kind):
        raise ValidationFailed({"shared_with_customer": _("这类记录的附件不能与客户共享。")})
    before = audit.snapshot(attachment, ["shared_with_customer"])
    if attachment.shared_with_customer != shared:
        attachment.shared_with_customer = shared
        attachment.save(update_fields=["shared_with_customer"])
        audit.audit_update(
            actor=actor, obj=attachment, before=before, customer_id=attachable.customer_id(record)
        )
    return attachment
