"""Issue 10 items 24, 25, 26 and 27 in a real browser: an account manager opens the
analytics dashboard in Chinese, switches to English and sees English labels (the cached
figures carry no language); the header counts only his customers; the churn chart is
explained and the 360 page explains 客户价值（公式1）and shows 历史不足 for a one-time
buyer; also at phone width."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.analytics import services
from guanxi.analytics.tests import builders
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _scene() -> dict[str, Any]:
    admin = UserFactory(username="boss", role=Role.ADMIN, is_superuser=True)
    east = TeamFactory(name="华东销售部")
    li = UserFactory(username="li", display_name="李经理", team=east)
    wang = UserFactory(username="wang", display_name="王经理", team=east)
    services.analytics_settings_update(
        actor=admin, version=builders.settings_version(),
        changes={"cycle_threshold_short": 30, "cycle_threshold_long": 90,
                 "amount_threshold_small": 100, "amount_threshold_large": 500},
    )  # fmt: skip
    builders.grid_book(owner=li)
    once = CustomerFactory(owner=li, name="只买过一次的客户")
    builders.add_orders(once, [(builders.AS_OF - dt.timedelta(days=425), Decimal("5000.00"))])
    for i in range(3):
        customer = CustomerFactory(owner=wang, name=f"王经理的客户{i}")
        builders.add_orders(customer, builders.regular_orders(7, Decimal("2000.00")))
    services.analytics_recompute(actor=admin, as_of=builders.AS_OF)
    return {"once": once}


def test_dashboard_language_switch_and_own_figures(
    live_server: Any, page: Any, screenshot: Any
) -> None:
    scene = _scene()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "li")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/analytics/")
    assert "10 位有购买的客户" in page.inner_text("#run-info")  # his 10, not the company's 13
    assert "铂金客户" in page.inner_text("#matrix-table")
    assert "流失" in page.inner_text("#churn-definition")

    # English now: the figures come from the cache filled by the Chinese render.
    page.locator("form.gx-lang button", has_text="English").first.click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/analytics/")
    page.locator("#chart-matrix canvas").first.wait_for()
    matrix = page.inner_text("#matrix-table")
    assert "Platinum customer" in matrix and "铂金客户" not in matrix
    assert "10 customers with purchases" in page.inner_text("#run-info")
    assert "Churn:" in page.inner_text("#churn-definition")
    page.wait_for_timeout(600)
    screenshot("en-analytics-dashboard-own-scope")

    page.goto(f"{live_server.url}/customers/{scene['once'].pk}/")
    card = page.locator("#customer-value-card")
    assert "Insufficient history" in card.inner_text()
    page.locator("#customer-value-help summary").click()
    assert "discounted" in page.inner_text("#customer-value-help")
    screenshot("en-analytics-value-card")

    page.locator("form.gx-lang button", has_text="中文").first.click()
    page.wait_for_load_state()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/customers/{scene['once'].pk}/")
    assert "历史不足" in page.inner_text("#customer-value-card")
    page.locator("#customer-value-help summary").click()
    screenshot("zh-analytics-value-card-390")
    page.goto(f"{live_server.url}/analytics/")
    page.locator("#chart-churn canvas").first.wait_for()
    page.wait_for_timeout(600)
    screenshot("zh-analytics-dashboard-390")
