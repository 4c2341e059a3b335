"""What quotes add to the house through its registries (called from ``apps.ready``): the
customer timeline kind, the approval document type "quote discount" (报价折扣) and the
periodic job that expires sent quotes past their validity date."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from guanxi.approvals.models import ActionKind
from guanxi.approvals.registry import (
    ApprovalEvent,
    ConditionField,
    DocumentType,
    FieldKind,
    register_document,
)
from guanxi.contracts import selectors_quotes as selectors
from guanxi.contracts.models import Quote, QuoteStatus
from guanxi.contracts.services import quotes as services
from guanxi.core.periodic import PeriodicJob, register_periodic
from guanxi.customers.timeline import TimelineText, register_kind, timeline_add

_TITLES: dict[str, str] = {
    ActionKind.SUBMIT: gettext_noop("报价折扣提交审批：%(title)s"),
    ActionKind.RESUBMIT: gettext_noop("报价折扣重新提交审批：%(title)s"),
    ActionKind.APPROVE: gettext_noop("报价折扣审批同意（%(step)s）：%(title)s"),
    ActionKind.AUTO_APPROVE: gettext_noop("报价折扣审批自动通过（%(step)s）：%(title)s"),
    ActionKind.REJECT: gettext_noop("报价折扣审批驳回（%(step)s）：%(title)s"),
    ActionKind.WITHDRAW: gettext_noop("撤回报价折扣审批：%(title)s"),
}


def _can_submit(actor: Any, quote: Any) -> bool:
    return selectors.can_change_quote(actor, quote)


def _can_read(actor: Any, quote: Any) -> bool:
    return selectors.scoped_quotes(actor=actor).filter(pk=quote.pk).exists()


def _title(quote: Any) -> str:
    return f"{quote} {quote.title}"


def _on_event(event: ApprovalEvent) -> None:
    quote: Any = event.document
    msgid = _TITLES.get(event.action)
    if msgid is not None:
        timeline_add(
            customer_id=quote.customer_id,
            kind=services.TIMELINE_KIND,
            occurred_at=timezone.now(),
            title=TimelineText(msgid, {"title": event.request.title, "step": event.step_name}),
            body=event.comment,
            actor=event.actor,
            subject=quote,
        )
    if event.action == ActionKind.WITHDRAW:
        services.approval_settled(quote_id=quote.pk, status=QuoteStatus.DRAFT)


def _on_approved(event: ApprovalEvent) -> None:
    services.approval_settled(quote_id=event.document.pk, status=QuoteStatus.APPROVED)


def _on_rejected(event: ApprovalEvent) -> None:
    services.approval_settled(quote_id=event.document.pk, status=QuoteStatus.DRAFT)


def register() -> None:
    register_kind(services.TIMELINE_KIND, label=_("报价"), icon="¥", color="info")
    register_document(
        DocumentType(
            key=services.DOCUMENT_TYPE,
            label=_("报价折扣"),
            model=Quote,
            amount_field="total",
            fields=(ConditionField("max_discount", _("最大折扣（%）"), FieldKind.NUMBER),),
            can_submit=_can_submit,
            can_read=_can_read,
            title_of=_title,
            url_of=lambda quote: reverse("contracts:quote_detail", args=[quote.pk]),
            customer_of=lambda quote: quote.customer_id,  # type: ignore[attr-defined]
            on_approved=_on_approved,
            on_rejected=_on_rejected,
            on_event=_on_event,
        )
    )
    register_periodic(
        PeriodicJob("contracts.expire_quotes", 3600.0, lambda: services.quotes_expire())
    )
