"""The 360 page's entry forms (contact, preference, communication, order) are not rendered
with the page: each comes, as an htmx fragment, when its "＋" button is first clicked.
They cost a third of the page's rendering and most visits open none. The fragments need
the right that the write behind them needs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.accounts import permissions
from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.services import customer_create

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
FORMS = {  # fragment URL → (placeholder id, an input only the form has)
    "contact-form": ("contact-form", 'name="contact-mobile"'),
    "preference-form": ("preference-form", 'name="pref-key"'),
    "communication-form": ("communication-form", 'name="comm-summary"'),
}


def _url(customer, section):
    if section == "order-form":
        return reverse("orders:add", args=[customer.pk])
    return reverse("customers:section", args=[customer.pk, section])


@pytest.fixture
def customer(am_a):
    return customer_create(actor=am_a, data={"name": "华为技术有限公司"})


def test_the_page_carries_placeholders_not_forms(client, am_a, customer):
    client.force_login(am_a)
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    every = {**FORMS, "order-form": ("order-form", 'name="order-order_date"')}
    for section, (element_id, field) in every.items():
        assert f'id="{element_id}" hx-get="{_url(customer, section)}"' in page, section
        assert field not in page, section


@pytest.mark.parametrize("section", [*FORMS, "order-form"])
def test_each_form_comes_on_request_for_who_may_write(client, am_a, customer, section):
    client.force_login(am_a)
    answer = client.get(_url(customer, section), **HX)
    assert answer.status_code == 200
    body = answer.content.decode()
    assert "<form" in body and 'hx-post="' in body
    if section in FORMS:
        assert FORMS[section][1] in body
    else:
        assert 'name="order-order_date"' in body and 'name="lines-TOTAL_FORMS"' in body


@pytest.mark.parametrize("section", ["contact-form", "preference-form", "order-form"])
def test_a_reader_who_may_not_change_the_customer_gets_no_form(client, customer, section):
    reader = UserFactory(role=Role.SERVICE_AGENT)
    if not permissions.can_read_customer(reader, customer) or permissions.can_change_customer(
        reader, customer
    ):
        pytest.skip("this installation's service agents do not read customers read-only")
    client.force_login(reader)
    assert client.get(_url(customer, section), **HX).status_code == 403


@pytest.mark.parametrize("section", [*FORMS, "order-form"])
def test_someone_elses_customer_stays_hidden(client, am_b, customer, section):
    client.force_login(am_b)
    assert client.get(_url(customer, section), **HX).status_code == 404
