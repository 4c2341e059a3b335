"""The customer list page, its filters and the as-you-type search partial."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.customers import selectors
from guanxi.customers.models import Tag
from guanxi.customers.services import customer_create
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "customer-results"}


@pytest.fixture
def huawei(am_a):
    return customer_create(
        actor=am_a,
        data={"name": "华为技术有限公司", "phone": "13800138000", "status": "active"},
        tags=["大客户"],
    )


def test_list_page_shows_own_customers_with_filters(client, am_a, huawei):
    client.force_login(am_a)
    response = client.get(reverse("customers:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "华为技术有限公司" in html
    assert 'id="customer-filters"' in html
    assert "大客户" in html
    assert "共 1 位客户" in html


def test_search_partial_returns_only_results(client, am_a, huawei):
    CustomerFactory(name="阿里巴巴", owner=am_a)
    client.force_login(am_a)
    response = client.get(reverse("customers:list"), {"q": "hw"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="customer-results"')
    assert "<html" not in html and 'id="customer-filters"' not in html
    assert "华为技术有限公司" in html
    assert "阿里巴巴" not in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("query", ["hw", "huawei", "华为", "+86 138-0013-8000", "138 0013 8000"])
def test_search_finds_by_name_pinyin_initials_and_phone(client, am_a, huawei, query):
    client.force_login(am_a)
    response = client.get(reverse("customers:list"), {"q": query}, **HTMX)
    assert "华为技术有限公司" in response.content.decode()


def test_search_without_match_says_so(client, am_a, huawei):
    client.force_login(am_a)
    response = client.get(reverse("customers:list"), {"q": "不存在的公司"}, **HTMX)
    assert "没有找到与“不存在的公司”匹配的客户。" in response.content.decode()


def test_filters_by_status_kind_tag_and_region(client, am_a, huawei):
    CustomerFactory(name="休眠公司", owner=am_a, status="dormant", province="浙江", city="杭州")
    client.force_login(am_a)
    url = reverse("customers:list")
    assert "休眠公司" not in client.get(url, {"status": "active"}).content.decode()
    assert "华为技术有限公司" in client.get(url, {"tag": "大客户"}).content.decode()
    html = client.get(url, {"province": "浙江", "city": "杭州"}).content.decode()
    assert "休眠公司" in html and "华为技术有限公司" not in html
    assert "华为技术有限公司" not in client.get(url, {"kind": "individual"}).content.decode()


def test_sort_by_name(client, am_a):
    CustomerFactory(name="B公司", owner=am_a)
    CustomerFactory(name="A公司", owner=am_a)
    client.force_login(am_a)
    html = client.get(reverse("customers:list"), {"sort": "name"}).content.decode()
    assert html.index("A公司") < html.index("B公司")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "bogus"}, "状态：无效的状态。"),
        ({"kind": "alien"}, "类型：无效的客户类型。"),
        ({"owner": "abc"}, "客户经理：必须是整数。"),
        ({"sort": "drop table"}, "排序：无效的排序。"),
        ({"q": "x" * 101}, "搜索：搜索词不能超过 100 个字符。"),
    ],
)
def test_invalid_filter_is_a_clear_message_not_a_500(client, am_a, params, message):
    client.force_login(am_a)
    response = client.get(reverse("customers:list"), params)
    assert response.status_code == 400
    assert message in response.content.decode()
    partial = client.get(reverse("customers:list"), params, **HTMX)
    assert partial.status_code == 400
    assert message in partial.content.decode()


def test_garbage_page_number_falls_back_to_first_page(client, am_a, huawei):
    client.force_login(am_a)
    response = client.get(reverse("customers:list"), {"page": "abc"})
    assert response.status_code == 200
    assert "华为技术有限公司" in response.content.decode()


def test_pagination_links_keep_filters(client, am_a):
    CustomerFactory.create_batch(30, owner=am_a, status="active")
    client.force_login(am_a)
    html = client.get(reverse("customers:list"), {"status": "active"}).content.decode()
    assert "第 1 / 2 页" in html
    assert 'href="?status=active&amp;page=2"' in html
    page2 = client.get(reverse("customers:list"), {"status": "active", "page": 2}, **HTMX)
    assert "第 2 / 2 页" in page2.content.decode()


def test_capped_count_shows_plus(client, am_a, monkeypatch):
    real = selectors.customer_list

    def capped(**kwargs):
        page = real(**kwargs)
        page.count, page.count_capped = 10_000, True
        return page

    CustomerFactory(owner=am_a)
    monkeypatch.setattr(selectors, "customer_list", capped)
    client.force_login(am_a)
    html = client.get(reverse("customers:list")).content.decode()
    assert "共 10,000+ 位客户" in html


def test_tag_filter_options_list_tags(client, am_a, huawei):
    Tag.objects.create(name="重点")
    client.force_login(am_a)
    html = client.get(reverse("customers:list")).content.decode()
    assert '<option value="重点"' in html
