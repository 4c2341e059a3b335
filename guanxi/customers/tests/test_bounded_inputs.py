"""Integers and dates out of range, on every entry point of the customer core: the web
list, analytics, exports (web and API), record URLs, merge URLs, forms. Each answers a
4xx naming the problem (or 404 for a URL that cannot name a record), never a 500: an
integer past 2**63 used to reach the database driver and overflow."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.core.limits import MAX_ID, parse_id
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.customers.tests.test_api_support import Api, db_snapshot

pytestmark = pytest.mark.django_db

HUGE = str(2**70)  # 1180591620717411303424
BAD_IDS = [HUGE, str(2**63), "-1", "0", "-" + HUGE, "1" * 400]


# --- the rule itself ----------------------------------------------------------------------


@given(st.integers())
def test_parse_id_accepts_exactly_1_to_max_id(number):
    inside = 1 <= number <= MAX_ID
    for value in (number, str(number)):
        if inside:
            assert parse_id(value) == number
        else:
            with pytest.raises(ValueError):
                parse_id(value)


@given(st.text(max_size=30))
def test_parse_id_of_any_text_is_an_id_or_a_value_error(text):
    try:
        number = parse_id(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert 1 <= number <= MAX_ID


@settings(max_examples=30)
@given(st.dates())
def test_form_api_and_import_share_one_date_range(day):
    from pydantic import TypeAdapter, ValidationError

    from guanxi.core.api.bases import Date
    from guanxi.core.forms import _in_date_range
    from guanxi.core.text.cleaning import EARLIEST_DATE, LATEST_DATE, CleaningError
    from guanxi.imports.rows import _date

    inside = EARLIEST_DATE <= day <= LATEST_DATE
    outcomes = []
    for check in (
        lambda: TypeAdapter(Date).validate_python(day.isoformat()),
        lambda: _in_date_range(day),
        lambda: _date(day.isoformat()),
    ):
        try:
            check()
        except (ValidationError, CleaningError, ValueError, Exception) as exc:
            outcomes.append(type(exc).__name__ != "")
            outcomes[-1] = False
        else:
            outcomes.append(True)
    assert outcomes == [inside, inside, inside]


# --- web list, export and analytics --------------------------------------------------------


@pytest.mark.parametrize("value", BAD_IDS)
@pytest.mark.parametrize("name", ["owner", "team"])
def test_customer_list_with_an_out_of_range_filter_names_it(client, am_a, name, value):
    client.force_login(am_a)

    response = client.get(reverse("customers:list"), {name: value})

    assert response.status_code == 400
    assert "1 到 9223372036854775807" in response.content.decode() or "整数" in (
        response.content.decode()
    )


@pytest.mark.parametrize("value", BAD_IDS)
def test_customer_list_api_with_an_out_of_range_owner_is_422(am_a, value):
    response = Api(am_a).get("/customers", owner=value)

    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["owner"]


@pytest.mark.parametrize("value", BAD_IDS)
def test_web_export_with_an_out_of_range_owner_is_400(client, admin_user, value):
    client.force_login(admin_user)

    response = client.get(reverse("imports:export"), {"kind": "customers", "owner": value})

    assert response.status_code == 400


@pytest.mark.parametrize("value", BAD_IDS)
def test_api_export_with_an_out_of_range_owner_is_422(admin_user, value):
    before = db_snapshot()

    response = Api(admin_user).post(
        "/exports", {"kind": "customers", "format": "csv", "filters": {"owner": value}}
    )

    assert response.status_code == 422, response.content
    assert db_snapshot() == before


@pytest.mark.parametrize("value", BAD_IDS)
def test_analytics_with_an_out_of_range_owner_is_a_4xx(client, admin_user, value):
    client.force_login(admin_user)

    web = client.get(reverse("analytics:dashboard"), {"owner": value})
    api = Api(admin_user).get("/analytics/values", owner=value)

    assert web.status_code == 400
    assert api.status_code == 422


# --- record and merge URLs ------------------------------------------------------------------


@pytest.mark.parametrize("pk", [HUGE, str(2**63), "0"])
def test_record_urls_with_an_id_out_of_range_are_404(client, am_a, pk):
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)

    for url in (
        f"/customers/{pk}/",
        f"/customers/{pk}/edit/",
        f"/customers/{customer.pk}/contacts/{pk}/edit/",
        f"/customers/{customer.pk}/orders/{pk}/",
        f"/customers/merge/{pk}/{customer.pk}/",
        f"/customers/merge/{customer.pk}/{pk}/",
    ):
        assert client.get(url).status_code == 404, url


def test_every_url_takes_record_ids_through_the_bounded_converter():
    """No URL pattern of the project uses Django's unbounded ``<int:…>``."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from django.urls.converters import IntConverter

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p.pattern.converters

    unbounded = [
        route
        for route, converters in walk(get_resolver().url_patterns)
        if any(isinstance(c, IntConverter) for c in converters.values())
        and not route.startswith("admin/")  # the admin looks up by pk, which Django bounds
    ]
    assert not unbounded, unbounded


def test_merging_a_customer_with_itself_goes_back_with_a_message(client, am_a):
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)
    before = db_snapshot()

    response = client.get(f"/customers/merge/{customer.pk}/{customer.pk}/", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[0][0] == reverse("customers:detail", args=[customer.pk])
    assert "不能把客户与自己合并" in response.content.decode()
    assert db_snapshot() == before


def test_merging_a_customer_with_itself_by_post_changes_nothing(client, am_a):
    customer = CustomerFactory(owner=am_a)
    client.force_login(am_a)
    before = db_snapshot()

    response = client.post(f"/customers/merge/{customer.pk}/{customer.pk}/", {})

    assert response.status_code == 302
    assert db_snapshot() == before


# --- dates in web forms ---------------------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"])
def test_customer_form_refuses_a_date_outside_the_range(client, am_a, day):
    client.force_login(am_a)
    before = Customer.objects.count()

    response = client.post(
        reverse("customers:create"),
        {"name": "远方日期有限公司", "kind": "enterprise", "since": day},
    )

    assert response.status_code in (200, 422)
    assert "1900-01-01" in response.content.decode()
    assert Customer.objects.count() == before


def test_the_date_picker_offers_only_the_range(client, am_a):
    client.force_login(am_a)

    html = client.get(reverse("customers:create")).content.decode()

    assert 'min="1900-01-01"' in html and 'max="2100-12-31"' in html
