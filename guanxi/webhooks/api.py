"""The webhooks REST API (``/api/v1/webhooks/``), admins only: subscriptions, their delivery
log and replay. Thin operations over ``webhooks.selectors`` and ``webhooks.services``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Query, Status

from guanxi.accounts import permissions
from guanxi.core.api.bases import (
    PageIn,
    PageOut,
    RecordId,
    StaffRouter,
    actor,
    page_response,
    sent_fields,
)
from guanxi.webhooks import selectors, services
from guanxi.webhooks.events import all_events
from guanxi.webhooks.schemas import (
    DeliveryDetailOut,
    DeliveryFiltersIn,
    DeliveryOut,
    ErrorOut,
    EventOut,
    SubscriptionCreateIn,
    SubscriptionDeleteIn,
    SubscriptionOut,
    SubscriptionUpdateIn,
)

router = StaffRouter(
    tags=["webhooks"],
    allow=permissions.can_manage_settings,
    message=gettext_lazy("只有管理员可以管理 Webhook。"),
)

DENIED = {401: ErrorOut, 403: ErrorOut}
READ = {**DENIED, 404: ErrorOut, 422: ErrorOut}
WRITE = {**READ, 409: ErrorOut}


@router.get("/events", response={200: list[EventOut], **DENIED})
def event_list(request: HttpRequest) -> list[dict[str, str]]:
    """The events a subscription may choose (each app registers its own)."""
    return [
        {"key": e.key, "label": str(e.label), "description": str(e.description)}
        for e in all_events()
    ]


@router.get("/subscriptions", response={200: PageOut[SubscriptionOut], **DENIED, 422: ErrorOut})
def subscription_list(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    return page_response(selectors.subscriptions(actor=actor(request)), page)


@router.post(
    "/subscriptions", response={201: SubscriptionOut, **DENIED, 409: ErrorOut, 422: ErrorOut}
)
def subscription_create(request: HttpRequest, payload: SubscriptionCreateIn) -> Status[Any]:
    """Receivers get ``POST`` requests signed with ``secret``: ``X-Guanxi-Signature:
    sha256=HMAC-SHA256(secret, "<X-Guanxi-Timestamp>.<body>")`` (hex)."""
    subscription = services.subscription_create(actor=actor(request), data=sent_fields(payload))
    return Status(201, subscription)


@router.get("/subscriptions/{subscription_id}", response={200: SubscriptionOut, **READ})
def subscription_detail(request: HttpRequest, subscription_id: RecordId) -> Any:
    return selectors.subscription_get(actor=actor(request), subscription_id=subscription_id)


@router.patch("/subscriptions/{subscription_id}", response={200: SubscriptionOut, **WRITE})
def subscription_update(
    request: HttpRequest, subscription_id: RecordId, payload: SubscriptionUpdateIn
) -> Any:
    data = sent_fields(payload)
    version = data.pop("version")
    return services.subscription_update(
        actor=actor(request), subscription_id=subscription_id, data=data, version=version
    )


@router.delete("/subscriptions/{subscription_id}", response={204: None, **WRITE})
def subscription_delete(
    request: HttpRequest, subscription_id: RecordId, params: Query[SubscriptionDeleteIn]
) -> Status[None]:
    """Deletes its delivery log too."""
    services.subscription_delete(
        actor=actor(request), subscription_id=subscription_id, version=params.version
    )
    return Status(204, None)


@router.get(
    "/subscriptions/{subscription_id}/deliveries", response={200: PageOut[DeliveryOut], **READ}
)
def delivery_list(
    request: HttpRequest,
    subscription_id: RecordId,
    filters: Query[DeliveryFiltersIn],
    page: Query[PageIn],
) -> dict[str, Any]:
    """The subscription's deliveries, newest first."""
    user = actor(request)
    subscription = selectors.subscription_get(actor=user, subscription_id=subscription_id)
    qs = selectors.deliveries(actor=user, subscription_id=subscription.pk, status=filters.status)
    return page_response(qs, page)


@router.get("/deliveries/{delivery_id}", response={200: DeliveryDetailOut, **READ})
def delivery_detail(request: HttpRequest, delivery_id: RecordId) -> Any:
    """A delivery with its payload and every try: status code, duration, response excerpt."""
    return selectors.delivery_get(actor=actor(request), delivery_id=delivery_id)


@router.post("/deliveries/{delivery_id}/replay", response={201: DeliveryOut, **WRITE})
def delivery_replay(request: HttpRequest, delivery_id: RecordId) -> Status[Any]:
    """Send the delivery's event again, as a new delivery queued after the waiting ones."""
    replay = services.delivery_replay(actor=actor(request), delivery_id=delivery_id)
    return Status(201, replay)
