"""Request and response shapes of the contracts API (contracts, amendments, plans,
collections, invoice titles and requests, receivables). Length limits come from the
models; money leaves as a two-decimal string."""

# mypy: disable-error-code="assignment"

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictStr

from guanxi.contracts.models import Collection, Contract, InvoiceRequest, InvoiceTitle
from guanxi.core.api.bases import MAX_OFFSET, Date, Id, InputSchema, Int, Money, MoneyIn
from guanxi.core.limits import limit

ContractStatus = Literal[
    "draft", "in_approval", "approved", "rejected", "active", "finished", "terminated"
]
InstalmentStatus = Literal["draft", "pending", "partly", "received", "overdue", "void"]
Method = Literal["transfer", "acceptance", "cheque", "cash", "online", "other"]
InvoiceStatus = Literal["requested", "approved", "rejected", "issued", "mailed"]
AmendmentStatus = Literal["draft", "in_approval", "approved", "rejected"]
PositiveMoney = Annotated[
    Decimal, Field(gt=0, le=Decimal("999999999999.99"), max_digits=14, decimal_places=2)
]
TaxRate = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class ContractOut(Schema):
    id: int
    number: str
    title: str
    customer_id: int
    opportunity_id: int | None
    owner_id: int | None
    team_id: int | None
    amount: Money
    collected: Money
    invoiced: Money
    collected_percent: Money
    start_date: dt.date
    end_date: dt.date
    signed_on: dt.date | None
    status: ContractStatus
    revision: int
    notes: str
    created_at: dt.datetime
    version: int


class InstalmentOut(Schema):
    id: int
    contract_id: int
    sequence: int
    due_date: dt.date
    amount: Money
    received: Money
    method: Method
    status: InstalmentStatus


class AllocationOut(Schema):
    instalment_id: int
    amount: Money


class CollectionOut(Schema):
    id: int
    contract_id: int
    received_on: dt.date
    amount: Money
    method: Method
    reference: str
    prepayment: bool
    unallocated: Money
    note: str
    allocations: list[AllocationOut]
    created_at: dt.datetime

    @staticmethod
    def resolve_allocations(obj: Collection) -> list[object]:
        return list(obj.allocations.all())


class AmendmentOut(Schema):
    id: int
    contract_id: int
    revision: int
    title: str
    amount: Money
    start_date: dt.date
    end_date: dt.date
    reason: str
    status: AmendmentStatus
    version: int


class ContractDetailOut(ContractOut):
    instalments: list[InstalmentOut]
    amendments: list[AmendmentOut]

    @staticmethod
    def resolve_instalments(obj: Contract) -> list[object]:
        return list(obj.instalments.order_by("sequence"))

    @staticmethod
    def resolve_amendments(obj: Contract) -> list[object]:
        return list(obj.amendments.order_by("revision"))


class ContractFiltersIn(Schema):
    status: Literal[ContractStatus, ""] = ""
    customer: int | None = Field(None, ge=1, le=2**63 - 1)
    q: str = Field("", max_length=100)


class ContractCreateIn(InputSchema):
    customer_id: Id
    opportunity_id: Id | None = None
    owner_id: Id | None = Field(None, description="Default: you.")
    title: StrictStr = Field(..., min_length=1, max_length=limit(Contract, "title"))
    amount: MoneyIn
    start_date: Date
    end_date: Date = Field(..., description="Not before start_date.")
    signed_on: Date | None = None
    notes: StrictStr = Field("", max_length=5000)


class ContractUpdateIn(InputSchema):
    version: Id
    title: StrictStr = Field(None, min_length=1, max_length=limit(Contract, "title"))
    amount: MoneyIn = None
    start_date: Date = None
    end_date: Date = None
    signed_on: Date | None = None
    notes: StrictStr = Field(None, max_length=5000)
    owner_id: Id = None


class ContractVersionIn(InputSchema):
    version: Id


class ContractTransitionIn(InputSchema):
    status: Literal["active", "finished", "terminated"]
    version: Id


