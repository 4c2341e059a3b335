"""Who may reach which customer page. Not visible → 404 (indistinguishable from "no such
customer"); portal users → 403 on every staff page; anonymous → the login page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.customers.models import Communication, Contact, Preference
from guanxi.customers.services import customer_create
from guanxi.orders.models import Order

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
SECTIONS = ["preferences", "contacts", "followups", "purchases", "timeline", "history",
            "communication-form"]  # fmt: skip
WRITES = {
    "contact_add": {"contact-name": "张伟"},
    "preference_add": {"pref-category": "diet", "pref-key": "茶", "pref-value": "龙井"},
    "communication_add": {"comm-channel": "phone", "comm-direction": "out",
                          "comm-occurred_at": "2026-03-01T10:00", "comm-summary": "来电"},
    "orders:add": {"order-order_date": "2025-03-01", "lines-TOTAL_FORMS": "1",
                  "lines-INITIAL_FORMS": "0", "lines-0-description": "服务",
                  "lines-0-quantity": "1", "lines-0-unit_price": "10"},
    "edit": {"name": "改名", "kind": "enterprise", "status": "lost", "version": "1"},
}  # fmt: skip


def _name(name):
    return name if ":" in name else f"customers:{name}"


@pytest.fixture
def customer(am_a):
    return customer_create(actor=am_a, data={"name": "华为技术有限公司", "phone": "13800138000"})


def customer_gets(pk):
    urls = [
        reverse("customers:detail", args=[pk]),
        reverse("customers:edit", args=[pk]),
        reverse("customers:timeline", args=[pk]) + "?page=2",
    ]
    return urls + [reverse("customers:section", args=[pk, s]) for s in SECTIONS]


def _assert_nothing_written(customer):
    customer.refresh_from_db()
    assert customer.name == "华为技术有限公司" and customer.version == 1
    assert not Contact.objects.exists()
    assert not Preference.objects.exists()
    assert not Communication.objects.exists()
    assert not Order.objects.exists()


@pytest.mark.parametrize("index", range(3 + len(SECTIONS)))
def test_other_teams_account_manager_gets_404_reading(client, am_b, customer, index):
    client.force_login(am_b)
    response = client.get(customer_gets(customer.pk)[index], **HX)
    assert response.status_code == 404


@pytest.mark.parametrize("name", WRITES)
def test_other_teams_account_manager_gets_404_writing(client, am_b, customer, name):
    client.force_login(am_b)
    response = client.post(reverse(_name(name), args=[customer.pk]), WRITES[name], **HX)
    assert response.status_code == 404
    _assert_nothing_written(customer)


def test_other_teams_account_manager_cannot_list_or_find_it(client, am_b, customer):
    client.force_login(am_b)
    for params in ({}, {"q": "hw"}, {"q": "13800138000"}, {"q": "华为"}):
        html = client.get(reverse("customers:list"), params).content.decode()
        assert "华为技术有限公司" not in html


def test_colleague_in_same_team_cannot_see_it_either(client, am_a2, customer):
    client.force_login(am_a2)
    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 404


def test_manager_of_the_team_sees_it(client, manager_a, customer):
    client.force_login(manager_a)
    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 200


def test_nonexistent_customer_is_404(client, am_a):
    client.force_login(am_a)
    assert client.get(reverse("customers:detail", args=[999999])).status_code == 404


def _all_urls(pk):
    gets = [reverse("customers:list"), reverse("customers:create"), *customer_gets(pk)]
    posts = [(reverse(_name(n), args=[pk]), data) for n, data in WRITES.items()]
    posts.append((reverse("customers:create"), {"name": "x", "kind": "enterprise",
                                                "status": "prospect"}))  # fmt: skip
    return gets, posts


def test_portal_user_gets_403_everywhere(client, portal_user, customer):
    client.force_login(portal_user)
    gets, posts = _all_urls(customer.pk)
    for url in gets:
        assert client.get(url).status_code == 403, url
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    _assert_nothing_written(customer)


def test_anonymous_is_sent_to_login(client, customer):
    gets, posts = _all_urls(customer.pk)
    login = reverse("accounts:login")
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(login), url
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith(login), url
    _assert_nothing_written(customer)
