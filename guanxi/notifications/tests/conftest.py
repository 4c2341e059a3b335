from __future__ import annotations

import pytest

from guanxi.notifications import registry
from guanxi.notifications.registry import Channel, NotificationKind
from guanxi.notifications.tests.receivers import http_receiver, smtp_server

TEST_KIND = "test_kind"


@pytest.fixture
def test_kind():
    """A kind for the tests (in-app + e-mail by default), removed afterwards."""
    kind = registry.register_kind(
        NotificationKind(TEST_KIND, "测试通知", frozenset({Channel.INAPP, Channel.EMAIL}))
    )
    yield kind
    registry._KINDS.pop(TEST_KIND, None)


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1 and Django's SMTP backend pointed at it."""
    with smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = inbox.host
        settings.EMAIL_PORT = inbox.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        yield inbox


@pytest.fixture
def receiver():
    with http_receiver() as r:
        yield r
