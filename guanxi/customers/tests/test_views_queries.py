"""Pinned query counts of the hot pages. Each is measured with a small and a bigger data set
and must be the same: no query per row, per timeline entry, per tag or per owner.

Both data sets fill more than one page, so the (capped) count query runs in both; a list
that fits on one page skips it (one query fewer), pinned separately."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.core.models import AuditEntry
from guanxi.customers.models import Tag
from guanxi.customers.tests.factories import (
    CommunicationFactory,
    ContactFactory,
    CustomerFactory,
    OrderFactory,
    PreferenceFactory,
    ProductFactory,
    TimelineEntryFactory,
)

pytestmark = pytest.mark.django_db

# session + user = 2 on every page
LIST_PAGE_QUERIES = 8  # + customers page, count, tags of the page, owners, teams, tags
LIST_ONE_PAGE_QUERIES = 7  # no count query when everything fits on the first page
# + the matches' ids (capped: it is also the count), customers page, tags of the page —
#   the same for a search that fits one page and one that does not
SEARCH_PARTIAL_QUERIES = 5
# 18 + the pool panel (the customer's pool state, the pools the reader may return it to) +
# the service tickets panel + the contracts panel (its list with window-summed totals)
# − the order form's product choices (the entry forms come when first opened:
# ``test_views_lazy_forms``)
DETAIL_QUERIES = 21
# + customer (with owner, team), its tags, preferences, contacts, its collaborators
#   (团队成员, with their users; the customer itself is found with its shares tested in
#   the same query), open follow-ups,
#   purchase aggregate, recent orders, timeline page (with actors), timeline count,
#   change history, the users and the teams named in the history (one query each),
#   products for the order form, the attachments (with their uploaders),
#   the customer's opportunities (sales panel, with stage and owner)


def _customers(n: int, team_a) -> None:
    tags = [Tag.objects.create(name=f"标签{i}") for i in range(3)]
    for i in range(n):
        owner = UserFactory(team=team_a)
        customer = CustomerFactory(name=f"华光{i:03d}有限公司", owner=owner)
        customer.tags.set(tags[: i % 3 + 1])


@pytest.mark.parametrize("n", [30, 150])
def test_list_page_query_count(client, admin_user, team_a, django_assert_num_queries, n):
    _customers(n, team_a)
    client.force_login(admin_user)
    with django_assert_num_queries(LIST_PAGE_QUERIES):
        response = client.get(reverse("customers:list"), {"sort": "name"})
    assert response.status_code == 200
    assert "华光000有限公司" in response.content.decode()


def test_list_page_that_fits_one_page(client, admin_user, team_a, django_assert_num_queries):
    _customers(3, team_a)
    client.force_login(admin_user)
    with django_assert_num_queries(LIST_ONE_PAGE_QUERIES):
        assert client.get(reverse("customers:list")).status_code == 200


@pytest.mark.parametrize("n", [3, 30, 150])
def test_search_partial_query_count(client, admin_user, team_a, django_assert_num_queries, n):
    _customers(n, team_a)
    client.force_login(admin_user)
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "customer-results"}
    with django_assert_num_queries(SEARCH_PARTIAL_QUERIES):
        response = client.get(reverse("customers:list"), {"q": "hg", "sort": "name"}, **headers)
    assert "华光000有限公司" in response.content.decode()


@pytest.mark.parametrize("n", [3, 30, 150])
def test_a_search_of_several_words_costs_what_one_word_does(
    client, admin_user, team_a, django_assert_num_queries, n
):
    _customers(n, team_a)
    client.force_login(admin_user)
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "customer-results"}
    with django_assert_num_queries(SEARCH_PARTIAL_QUERIES):
        response = client.get(
            reverse("customers:list"), {"q": "华光 有限 hg", "sort": "name"}, **headers
        )
    assert "华光000有限公司" in response.content.decode()


def _rich_customer(am_a, n: int):
    customer = CustomerFactory(name="华为技术有限公司", owner=am_a)
    customer.tags.set([Tag.objects.create(name=f"T{i}") for i in range(min(n, 10))])
    now = timezone.now()
    contacts = ContactFactory.create_batch(n, customer=customer)
    PreferenceFactory.create_batch(n, customer=customer)
    for i in range(n):
        CommunicationFactory(
            customer=customer,
            contact=contacts[i],
            staff=UserFactory(),
            next_follow_up=dt.date(2026, 1, 1) + dt.timedelta(days=i),
        )
        OrderFactory(customer=customer, order_date=dt.date(2024, 1, 1) + dt.timedelta(days=i),
                     total=Decimal("10.00"))  # fmt: skip
        TimelineEntryFactory(customer=customer, actor=UserFactory(),
                             occurred_at=now - dt.timedelta(hours=i))  # fmt: skip
        TimelineEntryFactory(customer=customer, kind="change", subject_model="customers.customer",
                             data={"changes": {"status": ["prospect", "active"]}},
                             occurred_at=now - dt.timedelta(hours=i, minutes=1))  # fmt: skip
        AuditEntry.objects.create(
            actor=am_a, actor_label="am_a", source="ui", action="update",
            model="customers.customer", object_id=str(customer.pk), object_repr="x",
            customer_id=customer.pk,
            changes={"status": ["prospect", "active"], "owner_id": [am_a.pk, UserFactory().pk],
                     "team_id": [None, TeamFactory().pk]},
        )  # fmt: skip
    ProductFactory.create_batch(n)
    return customer


@pytest.mark.parametrize("n", [12, 80])
def test_customer_360_query_count(client, am_a, django_assert_num_queries, n):
    customer = _rich_customer(am_a, n)
    client.force_login(am_a)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    assert "华为技术有限公司" in response.content.decode()


@pytest.mark.parametrize("n", [12, 80])
def test_timeline_load_more_query_count(client, am_a, django_assert_num_queries, n):
    customer = _rich_customer(am_a, n)
    client.force_login(am_a)
    # session, user, customer, its tags, timeline page, timeline count
    with django_assert_num_queries(6):
        response = client.get(reverse("customers:timeline", args=[customer.pk]), {"page": 2})
    assert response.status_code == 200
