"""Triage of the "unknown" queue (待分拣): tickets opened by mail from a sender that matched
no contact or customer.

An agent either links such a ticket to a customer (and to one of its contacts, or to a
new contact made from the sender's name and address, so the sender's next mail is
matched), or marks it as spam: the ticket is closed with ``spam_at`` set, no satisfaction
survey or follow-up visit is made, and the sender's later mail is kept (``InboundMail``
status ``spam``) but opens no ticket while their newest ticket is spam. Reopening a spam
ticket clears the mark.

Linking re-picks the SLA policy for the customer's value class (a platinum customer's
mail gets the platinum targets), counted from when the mail came in: the clocks keep what
they used; a breach or warning already announced stays announced.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.core import audit
from guanxi.core.errors import ValidationFailed
from guanxi.core.writes import check_version, full_clean
from guanxi.customers.models import Contact, Customer
from guanxi.customers.services import customer_lock
from guanxi.customers.services.keys import refresh_contact_keys
from guanxi.customers.timeline import TimelineText, timeline_add
from guanxi.service import webhooks
from guanxi.service.models import Ticket, TicketStatus
from guanxi.service.services import sla, tickets
from guanxi.webhooks.services import emit


def _unknown(ticket: Ticket) -> None:
    if ticket.customer_id is not None:
        raise ValidationFailed({"customer_id": _("该工单已关联客户，无需分拣。")})
    if ticket.spam_at is not None:
        raise ValidationFailed({"customer_id": _("该工单已标记为垃圾邮件；请先重新打开。")})


def _contact_from_sender(actor: Any, ticket: Ticket, customer: Customer) -> Contact:
    """The customer's contact with the sender's address, else a new one made from it."""
    address = ticket.requester_email.strip().lower()
    if not address:
        raise ValidationFailed({"create_contact": _("发件人没有邮箱地址，无法新建联系人。")})
    existing = Contact.objects.filter(customer=customer, email=address).order_by("id").first()
    if existing is not None:
        return existing
    name = ticket.requester_name.strip() or address.partition("@")[0]
    contact = Contact(customer=customer, name=name[:100], email=address)
    full_clean(contact, exclude=["customer"])
    refresh_contact_keys(contact)
    contact.save()
    audit.audit_create(actor=actor, obj=contact, customer_id=customer.pk)
    timeline_add(
        customer_id=customer.pk,
        kind="contact",
        occurred_at=timezone.now(),
        title=TimelineText(gettext_noop("新增联系人 %(name)s"), {"name": contact.name}),
        actor=actor,
        subject=contact,
    )
    return contact


@transaction.atomic
def ticket_link_customer(
    *,
    actor: Any,
    ticket_id: int,
    version: int | None,
    customer_id: Any,
    contact_id: Any = None,
    create_contact: bool = False,
    now: dt.datetime | None = None,
) -> Ticket:
    """Link an unknown sender's ticket to ``customer_id`` (which the actor may log on) and
    to its contact ``contact_id`` or, ``create_contact``, a contact made from the sender."""
    now = now or timezone.now()
    ticket = tickets.ticket_lock(actor, ticket_id)
    check_version(ticket, version)
    _unknown(ticket)
    if customer_id is None:
        raise ValidationFailed({"customer_id": _("这个字段是必填项。")})
    if contact_id is not None and create_contact:
        raise ValidationFailed({"contact_id": _("选择已有联系人或新建联系人，二选一。")})
    customer = customer_lock(actor, customer_id, for_communication=True)
    before = audit.snapshot(ticket)
    contact: Contact | None
    if create_contact:
        contact = _contact_from_sender(actor, ticket, customer)
    else:
        contact = tickets._contact_of(customer, contact_id)
    ticket.customer, ticket.contact = customer, contact
    sla.clock_rematch(ticket, now=now)
    ticket.version += 1
    ticket.save()
    audit.audit_update(actor=actor, obj=ticket, before=before, customer_id=customer.pk)
    tickets._timeline(ticket, actor, gettext_noop("工单 #%(number)s 已关联到客户：%(subject)s"))
    return ticket


@transaction.atomic
def ticket_mark_spam(
    *, actor: Any, ticket_id: int, version: int | None, now: dt.datetime | None = None
) -> Ticket:
    """Close an unknown sender's ticket as spam (see the module)."""
    now = now or timezone.now()
    ticket = tickets.ticket_lock(actor, ticket_id)
    check_version(ticket, version)
    _unknown(ticket)
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationFailed({"status": _("工单已关闭。")})
    before = audit.snapshot(ticket)
    tickets._move(ticket, TicketStatus.CLOSED, now=now)
    ticket.spam_at = now
    ticket.version += 1
    ticket.save()
    audit.audit_update(actor=actor, obj=ticket, before=before, customer_id=None)
    emit(webhooks.TICKET_CLOSED, webhooks.payload(ticket), actor=actor)
    return ticket


def sender_is_spam(address: str) -> bool:
    """Whether the newest ticket of ``address`` was marked as spam (one index probe)."""
    if not address:
        return False
    newest = list(
        Ticket.objects.filter(requester_email=address)
        .order_by("-created_at")
        .values_list("spam_at", flat=True)[:1]
    )
    return bool(newest) and newest[0] is not None
