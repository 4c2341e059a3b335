"""The manager's view of customer value, in a real browser, in Chinese and in English: open
the analytics dashboard, filter it by team, click a cell of the value matrix (the ECharts
heatmap itself) and land on the customer list filtered by that cell and team; then the
customer's value card on the 360 page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.analytics import services
from guanxi.analytics.tests import builders
from guanxi.browser_tests.conftest import SCREENSHOTS
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.orders.models import Order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "zh-hans": {
        "switch": "中文",
        "title": "客户价值分析",
        "platinum": "铂金客户",
        "silver_advice": "缩短其消费周期",
        "customers_one": "共 1 位客户",
        "card": "客户价值",
    },
    "en": {
        "switch": "English",
        "title": "Customer value analysis",
        "platinum": "Platinum",
        "silver_advice": "shorten their purchase cycle",
        "customers_one": "1 customer",
        "card": "Customer value",
    },
}


def _scene() -> dict[str, Any]:
    admin = UserFactory(username="boss", display_name="周总", role=Role.ADMIN, is_superuser=True)
    east = TeamFactory(name="华东销售部")
    south = TeamFactory(name="华南销售部")
    li = UserFactory(username="li", display_name="李经理", team=east)
    chen = UserFactory(username="chen", display_name="陈经理", team=south)
    services.analytics_settings_update(
        actor=admin, version=builders.settings_version(),
        changes={"cycle_threshold_short": 30, "cycle_threshold_long": 90,
                 "amount_threshold_small": 100, "amount_threshold_large": 500},
    )  # fmt: skip
    grid = builders.grid_book(owner=li, province="浙江")
    for i in range(3):
        customer = CustomerFactory(owner=chen, name=f"华南大客户{i}", province="广东")
        builders.add_orders(customer, builders.regular_orders(7, Decimal("2000.00")))
    as_of = builders.AS_OF
    services.analytics_recompute(actor=admin, as_of=as_of - dt.timedelta(days=31))
    # One customer starts buying much more each time: silver → gold on the next run.
    Order.objects.filter(customer=grid[("medium", "medium")]).update(total=Decimal("800.00"))
    services.analytics_recompute(actor=admin, as_of=as_of)
    return {"east": east, "grid": grid}


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_dashboard_team_filter_and_matrix_click(
    live_server: Any, page: Any, screenshot: Any, lang: str
) -> None:
    t = TEXT[lang]
    scene = _scene()

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=t["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")  # staff land on "my day"

    page.click("#nav-analytics")
    page.wait_for_url("**/analytics/")
    assert page.locator("h1").inner_text() == t["title"]
    page.locator("#chart-matrix canvas").first.wait_for()
    assert t["silver_advice"] in page.inner_text("#class-strategies")
    assert "华南大客户0" in page.inner_text("#key-accounts")

    # Filter by team: the page reloads with only team East's customers.
    page.select_option("#id_team", str(scene["east"].pk))
    page.wait_for_url(f"**/analytics/?*team={scene['east'].pk}*")
    page.locator("#chart-matrix canvas").first.wait_for()
    assert "华南大客户0" not in page.inner_text("#key-accounts")
    assert "9" in page.inner_text("#kpis")
    assert "medium-medium客户" in page.inner_text("#movers")
    page.wait_for_timeout(600)  # let the charts finish their entry animation
    screenshot(f"{lang}-analytics-dashboard-team")
    page.locator("#value-matrix").screenshot(path=str(SCREENSHOTS / f"{lang}-analytics-matrix.png"))

    # Click the large-amount / short-cycle cell of the ECharts heatmap.
    x, y = page.evaluate("() => window.gxCharts.matrix.convertToPixel({seriesIndex: 0}, [0, 0])")
    box = page.locator("#chart-matrix").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url("**/customers/?*value_cell=large-short*")
    assert f"team={scene['east'].pk}" in page.url
    results = page.inner_text("#customer-results")
    assert "large-short客户" in results
    assert "华南大客户" not in results
    assert t["customers_one"] in page.inner_text("#customer-count")
    assert t["platinum"] in results
    page.locator("#value-cell-filter").wait_for()
    screenshot(f"{lang}-analytics-customer-list-cell")

    # The customer's value card on the 360 page.
    page.get_by_role("link", name="large-short客户").click()
    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    card = page.inner_text("#customer-value-card")
    assert t["card"] in card and t["platinum"] in card
    screenshot(f"{lang}-analytics-customer-360-card")
