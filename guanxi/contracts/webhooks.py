"""The contract events sent to webhook subscribers and their payloads (a public contract:
add fields, never rename or drop one)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from guanxi.core import audit

CONTRACT_CREATED = "contract.created"
CONTRACT_APPROVED = "contract.approved"
CONTRACT_AMENDED = "contract.amended"
COLLECTION_CREATED = "collection.created"
INVOICE_ISSUED = "invoice.issued"

CONTRACT_FIELDS = (
    "id",
    "number",
    "title",
    "customer_id",
    "opportunity_id",
    "owner_id",
    "team_id",
    "amount",
    "collected",
    "invoiced",
    "start_date",
    "end_date",
    "signed_on",
    "status",
    "revision",
    "version",
    "created_at",
    "updated_at",
)
COLLECTION_FIELDS = (
    "id",
    "contract_id",
    "customer_id",
    "received_on",
    "amount",
    "method",
    "reference",
    "prepayment",
    "unallocated",
    "created_at",
)
INVOICE_FIELDS = (
    "id",
    "contract_id",
    "customer_id",
    "kind",
    "amount",
    "tax_rate",
    "status",
    "invoice_number",
    "issued_on",
    "tracking_number",
    "created_at",
)


def payload(contract: Any) -> dict[str, Any]:
    return {"contract": audit.snapshot(contract, CONTRACT_FIELDS)}


def collection_payload(collection: Any) -> dict[str, Any]:
    return {"collection": audit.snapshot(collection, COLLECTION_FIELDS)}


def invoice_payload(invoice: Any) -> dict[str, Any]:
    return {"invoice": audit.snapshot(invoice, INVOICE_FIELDS)}


def register() -> None:
    from guanxi.webhooks.events import Event, register_event

    contract = _("data.contract：合同的字段。")
    register_event(Event(key=CONTRACT_CREATED, label=_("新建合同"), description=contract))
    register_event(Event(key=CONTRACT_APPROVED, label=_("合同审批通过"), description=contract))
    register_event(Event(key=CONTRACT_AMENDED, label=_("合同变更生效"), description=contract))
    register_event(
        Event(
            key=COLLECTION_CREATED,
            label=_("登记回款"),
            description=_("data.collection：回款的字段。"),
        )
    )
    register_event(
        Event(
            key=INVOICE_ISSUED,
            label=_("发票已开具"),
            description=_("data.invoice：开票申请的字段。"),
        )
    )
