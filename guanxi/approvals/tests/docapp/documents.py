"""How a feature app (above customers) registers a document type: permission rules, the
customer it concerns, hooks that change the document's status and write the customer's
timeline under a kind it registers."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.approvals.models import ActionKind
from guanxi.approvals.registry import (
    ApprovalEvent,
    ConditionField,
    DocumentType,
    FieldKind,
    register_document,
)
from guanxi.customers.timeline import TimelineText, register_kind, timeline_add

KEY = "expense"

_TIMELINE_TITLES = {
    ActionKind.SUBMIT: gettext_noop("提交审批：%(title)s"),
    ActionKind.RESUBMIT: gettext_noop("重新提交审批：%(title)s"),
    ActionKind.APPROVE: gettext_noop("审批同意（%(step)s）：%(title)s"),
    ActionKind.AUTO_APPROVE: gettext_noop("审批自动通过（%(step)s）：%(title)s"),
    ActionKind.REJECT: gettext_noop("审批驳回（%(step)s）：%(title)s"),
    ActionKind.WITHDRAW: gettext_noop("撤回审批：%(title)s"),
}


def _status(status: str):  # type: ignore[no-untyped-def]
    def hook(event: ApprovalEvent) -> None:
        document: Any = event.document
        document.status = status
        document.hook_calls = [*document.hook_calls, status]
        document.save(update_fields=["status", "hook_calls"])

    return hook


def on_event(event: ApprovalEvent) -> None:
    document: Any = event.document
    if document.customer_id is None:
        return
    timeline_add(
        customer_id=document.customer_id,
        kind="approval",
        occurred_at=timezone.now(),
        title=TimelineText(
            _TIMELINE_TITLES[event.action],
            {"title": event.request.title, "step": event.step_name},
        ),
        body=event.comment,
        actor=event.actor,
        subject=event.request,
    )


def _can_read(actor: Any, document: Any) -> bool:
    if document.customer_id is not None:
        return permissions.can_read_customer(actor, document.customer)
    return bool(actor.pk == document.owner_id)


def register() -> None:
    register_kind("approval", label=_("审批"), icon="✓", color="warning")
    register_document(
        DocumentType(
            key=KEY,
            label=_("费用"),
            model=_model(),
            amount_field="amount",
            fields=(ConditionField("category", _("类别"), FieldKind.TEXT),),
            can_submit=lambda actor, doc: actor.pk == doc.owner_id,  # type: ignore[attr-defined]
            can_read=_can_read,
            url_of=lambda doc: f"/expenses/{doc.pk}/",
            customer_of=lambda doc: doc.customer_id,  # type: ignore[attr-defined]
            on_approved=_status("approved"),
            on_rejected=_status("rejected"),
            on_event=on_event,
        )
    )


def _model():  # type: ignore[no-untyped-def]
    from guanxi.approvals.tests.docapp.models import Expense

    return Expense