class AmendmentIn(InputSchema):
    version: Id = Field(..., description="The contract's version.")
    reason: StrictStr = Field(..., min_length=1, max_length=500)
    title: StrictStr = Field(None, min_length=1, max_length=limit(Contract, "title"))
    amount: MoneyIn = None
    start_date: Date = None
    end_date: Date = None


class InstalmentIn(InputSchema):
    due_date: Date
    amount: PositiveMoney
    method: Method = "transfer"


class PlanIn(InputSchema):
    version: Id = Field(..., description="The contract's version.")
    instalments: list[InstalmentIn] | None = Field(
        None, min_length=1, max_length=120, description="Explicit instalments (sum = amount)."
    )
    count: Annotated[Int, Field(ge=1, le=120)] | None = Field(
        None, description="Or: split the amount into this many monthly instalments."
    )
    first_due: Date | None = Field(None, description="With count: the first planned date.")
    method: Method = "transfer"


class AllocationIn(InputSchema):
    instalment_id: Id
    amount: PositiveMoney


class CollectionIn(InputSchema):
    received_on: Date
    amount: PositiveMoney
    method: Method = "transfer"
    reference: StrictStr = Field("", max_length=limit(Collection, "reference"))
    prepayment: StrictBool = Field(False, description="Allow more than is due (预收款).")
    note: StrictStr = Field("", max_length=500)
    allocations: list[AllocationIn] = Field(
        [], max_length=120, description="Empty: the oldest open instalments first."
    )


class InvoiceTitleOut(Schema):
    id: int
    customer_id: int
    kind: Literal["company", "personal"]
    name: str
    tax_id: str
    address: str
    phone: str
    bank: str
    account: str
    version: int


class InvoiceTitleIn(InputSchema):
    kind: Literal["company", "personal"] = "company"
    name: StrictStr = Field(..., min_length=1, max_length=limit(InvoiceTitle, "name"))
    tax_id: StrictStr = Field(
        "",
        max_length=limit(InvoiceTitle, "tax_id"),
        description="统一社会信用代码 (18 characters) for a company.",
    )
    address: StrictStr = Field("", max_length=limit(InvoiceTitle, "address"))
    phone: StrictStr = Field("", max_length=limit(InvoiceTitle, "phone"))
    bank: StrictStr = Field("", max_length=limit(InvoiceTitle, "bank"))
    account: StrictStr = Field("", max_length=limit(InvoiceTitle, "account"))


class InvoiceOut(Schema):
    id: int
    contract_id: int
    title_id: int
    kind: Literal["normal", "special"]
    amount: Money
    tax_rate: Money
    status: InvoiceStatus
    invoice_number: str
    issued_on: dt.date | None
    tracking_number: str
    mailed_on: dt.date | None
    note: str
    version: int


class InvoiceRequestIn(InputSchema):
    title_id: Id
    amount: PositiveMoney
    tax_rate: TaxRate = Field(..., description="Percent, e.g. 13.00.")
    kind: Literal["normal", "special"] = "normal"
    note: StrictStr = Field("", max_length=limit(InvoiceRequest, "note"))


class InvoiceIssueIn(InputSchema):
    version: Id
    invoice_number: StrictStr = Field(..., min_length=1, max_length=40)
    issued_on: Date | None = None


class InvoiceMailIn(InputSchema):
    version: Id
    tracking_number: StrictStr = Field(..., min_length=1, max_length=60)


AGING_PAGE_MAX = 1000


class AgingFiltersIn(Schema):
    group_by: Literal["customer", "owner", "team"] = "customer"
    limit: int = Field(AGING_PAGE_MAX, ge=1, le=AGING_PAGE_MAX, description="Groups per page.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Groups to skip.")


class AgingRowOut(Schema):
    key: int | None
    label: str
    not_due: Money
    d0_30: Money
    d31_60: Money
    d61_90: Money
    d90_plus: Money
    total: Money


class AgingOut(Schema):
    group_by: str
    count: int = Field(..., description="Groups with an open amount, in all.")
    limit: int
    offset: int
    rows: list[AgingRowOut] = Field(
        ..., description="One page of the groups, the largest open amount first."
    )
    totals: AgingRowOut = Field(..., description="Over every group, not only this page.")
