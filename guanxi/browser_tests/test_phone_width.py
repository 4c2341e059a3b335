"""Issue 10 item 38: the main pages at phone width (390 × 844), in Chinese and in English.
No page scrolls sideways as a whole (wide tables scroll inside their ``.table-responsive``),
no figure or label is cut off by an ``overflow: hidden`` box or a chart's margin, and a
customer's name is never wrapped one character per line."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.analytics import services as analytics_services
from guanxi.analytics.tests import builders
from guanxi.browser_tests.conftest import SCREENSHOTS, settled
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.sales.tests.factories import OpportunityFactory, board

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SWITCH = {"zh-hans": "中文", "en": "English"}
LONG_NAME = "深圳市华信智能制造科技股份有限公司"
BIG = Decimal("18334275.34")  # three orders of it: ¥55,002,826.02 of revenue

# Text that is cut off or runs over its neighbours: an element that clips (overflow other
# than visible, or an ellipsis) with content wider or taller than its box; or a block that
# holds text only and is narrower than that text (it spills over the next box) — unless
# the spill stays inside a box that scrolls sideways (a ``.table-responsive``).
CLIPPED_JS = """() => {
  const out = [];
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll("main *")) {
    const text = el.textContent.trim();
    if (!text || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || ["auto", "scroll"].includes(style.overflowX)) continue;
    const clipsX = ["hidden", "clip"].includes(style.overflowX)
      || style.textOverflow === "ellipsis";
    const clipsY = ["hidden", "clip"].includes(style.overflowY);
    const leaf = !el.children.length && style.display !== "inline";
    const wide = el.scrollWidth > el.clientWidth + 1, tall = el.scrollHeight > el.clientHeight + 1;
    if ((clipsX && wide) || (clipsY && tall) || (leaf && wide && !clipsX && !scrolls(el))) {
      out.push(el.tagName.toLowerCase() + "." + el.className + ": " + text.slice(0, 40));
    }
  }
  return out;
}"""

# A name in a table cell wraps one or two characters per line when the table squeezes its
# column: count the lines of each cell of plain text (inline content, no line breaks of its
# own) against its length.
NAMES_JS = """() => {
  const out = [];
  for (const cell of document.querySelectorAll("main td")) {
    const inner = [...cell.querySelectorAll("*")];
    if (inner.some((e) => e.tagName === "BR" || getComputedStyle(e).display !== "inline")) continue;
    const text = cell.textContent.trim();
    if (text.length < 6) continue;
    const range = document.createRange();
    range.selectNodeContents(cell);
    const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0)
      .map((r) => Math.round(r.bottom))).size;
    if (lines > 1 && text.length / lines < 5) {
      out.push(text.slice(0, 40) + " (" + lines + " lines)");
    }
  }
  return out;
}"""

# A headline figure (a KPI, a stat: an amount, a count) reads on one line, not broken
# mid-number; a worded value ("Potential loyalists") may wrap.
FIGURES_JS = """() => [...document.querySelectorAll("main .gx-kpi-value, main .gx-stat-value")]
  .filter((el) => /^[¥\\d]/.test(el.textContent.trim())).filter((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].filter((r) => r.width > 0)
      .map((r) => Math.round(r.bottom))).size > 1;
  }).map((el) => el.textContent.trim())"""

# ECharts draws on a canvas, so a label it cuts shows in no DOM measure: ask each chart for
# what it draws (zrender) — every piece of text (``tspan``) inside the chart, and the label
# drawn on a cell (a heatmap's, a bar's) inside that cell.
CHART_LABELS_JS = r"""() => {
  const out = [];
  const box = (el) => { const b = el.getBoundingRect().clone(); const m = el.getComputedTransform();
    if (m) b.applyTransform(m); return b; };
  const plain = (text) => String(text).replace(/\{\w+\||\}/g, "").replace(/\n/g, " ");
  for (const [key, chart] of Object.entries(window.gxCharts || {})) {
    if (!chart) continue;
    const width = chart.getWidth(), height = chart.getHeight();
    chart.getZr().storage.getDisplayList(true).forEach((el) => {
      if (el.type === "tspan" && !el.ignore && !el.invisible) {
        const b = box(el);
        if (b.x < -0.5 || b.y < -0.5
            || b.x + b.width > width + 0.5 || b.y + b.height > height + 0.5) {
          out.push(key + ": " + plain(el.style.text) + " (leaves the chart)");
        }
      }
      const label = el.getTextContent && el.getTextContent();
      if (el.type === "rect" && label && !label.ignore && !label.invisible) {
        const b = box(label), cell = box(el);
        if (b.width > cell.width + 0.5 || b.height > cell.height + 0.5) {
          out.push(key + ": " + plain(label.style.text) + " (wider than its cell)");
        }
      }
    });
  }
  return out;
}"""

# The names of the value matrix's bands drawn on its axes.
MATRIX_AXES_JS = """() => {
  const chart = window.gxCharts.matrix;
  const data = JSON.parse(document.getElementById("gx-analytics-data").textContent).matrix;
  const names = new Set([...data.cycles, ...data.amounts]);
  const shown = [];
  chart.getZr().storage.traverse((el) => {
    if (el.type === "text" && !el.ignore && !el.invisible && names.has(el.style.text)) {
      shown.push(el.style.text);
    }
  });
  return shown;
}"""


def _scene() -> dict[str, Any]:
    admin = UserFactory(
        username="boss", display_name="周总", role=Role.ADMIN, is_superuser=True, is_staff=True
    )
    east = TeamFactory(name="华东销售部")
    li = UserFactory(username="li", display_name="李经理", team=east)
    analytics_services.analytics_settings_update(
        actor=admin, version=builders.settings_version(),
        changes={"cycle_threshold_short": 30, "cycle_threshold_long": 90,
                 "amount_threshold_small": 100, "amount_threshold_large": 500},
    )  # fmt: skip
    builders.grid_book(owner=li, province="浙江", city="杭州")
    big = CustomerFactory(owner=li, name=LONG_NAME, phone="13800001111", province="广东")
    builders.add_orders(big, builders.regular_orders(30, BIG))
    for i in range(3):
        CustomerFactory(owner=admin, name=f"北京中关村软件园信息技术有限公司{i}")
    analytics_services.analytics_recompute(actor=admin, as_of=builders.AS_OF)
    pipeline, stages = board()
    for i, stage in enumerate(stages[:3]):
        OpportunityFactory(
            customer=big, stage=stage, owner=li, name=f"{LONG_NAME}数字化工厂二期{i}",
            amount=Decimal("12500000.00"), expected_close=dt.date(2026, 12, 31),
        )  # fmt: skip
    return {"customer": big, "pipeline": pipeline}


def _pages(scene: dict[str, Any]) -> dict[str, str]:
    return {
        "customer-list": "/customers/",
        "customer-360": scene["customer"].get_absolute_url(),
        "analytics": "/analytics/",
        "my-day": "/",
        "imports": "/customers/import/",
        "sales-kanban": f"/sales/pipelines/{scene['pipeline'].pk}/",
        "sales-list": "/sales/opportunities/",
    }


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_main_pages_fit_a_phone(live_server: Any, chromium: Any, lang: str) -> None:
    scene = _scene()
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.locator("form.gx-lang button", has_text=SWITCH[lang]).click()
        page.wait_for_load_state()
        page.fill("#id_username", "boss")
        page.fill("#id_password", PASSWORD)
        page.locator("main button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        problems: dict[str, Any] = {}
        for name, path in _pages(scene).items():
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, path
            page.wait_for_load_state("networkidle")
            settled(page)
            if name == "analytics":
                page.locator("#chart-matrix canvas").first.wait_for()
                # drawn, and done animating (the screenshot shows the labels in full)
                page.wait_for_function(
                    "() => Object.values(window.gxCharts).every(c => !c || (c.getZr().storage"
                    ".getDisplayList().length && c.getZr().animation.isFinished()))"
                )
                # every band of the matrix is named (ECharts drops labels that collide)
                shown = page.evaluate(MATRIX_AXES_JS)
                assert len(shown) == 6, shown
                page.locator("#value-matrix").screenshot(
                    path=str(SCREENSHOTS / f"{lang}-analytics-matrix-390.png")
                )
            page.screenshot(path=str(SCREENSHOTS / f"{lang}-{name}-390.png"), full_page=True)
            found = {
                "page width": page.evaluate("[document.documentElement.scrollWidth, innerWidth]"),
                "clipped": page.evaluate(CLIPPED_JS),
                "names": page.evaluate(NAMES_JS),
                "figures on two lines": page.evaluate(FIGURES_JS),
                "chart labels": page.evaluate(CHART_LABELS_JS),
            }
            width, inner = found.pop("page width")
            if width > inner:
                found["page width"] = f"{width} > {inner}"
            found = {k: v for k, v in found.items() if v}
            if found:
                problems[name] = found
        assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
    finally:
        context.close()
