import pytest

from guanxi.webhooks.models import Subscription


@pytest.fixture(autouse=True)
def service_subscriber(db):
    """A subscriber of the service events, so ``emit`` writes outbox rows to assert on."""
    return Subscription.objects.create(
        name="service",
        url="http://127.0.0.1:9/hook",
        secret="s" * 32,
        events=["ticket.created", "ticket.resolved", "ticket.closed"],
    )


@pytest.fixture(autouse=True)
def _service_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.GUANXI_SERVICE_EMAIL = "Guanxi 客服 <service@desk.example.com>"
