"""A quote in a real browser, in Chinese and in English: from a won opportunity the seller
makes a quote, adds a line with a 25 % discount (above the account manager's 10 %) in the
htmx line editor, submits the discount; the manager approves it; the seller sends the quote
and downloads its PDF, whose Chinese text comes back out unchanged."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.approvals.models import ApproverKind, Flow, FlowStep
from guanxi.browser_tests.conftest import settled
from guanxi.contracts.models import DiscountLimit, ProductTerms, Quote, QuoteStatus
from guanxi.customers.tests.factories import CustomerFactory, ProductFactory
from guanxi.sales.tests.factories import OpportunityFactory, board

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "zh-hans": {"switch": "中文", "created": "报价单已创建", "submitted": "已提交折扣审批。",
                "approved": "已同意。", "sent": "报价单已发送。", "status_sent": "已发送"},
    "en": {"switch": "English", "created": "The quote was created", "submitted":
           "The discount was submitted for approval.", "approved": "Approved.",
           "sent": "The quote was sent.", "status_sent": "Sent"},
}  # fmt: skip


def _sign_in(page: Any, url: str, username: str, switch: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=switch).click()
    page.wait_for_load_state()
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{url}/")


def _sign_out(page: Any) -> None:
    page.click("#gx-user-menu")
    page.locator("form[action$='/accounts/logout/'] button").first.click()
    page.wait_for_url("**/accounts/login/**")


def _shots(page: Any, screenshot: Any, name: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(f"{name}-390")
    page.set_viewport_size({"width": 1400, "height": 900})


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_quote_discount_approved_sent_and_downloaded(
    live_server: Any, page: Any, screenshot: Any, lang: str
) -> None:
    t = TEXT[lang]
    sales = TeamFactory(name="华东销售部")
    manager = UserFactory(username="manager", role=Role.MANAGER, team=sales,
                          display_name="王经理", language=lang)  # fmt: skip
    seller = UserFactory(username="seller", role=Role.ACCOUNT_MANAGER, team=sales,
                         manager=manager, display_name="李销售", language=lang)  # fmt: skip
    _pipeline, stages = board()
    customer = CustomerFactory(name="上海关系科技有限公司", owner=seller, team=sales)
    opportunity = OpportunityFactory(
        customer=customer, stage=stages[3], name="ERP 升级项目", owner=seller, team=sales,
        status="won", closed_at=timezone.now(), position=None,
    )  # fmt: skip
    licence = ProductFactory(code="ERP-STD", name="企业版许可证", unit_price=Decimal("100.00"))
    ProductTerms.objects.create(product=licence, list_price=Decimal("12800.00"), unit="套",
                                tax_rate=Decimal("13.00"))  # fmt: skip
    DiscountLimit.objects.create(role=Role.ACCOUNT_MANAGER, max_discount=Decimal("10.00"))
    flow = Flow.objects.create(document_type="quote_discount", name="报价折扣审批")
    FlowStep.objects.create(flow=flow, position=1, name="直属上级审批",
                            approver_kind=ApproverKind.MANAGER)  # fmt: skip

    # 1. The seller quotes from the won opportunity.
    _sign_in(page, live_server.url, "seller", t["switch"])
    page.goto(f"{live_server.url}/sales/opportunities/{opportunity.pk}/")
    page.click("#opp-quote")
    page.wait_for_url("**/contracts/quotes/new/**")
    page.click("#quote-create")
    page.wait_for_url(re.compile(r"/contracts/quotes/\d+/$"))
    assert t["created"] in page.inner_text("#messages")

    # 2. A line with 25 % off, through the htmx editor; then an over-precise price refused.
    page.select_option("#id_product_id", str(licence.pk))
    page.fill("#id_quantity", "2")
    page.fill("#id_discount_percent", "25")
    page.click("#line-add-submit")
    settled(page)
    page.locator("#quote-total", has_text="21,696.00").wait_for()  # 19,200.00 + 13 % tax
    assert page.locator("#quote-needs-approval").is_visible()
    row = page.locator("#quote-lines tbody tr").first
    row.locator("input[name=unit_price]").fill("12800.005")
    row.get_by_role("button").first.click()
    settled(page)
    page.locator("#line-error").wait_for()
    assert "21,696.00" in page.inner_text("#quote-total")
    _shots(page, screenshot, f"{lang}-quote-draft")

    page.click("#quote-submit")
    page.locator("#messages", has_text=t["submitted"]).wait_for()
    assert page.get_attribute("#quote-status", "data-status") == "in_approval"
    assert page.locator("#quote-send").count() == 0
    _sign_out(page)

    # 3. The manager approves the discount.
    _sign_in(page, live_server.url, "manager", t["switch"])
    quote = Quote.objects.get()
    page.goto(f"{live_server.url}/contracts/quotes/{quote.pk}/")
    page.click("#quote-approval")
    page.wait_for_url("**/approvals/requests/*/")
    page.fill("#id_comment", "同意 25% 折扣")
    page.click("#approve-button")
    page.locator("#messages", has_text=t["approved"]).wait_for()
    _sign_out(page)

    # 4. The seller sends it and downloads the PDF.
    _sign_in(page, live_server.url, "seller", t["switch"])
    page.goto(f"{live_server.url}/contracts/quotes/{quote.pk}/")
    assert page.get_attribute("#quote-status", "data-status") == "approved"
    page.click("#quote-send")
    page.locator("#messages", has_text=t["sent"]).wait_for()
    assert t["status_sent"] in page.inner_text("#quote-status")
    _shots(page, screenshot, f"{lang}-quote-sent")
    with page.expect_download() as download:
        page.click("#quote-pdf-zh" if lang == "zh-hans" else "#quote-pdf-en")
    content = Path(download.value.path()).read_bytes()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "上海关系科技有限公司" in text and "企业版许可证" in text and "21,696.00" in text

    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT and quote.total == Decimal("21696.00")
    page.goto(f"{live_server.url}/contracts/quotes/")
    page.locator(f"#quote-table tr[data-quote='{quote.pk}']", has_text=t["status_sent"]).wait_for()
    _shots(page, screenshot, f"{lang}-quote-list")
