"""From a won opportunity to cash in a real browser: the seller quotes with a discount
above the account manager's limit, the manager approves it, the customer accepts; the
contract (above ¥500,000) gets a plan of three instalments and is approved in two steps
(the sales director, then finance) from their "my day"; a partial collection; the overdue
instalment on the seller's "my day"; an invoice requested, approved by finance and
issued; the customer's 360 page shows the contract, the collected % and the
receivable."""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from stdnum.cn import uscc

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.approvals.models import ApproverKind, Flow, FlowStep
from guanxi.browser_tests.conftest import SCREENSHOTS, settled
from guanxi.contracts.models import (
    Contract,
    ContractStatus,
    DiscountLimit,
    InvoiceStatus,
    ProductTerms,
    Quote,
)
from guanxi.customers.tests.factories import CustomerFactory, ProductFactory
from guanxi.sales.tests.factories import OpportunityFactory, board

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots: ``GUANXI_SCREENSHOTS`` when set, else with the other browser tests'.
SHOTS = Path(os.environ.get("GUANXI_SCREENSHOTS") or SCREENSHOTS)


def _sign_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.locator("form.gx-lang button", has_text="中文").click()
    page.wait_for_load_state()
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{url}/")


def _sign_out(page: Any) -> None:
    page.click("#gx-user-menu")
    page.locator("form[action$='/accounts/logout/'] button").first.click()
    page.wait_for_url("**/accounts/login/**")


