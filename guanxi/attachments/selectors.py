"""Reads of attachments, always through the owning record's scope (``registry``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from guanxi.attachments import registry
from guanxi.attachments.models import Attachment
from guanxi.core.errors import NotFound


def attachments_on(*, record: Model) -> QuerySet[Attachment]:
    """The attachments of a record the caller already resolved for the actor (a 360 page
    panel), newest first."""
    return (
        Attachment.objects.filter(target_model=record._meta.label_lower, target_id=str(record.pk))
        .select_related("uploaded_by")
        .order_by("-created_at", "-id")
    )


def attachments_of(*, actor: Any, kind: str, record_id: int) -> QuerySet[Attachment]:
    """The attachments of record ``record_id`` of type ``kind``; 404 when the actor may not
    see the record."""
    record = registry.attachable(kind).get_for_read(actor, record_id)
    return attachments_on(record=record)


def attachment_get(*, actor: Any, attachment_id: int) -> Attachment:
    """One attachment, if the actor may see its record; otherwise 404 as for a missing one."""
    attachment = Attachment.objects.select_related("uploaded_by").filter(pk=attachment_id).first()
    attachable = registry.attachable_for_label(attachment.target_model) if attachment else None
    if attachment is None or attachable is None:
        raise NotFound(_("附件不存在。"))
    try:
        attachable.get_for_read(actor, int(attachment.target_id))
    except NotFound:
        raise NotFound(_("附件不存在。")) from None
    return attachment
