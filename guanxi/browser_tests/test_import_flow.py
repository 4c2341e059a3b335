"""Import in a real browser, in Chinese and in English: upload a GBK CSV with Chinese
headers, accept the suggested mapping, see the preview with its error row, run it, watch
the progress reach 100 %, download the error report, and undo the import."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, UserFactory
from guanxi.customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = [
    ["客户名称", "客户类型", "省份", "城市", "联系电话", "邮箱", "客户起始日期"],
    ["上海华信科技有限公司", "企业", "上海", "上海", "138 0013 8000", "hx@example.com", "2024/3/5"],
    ["北京金鼎贸易有限公司", "公司", "北京", "北京", "13900001111", "不是邮箱", "2024年3月5日"],
    ["深圳瑞丰投资基金", "基金", "广东", "深圳", "0755-2878 0808", "", "45356"],
]
TEXT = {
    "zh-hans": {
        "switch": "中文",
        "nav": "导入/导出",
        "email_col": "邮箱",
        "bad": "不是有效的邮箱地址",
        "investor": "资金提供方",
    },
    "en": {
        "switch": "English",
        "nav": "Import/export",
        "email_col": "邮箱",
        "bad": "is not a valid email address",
        "investor": "Bank / investor",
    },
}


def _gbk_csv() -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(ROWS)
    return buf.getvalue().encode("gbk")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_import_flow(live_server: Any, page: Any, screenshot: Any, lang: str, tmp_path) -> None:
    t = TEXT[lang]
    UserFactory(username="boss", display_name="李经理", role=Role.ADMIN)
    upload = tmp_path / "客户名单.csv"
    upload.write_bytes(_gbk_csv())

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=t["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")  # staff land on "my day"

    # Upload the GBK file with Chinese headers.
    page.locator("#nav-import").click()
    page.wait_for_url("**/customers/import/")
    assert page.locator("#nav-import").inner_text() == t["nav"]
    page.select_option("#id_kind", "customers")
    page.set_input_files("#id_file", str(upload))
    page.click("#upload-submit")
    page.wait_for_url("**/customers/import/*/")
    assert "gb18030" in page.inner_text("#file-info")

    # The suggested mapping, accepted as it is.
    selected = page.eval_on_selector_all(
        "#mapping-form select[name^=col-]", "els => els.map(e => e.value)"
    )
    assert selected == ["name", "kind", "province", "city", "phone", "email", "since"]
    assert page.inner_text("#mapping-form [data-samples='4']").splitlines() == [
        "138 0013 8000",
        "13900001111",
        "0755-2878 0808",
    ]
    screenshot(f"{lang}-import-mapping")
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(f"{lang}-import-mapping-390")
    page.set_viewport_size(size)

    # The preview: one error row, nothing written yet.
    page.click("#preview-button")
    page.locator("#preview").wait_for()
    assert page.inner_text("#preview-counts [data-count=created]") == "2"
    assert page.inner_text("#preview-counts [data-count=failed]") == "1"
    error_row = page.locator("#preview-rows tr[data-action=fail]")
    assert error_row.get_attribute("data-row") == "3"
    assert t["bad"] in error_row.inner_text()
    assert t["investor"] in page.inner_text("#preview-rows tr[data-row='4']")
    assert Customer.objects.count() == 0
    screenshot(f"{lang}-import-preview")

    # Run it and watch the progress reach 100 %.
    page.click("#run-button")
    page.wait_for_url("**/customers/import/*/")
    page.locator("#import-progress .gx-job[data-progress='100']").wait_for()
    page.locator("#import-results[data-status=finished]").wait_for()
    assert page.inner_text("#import-results [data-count=created]") == "2"
    assert page.inner_text("#import-results [data-count=failed]") == "1"
    screenshot(f"{lang}-import-done")

    # Download the error report.
    with page.expect_download() as info:
        page.click("#error-report-csv")
    report = info.value.path().read_bytes().decode("utf-8-sig")
    header, line = list(csv.reader(io.StringIO(report)))[:2]
    assert header[:7] == ROWS[0] and len(header) == 9  # the original columns, then why
    assert line[:7] == ROWS[2] and line[8] == "3"  # the whole row, as it was in the file
    assert line[7].startswith(t["email_col"]) and t["bad"] in line[7]
    with page.expect_download() as info:
        page.click("#error-report-xlsx")
    assert info.value.suggested_filename.endswith(".xlsx")

    # Undo.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#undo-button")
    page.locator("#import-results[data-status=undone]").wait_for()
    assert Customer.objects.count() == 0
    screenshot(f"{lang}-import-undone")
