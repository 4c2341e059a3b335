"""Reads of attachments, always through the owning record's scope (``registry``)."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from guanxi.accounts.models import Role
from guanxi.attachments import registry

# Re-exported: readers (the portal) name the type without importing the models.
from guanxi.attachments.models import Attachment as Attachment
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


# --- files shared with the customer (the customer portal) ------------------------------------


def _shared_filter(customer_id: int) -> Q:
    """Shared files on the customer's own records of every shareable type; nothing when no
    type is registered."""
    condition = Q(pk__in=[])
    for shared in registry.shared_kinds():
        records = shared.records_of_customer(customer_id)
        keys = records.values(key=Cast("pk", CharField()))
        condition |= Q(target_model=records.model._meta.label_lower, target_id__in=keys)
    return Q(shared_with_customer=True) & condition


def shared_with_customer(*, customer_id: int) -> QuerySet[Attachment]:
    """The files staff shared with customer ``customer_id`` on its tickets, contracts and
    projects, newest first; the uploader is not selected (a customer sees no staff names
    beyond the assigned people)."""
    return (
        Attachment.objects.filter(_shared_filter(customer_id))
        .defer("sha256", "stored_name", "uploaded_by")
        .order_by("-created_at", "-id")
    )


def shared_get(*, customer_id: int, attachment_id: Any) -> Attachment:
    """One file shared with the customer; 404 for any other (not shared, another company's,
    missing)."""
    found = (
        Attachment.objects.filter(_shared_filter(customer_id), pk=attachment_id).first()
        if isinstance(attachment_id, int)
        else None
    )
    if found is None:
        raise NotFound(_("附件不存在。"), field="attachment_id")
    return found


def customer_side_on(*, record: Model) -> QuerySet[Attachment]:
    """The files of a record its customer sees beside the record (a ticket's page in the
    portal): those the customer side added — in the portal or by e-mail (no staff uploader)
    — and those staff shared; never a staff file kept internal."""
    from_customer = Q(uploaded_by__isnull=True) | Q(uploaded_by__role=Role.PORTAL)
    return attachments_on(record=record).filter(from_customer | Q(shared_with_customer=True))


def target_of(*, attachment_id: int) -> tuple[str, str] | None:
    """(record type label, record id) of an attachment, or None; the caller scopes."""
    row = (
        Attachment.objects.filter(pk=attachment_id).values_list("target_model", "target_id").first()
    )
    return (row[0], row[1]) if row is not None else None
