"""Contracts, payment plans, collections and invoices (``contracts.py``); quotes and price
terms (``quotes.py``); the maintained receivables aging (``aging.py``)."""

from guanxi.contracts.models.aging import AGING_COLUMNS, AgingState, CustomerAging
from guanxi.contracts.models.contracts import (
    BINDING_STATUSES,
    COUNTED_INVOICE_STATUSES,
    EDITABLE_STATUSES,
    OPEN_INSTALMENT_STATUSES,
    AmendmentStatus,
    Collection,
    CollectionAllocation,
    Contract,
    ContractAmendment,
    ContractNumberSequence,
    ContractStatus,
    Instalment,
    InstalmentStatus,
    InvoiceKind,
    InvoiceRequest,
    InvoiceStatus,
    InvoiceTitle,
    InvoiceTitleKind,
    PaymentMethod,
)
from guanxi.contracts.models.quotes import (
    DiscountLimit,
    ProductTerms,
    Quote,
    QuoteLine,
    QuoteStatus,
)

__all__ = [
    # aging.py
    "AGING_COLUMNS",
    "BINDING_STATUSES",
    "COUNTED_INVOICE_STATUSES",
    "EDITABLE_STATUSES",
    "OPEN_INSTALMENT_STATUSES",
    "AgingState",
    "AmendmentStatus",
    "Collection",
    "CollectionAllocation",
    "Contract",
    "ContractAmendment",
    "ContractNumberSequence",
    "ContractStatus",
    "CustomerAging",
    # quotes.py
    "DiscountLimit",
    "Instalment",
    "InstalmentStatus",
    "InvoiceKind",
    "InvoiceRequest",
    "InvoiceStatus",
    "InvoiceTitle",
    "InvoiceTitleKind",
    "PaymentMethod",
    "ProductTerms",
    "Quote",
    "QuoteLine",
    "QuoteStatus",
]