def _shots(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 2, f"{name}: the page is {width} px wide at 390 px"
    page.set_viewport_size({"width": 1400, "height": 900})


def _approve_from_my_day(page: Any, url: str, username: str, title: str) -> None:
    _sign_in(page, url, username)
    page.locator("#section-approvals a", has_text=title).first.click()
    page.wait_for_url("**/approvals/requests/*/")
    page.click("#approve-button")
    page.locator("#messages", has_text="已同意").wait_for()
    _sign_out(page)


def _tax_id() -> str:
    base = "91310115MA1K4LXX0"
    return base + uscc.calc_check_digit(base)


def test_quote_to_cash(live_server: Any, page: Any) -> None:
    url = live_server.url
    sales = TeamFactory(name="华东销售部")
    director = UserFactory(username="director", role=Role.MANAGER, team=sales,
                           display_name="赵总监")  # fmt: skip
    seller = UserFactory(username="seller", role=Role.ACCOUNT_MANAGER, team=sales,
                         manager=director, display_name="李销售")  # fmt: skip
    finance = UserFactory(username="finance", role=Role.MANAGER, display_name="钱财务")
    _pipeline, stages = board()
    customer = CustomerFactory(name="上海关系科技有限公司", owner=seller, team=sales)
    opportunity = OpportunityFactory(
        customer=customer, stage=stages[3], name="集团 ERP 项目", owner=seller, team=sales,
        status="won", closed_at=timezone.now(), position=None,
    )  # fmt: skip
    licence = ProductFactory(code="ERP-GRP", name="集团版许可证", unit_price=Decimal("100.00"))
    ProductTerms.objects.create(product=licence, list_price=Decimal("300000.00"), unit="套",
                                tax_rate=Decimal("13.00"))  # fmt: skip
    DiscountLimit.objects.create(role=Role.ACCOUNT_MANAGER, max_discount=Decimal("10.00"))
    flow = Flow.objects.create(document_type="quote_discount", name="报价折扣审批")
    FlowStep.objects.create(flow=flow, position=1, name="直属上级审批",
                            approver_kind=ApproverKind.MANAGER)  # fmt: skip
    flow = Flow.objects.create(document_type="contract", name="合同审批")
    FlowStep.objects.create(flow=flow, position=1, name="销售总监审批",
                            approver_kind=ApproverKind.MANAGER, condition_field="amount",
                            condition_operator="gt", condition_value="500000")  # fmt: skip
    FlowStep.objects.create(flow=flow, position=2, name="财务审批",
                            approver_kind=ApproverKind.USER, user=finance)  # fmt: skip
    flow = Flow.objects.create(document_type="invoice_request", name="开票审批")
    FlowStep.objects.create(flow=flow, position=1, name="财务审批",
                            approver_kind=ApproverKind.USER, user=finance)  # fmt: skip
    today = timezone.localdate()

    # 1. A quote from the won opportunity, 25 % off (above the seller's 10 %).
    _sign_in(page, url, "seller")
    page.goto(f"{url}/sales/opportunities/{opportunity.pk}/")
    page.click("#opp-quote")
    page.wait_for_url("**/contracts/quotes/new/**")
    page.click("#quote-create")
    page.wait_for_url(re.compile(r"/contracts/quotes/\d+/$"))
    page.select_option("#id_product_id", str(licence.pk))
    page.fill("#id_quantity", "2")
    page.fill("#id_discount_percent", "25")
    page.click("#line-add-submit")
    settled(page)
    page.locator("#quote-total", has_text="508,500.00").wait_for()  # 450,000.00 + 13 % tax
    page.click("#quote-submit")
    page.locator("#messages", has_text="已提交折扣审批").wait_for()
    _sign_out(page)

    # 2. The manager approves the discount from "my day".
    quote = Quote.objects.get()
    _approve_from_my_day(page, url, "director", quote.title)

    # 3. Sent and accepted: a draft contract follows.
    _sign_in(page, url, "seller")
    page.goto(f"{url}/contracts/quotes/{quote.pk}/")
    page.click("#quote-send")
    page.locator("#messages", has_text="报价单已发送").wait_for()
    page.click("#quote-accept")
    page.locator("#quote-status[data-status=accepted]").wait_for()
    contract = Contract.objects.get()
    assert contract.amount == Decimal("508500.00") and contract.opportunity == opportunity

    # 4. Three instalments, the first one already past its date; then to approval.
    page.goto(f"{url}/contracts/{contract.pk}/")
    page.fill("#plan-form input[name=count]", "3")
    page.fill("#plan-form input[name=first_due]", (today - dt.timedelta(days=20)).isoformat())
    page.fill("#plan-form input[name=every_months]", "1")
    page.click("#plan-save")
    page.locator("#messages", has_text="回款计划已保存").wait_for()
    assert page.locator("#instalment-table tbody tr").count() == 3
    page.click("#contract-submit")
    page.locator("#messages", has_text="合同已提交审批").wait_for()
    _shots(page, "contract-in-approval")
    _sign_out(page)

    # 5. Two steps: the sales director, then finance.
    _approve_from_my_day(page, url, "director", contract.number)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.IN_APPROVAL
    _approve_from_my_day(page, url, "finance", contract.number)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.APPROVED

    # 6. A partial collection; the overdue instalment on the seller's "my day".
    _sign_in(page, url, "seller")
    page.locator("#section-contracts_overdue", has_text=contract.number).wait_for()
    _shots(page, "my-day-overdue")
    page.goto(f"{url}/contracts/{contract.pk}/")
    page.fill("#collection-form input[name=received_on]", today.isoformat())
    page.fill("#collection-form input[name=amount]", "100000.00")
    page.click("#collection-save")
    page.locator("#messages", has_text="回款已登记").wait_for()
    assert "19.7%" in page.inner_text("#contract-collected-percent")
    first = page.locator("#instalment-table tbody tr").first
    assert first.get_attribute("data-status") == "overdue"

    # 7. An invoice title, an invoice requested.
    page.fill("#title-form input[name=name]", "上海关系科技有限公司")
    page.fill("#title-form input[name=tax_id]", _tax_id())
    page.click("#title-save")
    page.locator("#messages", has_text="发票抬头已添加").wait_for()
    page.fill("#invoice-form input[name=amount]", "100000.00")
    page.fill("#invoice-form input[name=tax_rate]", "13")
    page.click("#invoice-save")
    page.locator("#messages", has_text="开票申请已提交审批").wait_for()
    _sign_out(page)
    _approve_from_my_day(page, url, "finance", "¥100000.00")  # the request's title

    # 8. Issued.
    _sign_in(page, url, "seller")
    page.goto(f"{url}/contracts/{contract.pk}/")
    row = page.locator("#invoice-table tbody tr[data-status=approved]")
    row.locator("input[name=invoice_number]").fill("04400123")
    row.locator(".invoice-issue").click()
    page.locator("#messages", has_text="已登记开票").wait_for()
    assert page.locator("#invoice-table tbody tr[data-status=issued]").count() == 1
    _shots(page, "contract-active")
    assert contract.invoices.get().status == InvoiceStatus.ISSUED

    # 9. The customer's 360 page: the contract, the collected % and the receivable.
    page.goto(f"{url}/customers/{customer.pk}/")
    panel = page.locator("#panel-contracts")
    panel.locator("#contract-list", has_text=contract.number).wait_for()
    assert "19.7%" in panel.locator("#customer-collected-percent").inner_text()
    assert "408500.00" in panel.locator("#customer-receivable").inner_text().replace(",", "")
    _shots(page, "customer-360")

    # The receivables page with its aging and the overdue instalment.
    page.goto(f"{url}/contracts/receivables/")
    page.locator("#overdue-table", has_text=contract.number).wait_for()
    page.wait_for_function("() => !!window.gxAgingChart")
    _shots(page, "receivables")
