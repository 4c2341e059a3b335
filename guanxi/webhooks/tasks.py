"""Webhook jobs of the worker: each takes ids and calls a service."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_subscription_task(subscription_id: int) -> int:
    """Send the due deliveries of one subscription, in order."""
    from guanxi.webhooks.services import subscription_deliver

    return subscription_deliver(subscription_id=subscription_id)


@task()
def deliveries_sweep_task() -> int:
    """Start delivery for every subscription with a due delivery nobody is sending."""
    from guanxi.webhooks.services import deliveries_sweep

    return deliveries_sweep()
