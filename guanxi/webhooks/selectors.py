"""Webhook reads. Subscriptions, their secrets and delivery logs are for admins only: any
other actor sees no rows (and so gets 404, like a missing one)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.core.errors import NotFound
from guanxi.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Subscription


def subscriptions(*, actor: Any) -> QuerySet[Subscription]:
    qs = Subscription.objects.all()
    if not permissions.can_manage_settings(actor):
        return qs.none()
    return qs.order_by("name", "id")


def _count(subscription: Any, status: str) -> Coalesce:
    rows = (
        Delivery.objects.filter(subscription=subscription, status=status)
        .order_by()
        .values("subscription")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0)


def subscription_list(*, actor: Any) -> QuerySet[Subscription]:
    """Subscriptions with their waiting and failed delivery counts and the last delivery's
    status and time, in one query (each a subquery on an index, not a scan of the log)."""
    last = Delivery.objects.filter(subscription=OuterRef("pk")).order_by("-id")
    return subscriptions(actor=actor).annotate(
        pending_count=_count(OuterRef("pk"), DeliveryStatus.PENDING),
        failed_count=_count(OuterRef("pk"), DeliveryStatus.FAILED),
        last_status=Subquery(last.values("status")[:1]),
        last_status_code=Subquery(last.values("last_status_code")[:1]),
        last_created_at=Subquery(last.values("created_at")[:1]),
    )


def subscription_get(*, actor: Any, subscription_id: int) -> Subscription:
    subscription = subscriptions(actor=actor).filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound(_("订阅不存在。"))
    return subscription


def deliveries(
    *, actor: Any, subscription_id: int | None = None, status: str | None = None
) -> QuerySet[Delivery]:
    """Deliveries newest first, with their event."""
    qs = Delivery.objects.select_related("event")
    if not permissions.can_manage_settings(actor):
        return qs.none()
    if subscription_id is not None:
        qs = qs.filter(subscription_id=subscription_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


def delivery_get(*, actor: Any, delivery_id: int) -> Delivery:
    """One delivery with its subscription, event and attempt log (oldest try first)."""
    delivery = (
        deliveries(actor=actor)
        .select_related("subscription", "replay_of")
        .prefetch_related(Prefetch("log", queryset=DeliveryAttempt.objects.order_by("number")))
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise NotFound(_("投递记录不存在。"))
    return delivery
