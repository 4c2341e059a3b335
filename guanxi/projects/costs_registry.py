"""Cost entries in the platform registries (called from ``ProjectsConfig.ready()``): the
``project_cost`` approval document (cost entries above the limit) and attachable cost
entries (receipts, invoices, subcontract scans)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from guanxi.approvals.models import ActionKind
from guanxi.approvals.registry import ApprovalEvent, DocumentType, register_document
from guanxi.attachments.registry import Attachable, register_attachable
from guanxi.projects.models import CostEntry


def _project_readable(actor: Any, entry: Any) -> bool:
    from guanxi.projects import selectors

    return selectors.can_use(actor) and selectors.can_read(actor, entry.project)


def _can_submit(actor: Any, entry: Any) -> bool:
    from guanxi.projects import selectors

    return selectors.can_use(actor) and selectors.can_change(actor, entry.project)


def _approved(event: ApprovalEvent) -> None:
    from guanxi.projects.services.costs import on_approved

    on_approved(event.document, event.actor)  # type: ignore[arg-type]


def _rejected(event: ApprovalEvent) -> None:
    from guanxi.projects.services.costs import on_rejected

    on_rejected(event.document, event.actor, event.comment)  # type: ignore[arg-type]


def _event(event: ApprovalEvent) -> None:
    if event.action == ActionKind.WITHDRAW:
        from guanxi.projects.services.costs import on_withdrawn

        on_withdrawn(event.document, event.actor)  # type: ignore[arg-type]


def _title(entry: Any) -> str:
    return f"{entry.project.name} · {entry.get_category_display()} ¥{entry.amount}"


def _for_read(actor: Any, entry_id: int) -> Model:
    from guanxi.projects.selectors_actuals import cost_entry_get

    return cost_entry_get(actor=actor, entry_id=entry_id)


def _for_change(actor: Any, entry_id: int) -> Model:
    from guanxi.projects.services.costs import cost_entry_lock

    return cost_entry_lock(actor, entry_id)[0]


def register() -> None:
    register_document(
        DocumentType(
            key="project_cost",
            label=_("项目成本"),
            model=CostEntry,
            amount_field="amount",
            can_submit=_can_submit,
            can_read=_project_readable,
            title_of=_title,
            url_of=lambda entry: entry.get_absolute_url(),  # type: ignore[attr-defined]
            customer_of=lambda entry: entry.project.customer_id,  # type: ignore[attr-defined]
            on_approved=_approved,
            on_rejected=_rejected,
            on_event=_event,
        )
    )
    register_attachable(
        Attachable(
            kind="cost_entry",
            model=CostEntry,
            get_for_read=_for_read,
            get_for_change=_for_change,
            customer_id=lambda entry: entry.project.customer_id,  # type: ignore[attr-defined]
        )
    )
