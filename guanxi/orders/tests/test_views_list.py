"""Issue 10 items 37 and 28: the orders list (scoped, filtered, paged, in the menu, with
export), the 360 purchase card's "show all" link, and export buttons that honour the
filters of the list they sit on."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse

from guanxi.customers.tests.factories import CustomerFactory, OrderFactory, OrderLineFactory
from guanxi.orders.models import OrderStatus

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "order-results"}


@pytest.fixture
def orders(am_a, am_b):
    mine = CustomerFactory(name="杭州甲公司", owner=am_a)
    other = CustomerFactory(name="深圳乙公司", owner=am_b)
    rows = {
        "jan": OrderFactory(customer=mine, number="A-0001", order_date=dt.date(2025, 1, 5)),
        "mar": OrderFactory(customer=mine, number="A-0002", order_date=dt.date(2025, 3, 5)),
        "cancelled": OrderFactory(
            customer=mine,
            number="B-0003",
            order_date=dt.date(2025, 2, 5),
            status=OrderStatus.CANCELLED,
        ),
        "theirs": OrderFactory(customer=other, number="A-0009", order_date=dt.date(2025, 2, 1)),
    }
    for order in rows.values():
        OrderLineFactory(order=order, description=f"{order.number} 服务")
    return {"mine": mine, "other": other, **rows}


def _numbers(html: str) -> list[str]:
    return re.findall(r"<code>([A-Z]-\d{4})</code>", html)


def test_list_shows_only_orders_in_scope_newest_first(client, am_a, orders):
    client.force_login(am_a)
    response = client.get(reverse("orders:list"))
    assert response.status_code == 200
    assert _numbers(response.content.decode()) == ["A-0002", "B-0003", "A-0001"]


def test_admin_sees_every_order(client, admin_user, orders):
    client.force_login(admin_user)
    html = client.get(reverse("orders:list")).content.decode()
    assert sorted(_numbers(html)) == ["A-0001", "A-0002", "A-0009", "B-0003"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "cancelled"}, ["B-0003"]),
        ({"date_from": "2025-02-01", "date_to": "2025-02-28"}, ["B-0003"]),
        ({"q": "a-"}, ["A-0002", "A-0001"]),
        ({"date_from": "2025-03-01"}, ["A-0002"]),
    ],
)
def test_filters_narrow_the_list(client, am_a, orders, params, expected):
    client.force_login(am_a)
    response = client.get(reverse("orders:list"), params, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="order-results"')
    assert _numbers(html) == expected


def test_customer_filter_outside_scope_is_not_found(client, am_a, orders):
    client.force_login(am_a)
    response = client.get(reverse("orders:list"), {"customer": orders["other"].pk})
    assert response.status_code == 404


def test_bad_filters_are_named_all_at_once_not_a_500(client, am_a, orders):
    client.force_login(am_a)
    response = client.get(
        reverse("orders:list"),
        {"customer": "2" * 30, "date_from": "2025-13-01", "status": "lost"},
    )
    assert response.status_code == 400
    errors = re.search(r'id="filter-errors".*?</ul>', response.content.decode(), re.S)
    assert errors is not None
    text = errors.group(0)
    assert "客户" in text and "开始日期" in text and "状态" in text


def test_list_is_paged(client, admin_user):
    customer = CustomerFactory()
    for n in range(55):
        OrderFactory(customer=customer, number=f"P-{n:04d}", order_date=dt.date(2025, 1, 1))
    client.force_login(admin_user)
    first = client.get(reverse("orders:list")).content.decode()
    second = client.get(reverse("orders:list"), {"page": 2}).content.decode()
    assert len(re.findall(r"<code>P-", first)) == 50
    assert len(re.findall(r"<code>P-", second)) == 5
    assert "共 55 张订单" in first


def test_list_query_count_is_pinned(client, django_assert_num_queries, admin_user):
    for n in range(60):
        OrderFactory(number=f"Q-{n:04d}")
    client.force_login(admin_user)
    client.get(reverse("orders:list"))  # warm the session and the menu's caches
    # session + user, the page of orders with their customers, the capped count
    with django_assert_num_queries(4):
        response = client.get(reverse("orders:list"), {"page": 2})
    assert response.status_code == 200


def test_menu_has_the_orders_list_for_staff(client, am_a, orders):
    client.force_login(am_a)
    html = client.get(reverse("customers:list")).content.decode()
    assert 'id="nav-orders"' in html


def test_portal_user_cannot_open_the_orders_list(client, portal_user):
    client.force_login(portal_user)
    assert client.get(reverse("orders:list")).status_code == 403


def test_purchase_card_links_to_all_orders_only_when_there_are_more(client, am_a):
    busy = CustomerFactory(owner=am_a)
    quiet = CustomerFactory(owner=am_a)
    for n in range(12):
        OrderFactory(customer=busy, number=f"M-{n:04d}")
    OrderFactory(customer=quiet, number="S-0001")
    client.force_login(am_a)
    busy_html = client.get(busy.get_absolute_url()).content.decode()
    link = re.search(r'<a href="([^"]+)" id="all-orders-link"', busy_html)
    assert link is not None
    assert link.group(1) == f"{reverse('orders:list')}?customer={busy.pk}"
    assert 'id="all-orders-link"' not in client.get(quiet.get_absolute_url()).content.decode()
    listed = client.get(link.group(1)).content.decode()
    assert len(re.findall(r"<code>M-", listed)) == 12


# --- export buttons (item 28) ----------------------------------------------------------


def _export_href(html: str, list_key: str, fmt: str) -> str:
    found = re.search(rf'id="export-{list_key}-{fmt}" href="([^"]+)"', html)
    assert found is not None, f"no {list_key} {fmt} export button"
    return found.group(1).replace("&amp;", "&")


def _csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_order_export_button_honours_the_filters(client, manager_a, am_a, orders):
    client.force_login(manager_a)
    html = client.get(reverse("orders:list"), {"q": "A-", "date_to": "2025-02-28"}).content
    href = _export_href(html.decode(), "orders", "csv")
    response = client.get(href)
    assert response.status_code == 200
    assert [row["订单号"] for row in _csv_rows(response)] == ["A-0001"]


def test_customer_export_button_honours_the_filters_including_customer_type(
    client, manager_a, am_a
):
    CustomerFactory(name="个人客户甲", owner=am_a, kind="individual")
    CustomerFactory(name="企业客户乙", owner=am_a, kind="enterprise")
    client.force_login(manager_a)
    html = client.get(reverse("customers:list"), {"kind": "individual"}).content.decode()
    response = client.get(_export_href(html, "customers", "csv"))
    assert response.status_code == 200
    assert [row["客户名称"] for row in _csv_rows(response)] == ["个人客户甲"]


def test_customer_export_button_follows_an_htmx_filter_change(client, manager_a, am_a):
    CustomerFactory(name="华为技术有限公司", owner=am_a)
    CustomerFactory(name="阿里巴巴", owner=am_a)
    client.force_login(manager_a)
    partial = client.get(
        reverse("customers:list"),
        {"q": "华为"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="customer-results",
    ).content.decode()
    response = client.get(_export_href(partial, "customers", "csv"))
    assert [row["客户名称"] for row in _csv_rows(response)] == ["华为技术有限公司"]


def test_export_buttons_hidden_from_roles_that_may_not_export(client, am_a, agent, orders):
    for user in (am_a, agent):
        client.force_login(user)
        for url in (reverse("customers:list"), reverse("orders:list")):
            assert 'class="btn-group btn-group-sm gx-export"' not in (
                client.get(url).content.decode()
            )
