# PATCH schemas give their fields a default of None that is never used or validated: the
# API reads only the fields sent (``exclude_unset``), so "omitted" is allowed, "null" is not.
# mypy: disable-error-code="assignment"
"""Request and response shapes of the customers API.

Input schemas forbid unknown fields and carry the model's length limits and choices, so a
bad request is a 422 naming the field before any service runs; services validate again
(they are also called from the UI, imports and tasks). Choice fields are ``Literal`` so the
OpenAPI document lists the allowed values; ``test_api_openapi`` keeps them in step with the
models' choices. Money leaves the API as a string with two decimals.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    ConfigDict,
    PlainSerializer,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
    field_validator,
)

from guanxi.customers.services import MAX_AMOUNT

MAX_ID = 2**63 - 1  # the largest BigAutoField; larger ids overflow the database driver
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2100, 12, 31)
MAX_OFFSET = 1_000_000  # deeper pages: narrow the filters instead


def _sane_date(value: dt.date) -> dt.date:
    # Far-off dates are typos, and at the edges of the calendar converting to UTC overflows.
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return value


def _sane_datetime(value: dt.datetime) -> dt.datetime:
    _sane_date(value.date())
    return value


Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Date = Annotated[dt.date, AfterValidator(_sane_date)]
Timestamp = Annotated[AwareDatetime, AfterValidator(_sane_datetime)]
MoneyIn = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, max_digits=14, decimal_places=2)]
QuantityIn = Annotated[Decimal, Field(gt=0, le=Decimal("9999999999.99"), decimal_places=2)]
DecimalOut = Annotated[
    Decimal, PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="always")
]
Money = DecimalOut
TagName = Annotated[
    StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)
]
CustomFieldValue = StrictStr | StrictInt | StrictFloat | None
CustomFields = Annotated[
    dict[Annotated[str, StringConstraints(max_length=50)], CustomFieldValue],
    Field(max_length=100),
]

CustomerKindValue = Literal["enterprise", "government", "investor", "sponsor", "individual"]
CustomerStatusValue = Literal["prospect", "active", "dormant", "lost"]
CompanySizeValue = Literal["micro", "small", "medium", "large", ""]
CustomerSourceValue = Literal[
    "referral", "website", "exhibition", "cold_call", "tender", "partner", "other", ""
]
PreferredChannelValue = Literal["phone", "email", "wechat", "sms", "visit", ""]
PreferenceCategoryValue = Literal[
    "diet", "hobby", "communication", "service", "gift", "schedule", "other"
]
ChannelValue = Literal["phone", "email", "visit", "wechat", "meeting", "card", "sms"]
DirectionValue = Literal["in", "out"]
OrderStatusValue = Literal["confirmed", "cancelled"]
CustomFieldTypeValue = Literal["text", "number", "date", "choice"]
CustomerSortValue = Literal["name", "-name", "created", "-created", "since", "-since", "status"]

T = TypeVar("T")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class NoNulSchema(Schema):
    """PostgreSQL text cannot hold NUL characters; refuse them here as a 422 naming the
    field instead of letting the database fail the request with a 500."""

    @field_validator("*", mode="after")
    @classmethod
    def _reject_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("must not contain NUL characters")
        return value


class InputSchema(NoNulSchema):
    model_config = ConfigDict(extra="forbid")


# --- pagination ------------------------------------------------------------------------


class PageIn(Schema):
    limit: int = Field(25, ge=1, le=200)
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Rows to skip.")


# --- shared output ---------------------------------------------------------------------


class PageOut(Schema, Generic[T]):
    count: int = Field(..., description="Rows matching, at most 10,000 (see count_capped).")
    count_capped: bool = Field(..., description="True when more than 10,000 rows match.")
    limit: int
    offset: int
    items: list[T]


class UserRefOut(Schema):
    id: int
    username: str
    display_name: str

    @staticmethod
    def resolve_display_name(obj: Any) -> str:
        return str(obj)


class TeamRefOut(Schema):
    id: int
    name: str


# --- customers -------------------------------------------------------------------------


class CustomerCreateIn(InputSchema):
    kind: CustomerKindValue = "enterprise"
    name: StrictStr = Field(..., min_length=1, max_length=200)
    industry: StrictStr = Field("", max_length=50)
    size: CompanySizeValue = ""
    province: StrictStr = Field("", max_length=20)
    city: StrictStr = Field("", max_length=30)
    address: StrictStr = Field("", max_length=200)
    source: CustomerSourceValue = ""
    status: CustomerStatusValue = "prospect"
    since: Date | None = None
    phone: StrictStr = Field("", max_length=40)
    email: StrictStr = Field("", max_length=254)
    website: StrictStr = Field("", max_length=200)
    notes: StrictStr = Field("", max_length=5000)
    custom_fields: CustomFields = Field(default_factory=dict)
    owner_id: Id | None = Field(None, description="Managers and admins only; default: you.")
    tags: list[TagName] = Field(default_factory=list, max_length=50)


class CustomerUpdateIn(InputSchema):
    """Only the fields sent are changed. ``version`` is the one you read; if someone saved
    in between, the answer is 409 and nothing is written."""

    version: Id
    kind: CustomerKindValue = None
    name: StrictStr = Field(None, min_length=1, max_length=200)
    industry: StrictStr = Field(None, max_length=50)
    size: CompanySizeValue = None
    province: StrictStr = Field(None, max_length=20)
    city: StrictStr = Field(None, max_length=30)
    address: StrictStr = Field(None, max_length=200)
    source: CustomerSourceValue = None
    status: CustomerStatusValue = None
    since: Date | None = None
    phone: StrictStr = Field(None, max_length=40)
    email: StrictStr = Field(None, max_length=254)
    website: StrictStr = Field(None, max_length=200)
    notes: StrictStr = Field(None, max_length=5000)
    custom_fields: CustomFields = None
    owner_id: Id = Field(None, description="Managers and admins only.")
    tags: list[TagName] | None = Field(
        None, max_length=50, description="Replaces the tags; null or omitted keeps them."
    )


class CustomerListOut(Schema):
    id: int
    kind: CustomerKindValue
    name: str
    province: str
    city: str
    status: CustomerStatusValue
    since: dt.date | None
    phone: str
    email: str
    owner: UserRefOut | None
    team_id: int | None
    tags: list[str]
    created_at: dt.datetime
    version: int

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return [tag.name for tag in obj.tag_list]


class CustomerOut(Schema):
    id: int
    kind: CustomerKindValue
    name: str
    industry: str
    size: CompanySizeValue
    province: str
    city: str
    address: str
    source: CustomerSourceValue
    status: CustomerStatusValue
    since: dt.date | None
    phone: str
    email: str
    website: str
    notes: str
    custom_fields: dict[str, Any]
    owner: UserRefOut | None
    team: TeamRefOut | None
    tags: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        # Selectors attach ``tag_list``; a customer fresh from a service has none yet.
        tags = getattr(obj, "tag_list", None)
        if tags is None:
            tags = obj.tags.all()
        return sorted(tag.name for tag in tags)


class CustomerFiltersIn(NoNulSchema):
    q: str = Field("", max_length=100, description="Name, pinyin, initials, phone or email.")
    status: Literal[CustomerStatusValue, ""] = ""
    kind: Literal[CustomerKindValue, ""] = ""
    owner: int | None = Field(None, ge=1, le=MAX_ID, description="Owner (user) id.")
    team: int | None = Field(None, ge=1, le=MAX_ID, description="Team id.")
    tag: str = Field("", max_length=50)
    province: str = Field("", max_length=20)
    city: str = Field("", max_length=30)
    sort: CustomerSortValue = "-created"


class PurchaseSummaryOut(Schema):
    orders: int
    total: Money
    average_amount: Money | None
    average_days_between: float | None
    first_purchase: dt.date | None
    last_purchase: dt.date | None


class TimelineEntryOut(Schema):
    id: int
    kind: str
    occurred_at: dt.datetime
    title: str = Field(description="In the language of the request (Accept-Language).")
    body: str
    actor: UserRefOut | None
    subject_model: str
    subject_id: str
    data: dict[str, Any]

    @staticmethod
    def resolve_title(obj: Any) -> str:
        return str(obj.display_title)


class AuditEntryOut(Schema):
    id: int
    created_at: dt.datetime
    actor_id: int | None
    actor_label: str
    source: str
    action: str
    model: str
    object_id: str
    object_repr: str
    changes: dict[str, Any] = Field(..., description="field → [old, new]")


# --- contacts --------------------------------------------------------------------------


class ContactCreateIn(InputSchema):
    name: StrictStr = Field(..., min_length=1, max_length=100)
    title: StrictStr = Field("", max_length=100)
    phone: StrictStr = Field("", max_length=40)
    mobile: StrictStr = Field("", max_length=40)
    email: StrictStr = Field("", max_length=254)
    wechat: StrictStr = Field("", max_length=64)
    birthday: Date | None = None
    preferred_channel: PreferredChannelValue = ""
    consent_marketing: StrictBool = False
    is_primary: StrictBool = False
    notes: StrictStr = Field("", max_length=2000)


class ContactUpdateIn(InputSchema):
    version: Id
    name: StrictStr = Field(None, min_length=1, max_length=100)
    title: StrictStr = Field(None, max_length=100)
    phone: StrictStr = Field(None, max_length=40)
    mobile: StrictStr = Field(None, max_length=40)
    email: StrictStr = Field(None, max_length=254)
    wechat: StrictStr = Field(None, max_length=64)
    birthday: Date | None = None
    preferred_channel: PreferredChannelValue = None
    consent_marketing: StrictBool = None
    is_primary: StrictBool = None
    notes: StrictStr = Field(None, max_length=2000)


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    title: str
    phone: str
    mobile: str
    email: str
    wechat: str
    birthday: dt.date | None
    preferred_channel: PreferredChannelValue
    consent_marketing: bool
    consent_updated_at: dt.datetime | None
    is_primary: bool
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


# --- preferences -----------------------------------------------------------------------


class PreferenceCreateIn(InputSchema):
    category: PreferenceCategoryValue
    key: StrictStr = Field(..., min_length=1, max_length=100)
    value: StrictStr = Field(..., min_length=1, max_length=300)
    note: StrictStr = Field("", max_length=500)


class PreferenceUpdateIn(InputSchema):
    version: Id
    category: PreferenceCategoryValue = None
    key: StrictStr = Field(None, min_length=1, max_length=100)
    value: StrictStr = Field(None, min_length=1, max_length=300)
    note: StrictStr = Field(None, max_length=500)


class PreferenceOut(Schema):
    id: int
    customer_id: int
    category: PreferenceCategoryValue
    key: str
    value: str
    note: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


# --- communications --------------------------------------------------------------------


class CommunicationCreateIn(InputSchema):
    contact_id: Id | None = Field(None, description="A contact of the same customer.")
    channel: ChannelValue
    direction: DirectionValue = "out"
    occurred_at: Timestamp | None = Field(None, description="With a UTC offset; default: now.")
    summary: StrictStr = Field(..., min_length=1, max_length=5000)
    next_follow_up: Date | None = None
    follow_up_done: StrictBool = False


class CommunicationUpdateIn(InputSchema):
    version: Id
    contact_id: Id | None = None
    channel: ChannelValue = None
    direction: DirectionValue = None
    occurred_at: Timestamp = None
    summary: StrictStr = Field(None, min_length=1, max_length=5000)
    next_follow_up: Date | None = None
    follow_up_done: StrictBool = None


class CommunicationOut(Schema):
    id: int
    customer_id: int
    contact_id: int | None
    channel: ChannelValue
    direction: DirectionValue
    occurred_at: dt.datetime
    summary: str
    staff_id: int | None
    next_follow_up: dt.date | None
    follow_up_done: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


# --- products --------------------------------------------------------------------------


class ProductCreateIn(InputSchema):
    code: StrictStr = Field(..., min_length=1, max_length=40)
    name: StrictStr = Field(..., min_length=1, max_length=200)
    category: StrictStr = Field("", max_length=50)
    unit_price: MoneyIn
    active: StrictBool = True


class ProductUpdateIn(InputSchema):
    version: Id
    code: StrictStr = Field(None, min_length=1, max_length=40)
    name: StrictStr = Field(None, min_length=1, max_length=200)
    category: StrictStr = Field(None, max_length=50)
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
        None, max_length=200, description="Default: the product's name."
    )
    quantity: QuantityIn = Decimal("1")
    unit_price: MoneyIn | None = Field(None, description="Default: the product's price.")


class OrderCreateIn(InputSchema):
    order_date: Date
    number: StrictStr | None = Field(
        None, min_length=1, max_length=40, description="Default: SO<date>-<sequence>."
    )
    note: StrictStr = Field("", max_length=500)
    lines: list[OrderLineIn] = Field(..., min_length=1, max_length=500)


class OrderCancelIn(InputSchema):
    version: Id


class DeleteIn(Schema):
    version: int | None = Field(
        None, ge=1, le=MAX_ID, description="The version you read; a stale one is refused (409)."
    )


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


# --- tags & custom fields ----------------------------------------------------------------


class TagIn(InputSchema):
    name: TagName
    color: StrictStr = Field("secondary", min_length=1, max_length=20)


class TagOut(Schema):
    id: int
    name: str
    color: str


class CustomFieldIn(InputSchema):
    key: StrictStr = Field(..., min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")
    label: StrictStr = Field(..., min_length=1, max_length=100)
    label_en: StrictStr = Field("", max_length=100)
    field_type: CustomFieldTypeValue
    choices: list[Annotated[StrictStr, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=100, description="Allowed values of a choice field."
    )
    required: StrictBool = False
    position: StrictInt = Field(0, ge=0, le=32767)
    active: StrictBool = True


class CustomFieldOut(Schema):
    id: int
    key: str
    label: str
    label_en: str
    field_type: CustomFieldTypeValue
    choices: list[Any]
    required: bool
    position: int
    active: bool
