"""The sales events sent to webhook subscribers and their payloads (a public contract: add
fields, never rename or drop one)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from guanxi.core import audit
from guanxi.sales.models import Opportunity

OPPORTUNITY_CREATED = "opportunity.created"
OPPORTUNITY_WON = "opportunity.won"
OPPORTUNITY_LOST = "opportunity.lost"

PAYLOAD_FIELDS = (
    "id", "customer_id", "pipeline_id", "stage_id", "name", "amount", "currency",
    "expected_close", "owner_id", "team_id", "status", "reason_id", "reason_note",
    "competitors", "closed_at", "version", "created_at", "updated_at",
)  # fmt: skip


def payload(opportunity: Opportunity) -> dict[str, Any]:
    return {"opportunity": audit.snapshot(opportunity, PAYLOAD_FIELDS)}


def register() -> None:
    from guanxi.webhooks.events import Event, register_event

    description = _("data.opportunity：商机的字段。")
    register_event(Event(key=OPPORTUNITY_CREATED, label=_("新建商机"), description=description))
    register_event(Event(key=OPPORTUNITY_WON, label=_("商机赢单"), description=description))
    register_event(Event(key=OPPORTUNITY_LOST, label=_("商机输单"), description=description))
