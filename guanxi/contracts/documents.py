"""Contracts, amendments and invoice requests as approval documents (registered in
``ContractsConfig.ready()``): who may submit and read them, and what their approval or
rejection does. The flows themselves (e.g. above ¥500,000 the sales director, then
finance) are configured in the approvals app; the demo seeds one."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.approvals.models import ActionKind
from guanxi.approvals.registry import ApprovalEvent, DocumentType, register_document
from guanxi.contracts import selectors
from guanxi.contracts.models import Contract, ContractAmendment, InvoiceRequest
from guanxi.customers.timeline import TimelineText, timeline_add

_TITLES: dict[str, str] = {
    ActionKind.SUBMIT: gettext_noop("提交审批：%(title)s"),
    ActionKind.RESUBMIT: gettext_noop("重新提交审批：%(title)s"),
    ActionKind.APPROVE: gettext_noop("审批同意（%(step)s）：%(title)s"),
    ActionKind.AUTO_APPROVE: gettext_noop("审批自动通过（%(step)s）：%(title)s"),
    ActionKind.REJECT: gettext_noop("审批驳回（%(step)s）：%(title)s"),
    ActionKind.WITHDRAW: gettext_noop("撤回审批：%(title)s"),
}


def _contract_of(document: Any) -> Contract:
    return document if isinstance(document, Contract) else document.contract


def _can_read(actor: Any, document: Any) -> bool:
    contract = _contract_of(document)
    return selectors.can_use(actor) and permissions.can_read_record(
        actor, owner_id=contract.owner_id, team_id=contract.team_id
    )


def _can_submit(actor: Any, document: Any) -> bool:
    return selectors.can_change(actor, _contract_of(document))


def _on_event(event: ApprovalEvent) -> None:
    title = _TITLES.get(event.action)
    if title is None:
        return
    timeline_add(
        customer_id=_contract_of(event.document).customer_id,
        kind="contract",
        occurred_at=timezone.now(),
        title=TimelineText(title, {"title": event.request.title, "step": event.step_name}),
        body=event.comment,
        actor=event.actor,
        subject=event.request,
    )


def _contract_approved(event: ApprovalEvent) -> None:
    from guanxi.contracts.services.contracts import on_approved

    on_approved(event.document, event.actor)  # type: ignore[arg-type]


def _contract_rejected(event: ApprovalEvent) -> None:
    from guanxi.contracts.services.contracts import on_rejected

    on_rejected(event.document, event.actor)  # type: ignore[arg-type]


def _amendment_approved(event: ApprovalEvent) -> None:
    from guanxi.contracts.services.contracts import amendment_on_approved

    amendment_on_approved(event.document, event.actor)  # type: ignore[arg-type]


def _amendment_rejected(event: ApprovalEvent) -> None:
    from guanxi.contracts.services.contracts import amendment_on_rejected

    amendment_on_rejected(event.document, event.actor)  # type: ignore[arg-type]


def _invoice_approved(event: ApprovalEvent) -> None:
    from guanxi.contracts.services.invoices import invoice_on_approved

    invoice_on_approved(event.document, event.actor)  # type: ignore[arg-type]


def _invoice_rejected(event: ApprovalEvent) -> None:
    from guanxi.contracts.services.invoices import invoice_on_rejected

    invoice_on_rejected(event.document, event.actor)  # type: ignore[arg-type]


def _url(document: Any) -> str:
    return _contract_of(document).get_absolute_url()


def _customer(document: Any) -> int | None:
    return _contract_of(document).customer_id


def register() -> None:
    common: dict[str, Any] = {
        "amount_field": "amount",
        "can_submit": _can_submit,
        "can_read": _can_read,
        "url_of": _url,
        "customer_of": _customer,
        "on_event": _on_event,
    }
    register_document(
        DocumentType(
            key="contract",
            label=_("合同"),
            model=Contract,
            on_approved=_contract_approved,
            on_rejected=_contract_rejected,
            **common,
        )
    )
    register_document(
        DocumentType(
            key="contract_amendment",
            label=_("合同变更"),
            model=ContractAmendment,
            on_approved=_amendment_approved,
            on_rejected=_amendment_rejected,
            **common,
        )
    )
    register_document(
        DocumentType(
            key="invoice_request",
            label=_("开票申请"),
            model=InvoiceRequest,
            on_approved=_invoice_approved,
            on_rejected=_invoice_rejected,
            **common,
        )
    )
