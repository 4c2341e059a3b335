"""Request and response shapes of the products and orders API. Length limits come from
the models (``limit``), choices are ``Literal`` so the OpenAPI document lists them."""

# PATCH schemas give their fields a default of None that is never used or validated: the
# API reads only the fields sent (``exclude_unset``), so "omitted" is allowed, "null" is not.
# mypy: disable-error-code="assignment"

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictStr

from guanxi.core.api.bases import (
    MAX_ID,
    Date,
    DecimalOut,
    Id,
    InputSchema,
    Money,
    MoneyIn,
    QuantityIn,
)
from guanxi.core.limits import limit
from guanxi.orders.models import Order, OrderLine, Product
from guanxi.orders.services import MAX_LINES

OrderStatusValue = Literal["confirmed", "cancelled"]


# --- products --------------------------------------------------------------------------


class ProductCreateIn(InputSchema):
    code: StrictStr = Field(..., min_length=1, max_length=limit(Product, "code"))
    name: StrictStr = Field(..., min_length=1, max_length=limit(Product, "name"))
    category: StrictStr = Field("", max_length=limit(Product, "category"))
    unit_price: MoneyIn
    active: StrictBool = True


class ProductUpdateIn(InputSchema):
    version: Id
    code: StrictStr = Field(None, min_length=1, max_length=limit(Product, "code"))
    name: StrictStr = Field(None, min_length=1, max_length=limit(Product, "name"))
    category: StrictStr = Field(None, max_length=limit(Product, "category"))
    unit_price: MoneyIn = None
    active: StrictBool = None


class ProductOut(Schema):
    id: int
    code: str
    name: str
    category: str
    unit_price: Money
    active: bool
    version: int


# --- orders ----------------------------------------------------------------------------


class OrderLineIn(InputSchema):
    product_id: Id | None = None
    description: StrictStr | None = Field(
        None, max_length=limit(OrderLine, "description"), description="Default: the product's name."
    )
    quantity: QuantityIn = Decimal("1")
    unit_price: MoneyIn | None = Field(None, description="Default: the product's price.")


class OrderCreateIn(InputSchema):
    order_date: Date
    number: StrictStr | None = Field(
        None,
        min_length=1,
        max_length=limit(Order, "number"),
        description="Default: SO<date>-<sequence>.",
    )
    note: StrictStr = Field("", max_length=limit(Order, "note"))
    lines: list[OrderLineIn] = Field(..., min_length=1, max_length=MAX_LINES)


class OrderCancelIn(InputSchema):
    version: Id


class OrderFiltersIn(Schema):
    date_from: Date | None = Field(None, description="Order date on or after (inclusive).")
    date_to: Date | None = Field(None, description="Order date on or before (inclusive).")
    status: Literal[OrderStatusValue, ""] = ""
    customer: int | None = Field(None, ge=1, le=MAX_ID, description="Customer id.")


class OrderLineOut(Schema):
    id: int
    product_id: int | None
    description: str
    quantity: DecimalOut
    unit_price: Money
    amount: Money


class OrderOut(Schema):
    id: int
    customer_id: int
    number: str
    order_date: dt.date
    status: OrderStatusValue
    currency: str
    total: Money
    note: str
    created_at: dt.datetime
    version: int


class OrderDetailOut(OrderOut):
    lines: list[OrderLineOut]

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())


class PurchaseSummaryOut(Schema):
    orders: int
    total: Money
    average_amount: Money | None
    average_days_between: float | None
    first_purchase: dt.date | None
    last_purchase: dt.date | None
