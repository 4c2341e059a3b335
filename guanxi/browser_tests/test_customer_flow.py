"""The account manager's day, in a real browser, in Chinese and in English: sign in, create a
customer, note a contact and a preference, log a call with a follow-up, change the status,
find the customer by pinyin initials and by a differently formatted phone number, and read
the call on the timeline and the change in the history."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.browser_tests.conftest import settled
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "华为技术有限公司"
TEXT = {
    "zh-hans": {
        "switch": "中文",
        "customers": "客户",
        "new_customer": "新建客户",
        "save": "保存",
        "created": f"客户“{NAME}”已创建。",
        "preferences": "偏好与习惯",
        "contact_added": "联系人已添加。",
        "pref_saved": "偏好已保存。",
        "order_created": "订单已创建。",
        "call_saved": "沟通记录已保存。",
        "call_title": "电话 · 我方联系",
        "follow_up": "下次跟进",
        "edit": "编辑",
        "active": "活跃",
        "history": "变更历史",
        "status_change": "状态: 潜在 → 活跃",
        "one": "共 1 位客户",
    },
    "en": {
        "switch": "English",
        "customers": "Customers",
        "new_customer": "New customer",
        "save": "Save",
        "created": f'Customer "{NAME}" created.',
        "preferences": "Preferences & habits",
        "contact_added": "Contact added.",
        "pref_saved": "Preference saved.",
        "order_created": "Order created.",
        "call_saved": "Communication logged.",
        "call_title": "Phone · Outbound (we contacted them)",
        "follow_up": "Next follow-up",
        "edit": "Edit",
        "active": "Active",
        "history": "Change history",
        "status_change": "Status: Prospect → Active",
        "one": "1 customer",
    },
}


# A customer's 360 page (not /customers/new/, which a glob like **/customers/*/ matches
# too: waiting for it would return before the new customer's page has loaded).
CUSTOMER_PAGE = re.compile(r"/customers/\d+/$")


def _normalised(text: str) -> str:
    return " ".join(text.replace("：", ": ").split())


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_customer_flow(live_server: Any, page: Any, screenshot: Any, lang: str) -> None:
    t = TEXT[lang]
    user = UserFactory(username="wang", display_name="王经理", role=Role.ACCOUNT_MANAGER,
                       team=TeamFactory(name="华南销售部"))  # fmt: skip
    CustomerFactory(name="阿里巴巴网络技术有限公司", owner=user, phone="13900001111")
    follow_up = timezone.localdate() + dt.timedelta(days=7)

    # Sign in, choosing the language on the login page.
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=t["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_username", "wang")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")  # staff land on "my day"
    page.locator("#nav-customers").click()
    page.wait_for_url("**/customers/")
    assert page.locator("h1").inner_text() == t["customers"]

    # Create the customer.
    page.get_by_role("link", name=t["new_customer"]).click()
    page.fill("#id_name", NAME)
    page.fill("#id_phone", "13800138000")
    page.select_option("#id_status", "prospect")
    page.fill("#id_tags", "大客户")
    page.locator("form button[type=submit]", has_text=t["save"]).click()
    page.wait_for_url(CUSTOMER_PAGE)
    settled(page)  # the boosted answer's forms are bound by htmx only once settled
    assert page.locator("h1").inner_text() == NAME
    assert t["created"] in page.locator("#messages").inner_text()
    assert t["preferences"] in page.inner_text("main")

    # A contact and a preference, inline.
    page.click("#toggle-add-contact")
    page.fill("#id_contact-name", "张伟")
    page.fill("#id_contact-title", "采购经理")
    page.fill("#id_contact-mobile", "139 0013 9000")
    page.locator("#contact-form button[type=submit]").click()
    page.locator("#contact-form", has_text=t["contact_added"]).wait_for()
    page.locator("#contact-list", has_text="张伟").wait_for()

    page.click("#toggle-add-preference")
    page.select_option("#id_pref-category", "diet")
    page.fill("#id_pref-key", "茶")
    page.fill("#id_pref-value", "只喝龙井")
    page.locator("#preference-form button[type=submit]").click()
    page.locator("#preference-form", has_text=t["pref_saved"]).wait_for()
    page.locator("#sec-preferences", has_text="只喝龙井").wait_for()

    # A phone call with a follow-up date.
    page.click("#toggle-log-communication")
    page.select_option("#id_comm-channel", "phone")
    page.select_option("#id_comm-contact", label="张伟")
    page.fill("#id_comm-summary", "电话沟通年度采购计划，下周报价")
    page.fill("#id_comm-next_follow_up", follow_up.isoformat())
    page.locator("#communication-form button[type=submit]").click()
    page.locator("#timeline-list", has_text="电话沟通年度采购计划").wait_for()
    page.locator("#followup-list", has_text=follow_up.isoformat()).wait_for()
    call = page.locator("#timeline-list li", has_text="电话沟通年度采购计划").first
    assert t["call_title"] in call.inner_text()
    assert f"{t['follow_up']}" in call.inner_text() and follow_up.isoformat() in call.inner_text()
    assert "张伟" in page.inner_text("#contact-list")
    screenshot(f"{lang}-360-after-call")

    # An order: the form comes when "new order" is first opened.
    page.click("#toggle-add-order")
    page.fill("#id_lines-0-description", "年度服务")
    page.fill("#id_lines-0-quantity", "2")
    page.fill("#id_lines-0-unit_price", "150")
    page.locator("#order-form button[type=submit]").click()
    page.locator("#order-form", has_text=t["order_created"]).wait_for()
    page.locator("#purchase-summary", has_text="300").wait_for()

    # Change the status.
    page.get_by_role("link", name=t["edit"]).click()
    page.select_option("#id_status", "active")
    page.locator("form button[type=submit]", has_text=t["save"]).click()
    page.wait_for_url(CUSTOMER_PAGE)
    assert page.inner_text("#customer-status") == t["active"]
    page.click("#tab-history")
    page.locator("#pane-history.show.active").wait_for()
    page.wait_for_timeout(300)  # let the tab's fade-in finish before the screenshot
    assert t["status_change"] in _normalised(page.inner_text("#sec-history"))
    screenshot(f"{lang}-360-history")

    # Find the customer by pinyin initials and by the phone in another format.
    page.get_by_role("link", name=t["customers"], exact=True).first.click()
    page.wait_for_url("**/customers/")
    screenshot(f"{lang}-list")
    search = page.locator("#id_q")
    search.press_sequentially("hw", delay=50)
    page.wait_for_function(
        "() => !document.querySelector('#customer-results').innerText.includes('阿里巴巴')"
    )
    results = page.locator("#customer-results")
    assert NAME in results.inner_text() and t["one"] in results.inner_text()
    assert "q=hw" in page.url
    screenshot(f"{lang}-search-initials")

    search.fill("")
    search.press_sequentially("+86 138-0013-8000", delay=20)
    page.wait_for_function("() => window.location.search.includes('8000')")
    page.locator("#customer-results", has_text=NAME).wait_for()
    assert "阿里巴巴" not in results.inner_text()
    assert t["one"] in results.inner_text()

    # Open it from the results: the call is on the timeline, newest first.
    results.get_by_role("link", name=NAME).click()
    page.wait_for_url(CUSTOMER_PAGE)
    timeline = page.inner_text("#timeline-list")
    assert "电话沟通年度采购计划" in timeline
    assert "只喝龙井" in page.inner_text("#sec-preferences")
    screenshot(f"{lang}-360")
