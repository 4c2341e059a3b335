import pytest

from guanxi.webhooks.models import Subscription


@pytest.fixture(autouse=True)
def sales_subscriber(db):
    """A subscriber of the sales events, so ``emit`` writes outbox rows to assert on."""
    return Subscription.objects.create(
        name="sales",
        url="http://127.0.0.1:9/hook",
        secret="s" * 32,
        events=["opportunity.created", "opportunity.won", "opportunity.lost"],
    )
