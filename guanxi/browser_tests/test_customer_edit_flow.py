"""Fixing things on the customer 360 page, in a real browser, in Chinese and in English:
edit a contact in place (title and marketing consent), mark a follow-up done with one
click, and read timeline titles written in Chinese in the reader's language."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.customers import services
from guanxi.customers.models import Communication, Contact
from guanxi.orders import services as order_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "华为技术有限公司"
TEXT = {
    "zh-hans": {
        "switch": "中文",
        "edit": "编辑",
        "save": "保存",
        "saved": "已保存",
        "done": "完成",
        "no_follow_ups": "没有待办的跟进。",
        "done_badge": "已完成",
        "created": f"新建客户 {NAME}",
        "call_title": "电话 · 我方联系",
        "consent": "同意营销联系",
        "cancelled": "已取消",
        "cancel": "取消",
        "order_cancelled": "订单已取消。",
    },
    "en": {
        "switch": "English",
        "edit": "Edit",
        "save": "Save",
        "saved": "Saved",
        "done": "Done",
        "no_follow_ups": "No open follow-ups.",
        "done_badge": "Done",
        "created": f"Created customer {NAME}",
        "call_title": "Phone · Outbound (we contacted them)",
        "consent": "Agrees to marketing contact",
        "cancelled": "Cancelled",
        "cancel": "Cancel",
        "order_cancelled": "Order cancelled.",
    },
}


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_edit_contact_and_finish_follow_up(
    live_server: Any, page: Any, screenshot: Any, lang: str
) -> None:
    t = TEXT[lang]
    user = UserFactory(username="wang", display_name="王经理", role=Role.ACCOUNT_MANAGER,
                       team=TeamFactory(name="华南销售部"))  # fmt: skip
    # Written outside any request, i.e. in Chinese (the default language).
    customer = services.customer_create(actor=user, data={"name": NAME})
    contact = services.contact_create(
        actor=user, customer_id=customer.pk, data={"name": "张伟", "title": "采购经理"}
    )
    follow_up = timezone.localdate() + dt.timedelta(days=3)
    comm = services.communication_create(
        actor=user,
        customer_id=customer.pk,
        data={"channel": "phone", "summary": "电话沟通年度采购计划", "contact_id": contact.pk,
              "next_follow_up": follow_up},
    )  # fmt: skip
    pref = services.preference_create(
        actor=user, customer_id=customer.pk, data={"category": "diet", "key": "茶", "value": "龙井"}
    )
    order = order_services.order_create(
        actor=user,
        customer_id=customer.pk,
        order_date=timezone.localdate(),
        lines=[{"description": "年度维保服务", "quantity": 2, "unit_price": "1500"}],
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=t["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_username", "wang")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")  # staff land on "my day"
    page.goto(f"{live_server.url}/customers/{customer.pk}/")

    # Titles written in Chinese read in the reader's language.
    timeline = page.inner_text("#timeline-list")
    assert t["created"] in timeline and t["call_title"] in timeline

    # Edit the contact in place: the row turns into a form and back.
    row = page.locator(f"#contact-{contact.pk}")
    row.locator("button", has_text=t["edit"]).click()
    page.locator(f"#contact-{contact.pk}[data-gx-edit]").wait_for()
    page.fill(f"#id_contact-{contact.pk}-title", "采购总监")
    page.check(f"#id_contact-{contact.pk}-consent_marketing")
    screenshot(f"{lang}-edit-contact-form")
    row.locator("button[type=submit]", has_text=t["save"]).click()
    page.locator(f"#contact-{contact.pk}", has_text=t["saved"]).wait_for()
    assert "采购总监" in row.inner_text() and t["consent"] in row.inner_text()
    assert page.locator(f"#contact-{contact.pk}[data-gx-edit]").count() == 0
    saved = Contact.objects.get(pk=contact.pk)
    assert (saved.title, saved.consent_marketing, saved.version) == ("采购总监", True, 2)

    # One click finishes the follow-up; the timeline marks the call's follow-up done.
    followups = page.locator("#followup-list")
    assert follow_up.isoformat() in followups.inner_text()
    screenshot(f"{lang}-edit-before-done")
    page.locator(f"#followup-{comm.pk} button", has_text=t["done"]).click()
    page.locator("#followup-list", has_text=t["no_follow_ups"]).wait_for()
    call = page.locator("#timeline-list li", has_text="电话沟通年度采购计划").first
    call.locator(".badge", has_text=t["done_badge"]).wait_for()
    assert Communication.objects.get(pk=comm.pk).follow_up_done
    screenshot(f"{lang}-edit-after-done")

    # A preference chip edits in place too.
    page.locator(f"#pref-{pref.pk} button").first.click()
    page.locator(f"form#pref-{pref.pk}").wait_for()
    page.fill(f"#id_pref-{pref.pk}-value", "只喝明前龙井")
    screenshot(f"{lang}-edit-preference-form")
    page.locator(f"#pref-{pref.pk} button[type=submit]").click()
    page.locator(f"span#pref-{pref.pk}", has_text="只喝明前龙井").wait_for()

    # A call is edited where it shows on the timeline; "cancel" puts the entry back.
    call.locator("button", has_text=t["edit"]).click()
    page.locator(f"#id_comm-{comm.pk}-summary").wait_for()
    screenshot(f"{lang}-edit-communication-form")
    call.locator("button", has_text=t["cancel"]).click()
    page.locator(f"#id_comm-{comm.pk}-summary").wait_for(state="detached")

    # The order page, from the recent orders; cancelling asks first.
    page.locator("#order-list a", has_text=order.number).click()
    page.wait_for_url(f"**/orders/{order.pk}/")
    assert "年度维保服务" in page.inner_text("#order-lines")
    assert "¥3,000.00" in page.inner_text("#order-lines")
    screenshot(f"{lang}-order-detail")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#order-cancel")
    page.locator("#order-status", has_text=t["order_cancelled"]).wait_for()
    assert t["cancelled"] in page.inner_text("#order-status-badge")
    assert page.locator("#order-cancel").count() == 0
