"""Project control with the customer in a real browser (issue 15's acceptance): a planned
project is baselined; time is logged on the week grid and a cost entered, both approved,
and the earned-value page's S-curve and SPI/CPI move; a change request raised in the
customer's name has its impact stated, passes the internal approval flow and is approved
for the customer, which applies it and shows a new baseline beside the old; a deliverable
is submitted and accepted; the project closes with the customer's evaluation (and the
phase's satisfaction), and the follow-up visit is on the account manager's "my day".
Run in Chinese; the main pages then in English (no Chinese outside the records' own
data). Screenshots at 390 px of the EVM, change request and closure pages."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.browser_tests.test_no_other_script import _offending, visible_text
from guanxi.customers import services as customer_services
from guanxi.projects.models import (
    Baseline,
    ChangeRequest,
    Deliverable,
    PhaseGate,
    Project,
    ProjectClosure,
    Task,
    TimeEntry,
)
from guanxi.projects.services import costs as cost_services
from guanxi.projects.services import plan
from guanxi.projects.services import projects as project_services
from guanxi.projects.tests.change_helpers import make_review_flow
from guanxi.service.models import FollowUp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = "宁波港湾物流有限公司"
PROJECT = "港湾智能仓储系统"
TASKS = ("需求确认", "系统开发", "上线切换")
CR_TITLE = "增加冷链仓位管理"
CONTACT = "郑总"
DELIVERABLE = "仓储系统上线报告"
LANG = {"zh-hans": "中文", "en": "English"}
# Known gaps in another owner's work, reported to the lead: the project KPI panel
# (projects/_kpi_panel.html, being built beside this test) has no English yet. Texts that
# start so are let through; anything else fails. Remove once the panel is translated.
KNOWN_EN_PREFIXES = (
    "项目KPI", "计算时间", "Computed at", "进度达成", "里程碑按时", "成本控制", "质量符合度",
    "一次验收通过", "资源利用率", "KPI 尚未计算", "刷新中",
)  # fmt: skip
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}


def _sign_in(page: Any, url: str, username: str, lang: str = "zh-hans") -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=LANG[lang]).click()
    page.wait_for_load_state()
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{url}/")


def _kpi(page: Any, key: str) -> str:
    return page.inner_text(f'[data-kpi="{key}"] [data-kpi-value]').strip()


def _curve(page: Any) -> dict[str, Any]:
    return json.loads(page.locator("#gx-evm-curve").text_content())


def _last(values: list[Any]) -> Decimal:
    known = [Decimal(str(v)) for v in values if v is not None]
    return known[-1] if known else Decimal("0")


def _evm(page: Any, url: str, project: Project) -> dict[str, Any]:
    page.goto(f"{url}/projects/{project.pk}/evm/")
    page.wait_for_function("() => !!document.querySelector('#evm-chart canvas')")
    curve = _curve(page)
    return {
        "spi": _kpi(page, "spi"),
        "cpi": _kpi(page, "cpi"),
        "ac": _kpi(page, "ac"),
        "ev": _kpi(page, "ev"),
        "curve_ac": _last(curve["ac"]),
        "curve_ev": _last(curve["ev"]),
    }


def _tick_and_pass(page: Any, phase: str, note: str) -> None:
    gate = page.locator(f'[data-gate="{phase}"]')
    while gate.locator("[data-item-toggle]", has_text="○").count():
        gate.locator("[data-item-toggle]", has_text="○").first.click()
        page.wait_for_load_state()
    page.fill("#gate-pass-form [name=note]", note)
    page.locator("#gate-pass").click()
    page.wait_for_load_state()


@pytest.fixture
def scene(admin_user: Any) -> dict[str, Any]:
    """A planned project three weeks under way: 需求确认 → 系统开发 → 上线切换 (five
    working days each, 40 hours each, worked by 李工 at ¥200 an hour), its first two
    gates passed; 周经理 is the customer's account manager and the change requests'
    internal reviewer, 陈经理 the project manager."""
    team = TeamFactory(name="华东交付部")
    zhou = UserFactory(username="zhou", display_name="周经理", role=Role.ACCOUNT_MANAGER,
                       team=team)  # fmt: skip
    chen = UserFactory(username="chen", display_name="陈经理", role=Role.PROJECT_MANAGER,
                       team=team)  # fmt: skip
    li = UserFactory(username="ligong", display_name="李工", role=Role.PROJECT_MEMBER, team=team)
    customer = customer_services.customer_create(
        actor=zhou, data={"name": CUSTOMER, "phone": "0574-87654321"}
    )
    today = timezone.localdate()
    project = project_services.project_create(
        actor=zhou, customer_id=customer.pk, manager_id=chen.pk,
        data={"name": PROJECT, "start_date": today - dt.timedelta(days=21), "budget": "50000"},
    )  # fmt: skip
    project_services.member_add(actor=chen, project_id=project.pk, user_id=li.pk)
    tasks = [
        plan.task_create(
            actor=chen,
            project_id=project.pk,
            data={"name": name, "duration_days": 5, "estimate_hours": "40", "assignee_id": li.pk},
        )
        for name in TASKS
    ]
    for pred, succ in itertools.pairwise(tasks):
        plan.link_create(
            actor=chen, project_id=project.pk, predecessor_id=pred.pk, successor_id=succ.pk
        )
    cost_services.cost_rate_create(
        actor=admin_user,
        data={"user_id": li.pk, "hourly_rate": "200", "valid_from": project.start_date},
    )
    for phase in ("identify", "plan"):
        for item in PhaseGate.objects.get(project=project, phase=phase).items.all():
            project_services.gate_item_set(
                actor=chen, project_id=project.pk, item_id=item.pk, done=True
            )
        project_services.gate_pass(
            actor=chen, project_id=project.pk, phase=phase,
            version=Project.objects.get(pk=project.pk).version,
        )  # fmt: skip
    project_services.deliverable_create(actor=chen, project_id=project.pk, name=DELIVERABLE)
    make_review_flow(zhou)
    project.refresh_from_db()
    assert project.phase == "execute"
    return {"project": project, "customer": customer, "zhou": zhou, "chen": chen, "li": li}


def test_baseline_actuals_change_request_acceptance_and_closure(
    live_server: Any, page: Any, screenshot: Any, scene: dict[str, Any]
) -> None:
    page.set_default_timeout(45_000)  # a shared, loaded machine: slow, not wrong
    url, project = live_server.url, scene["project"]
    first_task = Task.objects.get(project=project, name=TASKS[0])

    # 1. The project manager baselines the plan and approves the baseline.
    _sign_in(page, url, "chen")
    page.goto(f"{url}/projects/{project.pk}/evm/")
    assert page.locator("#evm-empty").count() == 1
    page.fill("#baseline-take-form [name=name]", "初始基线")
    page.locator("#baseline-take").click()
    page.wait_for_load_state()
    first = Baseline.objects.get(project=project)
    page.locator(f'[data-approve="{first.pk}"]').click()
    page.locator(f'tr[data-baseline="{first.pk}"] [data-approved]').wait_for()
    assert page.inner_text("#evm-bac") == "24000.00"
    before = _evm(page, url, project)
    assert before["cpi"] == "—" and before["ac"] == "0.00"
    assert before["curve_ac"] == 0 and before["curve_ev"] == 0

    # 2. The first task is done (progress 100 %) ...
    page.goto(f"{url}/projects/{project.pk}/")
    row = page.locator(f'tr[data-task="{first_task.pk}"]')
    row.locator("summary").click()
    row.locator("[name=progress]").fill("100")
    row.locator("[name=status]").select_option("done")
    row.locator("button[type=submit]", has_text="保存").click()
    page.wait_for_load_state()
    assert Task.objects.get(pk=first_task.pk).progress == 100

    # ... 李工 logs last week's hours on it on the week grid and submits the week ...
    _sign_in(page, url, "ligong")
    page.goto(f"{url}/projects/timesheet/")
    page.locator("#week-prev").click()
    page.wait_for_load_state()
    page.select_option("#add-task", str(first_task.pk))
    page.locator(f'#timesheet-grid tr[data-task="{first_task.pk}"]').wait_for()
    grid_row = page.locator(f'#timesheet-grid tr[data-task="{first_task.pk}"]')
    for day, hours in enumerate(("8", "8", "8", "6", "4")):
        grid_row.locator(f'[data-cell="{day}"]').fill(hours)
    page.locator("#timesheet-save").click()
    page.wait_for_load_state()
    assert page.inner_text("#timesheet-total") == "34"
    page.locator("#timesheet-submit").click()
    page.wait_for_load_state()
    assert set(TimeEntry.objects.values_list("status", flat=True)) == {"submitted"}

    # ... the project manager approves it and enters a travel cost (under the approval
    # limit: approved on submission).
    _sign_in(page, url, "chen")
    page.goto(f"{url}/projects/timesheet/approvals/")
    page.locator("[data-approval-group] [data-approve]").click()
    page.wait_for_load_state()
    assert set(TimeEntry.objects.values_list("status", flat=True)) == {"approved"}
    page.goto(f"{url}/projects/{project.pk}/costs/")
    page.select_option("#cost-category", "travel")
    page.fill("#cost-amount", "1200")
    page.fill("#cost-description", "现场调研差旅")
    page.locator("#cost-save-submit").click()
    page.locator('#cost-table tr[data-status="approved"]').wait_for()

    # 3. The S-curve and the indices move: EV 8,000 (one task of three done), AC 34 h ×
    # ¥200 + ¥1,200 = 8,000 → CPI 1.00; SPI leaves 0.00.
    after = _evm(page, url, project)
    assert after["ev"] == "8000.00" and after["ac"] == "8000.00"
    assert after["cpi"] == "1.00" and before["cpi"] != after["cpi"]
    assert after["spi"] != before["spi"] and Decimal(after["spi"]) > 0
    assert after["curve_ac"] == Decimal("8000") and after["curve_ev"] == Decimal("8000")
    screenshot("h3-control-evm")
    page.set_viewport_size(PHONE)
    screenshot("h3-control-evm-390")
    page.set_viewport_size(DESKTOP)

    # 4. A change request in the customer's name; its impact stated (the CPM computes the
    # schedule: 上线切换 5 → 8 days moves the finish three working days).
    page.goto(f"{url}/projects/{project.pk}/changes/")
    page.fill("#cr-title", CR_TITLE)
    page.fill("#cr-description", "客户新增冷链业务，需要温控仓位")
    page.select_option("#cr-origin", "customer")
    page.fill("#cr-contact", CONTACT)
    page.locator("#cr-create").click()
    page.locator("#cr-heading").wait_for()
    cr = ChangeRequest.objects.get(project=project)
    assert (cr.origin, cr.raised_for_contact) == ("customer", CONTACT)
    last_task = Task.objects.get(project=project, name=TASKS[2])
    page.fill("#f-scope", "新增冷链仓位模块")
    page.fill("#f-cost", "6000")
    page.fill("#f-quality", "温控数据需通过验收")
    page.select_option('[name="tc-0-kind"]', "duration")
    page.select_option('[name="tc-0-task_id"]', str(last_task.pk))
    page.fill('[name="tc-0-duration_days"]', "8")
    page.locator("#impact-save").click()
    page.locator("#impact-schedule").wait_for()
    assert page.inner_text("#impact-schedule").startswith("+3")
    page.locator("#cr-submit").click()
    page.wait_for_load_state()
    assert page.get_attribute("#cr-status", "data-status") == "in_review"

    # 5. The internal review: 周经理 approves it from "my day"; then records the
    # customer's approval on their behalf, which applies it and takes a new baseline.
    _sign_in(page, url, "zhou")
    page.locator("#section-approvals").get_by_role("link", name=f"CR-{cr.number}").first.click()
    page.wait_for_url("**/approvals/requests/*/")
    page.fill("#id_comment", "影响可控，同意")
    page.click("#approve-button")
    page.locator("#messages", has_text="已同意。").wait_for()
    page.goto(f"{url}/projects/{project.pk}/changes/{cr.pk}/")
    assert page.get_attribute("#cr-status", "data-status") == "awaiting_customer"
    page.fill("#cr-contact-name", CONTACT)
    page.fill("#cr-comment", "同意按评估实施")
    page.locator("#cr-approve").click()
    page.wait_for_load_state()
    assert page.get_attribute("#cr-status", "data-status") == "applied"
    assert CONTACT in page.inner_text("#cr-decision")
    page.set_viewport_size(PHONE)
    screenshot("h3-control-change-detail-390")
    page.set_viewport_size(DESKTOP)

    # 6. The new baseline beside the old: on the change history and the EVM comparison.
    cr.refresh_from_db()
    second = cr.resulting_baseline
    assert second is not None and second.number == 2 and second.approved
    page.goto(f"{url}/projects/{project.pk}/changes/")
    history = page.locator("#baseline-history")
    assert history.locator("[data-baseline]").count() == 2
    assert "初始基线" in history.inner_text() and f"CR-{cr.number}" in history.inner_text()
    assert page.locator(f'tr[data-change="{cr.pk}"][data-status="applied"]').count() == 1
    screenshot("h3-control-changes")
    page.set_viewport_size(PHONE)
    screenshot("h3-control-changes-390")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{url}/projects/{project.pk}/evm/?a={first.pk}&b={second.pk}")
    changed = page.locator('#evm-compare-table tr[data-change="changed"]', has_text=TASKS[2])
    assert changed.count() == 1

    # 7. The deliverable: a criterion met, submitted, accepted for the customer.
    page.goto(f"{url}/projects/{project.pk}/acceptance/")
    card = page.locator("[data-deliverable]", has_text=DELIVERABLE)
    card.locator("[data-criterion-add] [name=text]").fill("冷链仓位温控数据可查询")
    card.locator("[data-criterion-add] button").click()
    page.wait_for_load_state()
    card.locator("[data-criterion-toggle]").click()
    page.wait_for_load_state()
    card.locator("[data-deliverable-submit]").click()
    page.wait_for_load_state()
    card.locator("[data-deliverable-decide] [name=contact_name]").fill(CONTACT)
    card.locator("[data-accept]").click()
    page.wait_for_load_state()
    assert card.get_attribute("data-status") == "accepted"
    assert Deliverable.objects.get(project=project).status == "accepted"
    assert "100%" in page.inner_text("#first-pass")

    # 8. The project manager passes the execution gate, records the customer's
    # satisfaction with the phase, and closes the project with the customer's evaluation.
    _sign_in(page, url, "chen")
    page.goto(f"{url}/projects/{project.pk}/gates/")
    _tick_and_pass(page, "execute", "交付物已验收")
    assert page.inner_text("#project-phase") == "结束"
    csat = page.locator('[data-csat-form="execute"]')
    csat.locator("[name=csat_score]").select_option("4")
    csat.locator("[name=contact_name]").fill(CONTACT)
    csat.locator("[name=csat_comment]").fill("实施阶段响应及时")
    csat.locator("button").click()
    page.locator('[data-csat="execute"] [data-csat-score="4"]').wait_for()
    page.goto(f"{url}/projects/{project.pk}/closure/")
    page.fill("#cl-summary", "系统按变更后的计划上线")
    page.fill("#cl-well", "变更按流程评估并经客户确认")
    page.fill("#cl-change", "冷链需求应在需求确认阶段识别")
    page.select_option("#cl-score", "5")
    page.fill("#cl-comment", "团队专业，沟通顺畅")
    page.fill("#cl-force", "开发与上线切换由运维合同继续跟进")
    page.locator("#closure-submit").click()
    page.locator("#closure-record").wait_for()
    closure = ProjectClosure.objects.get(project=project)
    assert closure.evaluation_score == 5 and closure.follow_up is not None
    assert page.get_attribute("#evaluation-score", "data-score") == "5"
    assert page.inner_text("#csat-project") == "5 / 5"
    assert page.inner_text("#csat-phase-average") == "4.0 / 5"
    assert "周经理" in page.inner_text("#closure-followup")
    screenshot("h3-control-closure")
    page.set_viewport_size(PHONE)
    screenshot("h3-control-closure-390")
    page.set_viewport_size(DESKTOP)

    # 9. The follow-up visit is on the account manager's "my day".
    visit = FollowUp.objects.get(customer=scene["customer"])
    assert visit.owner == scene["zhou"] and visit.status == "pending"
    _sign_in(page, url, "zhou")
    assert CUSTOMER in page.inner_text("#section-service_visits")
    screenshot("h3-control-my-day")

    # 10. The main pages in English: no Chinese outside the records' own data.
    _sign_in(page, url, "chen", "en")
    data = [
        CUSTOMER, PROJECT, *TASKS, CR_TITLE, CONTACT, DELIVERABLE, "初始基线", "周经理",
        "陈经理", "李工", "客户新增冷链业务，需要温控仓位", "新增冷链仓位模块",
        "温控数据需通过验收",
        "同意按评估实施", "影响可控，同意", "冷链仓位温控数据可查询", "现场调研差旅",
        "系统按变更后的计划上线", "变更按流程评估并经客户确认", "冷链需求应在需求确认阶段识别",
        "团队专业，沟通顺畅", "开发与上线切换由运维合同继续跟进", "实施阶段响应及时",
        "交付物已验收", "华东交付部", f"需求变更 CR-{cr.number}",
        "项目结项",  # the last gate's note, written at closure in the closer's language
    ]  # fmt: skip
    pages = {
        "evm": f"/projects/{project.pk}/evm/",
        "changes": f"/projects/{project.pk}/changes/",
        "change": f"/projects/{project.pk}/changes/{cr.pk}/",
        "deliverables": f"/projects/{project.pk}/acceptance/",
        "gates": f"/projects/{project.pk}/gates/",
        "closure": f"/projects/{project.pk}/closure/",
        "costs": f"/projects/{project.pk}/costs/",
    }
    found: dict[str, list[str]] = {}
    for name, path in pages.items():
        page.goto(f"{url}{path}")
        assert page.locator("html").get_attribute("lang") == "en"
        bad = [
            text
            for text in _offending("en", visible_text(page.content(), data))
            if not text.startswith(KNOWN_EN_PREFIXES)
        ]
        if bad:
            found[name] = bad
    if found:  # the whole list for the CI log's reader (the assertion's diff is cut short)
        print(json.dumps(found, ensure_ascii=False, indent=1))
    assert found == {}
    page.goto(f"{url}{pages['evm']}")
    assert page.inner_text('[data-kpi="cpi"] [data-kpi-value]') == "1.00"
    screenshot("h3-control-evm-en")
    for name in ("change", "closure"):
        page.goto(f"{url}{pages[name]}")
        page.set_viewport_size(PHONE)
        screenshot(f"h3-control-{name}-en-390")
        page.set_viewport_size(DESKTOP)
