"""Reads of the service desk for the customer portal: one customer company's tickets, the
public side of their conversations and the surveys put to one person. The portal resolves
the company from the portal account (staff scope does not apply) and imports this module,
never ``service.models`` (the layer contract in ``.importlinter``). Only what a customer
may see is selected: an internal note never leaves here."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber

from guanxi.service.models import (
    OPEN_STATUSES,
    MessageKind,
    Survey,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketMessage,
    TicketStatus,
)

__all__ = [
    "OPEN_STATUSES",
    "PUBLIC_KINDS",
    "Survey",
    "Ticket",
    "TicketCategory",
    "TicketChannel",
    "TicketMessage",
    "TicketStatus",
    "customer_home_tickets",
    "customer_surveys",
    "customer_ticket_get",
    "customer_ticket_records",
    "customer_tickets",
    "public_messages",
]

# What the customer sees of a conversation: their own messages and the replies sent to
# them — never an internal note.
PUBLIC_KINDS = (MessageKind.INCOMING, MessageKind.REPLY)


def customer_tickets(*, customer_id: int, status: str = "") -> QuerySet[Ticket]:
    """The company's tickets, newest first (the customer index serves it); ``open`` for
    the open ones, a status value for that status, anything else for all."""
    qs = Ticket.objects.filter(customer_id=customer_id)
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status in TicketStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def customer_home_tickets(
    *, customer_id: int, limit: int, columns: tuple[str, ...]
) -> tuple[list[Ticket], int, list[Ticket], int]:
    """The portal home's two ticket lists in one query: the newest ``limit`` tickets
    waiting for the customer and the newest ``limit`` other open ones, with how many there
    are of each (window functions over the company's open tickets, ranked apart). Returns
    (waiting, waiting total, other open, other open total)."""
    waiting = Case(
        When(status=TicketStatus.WAITING, then=Value(1)), default=Value(0),
        output_field=IntegerField(),
    )  # fmt: skip
    newest = [F("created_at").desc(), F("id").desc()]
    rows: list[Any] = list(
        Ticket.objects.filter(customer_id=customer_id, status__in=OPEN_STATUSES)
        .only(*columns)
        .annotate(
            home_waiting=waiting,
            home_rank=Window(RowNumber(), partition_by=[waiting], order_by=newest),
            home_total=Window(Count("id"), partition_by=[waiting]),
        )
        .filter(home_rank__lte=limit)
        .order_by("-created_at", "-id")
    )
    awaiting: list[Ticket] = [t for t in rows if t.home_waiting]
    others: list[Ticket] = [t for t in rows if not t.home_waiting]
    return (
        awaiting, rows_total(awaiting), others, rows_total(others),
    )  # fmt: skip


def rows_total(rows: list[Any]) -> int:
    """The window count a home list's rows carry (0 for no rows)."""
    return int(rows[0].home_total) if rows else 0


def customer_ticket_records(customer_id: int) -> QuerySet[Ticket]:
    """Every ticket of the company, as bare rows (the ids of the records whose shared
    files the company sees)."""
    return Ticket.objects.filter(customer_id=customer_id)


def customer_ticket_get(*, customer_id: int, ticket_id: object) -> Ticket | None:
    """One ticket of the company, or None (another company's, missing, a bad id)."""
    if isinstance(ticket_id, str) and ticket_id.isdigit():
        ticket_id = int(ticket_id)
    if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
        return None
    return customer_tickets(customer_id=customer_id).filter(pk=ticket_id).first()


def public_messages(*, ticket: Ticket) -> QuerySet[TicketMessage]:
    return (
        TicketMessage.objects.filter(ticket=ticket, kind__in=PUBLIC_KINDS)
        .select_related("author")
        .only("id", "kind", "body", "created_at", "author__display_name", "author__username")
        .order_by("created_at", "id")
    )


def customer_surveys(
    *, customer_id: int, email: str, contact_id: int | None, user_id: int
) -> QuerySet[Survey]:
    """The company's surveys put to one person: to their contact, their address, or about
    a ticket they raised in the portal."""
    mine = Q(email__iexact=email) if email else Q(pk__in=[])
    if contact_id is not None:
        mine |= Q(contact_id=contact_id)
    mine |= Q(ticket__created_by_id=user_id)
    return (
        Survey.objects.filter(Q(customer_id=customer_id) & mine)
        .select_related("ticket", "campaign")
        .order_by("-sent_at", "-id")
    )
