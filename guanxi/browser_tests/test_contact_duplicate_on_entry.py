"""The duplicate check on entry (查重) for contacts, in a real browser, in Chinese and in
English, on a desktop and a phone-sized screen: typing an existing contact's name and
mobile into the 360 page's "add contact" form warns while typing (no submit) with a link to
it; saving without a reason is refused, saving with one adds the contact and keeps the
reason."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.browser_tests.conftest import settled
from guanxi.customers import services
from guanxi.customers.models import Contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "zh-hans": {
        "switch": "中文",
        "warning": "可能与以下联系人重复",
        "same_name": "同一客户下姓名相同",
        "same_phone": "手机或电话相同",
        "ask_reason": "请填写仍要保存的原因",
    },
    "en": {
        "switch": "English",
        "warning": "Possible duplicate of these contacts",
        "same_name": "Same name at the same customer",
        "same_phone": "Same mobile or phone",
        "ask_reason": "give the reason to save it anyway",
    },
}


@pytest.mark.parametrize("width", [1400, 390])
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_typing_a_duplicate_contact_warns_and_saving_needs_a_reason(
    live_server: Any, page: Any, screenshot: Any, lang: str, width: int
) -> None:
    t = TEXT[lang]
    page.set_viewport_size({"width": width, "height": 900})
    user = UserFactory(username="wang", display_name="王经理", role=Role.ACCOUNT_MANAGER,
                       team=TeamFactory(name="华南销售部"))  # fmt: skip
    customer = services.customer_create(actor=user, data={"name": "深圳华信科技有限公司"})
    first = services.contact_create(
        actor=user, customer_id=customer.pk, data={"name": "李娜", "mobile": "13800138000"}
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=t["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_username", "wang")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.locator("#toggle-add-contact").click()
    page.locator("#id_contact-name").wait_for(state="visible")

    # Typing (no submit): the debounced check warns with a link to the existing contact.
    page.locator("#id_contact-name").press_sequentially("李娜", delay=20)
    warning = page.locator("#contact-duplicate-warning")
    warning.wait_for()
    assert t["warning"] in warning.inner_text() and t["same_name"] in warning.inner_text()
    link = warning.locator(f'a[href="/customers/{customer.pk}/#contact-{first.pk}"]')
    assert link.inner_text() == "李娜"
    page.fill("#id_contact-mobile", "+86 138 0013 8000")
    warning.locator(f"text={t['same_phone']}").wait_for()
    settled(page)
    screenshot(f"contact-{lang}-{width}-duplicate-warning")
    if width == 390:  # nothing wider than the phone's screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Saving anyway without a reason is refused, the warning stays.
    page.locator("#contact-form button[type=submit]").click()
    page.locator("#contact-form", has_text=t["ask_reason"]).wait_for()
    settled(page)
    assert page.locator("#contact-duplicate-warning").is_visible()
    assert Contact.objects.count() == 1

    # With a reason it is added, and the reason kept.
    page.fill("#id_contact-duplicate_reason", "同名的两位同事")
    page.locator("#contact-form button[type=submit]").click()
    page.locator("#contact-form [role=status]").wait_for()
    settled(page)
    assert Contact.objects.count() == 2
    second = Contact.objects.exclude(pk=first.pk).get()
    assert second.duplicate_note == "同名的两位同事"
    screenshot(f"contact-{lang}-{width}-duplicate-saved")
