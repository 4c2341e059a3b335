"""The service events sent to webhook subscribers and their payloads (a public contract:
add fields, never rename or drop one)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from guanxi.core import audit
from guanxi.service.models import Ticket

TICKET_CREATED = "ticket.created"
TICKET_RESOLVED = "ticket.resolved"
TICKET_CLOSED = "ticket.closed"

PAYLOAD_FIELDS = (
    "id", "subject", "channel", "category", "priority", "status", "customer_id", "contact_id",
    "assignee_id", "team_id", "first_response_due", "first_responded_at", "resolution_due",
    "resolved_at", "closed_at", "version", "created_at", "updated_at",
)  # fmt: skip


def payload(ticket: Ticket) -> dict[str, Any]:
    return {"ticket": audit.snapshot(ticket, PAYLOAD_FIELDS)}


def register() -> None:
    from guanxi.webhooks.events import Event, register_event

    description = _("data.ticket：工单的字段。")
    register_event(Event(key=TICKET_CREATED, label=_("新建工单"), description=description))
    register_event(Event(key=TICKET_RESOLVED, label=_("工单已解决"), description=description))
    register_event(Event(key=TICKET_CLOSED, label=_("工单已关闭"), description=description))
