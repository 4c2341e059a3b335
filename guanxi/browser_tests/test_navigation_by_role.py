"""Issue 10 item 29 in a real browser, in Chinese and in English: each role's menu shows
only what the role may use. Every entry of the menu and of the user menu opens (no 403
behind a link); a project manager sees no 导入/导出 and the import page refuses him; a
service agent's import page offers only what he may import (communications, historic
tickets); only admins and managers see export buttons; a portal user lands on the portal
placeholder with no staff menu, and a staff page refuses him."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, UserFactory
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "zh-hans": {"switch": "中文", "import": "导入/导出", "customers": "客户", "portal": "客户门户",
                "projects": "项目", "timesheet": "工时", "lessons": "经验教训"},
    "en": {"switch": "English", "import": "Import/export", "customers": "Customers",
           "portal": "Customer portal", "projects": "Projects", "timesheet": "Timesheets",
           "lessons": "Lessons learned"},
}  # fmt: skip
STAFF = [Role.ADMIN, Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT, Role.PROJECT_MANAGER]
#: what each staff role may import (the kinds offered on its import page); none: no page
IMPORTS = {
    Role.ADMIN: {"customers", "contacts", "orders", "communications"},
    Role.ACCOUNT_MANAGER: {"customers", "contacts", "orders", "communications"},
    Role.SERVICE_AGENT: {"communications", "tickets"},
    Role.PROJECT_MANAGER: {"tasks"},
}
EXPORTERS = {Role.ADMIN, Role.MANAGER}
#: the staff roles above that use projects: 项目 and 工时 in the menu (hours are daily work)
PROJECT_USERS = {Role.ADMIN, Role.ACCOUNT_MANAGER, Role.PROJECT_MANAGER}


def _login(page: Any, url: str, lang: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=TEXT[lang]["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def _menu_links(page: Any) -> dict[str, str]:
    """The menu's entries and the user menu's links: text → href."""
    links = page.eval_on_selector_all(
        ".navbar-nav .nav-link, #gx-user-menu + .dropdown-menu a.dropdown-item",
        "els => els.map(e => [e.innerText.trim(), e.getAttribute('href')])",
    )
    return dict(links)


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("role", STAFF)
def test_a_staff_role_sees_only_what_it_may_open(
    live_server: Any, page: Any, screenshot: Any, lang: str, role: str
) -> None:
    t = TEXT[lang]
    user = UserFactory(username="someone", display_name="张三", role=role)
    CustomerFactory(owner=user if role == Role.ACCOUNT_MANAGER else None, name="杭州西湖科技")
    _login(page, live_server.url, lang, "someone")
    assert page.url == f"{live_server.url}/"  # staff land on "my day"

    links = _menu_links(page)
    assert t["customers"] in links
    assert t["portal"] not in links
    uses_projects = role in PROJECT_USERS
    assert (t["projects"] in links, t["timesheet"] in links) == (uses_projects, uses_projects)
    assert t["lessons"] not in links  # under 项目: linked from the project list
    for label, href in links.items():
        response = page.goto(f"{live_server.url}{href}")
        assert response is not None and response.status == 200, (role, label, href)

    page.goto(f"{live_server.url}/customers/")
    assert page.locator("#export-customers").count() == (1 if role in EXPORTERS else 0)
    if not IMPORTS[role]:
        assert t["import"] not in links
        assert page.locator("#nav-import").count() == 0
        response = page.goto(f"{live_server.url}/customers/import/")
        assert response is not None and response.status == 403
    else:
        assert links[t["import"]] == "/customers/import/"
        page.goto(f"{live_server.url}/customers/import/")
        offered = set(page.eval_on_selector_all("#id_kind option", "os => os.map(o => o.value)"))
        assert IMPORTS[role] <= offered - {""}
        if role == Role.SERVICE_AGENT:
            assert offered - {""} == IMPORTS[role]  # no customer, contact or order import
    page.goto(f"{live_server.url}/")
    screenshot(f"{lang}-nav-{role}")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_project_member_has_projects_and_timesheet_and_finds_the_lessons(
    live_server: Any, page: Any, lang: str
) -> None:
    t = TEXT[lang]
    UserFactory(username="someone", display_name="李四", role=Role.PROJECT_MEMBER)
    _login(page, live_server.url, lang, "someone")

    links = _menu_links(page)
    assert links[t["projects"]] == "/projects/"
    assert links[t["timesheet"]] == "/projects/timesheet/"
    assert t["lessons"] not in links
    for label, href in links.items():
        response = page.goto(f"{live_server.url}{href}")
        assert response is not None and response.status == 200, (label, href)
    page.goto(f"{live_server.url}/projects/")
    assert page.inner_text("#project-timesheet-link") == t["timesheet"]
    page.locator("#project-lessons-link").click()
    page.wait_for_url(f"{live_server.url}/projects/lessons/")
    assert page.locator("#nav-projects.active").count() == 1
    page.goto(f"{live_server.url}/projects/timesheet/")
    assert page.locator("#nav-timesheet.active").count() == 1
    assert page.locator("#nav-projects.active").count() == 0


PORTAL_MENU = {
    "zh-hans": ["首页", "项目", "服务请求", "文档", "满意度调查"],
    "en": ["Home", "Projects", "Service requests", "Documents", "Satisfaction survey"],
}


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_portal_user_lands_on_the_portal_with_no_staff_menu(
    live_server: Any, page: Any, screenshot: Any, lang: str
) -> None:
    UserFactory(username="kehu", display_name="王女士", role=Role.PORTAL)
    _login(page, live_server.url, lang, "kehu")

    assert page.url == f"{live_server.url}/portal/"
    assert page.locator("#portal-no-account").is_visible()  # a login with no company yet
    assert page.locator(".navbar-nav .nav-link").all_inner_texts() == PORTAL_MENU[lang]
    assert page.locator("#gx-bell").count() == 0
    for label, href in _menu_links(page).items():
        response = page.goto(f"{live_server.url}{href}")
        assert response is not None and response.status == 200, (label, href)
    for staff_page in ("/customers/", "/customers/import/", "/analytics/"):
        response = page.goto(f"{live_server.url}{staff_page}")
        assert response is not None and response.status == 403, staff_page
    page.goto(f"{live_server.url}/portal/")
    screenshot(f"{lang}-nav-portal")
