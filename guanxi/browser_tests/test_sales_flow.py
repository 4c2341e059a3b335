"""Sales in a real browser, in Chinese and in English: a lead arrives through the public
web form, is assigned by rule, the duplicate check finds the existing customer and the
conversion links it; an opportunity created for the customer is dragged on the kanban to
the next stage (the column totals follow) and won; the forecast's won total and the owner's
revenue target attainment move by its amount. Screenshots at 1400 and 390 px."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.customers import services
from guanxi.customers.tests.factories import ProductFactory
from guanxi.sales.models import AssignmentRule, Lead, LeadStatus, Opportunity
from guanxi.sales.models_targets import Target, TargetMetric
from guanxi.sales.tests.factories import board

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "深圳华信科技有限公司"
TEXT = {
    "zh-hans": {
        "switch": "中文",
        "thanks": "感谢你的留言",
        "link": f"转化并关联已有客户“{NAME}”",
        "converted": "线索已转化。",
        "created": "商机已创建。",
        "column": "1 个 · ¥120,000.00",
        "empty": "0 个 · ¥0.00",
        "first_before": "2 个 · ¥219,600.00",
        "first_after": "1 个 · ¥99,600.00",
        "won": "赢单",
        "won_message": "恭喜，商机已赢单！",
        "line_added": "产品明细已添加。",
        "saved": "商机已保存。",
    },
    "en": {
        "switch": "English",
        "thanks": "Thank you for your message",
        "link": f"Convert and link to the existing customer “{NAME}”",
        "converted": "Lead converted.",
        "created": "Opportunity created.",
        "column": "1 · ¥120,000.00",
        "empty": "0 · ¥0.00",
        "first_before": "2 · ¥219,600.00",
        "first_after": "1 · ¥99,600.00",
        "won": "Won",
        "won_message": "Congratulations, the opportunity is won!",
        "line_added": "Product line added.",
        "saved": "Opportunity saved.",
    },
}


def _login(page: Any, url: str, lang: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=TEXT[lang]["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_username", "wang")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{url}/")


def _drag(page: Any, card: Any, target: Any) -> None:
    """Drag with real mouse moves in small steps (SortableJS listens to the native drag
    events Chromium fires for them)."""
    card.scroll_into_view_if_needed()
    box, to = card.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 10, box["y"] + box["height"] / 2, steps=5)
    page.mouse.move(to["x"] + to["width"] / 2, to["y"] + 20, steps=20)
    page.mouse.up()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_lead_to_won_opportunity(
    live_server: Any, page: Any, screenshot: Any, lang: str, settings: Any
) -> None:
    t = TEXT[lang]
    settings.SALES_WEB_FORM_MIN_SECONDS = 0  # no waiting for the signed time in a test
    south = TeamFactory(name="华南销售部")
    user = UserFactory(username="wang", display_name="王经理", role=Role.ACCOUNT_MANAGER,
                       team=south)  # fmt: skip
    UserFactory(username="li", display_name="李经理", role=Role.ACCOUNT_MANAGER,
                team=TeamFactory(name="华东销售部"))  # fmt: skip
    AssignmentRule.objects.create(name="华南地区", method="region", team=south,
                                  regions=["广东"])  # fmt: skip
    customer = services.customer_create(actor=user, data={"name": NAME, "phone": "0755-28780808"})
    pipeline, stages = board()
    product = ProductFactory(name="瀚海CRM 专业版（50用户/年）", unit_price=Decimal("49800.00"))

    # 1. The public form (no login), at phone width.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/sales/form/")
    page.locator("form.gx-lang button", has_text=t["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_name", "陈先生")
    page.fill("#id_company", NAME)
    page.fill("#id_phone", "13800138000")
    page.fill("#id_region", "广东")
    page.fill("#id_message", "想了解 CRM 专业版的价格")
    screenshot(f"{lang}-sales-web-form-390")
    page.locator("#web-lead-form button[type=submit]").click()
    page.locator("#web-lead-thanks").wait_for()
    assert t["thanks"] in page.inner_text("#web-lead-thanks")
    lead = Lead.objects.get()
    assert lead.owner == user and lead.source == "web"  # the region rule chose him

    # 2. The lead: assigned, the duplicate check finds the customer, conversion links it.
    page.set_viewport_size({"width": 1400, "height": 900})
    _login(page, live_server.url, lang)
    page.goto(f"{live_server.url}/sales/leads/")
    page.locator(f'a[href="/sales/leads/{lead.pk}/"]').first.click()
    page.locator("#convert-form").wait_for()
    assert page.inner_text("#lead-owner") == "王经理"
    assert t["link"] in page.inner_text("#convert-form")
    assert NAME in page.inner_text("main")
    screenshot(f"{lang}-sales-lead-detail")
    page.fill("#id_opportunity_name", "CRM 专业版采购")
    page.locator("#lead-convert").click()
    page.wait_for_url(re.compile(r"/sales/opportunities/\d+/$"))
    assert t["converted"] in page.inner_text("body")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED and lead.converted_customer_id == customer.pk

    # 2b. Its product lines (the amount follows them) and an edit of its next step.
    page.select_option("#id_line-product_id", str(product.pk))
    page.fill("#id_line-quantity", "2")
    page.locator("#line-add").click()
    page.wait_for_load_state()
    assert t["line_added"] in page.inner_text("body")
    assert page.inner_text("#opp-amount") == "¥99,600.00"
    page.locator("#opp-edit").click()
    assert page.locator("#id_amount").is_disabled()  # the sum of the lines
    page.fill("#id_next_step", "安排产品演示")
    page.locator("#opportunity-edit-save").click()
    page.wait_for_url(re.compile(r"/sales/opportunities/\d+/$"))
    assert t["saved"] in page.inner_text("body") and "安排产品演示" in page.inner_text("main")
    screenshot(f"{lang}-sales-opportunity-lines")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(f"{lang}-sales-opportunity-lines-390")
    page.set_viewport_size({"width": 1400, "height": 900})

    # 3. A new opportunity for the customer, from its 360 page.
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.locator("#add-opportunity").click()
    page.fill("#id_name", "年度服务续约")
    page.fill("#id_amount", "120000")
    page.fill("#id_expected_close", "2027-03-31")
    page.locator("#opportunity-save").click()
    page.wait_for_url(re.compile(r"/sales/opportunities/\d+/$"))
    assert t["created"] in page.inner_text("body")
    opp = Opportunity.objects.get(name="年度服务续约")

    # 4. Drag its card to the next stage: the card moves, both column totals follow.
    page.goto(f"{live_server.url}/sales/pipelines/{pipeline.pk}/")
    first, second = stages[0], stages[1]
    assert page.inner_text(f"#col-total-{second.pk}") == t["empty"]
    assert page.inner_text(f"#col-total-{first.pk}") == t["first_before"]
    screenshot(f"{lang}-sales-kanban-before")
    _drag(page, page.locator(f"#opp-{opp.pk}"), page.locator(f'[data-stage="{second.pk}"]'))
    page.wait_for_function(
        "([id, text]) => document.getElementById(id)?.textContent.trim() === text",
        arg=[f"col-total-{second.pk}", t["column"]],
    )
    assert page.locator(f'[data-stage="{second.pk}"] #opp-{opp.pk}').count() == 1
    opp.refresh_from_db()
    assert opp.stage_id == second.pk and opp.version == 2
    assert page.inner_text(f"#col-total-{first.pk}") == t["first_after"]
    screenshot(f"{lang}-sales-kanban-after")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(f"{lang}-sales-kanban-390")
    page.set_viewport_size({"width": 1400, "height": 900})

    # 5. Before winning: this month's won total on the forecast and the owner's revenue
    # target attainment on the targets page (a target set for this month).
    today = timezone.localdate()
    Target.objects.create(metric=TargetMetric.REVENUE, year=today.year, month=today.month,
                          owner=user, value=Decimal("240000.00"))  # fmt: skip
    row = f"#target-owner-{user.pk}-{TargetMetric.REVENUE}"
    page.goto(f"{live_server.url}/sales/forecast/")
    won_before = page.inner_text("#fc-won")
    page.goto(f"{live_server.url}/sales/targets/")
    attainment_before = page.locator(row).get_attribute("data-attainment")

    # 6. Win it on its page.
    page.goto(f"{live_server.url}/sales/opportunities/{opp.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#opp-win").click()
    page.wait_for_function(
        "text => document.getElementById('opp-status')?.textContent.trim() === text",
        arg=t["won"],
    )
    assert t["won_message"] in page.inner_text("body")
    opp.refresh_from_db()
    assert opp.status == "won" and opp.amount == Decimal("120000.00")
    screenshot(f"{lang}-sales-opportunity-won")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(f"{lang}-sales-opportunity-won-390")
    page.set_viewport_size({"width": 1400, "height": 900})

    # 7. The forecast and the target attainment moved by the won amount.
    page.goto(f"{live_server.url}/sales/forecast/")
    assert won_before == "¥0.00"
    assert page.inner_text("#fc-won") == "¥120,000.00"
    screenshot(f"{lang}-sales-forecast-after-win")
    page.goto(f"{live_server.url}/sales/targets/")
    assert attainment_before in ("", "0", "0.0")
    assert float(page.locator(row).get_attribute("data-attainment") or 0) == 50.0
    assert page.locator(f"{row} [data-col=actual]").inner_text().strip() == "¥120,000.00"
    screenshot(f"{lang}-sales-targets-after-win")
