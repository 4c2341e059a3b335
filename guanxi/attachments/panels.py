"""The attachments card for an owning app's record page (the customer 360 page)."""

from __future__ import annotations

from typing import Any

from guanxi.attachments import registry, selectors
from guanxi.attachments.forms import AttachmentForm

PANEL = "attachments/panel.html"


def panel_context(
    *, actor: Any, kind: str, record: Any, can_change: bool, form: AttachmentForm | None = None
) -> dict[str, Any]:
    """What ``attachments/panel.html`` needs, for an owning app's panel builder."""
    return {
        "attachment_kind": kind,
        "attachment_record_id": record.pk,
        "attachments": list(selectors.attachments_on(record=record)),
        "attachment_form": form or (AttachmentForm() if can_change else None),
        "can_change_attachments": can_change,
        # Files of a shareable type show whether the customer sees them in the portal.
        "attachments_shareable": registry.is_shareable(kind),
    }
