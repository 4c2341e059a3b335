"""The customer list's region filters: the 省份 → 城市 → 区县 cascade of ``core.regions``
(select elements, applied by the filter form as each is chosen), not free text."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from guanxi.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no <select name={name}>"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def _selected(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select
    return re.findall(r'<option value="([^"]*)" selected', select.group(1))


def test_the_filters_are_the_region_cascade(client, am_a):
    client.force_login(am_a)

    html = client.get(reverse("customers:list")).content.decode()

    assert '<input type="text" name="province"' not in html
    assert "浙江" in _options(html, "province") and "广东" in _options(html, "province")
    assert _options(html, "city") == [""] and _options(html, "district") == [""]
    assert 'id="customer-filters"' in html and 'hx-trigger="change, submit"' in html


def test_a_chosen_province_and_city_filter_and_come_back_selected(client, am_a):
    CustomerFactory(name="宁波港务有限公司", owner=am_a, province="浙江", city="宁波")
    CustomerFactory(name="杭州云栖科技有限公司", owner=am_a, province="浙江", city="杭州")
    client.force_login(am_a)

    html = client.get(reverse("customers:list"), {"province": "浙江", "city": "宁波"}).content
    page = html.decode()

    assert "宁波港务有限公司" in page and "杭州云栖科技有限公司" not in page
    assert _selected(page, "province") == ["浙江"] and _selected(page, "city") == ["宁波"]
    assert "杭州" in _options(page, "city") and "海曙区" in _options(page, "district")
