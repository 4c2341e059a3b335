from __future__ import annotations

import pytest
from django.utils.translation import gettext_lazy as _

from guanxi.webhooks.events import Event, register_event, unregister_event
from guanxi.webhooks.models import Subscription
from guanxi.webhooks.testing import Receiver

EVENT = "webhooks_test.happened"


@pytest.fixture(autouse=True)
def test_event():
    register_event(Event(key=EVENT, label=_("测试事件"), description="data.n"))
    yield EVENT
    unregister_event(EVENT)


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def make_subscription(url: str, events: list[str] | None = None, **kw) -> Subscription:
    return Subscription.objects.create(
        name=kw.pop("name", "ERP"),
        url=url,
        events=events or [EVENT],
        secret=kw.pop("secret", "s" * 32),
        **kw,
    )


@pytest.fixture
def subscription(db, receiver):
    return make_subscription(receiver.url)
