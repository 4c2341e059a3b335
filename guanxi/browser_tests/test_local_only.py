"""No page loads anything from another host (a CDN is blocked or slow in mainland China,
and absent offline): every main page is visited in a real browser, and any request to a
host other than the test server fails the test. The API docs page must also actually show
Swagger UI from the vendored copy. And the portal user's page at phone size."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, UserFactory
from guanxi.browser_tests.conftest import SCREENSHOTS
from guanxi.customers.tests.factories import CustomerFactory, OrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
LOCAL_SCHEMES = {"data", "blob", "about"}


def _watch(page: Any) -> list[str]:
    """The URLs of every request the page makes to another host."""
    foreign: list[str] = []

    def seen(request: Any) -> None:
        url = urlsplit(request.url)
        if url.scheme not in LOCAL_SCHEMES and url.hostname not in LOCAL_HOSTS:
            foreign.append(request.url)

    page.on("request", seen)
    return foreign


def _login(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def test_no_main_page_requests_another_host(live_server: Any, page: Any, screenshot: Any):
    admin = UserFactory(
        username="boss", display_name="周总", role=Role.ADMIN, is_superuser=True, is_staff=True
    )
    customer = CustomerFactory(owner=admin, name="华为技术有限公司", phone="13800001111")
    OrderFactory(customer=customer)
    foreign = _watch(page)

    page.goto(f"{live_server.url}/accounts/login/")
    page.wait_for_load_state("networkidle")
    _login(page, live_server, "boss")
    pages = {
        "customer list": "/customers/",
        "customer 360": f"/customers/{customer.pk}/",
        "import": "/customers/import/",
        "analytics": "/analytics/",
        "api docs": "/api/v1/docs",
        "admin": "/admin/",
    }
    for name, path in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, (name, path)
        page.wait_for_load_state("networkidle")
        if name == "api docs":
            # Swagger UI rendered from static/vendor/swagger-ui, with the operations
            page.locator(".swagger-ui .info .title", has_text="Guanxi API").wait_for()
            page.locator(".swagger-ui .opblock").first.wait_for()
            screenshot("api-docs")
        assert foreign == [], (name, foreign)


def test_the_check_can_fail(live_server: Any, page: Any):
    """The watcher sees a request to another host (the test would catch a CDN)."""
    foreign = _watch(page)
    page.route("https://cdn.example.com/**", lambda route: route.fulfill(body=""))
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("fetch('https://cdn.example.com/x.js').catch(() => null)")
    page.wait_for_timeout(300)
    assert foreign == ["https://cdn.example.com/x.js"]


PORTAL_MENU = ["首页", "项目", "服务请求", "文档", "满意度调查"]


def test_a_portal_user_lands_on_the_portal_at_phone_size(live_server: Any, chromium: Any):
    UserFactory(username="kehu", display_name="王女士", role=Role.PORTAL)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        page = context.new_page()
        foreign = _watch(page)
        _login(page, live_server, "kehu")

        assert page.url == f"{live_server.url}/portal/"
        # a portal login not yet tied to a company account is told so (200, never a 403)
        assert page.locator("h1").inner_text() == "您的门户账号尚未开通"
        # no staff menu: the collapsed menu holds only the portal's own places
        page.locator(".navbar-toggler").click()
        page.locator("#nav-portal").wait_for(state="visible")
        assert page.locator(".navbar-nav .nav-link").all_inner_texts() == PORTAL_MENU
        assert page.locator("#gx-bell").count() == 0
        # nothing is wider than the phone
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width
        card = page.locator("#portal-no-account").bounding_box()
        assert card is not None and card["x"] >= 0 and card["x"] + card["width"] <= 390
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "portal-390.png"), full_page=True)
        assert foreign == []
    finally:
        context.close()
