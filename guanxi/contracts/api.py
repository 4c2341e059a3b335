"""The contracts REST API (``/api/v1/contracts/``). Thin over selectors/services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Query, Status

from guanxi.accounts import permissions
from guanxi.contracts import selectors
from guanxi.contracts.schemas import (
    AgingFiltersIn,
    AgingOut,
    AmendmentIn,
    AmendmentOut,
    CollectionIn,
    CollectionOut,
    ContractCreateIn,
    ContractDetailOut,
    ContractFiltersIn,
    ContractOut,
    ContractTransitionIn,
    ContractUpdateIn,
    ContractVersionIn,
    InstalmentOut,
    InvoiceIssueIn,
    InvoiceMailIn,
    InvoiceOut,
    InvoiceRequestIn,
    InvoiceTitleIn,
    InvoiceTitleOut,
    PlanIn,
)
from guanxi.contracts.services import collections as collection_services
from guanxi.contracts.services import contracts as contract_services
from guanxi.contracts.services import invoices as invoice_services
from guanxi.contracts.services import plans as plan_services
from guanxi.core.api.bases import (
    PageIn,
    PageOut,
    RecordId,
    StaffRouter,
    actor,
    page_response,
    sent_fields,
)
from guanxi.core.errors import ValidationFailed

router = StaffRouter(
    tags=["contracts"],
    allow=permissions.can_use_contracts,
    message=gettext_lazy("你的角色不能使用合同与回款功能。"),
)


# --- contracts -----------------------------------------------------------------------------


@router.get("/contracts", response=PageOut[ContractOut])
def contract_list(
    request: HttpRequest, filters: Query[ContractFiltersIn], page: Query[PageIn]
) -> dict[str, Any]:
    """The contracts the actor may read, newest first."""
    qs = selectors.contract_list(
        actor=actor(request), status=filters.status, customer_id=filters.customer, q=filters.q
    )
    return page_response(qs, page)


@router.post("/contracts", response={201: ContractOut})
def contract_create(request: HttpRequest, payload: ContractCreateIn) -> Status[Any]:
    """A draft contract, numbered by the configured pattern (e.g. ``HT-202612-0001``)."""
    data = payload.model_dump()
    ids = {k: data.pop(k) for k in ("customer_id", "opportunity_id", "owner_id")}
    contract = contract_services.contract_create(actor=actor(request), data=data, **ids)
    return Status(201, contract)


@router.get("/contracts/{contract_id}", response=ContractDetailOut)
def contract_detail(request: HttpRequest, contract_id: RecordId) -> Any:
    return selectors.contract_get(actor=actor(request), contract_id=contract_id)


@router.patch("/contracts/{contract_id}", response=ContractOut)
def contract_update(request: HttpRequest, contract_id: RecordId, payload: ContractUpdateIn) -> Any:
    """Edit a draft or rejected contract. An approved (or later) contract answers 409:
    change it with an amendment."""
    data = sent_fields(payload)
    version = data.pop("version")
    owner = data.pop("owner_id", ...)
    return contract_services.contract_update(
        actor=actor(request), contract_id=contract_id, data=data, version=version, owner_id=owner
    )


@router.post("/contracts/{contract_id}/submit", response=ContractOut)
def contract_submit(request: HttpRequest, contract_id: RecordId, payload: ContractVersionIn) -> Any:
    """Send the contract to its internal approval flow."""
    return contract_services.contract_submit(
        actor=actor(request), contract_id=contract_id, version=payload.version
    )


@router.post("/contracts/{contract_id}/transition", response=ContractOut)
def contract_transition(
    request: HttpRequest, contract_id: RecordId, payload: ContractTransitionIn
) -> Any:
    """approved → active → finished; approved/active → terminated."""
    return contract_services.contract_transition(
        actor=actor(request), contract_id=contract_id, status=payload.status,
        version=payload.version,
    )  # fmt: skip


@router.post("/contracts/{contract_id}/amendments", response={201: AmendmentOut})
def amendment_create(
    request: HttpRequest, contract_id: RecordId, payload: AmendmentIn
) -> Status[Any]:
    """New terms for an approved contract, submitted to approval; applied once approved."""
    data = sent_fields(payload)
    version = data.pop("version")
    amendment = contract_services.amendment_create(
        actor=actor(request), contract_id=contract_id, data=data, version=version
    )
    return Status(201, amendment)


# --- payment plans -------------------------------------------------------------------------


@router.get("/contracts/{contract_id}/instalments", response=list[InstalmentOut])
def instalment_list(request: HttpRequest, contract_id: RecordId) -> Any:
    contract = selectors.contract_get(actor=actor(request), contract_id=contract_id)
    return list(selectors.instalments(contract=contract))


@router.put("/contracts/{contract_id}/instalments", response=list[InstalmentOut])
def plan_set(request: HttpRequest, contract_id: RecordId, payload: PlanIn) -> Any:
    """Replace the plan of a draft or rejected contract: explicit ``instalments`` summing
    to the amount, or ``count`` monthly instalments from ``first_due`` (the last one
    absorbs the rounding)."""
    who = actor(request)
    if payload.instalments:
        rows = [row.model_dump() for row in payload.instalments]
    elif payload.count and payload.first_due:
        contract = selectors.contract_get(actor=who, contract_id=contract_id)
        rows = plan_services.split_plan(
            amount=contract.amount, count=payload.count, first_due=payload.first_due,
            method=payload.method,
        )  # fmt: skip
    else:
        raise ValidationFailed({"instalments": str(gettext_lazy("请给出各期，或期数与首期日期。"))})
    return plan_services.plan_set(
        actor=who, contract_id=contract_id, rows=rows, version=payload.version
    )


# --- collections ---------------------------------------------------------------------------


@router.get("/contracts/{contract_id}/collections", response=list[CollectionOut])
def collection_list(request: HttpRequest, contract_id: RecordId) -> Any:
    contract = selectors.contract_get(actor=actor(request), contract_id=contract_id)
    return list(selectors.collections(contract=contract)[:500])


@router.post("/contracts/{contract_id}/collections", response={201: CollectionOut})
def collection_create(
    request: HttpRequest, contract_id: RecordId, payload: CollectionIn
) -> Status[Any]:
    """Money received, allocated to instalments; more than is due only as a prepayment."""
    data = payload.model_dump()
    allocations = data.pop("allocations")
    collection = collection_services.collection_create(
        actor=actor(request), contract_id=contract_id, data=data, allocations=allocations
    )
    return Status(201, collection)


# --- invoices ------------------------------------------------------------------------------


@router.get("/customers/{customer_id}/invoice-titles", response=list[InvoiceTitleOut])
def invoice_title_list(request: HttpRequest, customer_id: RecordId) -> Any:
    return list(selectors.invoice_titles(actor=actor(request), customer_id=customer_id)[:200])


@router.post("/customers/{customer_id}/invoice-titles", response={201: InvoiceTitleOut})
def invoice_title_create(
    request: HttpRequest, customer_id: RecordId, payload: InvoiceTitleIn
) -> Status[Any]:
    """A company title needs a valid 统一社会信用代码 as 纳税人识别号."""
    title = invoice_services.invoice_title_create(
        actor=actor(request), customer_id=customer_id, data=payload.model_dump()
    )
    return Status(201, title)


@router.get("/contracts/{contract_id}/invoices", response=list[InvoiceOut])
def invoice_list(request: HttpRequest, contract_id: RecordId) -> Any:
    contract = selectors.contract_get(actor=actor(request), contract_id=contract_id)
    return list(selectors.invoices(contract=contract)[:500])


@router.post("/contracts/{contract_id}/invoices", response={201: InvoiceOut})
def invoice_request_create(
    request: HttpRequest, contract_id: RecordId, payload: InvoiceRequestIn
) -> Status[Any]:
    """Request an invoice (≤ contract amount minus what is requested or invoiced); it goes
    to the invoice approval flow. No tax-system integration."""
    invoice = invoice_services.invoice_request_create(
        actor=actor(request), contract_id=contract_id, **payload.model_dump()
    )
    return Status(201, invoice)


@router.post("/invoices/{invoice_id}/issue", response=InvoiceOut)
def invoice_issue(request: HttpRequest, invoice_id: RecordId, payload: InvoiceIssueIn) -> Any:
    return invoice_services.invoice_issue(
        actor=actor(request), invoice_id=invoice_id, invoice_number=payload.invoice_number,
        issued_on=payload.issued_on, version=payload.version,
    )  # fmt: skip


@router.post("/invoices/{invoice_id}/mail", response=InvoiceOut)
def invoice_mail(request: HttpRequest, invoice_id: RecordId, payload: InvoiceMailIn) -> Any:
    return invoice_services.invoice_mail(
        actor=actor(request), invoice_id=invoice_id, tracking_number=payload.tracking_number,
        version=payload.version,
    )  # fmt: skip


# --- receivables ---------------------------------------------------------------------------


def _aging_row(row: Any) -> dict[str, Any]:
    return {"key": row.key, "label": row.label, **row.buckets, "total": row.total}


@router.get("/receivables/aging", response=AgingOut)
def receivables_aging(request: HttpRequest, filters: Query[AgingFiltersIn]) -> Any:
    """Open amounts by days past the planned date (not due, 0–30, 31–60, 61–90, 90+),
    per customer, owner or department, within the actor's scope: one page of the groups,
    the largest open amount first (ties by key), with the totals and count of all."""
    aging = selectors.aging_page(
        actor=actor(request), group_by=filters.group_by, limit=filters.limit,
        offset=filters.offset,
    )  # fmt: skip
    return {
        "group_by": filters.group_by,
        "count": aging.count,
        "limit": filters.limit,
        "offset": filters.offset,
        "rows": [_aging_row(r) for r in aging.rows],
        "totals": {"key": None, "label": "", **aging.totals, "total": aging.total},
    }


@router.get("/receivables/overdue", response=PageOut[InstalmentOut])
def overdue_list(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    return page_response(selectors.overdue_list(actor=actor(request)), page)


# Quotes (报价): /api/v1/contracts/quotes… (``api_quotes``).
from guanxi.contracts.api_quotes import router as quotes_router  # noqa: E402

router.add_router("", quotes_router)
