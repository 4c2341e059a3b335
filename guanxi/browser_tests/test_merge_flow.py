"""Duplicates in a real browser, in Chinese and in English: run the scan from the customer
list, watch its progress, open the pair, merge it keeping one field from each record, see the
merged customer, then undo the merge from the merge history and see the other record back."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.customers.models import Customer
from guanxi.customers.tests.duplicates.support import contact, customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "zh-hans": {
        "switch": "中文",
        "duplicates": "查重与合并",
        "scan": "查找重复客户",
        "reason": "电话相同",
        "merged": "已将",
        "undo": "撤销合并",
        "undone": "已撤销合并",
        "timeline": "合并客户",
    },
    "en": {
        "switch": "English",
        "duplicates": "Duplicates & merge",
        "scan": "Find duplicates",
        "reason": "Same phone",
        "merged": "Merged “",
        "undo": "Undo merge",
        "undone": "Merge undone",
        "timeline": "Merged customer",
    },
}


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_merge_flow(live_server: Any, page: Any, screenshot: Any, lang: str) -> None:
    t = TEXT[lang]
    user = UserFactory(
        username="li",
        display_name="李经理",
        role=Role.ACCOUNT_MANAGER,
        team=TeamFactory(name="华南销售部"),
    )
    first = customer(
        user,
        "华为技术有限公司",
        phone="0755-28780808",
        email="info@huawei.com",
        industry="信息技术",
        province="广东",
        city="深圳",
    )
    second = customer(
        user,
        "華為技術",
        phone="+86 755 2878 0808",
        industry="通信设备",
        notes="2019 年从旧系统导入",
    )
    contact(second, "任正非", mobile="13900000001")
    customer(user, "阿里巴巴网络技术有限公司", phone="13900001111")
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=t["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_username", "li")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")  # staff land on "my day"
    page.locator("#nav-customers").click()
    page.wait_for_url("**/customers/")

    # The queue, from the customer list; the scan runs as a job with a progress bar.
    page.locator("#duplicates-link", has_text=t["duplicates"]).click()
    page.wait_for_url("**/customers/duplicates/")
    page.locator("#scan-button", has_text=t["scan"]).click()
    page.locator("#scan-job .gx-job[data-status=succeeded]").wait_for()
    assert page.locator("#scan-job .gx-job-pct").inner_text() == "100%"
    row = page.locator(".gx-dup-row")
    row.first.wait_for()
    assert row.count() == 1
    assert t["reason"] in row.inner_text()
    assert "華為技術" in row.inner_text() and "阿里巴巴" not in row.inner_text()
    screenshot(f"merge-1-queue-{lang}")

    # Side by side: keep the first record, its phone, and the second one's name and industry.
    row.locator("a.btn-primary").click()
    page.wait_for_url(f"**/customers/merge/{first.pk}/{second.pk}/")
    assert page.locator(f"#survivor-{first.pk}").is_checked()
    page.locator("#f-name-b").check()
    page.locator("#f-industry-b").check()
    assert page.locator("#f-phone-a").is_checked()
    screenshot(f"merge-2-compare-{lang}")
    page.locator("#merge-submit").click()

    # The merged customer: chosen values, the other record's contact, the story on the timeline.
    page.wait_for_url(f"**/customers/{first.pk}/")
    assert t["merged"] in page.locator("#messages").inner_text()
    assert "華為技術" in page.locator("h1").inner_text()
    body = page.locator("main").inner_text()
    assert "任正非" in body and "通信设备" in body and "0755-28780808" in body
    assert t["timeline"] in body
    assert not Customer.objects.filter(pk=second.pk).exists()
    screenshot(f"merge-3-merged-{lang}")

    # Undo from the merge history: both records as they were.
    page.locator("#messages a").click()
    page.wait_for_url("**/customers/merges/")
    page.locator("button", has_text=t["undo"]).click()
    # The confirmed form is boosted (hx-confirm): the same URL, its body swapped in place.
    page.locator("#messages", has_text=t["undone"]).wait_for()
    page.wait_for_url("**/customers/merges/")
    assert t["undone"] in page.locator("#messages").inner_text()
    screenshot(f"merge-4-undone-{lang}")
    page.locator("#messages a").click()
    page.wait_for_url(f"**/customers/{second.pk}/")
    assert "華為技術" in page.locator("h1").inner_text()
    assert "任正非" in page.locator("main").inner_text()
    first.refresh_from_db()
    assert (first.name, first.industry) == ("华为技术有限公司", "信息技术")
