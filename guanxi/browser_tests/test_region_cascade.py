"""The 省份 → 城市 → 区县 cascade (GB/T 2260 data of ``core.regions``) in a real browser: on
the customer form each level's choices load when the level above is chosen, a new province
clears the city and district of the old one, the saved values come back selected on the
edit form; on the customer list the cascade filters as soon as a level is chosen."""

from __future__ import annotations

import re
from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, UserFactory
from guanxi.browser_tests.conftest import settled
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "zh-hans": {"switch": "中文", "save": "保存", "one": "共 1 位客户"},
    "en": {"switch": "English", "save": "Save", "one": "1 customer"},
}
CUSTOMER_PAGE = re.compile(r"/customers/\d+/$")


def _options(page: Any, select: str) -> list[str]:
    values: list[str] = page.eval_on_selector_all(
        f"{select} option", "options => options.map(o => o.value)"
    )
    return [v for v in values if v]


def _choose(page: Any, select: str, value: str, below: str) -> None:
    """Choose ``value`` in ``select`` and wait for the level ``below`` to offer choices."""
    page.select_option(select, value)
    # The choices are there once the answer is swapped in; htmx binds the new cascade only
    # when it has settled: choosing again before that would go unheard (seen in CI).
    page.wait_for_function(
        "sel => document.querySelectorAll(sel + ' option').length > 1", arg=below
    )
    settled(page)


def _sign_in(page: Any, live_server: Any, switch: str) -> None:
    # The first page of a fresh live server can take long on a loaded machine (measured
    # past 15 s with other test runs beside it); later pages keep the default timeout.
    page.goto(f"{live_server.url}/accounts/login/", timeout=60_000)
    page.locator("form.gx-lang button", has_text=switch).click()
    page.wait_for_load_state()
    page.fill("#id_username", "wang")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_customer_form_cascades_and_keeps_the_saved_region(
    live_server: Any, page: Any, screenshot: Any, lang: str
) -> None:
    t = TEXT[lang]
    UserFactory(username="wang", role=Role.ACCOUNT_MANAGER, language=lang)
    _sign_in(page, live_server, t["switch"])

    page.goto(f"{live_server.url}/customers/new/")
    page.fill("#id_name", "杭州云栖科技有限公司")
    assert "浙江" in _options(page, "#id_province") and _options(page, "#id_city") == []

    _choose(page, "#id_province", "广东", below="#id_city")
    assert "深圳" in _options(page, "#id_city") and "杭州" not in _options(page, "#id_city")
    _choose(page, "#id_city", "深圳", below="#id_district")

    # Another province: the city and district of the first one go.
    _choose(page, "#id_province", "浙江", below="#id_city")
    assert page.input_value("#id_city") == "" and _options(page, "#id_district") == []
    assert "杭州" in _options(page, "#id_city") and "深圳" not in _options(page, "#id_city")
    _choose(page, "#id_city", "杭州", below="#id_district")
    assert "西湖区" in _options(page, "#id_district")
    page.select_option("#id_district", "西湖区")
    screenshot(f"{lang}-region-cascade-form")
    page.locator("form button[type=submit]", has_text=t["save"]).click()
    page.wait_for_url(CUSTOMER_PAGE)

    customer = Customer.objects.get(name="杭州云栖科技有限公司")
    assert (customer.province, customer.city, customer.district) == ("浙江", "杭州", "西湖区")

    page.goto(f"{live_server.url}/customers/{customer.pk}/edit/")
    assert page.input_value("#id_province") == "浙江"
    assert page.input_value("#id_city") == "杭州"
    assert page.input_value("#id_district") == "西湖区"
    assert "余杭区" in _options(page, "#id_district")


def test_the_customer_list_filters_by_the_cascade_as_chosen(
    live_server: Any, page: Any, screenshot: Any
) -> None:
    t = TEXT["zh-hans"]
    user = UserFactory(username="wang", role=Role.ACCOUNT_MANAGER, language="zh-hans")
    CustomerFactory(name="杭州云栖科技有限公司", owner=user, province="浙江", city="杭州")
    CustomerFactory(name="宁波港务有限公司", owner=user, province="浙江", city="宁波")
    CustomerFactory(name="深圳腾达有限公司", owner=user, province="广东", city="深圳")
    _sign_in(page, live_server, t["switch"])
    page.goto(f"{live_server.url}/customers/")
    results = page.locator("#customer-results")

    # No Enter, no button: choosing a level applies it.
    _choose(
        page, "#customer-filters [name=province]", "浙江", below="#customer-filters [name=city]"
    )
    page.wait_for_function("() => window.location.search.includes('province=')")
    page.wait_for_function(
        "() => !document.querySelector('#customer-results').innerText.includes('深圳腾达')"
    )
    assert "杭州云栖" in results.inner_text() and "宁波港务" in results.inner_text()

    page.select_option("#customer-filters [name=city]", "宁波")
    page.wait_for_function(
        "() => !document.querySelector('#customer-results').innerText.includes('杭州云栖')"
    )
    assert "宁波港务" in results.inner_text() and t["one"] in results.inner_text()
    screenshot("zh-hans-list-region-filter")

    # A new province drops the old city from the filter, not just from the select.
    _choose(
        page, "#customer-filters [name=province]", "广东", below="#customer-filters [name=city]"
    )
    page.locator("#customer-results", has_text="深圳腾达").wait_for()
    assert "city=" not in page.url and "宁波港务" not in results.inner_text()
