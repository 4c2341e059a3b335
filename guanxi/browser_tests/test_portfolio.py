"""The portfolio dashboard (组合看板, issue 15 item 7) in a browser, in Chinese and English at
phone width (390 px): reached from the project list, its tiles, the SPI × CPI scatter drawn,
a filter applied, the table sorted, and a row drilling down to the project's 挣值 tab with
its KPI panel. The page does not scroll sideways and shows no text of the other script."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.browser_tests.conftest import SCREENSHOTS
from guanxi.browser_tests.test_no_other_script import _offending
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.projects.models import RAG_RANK, ProjectKpi
from guanxi.projects.tests.factories import ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SWITCH = {"zh-hans": "中文", "en": "English"}


def _scene() -> dict[str, Any]:
    team = TeamFactory(name="交付部")
    pm = UserFactory(username="pf_pm", role=Role.PROJECT_MANAGER, team=team)
    customer = CustomerFactory(name="华信科技", owner=pm)
    rows = [("Alpha", "red", "0.70", "1.05"), ("Beta", "green", "1.02", "0.98"),
            ("Gamma", "amber", "0.92", "1.20"), ("Delta", "", None, None)]  # fmt: skip
    projects = {}
    for name, rag, spi, cpi in rows:
        project = ProjectFactory(manager=pm, name=name, customer=customer, phase="execute")
        projects[name] = project
        if rag:
            ProjectKpi.objects.create(
                project=project, pending=False, computed_at=timezone.now(),
                status_date=dt.date.today(), has_baseline=True, spi=Decimal(spi),
                cpi=Decimal(cpi), rag=rag, rag_rank=RAG_RANK[rag], milestones_due=4,
                milestones_on_time=3, milestone_rate=Decimal("0.75"),
                deliverables_decided=2, deliverables_first_pass=1,
                first_pass_rate=Decimal("0.5"), booked_hours=Decimal("60"),
                available_hours=Decimal("120"), utilisation=Decimal("0.5"),
            )  # fmt: skip
    return {"pm": pm, "projects": projects}


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_portfolio_at_phone_width(live_server: Any, chromium: Any, lang: str) -> None:
    scene = _scene()
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{live_server.url}/accounts/login/")
        page.locator("form.gx-lang button", has_text=SWITCH[lang]).click()
        page.wait_for_load_state()
        page.fill("#id_username", "pf_pm")
        page.fill("#id_password", PASSWORD)
        page.locator("main button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        page.goto(f"{live_server.url}/projects/")
        page.locator("#project-portfolio-link").click()
        page.wait_for_load_state("networkidle")
        page.locator("#portfolio-chart[data-rendered='1'] canvas").first.wait_for()
        tiles = page.locator("[data-tile='projects'] [data-tile-value]").inner_text()
        assert tiles.strip() == "4"
        assert page.locator("[data-tile-rag='red']").inner_text().strip().endswith("1")
        # worst first by default: red, amber, green, then no data
        order = page.locator("#portfolio-table tbody tr td:first-child a").all_inner_texts()
        assert order == ["Alpha", "Gamma", "Beta", "Delta"]
        width, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert width <= inner, (width, inner)
        if lang == "en":
            texts = [t for t in page.inner_text("main").splitlines() if t.strip()]
            data = ("华信科技", str(scene["pm"]))  # the scene's own names
            texts = [t for t in texts if not any(d in t for d in data)]
            assert _offending("en", texts) == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{lang}-portfolio-390.png"), full_page=True)
        # sort by CPI (ascending: Beta 0.98 first), then filter by colour
        page.locator("a[data-sort='cpi']").click()
        page.wait_for_load_state("networkidle")
        first = page.locator("#portfolio-table tbody tr td:first-child a").first
        assert first.inner_text() == "Beta"
        page.select_option("#pf-rag", "amber")
        page.locator("#portfolio-apply").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("#portfolio-table tbody tr").count() == 1
        # drill down to the project's EVM tab, its KPI panel shown
        page.locator("#portfolio-table [data-drill]").first.click()
        page.wait_for_load_state("networkidle")
        assert f"/projects/{scene['projects']['Gamma'].pk}/evm/" in page.url
        panel = page.locator("#project-kpi")
        assert "0.92" in panel.inner_text()
        page.screenshot(path=str(SCREENSHOTS / f"{lang}-portfolio-drill-390.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
