from __future__ import annotations

from django_tasks import task


@task()
def deliver(delivery_ids: list[int]) -> int:
    """Send the e-mail / IM deliveries of freshly written notifications; failures stay
    pending with a back-off and are retried by the worker's periodic sweep."""
    from guanxi.notifications.delivery import deliveries_send

    return deliveries_send(ids=delivery_ids)
