"""The admin pages: list, create/edit, delivery log, replay; zh and en."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.urls import reverse

from guanxi.webhooks import events
from guanxi.webhooks.models import Delivery, DeliveryStatus, Subscription
from guanxi.webhooks.services import emit
from guanxi.webhooks.tests.conftest import EVENT, make_subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_list_shows_subscriptions_in_pinned_queries(admin_client, django_assert_num_queries):
    for i in range(5):
        sub = make_subscription("https://erp.example.com/h", name=f"ERP {i}")
        with transaction.atomic():
            emit(EVENT, {"n": i})
    Delivery.objects.filter(subscription=sub).update(status=DeliveryStatus.FAILED)
    with django_assert_num_queries(3):  # session, user, subscriptions with their counts
        response = admin_client.get(reverse("webhooks:list"))
    assert response.status_code == 200
    rows = response.context["subscriptions"]
    assert [r.pending_count for r in rows] == [5, 4, 3, 2, 0]  # each got the later events
    assert rows[-1].failed_count == 1 and rows[-1].last_status == DeliveryStatus.FAILED
    assert "ERP 4" in response.content.decode()


def test_non_admins_are_refused(client, am_a):
    client.force_login(am_a)
    for name, args in [("list", []), ("create", []), ("detail", [1]), ("delivery", [1])]:
        assert client.get(reverse(f"webhooks:{name}", args=args)).status_code == 403


def test_anonymous_goes_to_login(client):
    response = client.get(reverse("webhooks:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_create_from_the_form(admin_client, admin_user):
    response = admin_client.post(
        reverse("webhooks:create"),
        {"name": "ERP", "url": "https://erp.example.com/h", "events": [EVENT], "is_active": "on"},
    )
    sub = Subscription.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "webhooks:detail", args=[sub.pk]
    )
    assert sub.events == [EVENT] and sub.is_active and sub.created_by == admin_user


def test_a_bad_url_is_shown_next_to_its_field(admin_client):
    response = admin_client.post(
        reverse("webhooks:create"),
        {"name": "ERP", "url": "ftp://x.example.com", "events": [EVENT]},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["url"]
    assert Subscription.objects.count() == 0


def test_edit_keeps_the_secret_when_left_empty(admin_client):
    sub = make_subscription("https://erp.example.com/h")
    page = admin_client.get(reverse("webhooks:edit", args=[sub.pk]))
    assert page.status_code == 200
    response = admin_client.post(
        reverse("webhooks:edit", args=[sub.pk]),
        {"name": "ERP 2", "url": sub.url, "events": [EVENT], "is_active": "on", "version": 1},
    )
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.name == "ERP 2" and sub.secret == "s" * 32 and sub.version == 2


def test_a_stale_edit_is_refused(admin_client):
    sub = make_subscription("https://erp.example.com/h")
    Subscription.objects.filter(pk=sub.pk).update(version=3)
    response = admin_client.post(
        reverse("webhooks:edit", args=[sub.pk]),
        {"name": "ERP 2", "url": sub.url, "events": [EVENT], "version": 1},
    )
    assert response.status_code == 422
    assert Subscription.objects.get().name == "ERP"


def test_detail_shows_the_log_and_replay_queues_again(
    admin_client, django_capture_on_commit_callbacks, django_assert_num_queries
):
    sub = make_subscription("https://erp.example.com/h")
    with transaction.atomic():
        emit(EVENT, {"n": 1})
    delivery = Delivery.objects.get()
    with django_assert_num_queries(4):  # session, user, subscription, log page with events
        response = admin_client.get(reverse("webhooks:detail", args=[sub.pk]))
    assert f'id="delivery-{delivery.pk}"' in response.content.decode()
    detail = admin_client.get(reverse("webhooks:delivery", args=[delivery.pk]))
    assert detail.status_code == 200 and '"data":{"n":1}' in detail.context["body"]
    with django_capture_on_commit_callbacks():
        response = admin_client.post(reverse("webhooks:replay", args=[delivery.pk]))
    assert response.status_code == 302
    assert Delivery.objects.filter(replay_of=delivery).count() == 1
    assert (
        admin_client.get(reverse("webhooks:detail", args=[sub.pk]), {"status": "x"}).status_code
        == 200
    )


def test_delete(admin_client):
    sub = make_subscription("https://erp.example.com/h")
    response = admin_client.post(reverse("webhooks:delete", args=[sub.pk]), {"version": 1})
    assert response.status_code == 302 and Subscription.objects.count() == 0


@pytest.mark.parametrize(
    ("language", "title", "button"),
    [
        ("zh-hans", "Webhook 订阅", "新建订阅"),
        ("en", "Webhook subscriptions", "New subscription"),
    ],
)
def test_pages_in_both_languages(admin_client, monkeypatch, language, title, button):
    # The events of the customers and imports apps, not those of apps still being built
    # (their labels are theirs to translate).
    kept = {k: e for k, e in events._EVENTS.items() if k.startswith(("customer.", "import."))}
    monkeypatch.setattr(events, "_EVENTS", {**kept, EVENT: events._EVENTS[EVENT]})
    admin_client.cookies["django_language"] = language
    sub = make_subscription("https://erp.example.com/h")
    with transaction.atomic():
        emit(EVENT, {"n": 1})
    page = admin_client.get(reverse("webhooks:list"), HTTP_ACCEPT_LANGUAGE=language)
    text = page.content.decode()
    assert title in text and button in text
    pages = [text]
    for name, args in [
        ("create", []),
        ("edit", [sub.pk]),
        ("detail", [sub.pk]),
        ("delivery", [Delivery.objects.get().pk]),
    ]:
        response = admin_client.get(reverse(f"webhooks:{name}", args=args))
        assert response.status_code == 200
        pages.append(response.content.decode())
    if language == "en":  # all the pages' own text is English; only the test's event is not
        assert [set(_han_in_main(page)) - {"测试事件"} for page in pages] == [set()] * len(pages)


HAN = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]+")


def _han_in_main(html: str) -> list[str]:
    main = html.split("<main", 1)[-1].split("</main>", 1)[0]
    return HAN.findall(re.sub(r"<[^>]+>", " ", main))
