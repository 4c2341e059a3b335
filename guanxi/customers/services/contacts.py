"""Writes of a customer's contacts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.core import audit
from guanxi.core.errors import ValidationFailed
from guanxi.core.writes import apply_fields, check_version, full_clean, reject_unknown
from guanxi.customers.models import Contact
from guanxi.customers.services.customers import DUPLICATE_NOTE_LENGTH
from guanxi.customers.services.keys import refresh_contact_keys
from guanxi.customers.services.locks import customer_lock, customer_record_lock
from guanxi.customers.timeline import TimelineText, timeline_add

CONTACT_FIELDS = frozenset(
    {
        "name", "title", "phone", "mobile", "email", "wechat", "birthday", "preferred_channel",
        "consent_marketing", "is_primary", "notes",
    }
)  # fmt: skip
# What the entry check (查重) compares: a change of another field never asks for a reason.
DUPLICATE_FIELDS = ("name", "phone", "mobile", "email")


def _confirm_not_duplicate(
    actor: Any, contact: Contact, reason: str | None, *, exclude_id: int | None = None
) -> None:
    """The entry check (查重) of a contact before a write: likely duplicate contacts in
    the actor's scope (same name at the same customer, same mobile/phone key, same e-mail)
    stop it unless the user gives a reason, kept on the contact as ``duplicate_note``
    (audited). No likely duplicate: nothing recorded, whatever was sent."""
    from guanxi.customers.selectors import likely_duplicate_contacts

    matches = likely_duplicate_contacts(
        actor=actor,
        customer_id=contact.customer_id,
        name=contact.name,
        phones=(contact.mobile, contact.phone),
        email=contact.email,
        exclude_id=exclude_id,
    )
    if not matches:
        return
    reason = (reason or "").strip()
    if len(reason) > DUPLICATE_NOTE_LENGTH:
        message = _("原因不能超过 %(max)s 个字符。") % {"max": DUPLICATE_NOTE_LENGTH}
        raise ValidationFailed({"duplicate_reason": message})
    if not reason:
        names = "、".join(
            _("“%(name)s”（%(customer)s，编号 %(id)s）")
            % {"name": m.name, "customer": m.customer_name, "id": m.id}
            for m in matches
        )
        raise ValidationFailed(
            {
                "duplicate_reason": _(
                    "可能与已有联系人重复：%(names)s。请先核对；确认不是同一人时，请填写仍要保存的原因。"
                )
                % {"names": names}
            }
        )
    contact.duplicate_note = reason


@transaction.atomic
def contact_create(
    *, actor: Any, customer_id: int, data: Mapping[str, Any], duplicate_reason: str | None = None
) -> Contact:
    """A new contact; one that looks like a contact the actor can see needs
    ``duplicate_reason`` (see ``_confirm_not_duplicate``)."""
    customer = customer_lock(actor, customer_id)
    reject_unknown(data, CONTACT_FIELDS)
    contact = Contact(customer=customer)
    apply_fields(contact, data)
    if "consent_marketing" in data:
        contact.consent_updated_at = timezone.now()
    full_clean(contact, exclude=["customer"])
    refresh_contact_keys(contact)
    _confirm_not_duplicate(actor, contact, duplicate_reason)
    contact.save()
    audit.audit_create(actor=actor, obj=contact, customer_id=customer.pk)
    timeline_add(
        customer_id=customer.pk,
        kind="contact",
        occurred_at=timezone.now(),
        title=TimelineText(gettext_noop("新增联系人 %(name)s"), {"name": contact.name}),
        body=contact.duplicate_note,
        actor=actor,
        subject=contact,
    )
    return contact


@transaction.atomic
def contact_update(
    *,
    actor: Any,
    contact_id: int,
    data: Mapping[str, Any],
    version: int,
    duplicate_reason: str | None = None,
) -> Contact:
    """An edit; one that changes the name, a number or the e-mail into those of another
    contact the actor can see needs ``duplicate_reason``."""
    contact, customer = customer_record_lock(actor, Contact, contact_id)
    check_version(contact, version)
    reject_unknown(data, CONTACT_FIELDS)
    before = audit.snapshot(contact)
    apply_fields(contact, data)
    if "consent_marketing" in data and before["consent_marketing"] != contact.consent_marketing:
        contact.consent_updated_at = timezone.now()
    full_clean(contact, exclude=["customer"])
    refresh_contact_keys(contact)
    if any(before.get(f) != getattr(contact, f) for f in DUPLICATE_FIELDS):
        _confirm_not_duplicate(actor, contact, duplicate_reason, exclude_id=contact.pk)
    if not audit.diff(before, audit.snapshot(contact, before.keys())):
        return contact
    contact.version += 1
    contact.save()
    audit.audit_update(actor=actor, obj=contact, before=before, customer_id=customer.pk)
    return contact


@transaction.atomic
def contact_delete(*, actor: Any, contact_id: int, version: int) -> None:
    contact, customer = customer_record_lock(actor, Contact, contact_id)
    check_version(contact, version)
    audit.audit_delete(actor=actor, obj=contact, customer_id=customer.pk)
    contact.delete()
