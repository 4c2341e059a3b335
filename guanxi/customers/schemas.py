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
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import (
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
)

from guanxi.core.api.bases import (
    MAX_ID,
    Date,
    Id,
    InputSchema,
    NoNulSchema,
    Timestamp,
)
from guanxi.core.api.versions import VERSION_DESCRIPTION
from guanxi.core.limits import limit
from guanxi.customers.models import (
    Communication,
    Contact,
    Customer,
    CustomFieldDefinition,
    Preference,
    Tag,
)

TagName = Annotated[
    StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)
]
CustomFieldValue = StrictStr | StrictInt | StrictFloat | None
CustomFields = Annotated[
    dict[
        Annotated[str, StringConstraints(max_length=limit(CustomFieldDefinition, "key"))],
        CustomFieldValue,
    ],
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


# --- shared output ---------------------------------------------------------------------


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


DUPLICATE_REASON_HELP = (
    "Why to save although the duplicate check (查重) finds customers you can see with the "
    "same name key, phone or e-mail; without it such a write answers 422 naming "
    "`duplicate_reason` and the likely duplicates. Kept as the customer's `duplicate_note`."
)


class CustomerCreateIn(InputSchema):
    kind: CustomerKindValue = "enterprise"
    name: StrictStr = Field(..., min_length=1, max_length=limit(Customer, "name"))
    industry: StrictStr = Field("", max_length=limit(Customer, "industry"))
    size: CompanySizeValue = ""
    province: StrictStr = Field("", max_length=limit(Customer, "province"))
    city: StrictStr = Field("", max_length=limit(Customer, "city"))
    district: StrictStr = Field(
        "", max_length=limit(Customer, "district"), description="区县, within the city."
    )
    credit_code: StrictStr = Field(
        "",
        max_length=40,
        description="统一社会信用代码 (18 characters, check digit verified); organisations only.",
    )
    address: StrictStr = Field("", max_length=limit(Customer, "address"))
    source: CustomerSourceValue = ""
    status: CustomerStatusValue = "prospect"
    since: Date | None = None
    phone: StrictStr = Field("", max_length=limit(Customer, "phone"))
    email: StrictStr = Field("", max_length=limit(Customer, "email"))
    website: StrictStr = Field("", max_length=limit(Customer, "website"))
    notes: StrictStr = Field("", max_length=limit(Customer, "notes"))
    custom_fields: CustomFields = Field(default_factory=dict)
    owner_id: Id | None = Field(None, description="Managers and admins only; default: you.")
    tags: list[TagName] = Field(default_factory=list, max_length=50)
    duplicate_reason: StrictStr = Field("", max_length=500, description=DUPLICATE_REASON_HELP)


class CustomerUpdateIn(InputSchema):
    """Only the fields sent are changed. ``version`` is the one you read; if someone saved
    in between, the answer is 409 and nothing is written."""

    version: Id
    kind: CustomerKindValue = None
    name: StrictStr = Field(None, min_length=1, max_length=limit(Customer, "name"))
    industry: StrictStr = Field(None, max_length=limit(Customer, "industry"))
    size: CompanySizeValue = None
    province: StrictStr = Field(None, max_length=limit(Customer, "province"))
    city: StrictStr = Field(None, max_length=limit(Customer, "city"))
    district: StrictStr = Field(None, max_length=limit(Customer, "district"))
    credit_code: StrictStr = Field(None, max_length=40)
    address: StrictStr = Field(None, max_length=limit(Customer, "address"))
    source: CustomerSourceValue = None
    status: CustomerStatusValue = None
    since: Date | None = None
    phone: StrictStr = Field(None, max_length=limit(Customer, "phone"))
    email: StrictStr = Field(None, max_length=limit(Customer, "email"))
    website: StrictStr = Field(None, max_length=limit(Customer, "website"))
    notes: StrictStr = Field(None, max_length=limit(Customer, "notes"))
    custom_fields: CustomFields = None
    owner_id: Id = Field(None, description="Managers and admins only.")
    tags: list[TagName] | None = Field(
        None, max_length=50, description="Replaces the tags; null or omitted keeps them."
    )
    duplicate_reason: StrictStr = Field(None, max_length=500, description=DUPLICATE_REASON_HELP)


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
    district: str
    credit_code: str
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
    district: str = Field("", max_length=30)
    sort: CustomerSortValue = "-created"


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


CONTACT_DUPLICATE_REASON_HELP = (
    "Why to save although the duplicate check (查重) finds contacts you can see with the "
    "same name at the same customer, the same mobile/phone number or the same e-mail; "
    "without it such a write answers 422 naming `duplicate_reason` and the likely "
    "duplicates. Kept as the contact's `duplicate_note`."
)


class ContactCreateIn(InputSchema):
    name: StrictStr = Field(..., min_length=1, max_length=limit(Contact, "name"))
    title: StrictStr = Field("", max_length=limit(Contact, "title"))
    phone: StrictStr = Field("", max_length=limit(Contact, "phone"))
    mobile: StrictStr = Field("", max_length=limit(Contact, "mobile"))
    email: StrictStr = Field("", max_length=limit(Contact, "email"))
    wechat: StrictStr = Field("", max_length=limit(Contact, "wechat"))
    birthday: Date | None = None
    preferred_channel: PreferredChannelValue = ""
    consent_marketing: StrictBool = False
    is_primary: StrictBool = False
    notes: StrictStr = Field("", max_length=limit(Contact, "notes"))
    duplicate_reason: StrictStr = Field(
        "", max_length=500, description=CONTACT_DUPLICATE_REASON_HELP
    )


class ContactUpdateIn(InputSchema):
    version: Id
    name: StrictStr = Field(None, min_length=1, max_length=limit(Contact, "name"))
    title: StrictStr = Field(None, max_length=limit(Contact, "title"))
    phone: StrictStr = Field(None, max_length=limit(Contact, "phone"))
    mobile: StrictStr = Field(None, max_length=limit(Contact, "mobile"))
    email: StrictStr = Field(None, max_length=limit(Contact, "email"))
    wechat: StrictStr = Field(None, max_length=limit(Contact, "wechat"))
    birthday: Date | None = None
    preferred_channel: PreferredChannelValue = None
    consent_marketing: StrictBool = None
    is_primary: StrictBool = None
    notes: StrictStr = Field(None, max_length=limit(Contact, "notes"))
    duplicate_reason: StrictStr = Field(
        None, max_length=500, description=CONTACT_DUPLICATE_REASON_HELP
    )


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
    duplicate_note: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


# --- preferences -----------------------------------------------------------------------


class PreferenceCreateIn(InputSchema):
    category: PreferenceCategoryValue
    key: StrictStr = Field(..., min_length=1, max_length=limit(Preference, "key"))
    value: StrictStr = Field(..., min_length=1, max_length=limit(Preference, "value"))
    note: StrictStr = Field("", max_length=limit(Preference, "note"))


class PreferenceUpdateIn(InputSchema):
    version: Id
    category: PreferenceCategoryValue = None
    key: StrictStr = Field(None, min_length=1, max_length=limit(Preference, "key"))
    value: StrictStr = Field(None, min_length=1, max_length=limit(Preference, "value"))
    note: StrictStr = Field(None, max_length=limit(Preference, "note"))


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
    summary: StrictStr = Field(..., min_length=1, max_length=limit(Communication, "summary"))
    next_follow_up: Date | None = None
    follow_up_done: StrictBool = False


class CommunicationUpdateIn(InputSchema):
    version: Id
    contact_id: Id | None = None
    channel: ChannelValue = None
    direction: DirectionValue = None
    occurred_at: Timestamp = None
    summary: StrictStr = Field(None, min_length=1, max_length=limit(Communication, "summary"))
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


# --- collaborators (团队成员) -----------------------------------------------------------------

CollaboratorAccessValue = Literal["read", "write"]


class CollaboratorIn(InputSchema):
    user_id: Id = Field(..., description="An active staff user other than the account manager.")
    access: CollaboratorAccessValue = Field(
        "read", description="read: sees the customer; write: also changes it."
    )


class CollaboratorOut(Schema):
    user: UserRefOut
    access: CollaboratorAccessValue
    added_by_id: int | None
    created_at: dt.datetime


class DeleteIn(Schema):
    version: int | None = Field(None, ge=1, le=2**31 - 1, description=VERSION_DESCRIPTION)


# --- tags & custom fields ----------------------------------------------------------------


class TagIn(InputSchema):
    name: TagName
    color: StrictStr = Field("secondary", min_length=1, max_length=limit(Tag, "color"))


class TagOut(Schema):
    id: int
    name: str
    color: str


class CustomFieldIn(InputSchema):
    key: StrictStr = Field(
        ...,
        min_length=1,
        max_length=limit(CustomFieldDefinition, "key"),
        pattern=r"^[-a-zA-Z0-9_]+$",
    )
    label: StrictStr = Field(..., min_length=1, max_length=limit(CustomFieldDefinition, "label"))
    label_en: StrictStr = Field("", max_length=limit(CustomFieldDefinition, "label_en"))
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
