"""Tickets as attachable records (registered in ``ServiceConfig.ready()``): a ticket's
files are read by whoever reads the ticket and changed by whoever works it; mail-in
attaches the files of a message as the system (``actor=None``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _

from guanxi.attachments.registry import Attachable, register_attachable
from guanxi.core.errors import NotFound
from guanxi.service.models import Ticket

KIND = "ticket"


def _for_read(actor: Any, ticket_id: int) -> Model:
    from guanxi.service import selectors

    return selectors.ticket_get(actor=actor, ticket_id=ticket_id)


def _for_change(actor: Any, ticket_id: int) -> Model:
    from guanxi.service.services.tickets import ticket_lock

    if actor is None:  # the system: mail-in keeping a message's files
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None:
            raise NotFound(_("工单不存在。"))
        return ticket
    return ticket_lock(actor, ticket_id)


def register() -> None:
    register_attachable(
        Attachable(
            kind=KIND,
            model=Ticket,
            get_for_read=_for_read,
            get_for_change=_for_change,
            customer_id=lambda ticket: getattr(ticket, "customer_id", None),
        )
    )
