"""Opportunity to delivery plan in a real browser (issue 14's acceptance): an opportunity is
won, one click makes its project from a template, tasks and dependencies are added, the
Gantt shows the critical path, a dragged bar moves its successors (the server recomputes),
the phase gate passes once its checklist is ticked, and the customer's timeline shows the
project. In Chinese and in English (an English page shows no Chinese but the records' own
data). At 390 px the project's tabs are one row that scrolls sideways with the active tab
in view. Screenshots at 1400 and 390 px."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.browser_tests.test_no_other_script import HAN, HAN_ALLOWED, visible_text
from guanxi.customers import services as customer_services
from guanxi.projects.models import Project, Task
from guanxi.projects.services import projects as project_services
from guanxi.sales.tests.factories import OpportunityFactory, board

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = "杭州云栖数据科技有限公司"
DEAL = "云栖数据中台一期"
TEMPLATE = "数据平台实施模板"
TASKS = ["项目启动会", "需求调研", "平台开发", "系统上线", "数据迁移", "用户培训"]
GATE_NOTE = "需求与范围已确认"
TEXT = {
    "zh-hans": {"switch": "中文", "plan": "制定计划", "started": "项目 {} 启动",
                "passed": "项目 {} 通过阶段评审：识别需求"},
    "en": {"switch": "English", "plan": "Plan", "started": "Project {} started",
           "passed": "Project {} passed the gate: Identify the need"},
}  # fmt: skip
#: the records' own data, in Chinese in both languages (with the default checklist items as
#: the history names them: stored when the project was made)
DATA = [CUSTOMER, DEAL, TEMPLATE, *TASKS, GATE_NOTE, "周经理", "华东销售部", "0571-88776655",
        "确认客户需求与项目目标", "明确项目范围与交付物", "任命项目经理并组建团队"]  # fmt: skip

# Known gaps in other owners' pages, reported: full-width brackets written in the template
# (sales/forecast/_opportunity.html) around a translated word.
KNOWN = {"100%（Stage）"}

# The project's tabs: how many lines they take, whether the active one is inside the
# row's visible part, and whether the page as a whole scrolls sideways.
TABS_JS = """() => {
  const row = document.getElementById("project-tabs");
  const box = row.getBoundingClientRect();
  const active = row.querySelector(".nav-link.active").getBoundingClientRect();
  const tops = new Set([...row.querySelectorAll(".nav-item")]
    .map((item) => Math.round(item.getBoundingClientRect().top)));
  return {lines: tops.size, scrolls: row.scrollWidth > row.clientWidth,
          activeShown: active.left >= box.left - 1 && active.right <= box.right + 1,
          pageWide: document.documentElement.scrollWidth > window.innerWidth};
}"""


def _english_only(page: Any, lang: str, data: list[str]) -> None:
    if lang != "en":
        return
    allowed = set("".join(HAN_ALLOWED))
    found = [
        part
        for part in visible_text(page.content(), data)
        if set(HAN.findall(part)) - allowed and part not in KNOWN
    ]
    assert not found, (page.url, found)


def _login(page: Any, url: str, lang: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=TEXT[lang]["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_username", "zhou")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{url}/")


def _add_task(page: Any, name: str, days: int) -> None:
    page.fill("#task-add-name", name)
    page.fill("#task-add-duration", str(days))
    page.locator("#task-add-btn").click()
    page.locator("#task-table tr", has_text=name).wait_for()


def _add_link(page: Any, tasks: dict[str, int], pred: str, succ: str, kind: str, lag: int) -> None:
    page.select_option("#link-pred", str(tasks[pred]))
    page.select_option("#link-succ", str(tasks[succ]))
    page.select_option("#link-type", kind)
    page.fill("#link-lag", str(lag))
    count = page.locator("#link-list li[data-link]").count()
    page.locator("#link-add-btn").click()
    page.wait_for_function(
        "n => document.querySelectorAll('#link-list li[data-link]').length === n", arg=count + 1
    )


def _bar(page: Any, task_id: int) -> Any:
    return page.locator(f'#gantt .bar-wrapper[data-id="{task_id}"] .bar').first


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_won_opportunity_to_a_scheduled_plan_and_a_passed_gate(
    live_server: Any, page: Any, screenshot: Any, admin_user: Any, lang: str
) -> None:
    page.set_default_timeout(45_000)  # a shared, loaded machine: slow, not wrong
    t = TEXT[lang]

    data = [*DATA]

    def shot(name: str) -> None:
        screenshot(name if lang == "zh-hans" else f"{name}-en")
        _english_only(page, lang, data)

    team = TeamFactory(name=DATA[-2])
    user = UserFactory(username="zhou", display_name="周经理", role=Role.ACCOUNT_MANAGER,
                       team=team)  # fmt: skip
    customer = customer_services.customer_create(
        actor=user, data={"name": CUSTOMER, "phone": "0571-88776655"}
    )
    pipeline, stages = board()
    data += [pipeline.name, *(stage.name for stage in stages)]
    opportunity = OpportunityFactory(customer=customer, owner=user, stage=stages[1], name=DEAL,
                                     amount=Decimal("380000.00"))  # fmt: skip
    project_services.template_create(
        actor=admin_user, name=TEMPLATE,
        tasks=[
            {"key": "kick", "name": "项目启动会", "milestone": True},
            {"key": "req", "name": "需求调研", "duration_days": 5},
            {"key": "dev", "name": "平台开发", "duration_days": 10},
            {"key": "go", "name": "系统上线", "milestone": True},
        ],
        links=[
            {"predecessor": "kick", "successor": "req"},
            {"predecessor": "req", "successor": "dev", "type": "SS", "lag_days": 3},
            {"predecessor": "dev", "successor": "go"},
        ],
    )  # fmt: skip
    _login(page, live_server.url, lang)

    # 1. Win the opportunity; its page then offers the project from a template.
    page.goto(f"{live_server.url}/sales/opportunities/{opportunity.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#opp-win").click()
    page.locator("#opp-create-project").wait_for()
    assert page.locator("#opp-project-template option:checked").inner_text() == TEMPLATE
    shot("h7-project-opportunity-won")
    page.locator("#opp-create-project-btn").click()
    page.wait_for_url(re.compile(r"/projects/\d+/$"))
    project = Project.objects.get(opportunity=opportunity)
    assert page.inner_text("#project-name") == DEAL
    assert page.locator("#task-table tr[data-task]").count() == 4

    # 2. Two tasks more and their dependencies: 需求调研 → 数据迁移 → 用户培训 → 系统上线.
    _add_task(page, "数据迁移", 4)
    _add_task(page, "用户培训", 2)
    tasks = dict(Task.objects.filter(project=project).values_list("name", "pk"))
    _add_link(page, tasks, "需求调研", "数据迁移", "FS", 0)
    _add_link(page, tasks, "数据迁移", "用户培训", "FS", 1)
    _add_link(page, tasks, "用户培训", "系统上线", "FS", 0)
    critical = set(
        Task.objects.filter(project=project, critical=True).values_list("name", flat=True)
    )
    assert critical == {"项目启动会", "需求调研", "平台开发", "系统上线"}
    shot("h7-project-tasks")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("h7-project-tasks-390")
    page.locator("#tab-board").click()
    page.wait_for_load_state()
    assert "数据迁移" in page.inner_text("body")
    shot("h7-project-board-390")
    page.set_viewport_size({"width": 1400, "height": 900})
    shot("h7-project-board")

    # 3. The Gantt draws the server's schedule with the critical path marked.
    page.locator("#tab-gantt").click()
    page.wait_for_function("() => document.getElementById('gantt')?.dataset.ready === '1'")
    assert page.locator("#gantt").get_attribute("data-critical-count") == "4"
    assert page.locator("#gantt .bar-wrapper.gx-critical").count() == 4
    assert page.locator("#gantt .arrow path.gx-critical-arrow").count() >= 2
    page.locator('#gantt-zoom [data-mode="Day"]').click()
    page.wait_for_function("() => document.getElementById('gantt').dataset.mode === 'Day'")
    shot("h7-project-gantt-before")
    finish_before = page.inner_text("#gantt-finish")
    training = Task.objects.get(pk=tasks["用户培训"])
    x_before = _bar(page, training.pk).bounding_box()["x"]

    # 4. Drag 数据迁移 a week and a half later: 用户培训 and 系统上线 follow, the project's
    # finish moves and the critical path now runs through the moved chain.
    bar = _bar(page, tasks["数据迁移"])
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 40, y, steps=5)
    page.mouse.move(box["x"] + box["width"] / 2 + 420, y, steps=25)
    page.mouse.up()
    page.wait_for_function(
        "before => document.getElementById('gantt-finish').textContent.trim() !== before"
        " && document.getElementById('gantt').dataset.busy === '0'",
        arg=finish_before,
    )
    moved = Task.objects.get(pk=tasks["数据迁移"])
    after = Task.objects.get(pk=training.pk)
    assert moved.start_no_earlier is not None
    assert after.start_date > training.start_date
    assert Task.objects.get(pk=tasks["系统上线"]).critical and after.critical
    assert _bar(page, training.pk).bounding_box()["x"] > x_before + 100
    assert page.locator(f'#gantt .bar-wrapper.gx-critical[data-id="{training.pk}"]').count() == 1
    shot("h7-project-gantt-after-drag")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("h7-project-gantt-390")
    page.set_viewport_size({"width": 1400, "height": 900})

    # 5. The first gate passes only once its checklist is done.
    page.locator("#tab-gates").click()
    page.locator('[data-gate="identify"]').wait_for()
    while page.locator('[data-gate="identify"] [data-item-toggle]', has_text="○").count():
        page.locator('[data-gate="identify"] [data-item-toggle]', has_text="○").first.click()
        page.wait_for_load_state()
    page.fill("#gate-pass-form [name=note]", GATE_NOTE)
    page.locator("#gate-pass").click()
    page.wait_for_function(
        "plan => document.getElementById('project-phase')?.textContent.trim() === plan",
        arg=t["plan"],
    )
    assert page.locator('[data-gate="identify"] [data-passed]').count() == 1
    project.refresh_from_db()
    assert project.phase == "plan"
    shot("h7-project-gates")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("h7-project-gates-390")
    assert page.evaluate(TABS_JS) == {"lines": 1, "scrolls": True, "activeShown": True,
                                      "pageWide": False}  # fmt: skip
    # the last tab: the row opens scrolled to it
    page.goto(f"{live_server.url}/projects/{project.pk}/closure/")
    assert page.evaluate(TABS_JS) == {"lines": 1, "scrolls": True, "activeShown": True,
                                      "pageWide": False}  # fmt: skip
    shot("h7-project-closure-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    # The page is no wider than the window: the main menu wraps rather than overflow.
    assert page.evaluate(TABS_JS) == {"lines": 1, "scrolls": False, "activeShown": True,
                                      "pageWide": False}  # fmt: skip
    shot("h7-project-tasks-1280")
    page.set_viewport_size({"width": 1400, "height": 900})

    # 6. The customer's timeline shows the project's start and its passed gate.
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    timeline = page.inner_text("#timeline-list")
    assert t["started"].format(DEAL) in timeline
    assert t["passed"].format(DEAL) in timeline
    shot("h7-project-customer-timeline")

    # 7. The project list links the plan import, the resource load, the feeds, the
    # timesheet (also in the menu: daily work) and the lessons learned (only here).
    page.goto(f"{live_server.url}/projects/")
    for link in ("#project-load-link", "#project-feeds-link", "#project-plan-import-link",
                 "#project-task-import-link", "#project-timesheet-link",
                 "#project-lessons-link"):  # fmt: skip
        assert page.locator(link).count() == 1, link
    assert page.locator("#nav-timesheet").count() == 1
    assert page.locator("#nav-lessons").count() == 0
    page.locator("#project-lessons-link").click()
    page.wait_for_url(f"{live_server.url}/projects/lessons/")
    assert page.locator("#nav-projects.active").count() == 1
    _english_only(page, lang, data)
    page.goto(f"{live_server.url}/projects/")
    shot("h7-project-list")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("h7-project-list-390")
