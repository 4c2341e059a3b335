"""The service desk's complaint, canned-reply, merge and bulk tools in a real browser, in
Chinese and English: the agent files a complaint with a root cause and compensation,
answers with a canned reply, merges a duplicate ticket, then saves a queue view and
bulk-assigns two tickets from it (htmx fragments, hx-confirm dialogs)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, UserFactory
from guanxi.browser_tests.conftest import SCREENSHOTS, settled
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.service.models import Complaint, SavedView, Ticket, TicketMessage
from guanxi.service.services import complaints, desk
from guanxi.service.tests.factories import TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS / "service_desk"
TEXT = {
    "zh-hans": {"switch": "中文", "saved": "投诉记录已保存。", "assigned": "已分配。"},
    "en": {"switch": "English", "saved": "Complaint saved.", "assigned": "Assigned."},
}


def _login(page: Any, url: str, lang: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=TEXT[lang]["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_username", "wang")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{url}/**")


def _shot(page: Any, name: str, lang: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{lang}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_complaint_canned_reply_merge_and_bulk_assign(live_server, page, lang):
    agent = UserFactory(username="wang", display_name="王客服", role=Role.SERVICE_AGENT)
    admin = UserFactory(username="root", role=Role.ADMIN, is_superuser=True)
    owner = UserFactory(username="li", role=Role.ACCOUNT_MANAGER)
    customer = CustomerFactory(owner=owner, name="杭州云栖科技有限公司")
    quality = complaints.root_cause_create(actor=admin, data={"name": "产品质量"})
    complaints.root_cause_create(actor=admin, data={"name": "包装破损", "parent_id": quality.pk})
    desk.canned_reply_create(
        actor=agent, data={"title": "致歉", "body": "{{customer}}您好，{{agent}}已处理。"}
    )
    complaint = TicketFactory(customer=customer, category="complaint", subject="货物破损")
    target = TicketFactory(customer=customer, subject="发票开错")
    duplicate = TicketFactory(customer=customer, subject="发票开错（重复）")
    TicketMessage.objects.create(ticket=duplicate, kind="incoming", body="请重开发票")
    bulk = [
        TicketFactory(customer=customer, priority="urgent", subject=f"紧急{i}") for i in range(2)
    ]
    page.on("dialog", lambda dialog: dialog.accept())
    _login(page, live_server.url, lang)

    # 1. The complaint: root cause from the tree, compensation, saved.
    page.goto(f"{live_server.url}/service/tickets/{complaint.pk}/")
    form = page.locator("#complaint-form")
    form.locator("#id_root_cause").select_option(label="产品质量 / 包装破损")
    form.locator("#id_compensation_amount").fill("50")
    form.locator("#id_compensation_kind").select_option("refund")
    form.locator("#complaint-save").click()
    page.wait_for_load_state()
    assert TEXT[lang]["saved"] in page.inner_text("body")
    record = Complaint.objects.get(ticket=complaint)
    assert record.root_cause.name == "包装破损" and record.compensation_amount == Decimal("50.00")

    # 2. A canned reply, its fields filled in, sent.
    page.locator("#canned-pick").select_option(label="致歉")
    page.wait_for_function("() => document.querySelector('#id_body').value.includes('您好')")
    settled(page)
    assert page.input_value("#id_body") == "杭州云栖科技有限公司您好，王客服已处理。"
    _shot(page, "ticket-complaint", lang)
    page.locator("#reply-send").click()
    page.wait_for_load_state()
    assert complaint.messages.filter(kind="reply", body__contains="王客服已处理").exists()

    # 3. Merge the duplicate into the first ticket (hx-confirm accepted).
    page.goto(f"{live_server.url}/service/tickets/{duplicate.pk}/")
    page.fill("#id_target", str(target.pk))
    page.locator("#merge-submit").click()
    page.wait_for_url(f"{live_server.url}/service/tickets/{target.pk}/")
    assert "请重开发票" in page.inner_text("#ticket-messages")
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == target.pk and duplicate.status == "closed"

    # 4. A saved view of the urgent tickets, then bulk-assign two from it.
    page.goto(f"{live_server.url}/service/tickets/?queue=unassigned&priority=urgent")
    page.locator("#saved-views summary").click()
    page.fill("#view-save input[name=name]", "紧急未分配")
    page.locator("#view-save button[type=submit]").click()
    page.wait_for_load_state()
    assert SavedView.objects.get(owner=agent).filters == {
        "queue": "unassigned",
        "priority": "urgent",
    }
    page.locator("#saved-views a", has_text="紧急未分配").click()
    page.wait_for_load_state()
    for ticket in bulk:
        page.locator(f"#ticket-{ticket.pk} input[name=items]").check()
    page.select_option("#bulk-assignee", str(agent.pk))
    page.locator("#bulk-assign").click()
    page.wait_for_selector("#bulk-report")
    settled(page)
    assert page.locator("#bulk-report li[data-ok='1']").count() == 2
    assert TEXT[lang]["assigned"] in page.inner_text("#bulk-report")
    assert set(Ticket.objects.filter(assignee=agent).values_list("pk", flat=True)) == {
        t.pk for t in bulk
    }
    _shot(page, "queue-bulk", lang)
    page.goto(f"{live_server.url}/service/complaints/")
    _shot(page, "complaint-report", lang)
    page.goto(f"{live_server.url}/service/canned/")
    _shot(page, "canned", lang)
