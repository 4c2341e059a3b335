"""The duplicate check on entry (查重), in a real browser, in Chinese and in English, on a
desktop and a phone-sized screen: typing an existing customer's name and phone into the
new-customer form warns while typing (no submit) with a link to it; saving without a
reason is refused, saving with one creates the customer and keeps the reason."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.customers import services
from guanxi.customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "深圳华信科技有限公司"
TEXT = {
    "zh-hans": {
        "switch": "中文",
        "warning": "可能与以下客户重复",
        "same_name": "名称相同",
        "same_phone": "电话相同",
        "ask_reason": "请填写仍要保存的原因",
    },
    "en": {
        "switch": "English",
        "warning": "Possible duplicate of",
        "same_name": "Same name",
        "same_phone": "Same phone",
        "ask_reason": "give the reason to save it anyway",
    },
}


@pytest.mark.parametrize("width", [1400, 390])
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_typing_a_duplicate_warns_and_saving_needs_a_reason(
    live_server: Any, page: Any, screenshot: Any, lang: str, width: int
) -> None:
    t = TEXT[lang]
    page.set_viewport_size({"width": width, "height": 900})
    user = UserFactory(username="wang", display_name="王经理", role=Role.ACCOUNT_MANAGER,
                       team=TeamFactory(name="华南销售部"))  # fmt: skip
    first = services.customer_create(actor=user, data={"name": NAME, "phone": "0755-28780808"})

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=t["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_username", "wang")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/customers/new/")

    # Typing (no submit): the debounced check warns with a link to the existing customer.
    page.locator("#id_name").press_sequentially("深圳华信科技", delay=20)
    warning = page.locator("#duplicate-warning")
    warning.wait_for()
    assert t["warning"] in warning.inner_text() and t["same_name"] in warning.inner_text()
    link = warning.locator(f'a[href="/customers/{first.pk}/"]')
    assert link.inner_text() == NAME
    page.fill("#id_phone", "+86 755 2878 0808")
    warning.locator(f"text={t['same_phone']}").wait_for()
    screenshot(f"{lang}-{width}-duplicate-warning")
    if width == 390:  # nothing wider than the phone's screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Saving anyway without a reason is refused, the warning stays.
    page.fill("#id_name", NAME)
    page.locator("main form.gx-card button[type=submit]").click()
    page.locator("#duplicate-warning").wait_for()
    assert t["ask_reason"] in page.inner_text("main")
    assert Customer.objects.count() == 1

    # With a reason it is saved, and the reason kept.
    page.fill("#id_duplicate_reason", "同名的另一家分公司")
    page.locator("main form.gx-card button[type=submit]").click()
    page.wait_for_url(lambda url: "/customers/new/" not in url)
    assert Customer.objects.count() == 2
    second = Customer.objects.exclude(pk=first.pk).get()
    assert second.duplicate_note == "同名的另一家分公司"
    screenshot(f"{lang}-{width}-duplicate-saved")
