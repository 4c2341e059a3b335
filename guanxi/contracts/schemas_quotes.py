"""Request and response shapes of the quotes API. Length limits come from the models;
amounts leave as strings with two decimals; inputs take amounts as decimal text or
numbers and refuse more than two places (422 naming the field)."""

# mypy: disable-error-code="assignment"

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StrictStr

from guanxi.contracts.models import Quote, QuoteLine
from guanxi.core.api.bases import Date, DecimalOut, Id, InputSchema, Money
from guanxi.core.limits import limit

QuoteStatusValue = Literal[
    "draft", "in_approval", "approved", "sent", "accepted", "rejected", "expired", "superseded"
]
Quantity = Annotated[Decimal, Field(gt=0, le=Decimal("9999999999.99"), decimal_places=2)]
Price = Annotated[Decimal, Field(ge=0, le=Decimal("9999999999.99"), decimal_places=2)]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]


class QuoteLineIn(InputSchema):
    product_id: Id
    quantity: Quantity
    unit_price: Price | None = Field(None, description="Default: the product's list price.")
    discount_percent: Percent = Decimal("0")
    description: StrictStr = Field("", max_length=limit(QuoteLine, "description"))


class QuoteLineUpdateIn(InputSchema):
    version: Id = Field(..., description="The quote's version.")
    product_id: Id = None
    quantity: Quantity = None
    unit_price: Price = None
    discount_percent: Percent = None
    description: StrictStr = Field(None, max_length=limit(QuoteLine, "description"))


class QuoteLineAddIn(QuoteLineIn):
    version: Id = Field(..., description="The quote's version.")


class QuoteCreateIn(InputSchema):
    opportunity_id: Id
    title: StrictStr = Field(None, min_length=1, max_length=limit(Quote, "title"),
                             description="Default: the opportunity's name.")  # fmt: skip
    valid_until: Date | None = Field(None, description="Default: 30 days from today.")
    note: StrictStr = Field("", max_length=limit(Quote, "note"))
    lines: list[QuoteLineIn] = Field(default_factory=list, max_length=100)


class QuoteUpdateIn(InputSchema):
    version: Id
    title: StrictStr = Field(None, min_length=1, max_length=limit(Quote, "title"))
    valid_until: Date = None
    note: StrictStr = Field(None, max_length=limit(Quote, "note"))


class QuoteVersionIn(InputSchema):
    version: Id


class QuoteFiltersIn(Schema):
    opportunity_id: Id | None = None
    status: QuoteStatusValue | None = None


class QuotePdfIn(Schema):
    lang: Literal["zh-hans", "en"] = "zh-hans"


class QuoteLineOut(Schema):
    id: int
    position: int
    product_id: int
    description: str
    unit: str
    quantity: DecimalOut
    unit_price: Money
    discount_percent: DecimalOut
    tax_rate: DecimalOut
    list_amount: Money
    net_amount: Money
    tax_amount: Money
    total: Money


class QuoteOut(Schema):
    id: int
    number: str
    revision: int
    opportunity_id: int
    customer_id: int
    title: str
    status: QuoteStatusValue
    valid_until: dt.date
    currency: str
    note: str
    list_total: Money
    net_total: Money
    tax_total: Money
    total: Money
    max_discount: DecimalOut
    previous_id: int | None
    contract_id: int | None
    sent_at: dt.datetime | None
    version: int


class QuoteDetailOut(QuoteOut):
    lines: list[QuoteLineOut]
    needs_approval: bool = Field(
        ..., description="The actor's discount limit is below the quote's."
    )

    @staticmethod
    def resolve_lines(obj: Quote) -> list[QuoteLine]:
        return list(obj.lines.order_by("position"))
