"""Request and response shapes of the pool API. A pooled customer leaves with its contact
details masked when its pool says so (``pool.selectors.PooledCustomer``)."""

# mypy: disable-error-code="assignment"

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, cast

from ninja import Field, Schema
from pydantic import StrictBool, StrictStr

from guanxi.core.api.bases import Id, InputSchema, Int
from guanxi.core.limits import limit
from guanxi.sales.models_pool import MAX_RULE_DAYS, Pool
from guanxi.sales.pool.services import REASON_LENGTH

Days = Annotated[Int, Field(ge=1, le=MAX_RULE_DAYS)]
Count = Annotated[Int, Field(ge=0, le=1_000_000)]


class PoolOut(Schema):
    id: int
    name: str
    description: str
    active: bool
    mask_contacts: bool
    daily_claim_limit: int = Field(..., description="Claims per member per day; 0 = no limit.")
    reclaim_after_days: int = Field(
        ..., description="Days before a previous owner may claim again."
    )
    hold_cap: int = Field(..., description="Customers one person may hold; 0 = no cap.")
    cap_counts_won: bool
    pooled: int = Field(..., description="Customers in the pool now.")
    version: int


class PooledCustomerOut(Schema):
    id: int
    name: str
    kind: str
    industry: str
    province: str
    city: str
    status: str
    phone: str = Field(..., description="Masked (138****5678) until claimed, if the pool masks.")
    email: str = Field(
        ..., description="Masked (l***@example.com) until claimed, if the pool masks."
    )
    masked: bool
    previous_owner_id: int | None
    returned_at: dt.datetime | None

    @staticmethod
    def resolve_previous_owner_id(obj: object) -> int | None:
        return cast("int | None", obj.pool_state.previous_owner_id)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_returned_at(obj: object) -> dt.datetime | None:
        return cast("dt.datetime | None", obj.pool_state.returned_at)  # type: ignore[attr-defined]


class PoolEventOut(Schema):
    id: int
    kind: Literal["claim", "assign", "return", "recycle"]
    at: dt.datetime
    customer_id: int
    actor_id: int | None
    owner_id: int | None
    previous_owner_id: int | None
    rule_kind: str
    rule_days: int | None
    reason: str


class CustomerOwnerOut(Schema):
    customer_id: int = Field(..., alias="id")
    owner_id: int | None
    version: int


class AssignIn(InputSchema):
    user_id: Id


class ReturnIn(InputSchema):
    customer_id: Id
    reason: StrictStr = Field("", max_length=REASON_LENGTH)


class LockIn(InputSchema):
    locked: StrictBool


class LockOut(Schema):
    customer_id: int
    locked: bool
    pool_id: int | None


class PoolSettingsIn(InputSchema):
    version: Id
    name: StrictStr = Field(None, min_length=1, max_length=limit(Pool, "name"))
    description: StrictStr = Field(None, max_length=limit(Pool, "description"))
    mask_contacts: StrictBool = None
    daily_claim_limit: Annotated[Int, Field(ge=0, le=1000)] = None
    reclaim_after_days: Annotated[Int, Field(ge=0, le=MAX_RULE_DAYS)] = None
    hold_cap: Count = None
    cap_counts_won: StrictBool = None
    active: StrictBool = None
    team_ids: list[Id] | None = Field(None, max_length=200)


class RuleIn(InputSchema):
    kind: Literal["no_follow_up", "no_open_opportunity", "no_deal"]
    days: Days
    value_class: Literal["", "platinum", "gold", "silver", "development", "adjust",
                         "insufficient"] = ""  # fmt: skip
    exempt_open_opportunity: StrictBool = True
    exempt_deal: StrictBool = False
    remind_days: Annotated[Int, Field(ge=0, le=MAX_RULE_DAYS)] = 3
    active: StrictBool = True


class RuleOut(Schema):
    id: int
    pool_id: int
    kind: str
    days: int
    value_class: str
    exempt_open_opportunity: bool
    exempt_deal: bool
    remind_days: int
    active: bool
    version: int


class RulePatchIn(InputSchema):
    version: Id
    kind: Literal["no_follow_up", "no_open_opportunity", "no_deal"] = None
    days: Days = None
    value_class: Literal["", "platinum", "gold", "silver", "development", "adjust",
                         "insufficient"] = None  # fmt: skip
    exempt_open_opportunity: StrictBool = None
    exempt_deal: StrictBool = None
    remind_days: Annotated[Int, Field(ge=0, le=MAX_RULE_DAYS)] = None
    active: StrictBool = None


class MemberIn(InputSchema):
    user_id: Id
    is_admin: StrictBool = False


class MemberOut(Schema):
    user_id: int
    username: str
    name: str = Field(..., description="How the user is shown (display name, else full name).")
    is_admin: bool
    created_at: dt.datetime

    @staticmethod
    def resolve_username(obj: object) -> str:
        return cast("str", obj.user.username)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_name(obj: object) -> str:
        return str(obj.user)  # type: ignore[attr-defined]
