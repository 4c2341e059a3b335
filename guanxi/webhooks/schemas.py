"""Request and response shapes of the webhooks API (admins only)."""

# PATCH schemas give their fields a default of None that is never used or validated: the
# API reads only the fields sent (``exclude_unset``), so "omitted" is allowed, "null" is not.
# mypy: disable-error-code="assignment"

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import StrictBool, StrictStr

from guanxi.core.api.bases import MAX_ID, Id, InputSchema
from guanxi.core.api.errors import ErrorOut as ErrorOut  # the one error body
from guanxi.core.limits import limit
from guanxi.webhooks.models import Subscription

DeliveryStatusValue = Literal["pending", "succeeded", "failed"]
EventKey = StrictStr


class EventOut(Schema):
    key: str
    label: str
    description: str


class SubscriptionCreateIn(InputSchema):
    name: StrictStr = Field(..., min_length=1, max_length=limit(Subscription, "name"))
    url: StrictStr = Field(
        ...,
        min_length=1,
        max_length=limit(Subscription, "url"),
        description="http(s) URL of a public address (private ones only if allowed).",
    )
    events: list[EventKey] = Field(..., min_length=1, max_length=100)
    secret: StrictStr = Field(
        "",
        max_length=limit(Subscription, "secret"),
        description="HMAC key (16+ characters); omitted or empty: one is generated.",
    )
    is_active: StrictBool = True


class SubscriptionUpdateIn(InputSchema):
    """Only the fields sent are changed; ``version`` is the one you read (409 if stale)."""

    version: Id
    name: StrictStr = Field(None, min_length=1, max_length=limit(Subscription, "name"))
    url: StrictStr = Field(None, min_length=1, max_length=limit(Subscription, "url"))
    events: list[EventKey] | None = Field(None, min_length=1, max_length=100)
    secret: StrictStr = Field(
        None, max_length=limit(Subscription, "secret"), description="Empty keeps the current."
    )
    is_active: StrictBool = Field(
        None, description="true again after an automatic disable resumes delivery."
    )


class SubscriptionDeleteIn(Schema):
    version: int | None = Field(
        None, ge=1, le=MAX_ID, description="The version you read; a stale one is refused (409)."
    )


class SubscriptionOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    secret: str = Field(..., description="The HMAC-SHA256 key of X-Guanxi-Signature.")
    is_active: bool
    consecutive_failures: int
    disabled_at: dt.datetime | None
    disabled_reason: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class DeliveryFiltersIn(Schema):
    status: DeliveryStatusValue | None = None


class DeliveryOut(Schema):
    id: int
    uuid: UUID = Field(..., description="The X-Guanxi-Delivery header of its requests.")
    subscription_id: int
    event: str = Field(..., alias="event.event")
    event_id: int
    status: DeliveryStatusValue
    attempts: int
    next_attempt_at: dt.datetime
    last_status_code: int | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    replay_of_id: int | None


class AttemptOut(Schema):
    number: int
    started_at: dt.datetime
    duration_ms: int
    status_code: int | None
    succeeded: bool
    response_excerpt: str
    error: str


class DeliveryDetailOut(DeliveryOut):
    payload: dict[str, object] = Field(..., alias="event.payload")
    log: list[AttemptOut] = Field(..., description="Every try, oldest first.")
