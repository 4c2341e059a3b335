"""The public pool in a real browser, in Chinese and in English: a customer without a
follow-up for 30 days returns to the pool on the next run of the rule (its timeline says
why), another member finds it through the menu with its phone masked, claims it, and then
sees it as theirs with its phone in full; the pool's history shows both steps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.browser_tests.conftest import settled
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CommunicationFactory, CustomerFactory
from guanxi.notifications.reminders import reminders_run
from guanxi.sales.tests.pool_helpers import make_pool, make_rule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "宁波远航物流有限公司"
PHONE = "13812345678"
TEXT = {
    "zh-hans": {
        "switch": "中文",
        "nav": "公海",
        "masked": "138****5678",
        "claim": "领取",
        "claimed": f"已领取客户“{NAME}”。",
        "why": "超过 30 天无跟进，自动退回公海",
        "from_pool": "从公海“华东公海”领取",
        "recycled": "自动退回",
        "claimed_kind": "领取",
    },
    "en": {
        "switch": "English",
        "nav": "Pool",
        "masked": "138****5678",
        "claim": "Claim",
        "claimed": f"Claimed the customer “{NAME}”.",
        "why": "No follow-up for more than 30 days: returned to the public pool",
        "from_pool": "Claimed from the pool “华东公海”",
        "recycled": "Recycled",
        "claimed_kind": "Claim",
    },
}


def _login(page: Any, url: str, lang: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=TEXT[lang]["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{url}/")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_customer_without_follow_up_returns_and_another_member_claims_it(
    live_server: Any, page: Any, screenshot: Any, lang: str
) -> None:
    t = TEXT[lang]
    east = TeamFactory(name="华东销售部")
    zhang = UserFactory(
        username="zhang", display_name="张经理", role=Role.ACCOUNT_MANAGER, team=east
    )
    UserFactory(username="li", display_name="李经理", role=Role.ACCOUNT_MANAGER, team=east)
    li = type(zhang).objects.get(username="li")
    pool = make_pool(name="华东公海", members=(zhang, li), daily_claim_limit=5)
    make_rule(pool, days=30, remind_days=3)
    customer = CustomerFactory(name=NAME, owner=zhang, phone=PHONE)
    Customer.all_objects.filter(pk=customer.pk).update(
        created_at=timezone.now() - dt.timedelta(days=90)
    )
    CommunicationFactory(customer=customer, occurred_at=timezone.now() - dt.timedelta(days=40))

    # 1. The day's run of the rules (as the worker runs them) returns the customer.
    reminders_run(only=["sales_pool_reminders", "sales_pool_recycle"], force=True)
    customer.refresh_from_db()
    assert customer.owner_id is None

    # 2. Another member opens the pool from the menu: the customer, its phone masked.
    _login(page, live_server.url, lang, "li")
    page.locator("#nav-pool").click()
    page.wait_for_load_state()
    page.locator("#pool-table a", has_text="华东公海").click()
    page.wait_for_load_state()
    row = page.locator(f"tr[data-customer='{customer.pk}']")
    assert NAME in row.inner_text()
    assert t["masked"] in row.inner_text() and PHONE not in page.content()
    page.fill("#pool-q", "远航")
    page.wait_for_url("**q=**")  # the search ran (it pushes its URL)
    settled(page)
    assert page.locator("#pool-customer-table tbody tr").count() == 1
    screenshot(f"pool_detail_{lang}")

    # 3. Claim it (confirmed): it is theirs, with the phone in full and the timeline's why.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#claim-{customer.pk}").click()
    page.wait_for_load_state()
    page.get_by_text(t["claimed"]).wait_for()
    customer.refresh_from_db()
    assert customer.owner_id == li.pk
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    body = page.inner_text("body")
    assert PHONE in body
    assert t["why"] in body and t["from_pool"] in body
    screenshot(f"pool_claimed_customer_{lang}")

    # 4. The pool's history: recycled, then claimed.
    page.goto(f"{live_server.url}/sales/pool/{pool.pk}/history/")
    kinds = page.locator("#pool-history tbody tr td:nth-child(2)").all_inner_texts()
    assert kinds == [t["claimed_kind"], t["recycled"]]
    assert t["why"] in page.inner_text("#pool-history")
