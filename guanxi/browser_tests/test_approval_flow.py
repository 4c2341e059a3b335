"""A two-step approval in a real browser, in Chinese and in English: an expense above
500,000 goes to the submitter's manager, then to the director. Each approver signs in,
finds it on "my day", approves it with a comment; the request is approved only after the
second step, and the document's own hook ran once."""

from __future__ import annotations

from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.approvals import services
from guanxi.approvals.models import ApproverKind, RequestState
from guanxi.approvals.tests.conftest import make_expense, make_flow
from guanxi.approvals.tests.docapp.documents import KEY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "zh-hans": {"switch": "中文", "approved": "已同意。", "pending": "审批中", "done": "已通过"},
    "en": {"switch": "English", "approved": "Approved.", "pending": "Pending", "done": "Approved"},
}


def _sign_in(page: Any, live_server: Any, username: str, switch: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=switch).click()
    page.wait_for_load_state()
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")  # "my day"


def _sign_out(page: Any) -> None:
    page.click("#gx-user-menu")
    page.locator("form[action$='/accounts/logout/'] button").first.click()
    page.wait_for_url("**/accounts/login/**")


def _approve_from_my_day(page: Any, title: str, comment: str, t: dict[str, str]) -> None:
    section = page.locator("#section-approvals")
    section.get_by_role("link", name=title).click()
    page.wait_for_url("**/approvals/requests/*/")
    page.fill("#id_comment", comment)
    page.click("#approve-button")
    page.locator("#messages", has_text=t["approved"]).wait_for()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_two_approvers_approve_two_steps(
    live_server: Any, page: Any, screenshot: Any, lang: str
) -> None:
    t = TEXT[lang]
    sales = TeamFactory(name="华东销售部")
    director = UserFactory(username="director", role=Role.MANAGER, team=sales,
                           display_name="赵总监", language=lang)  # fmt: skip
    manager = UserFactory(username="manager", role=Role.MANAGER, team=sales, manager=director,
                          display_name="钱经理", language=lang)  # fmt: skip
    staff = UserFactory(username="staff", role=Role.ACCOUNT_MANAGER, team=sales,
                        manager=manager, display_name="孙销售")  # fmt: skip
    make_flow(
        {"name": "直属上级审批", "approver_kind": ApproverKind.MANAGER},
        {"name": "总监审批", "approver_kind": ApproverKind.USER, "user": director,
         "condition_field": "amount", "condition_operator": "gt",
         "condition_value": "500000"},
    )  # fmt: skip
    expense = make_expense(staff, "600000", title="华东区年度展会费用")
    request = services.approval_submit(actor=staff, document_type=KEY, object_id=expense.pk)

    # The manager: step 1.
    _sign_in(page, live_server, "manager", t["switch"])
    assert page.inner_text("#count-approvals") == "1"
    _approve_from_my_day(page, request.title, "同意参展", t)
    assert page.get_attribute("#step-1-1", "data-state") == "approved"
    assert page.get_attribute("#step-1-2", "data-state") == "pending"
    assert t["pending"] in page.inner_text("#request-state")
    assert page.locator("#approve-button").count() == 0  # not the manager's step any more
    request.refresh_from_db()
    assert request.state == RequestState.PENDING
    screenshot(f"{lang}-approval-step-1")
    _sign_out(page)

    # The director: step 2, which approves the request.
    _sign_in(page, live_server, "director", t["switch"])
    assert request.title in page.inner_text("#section-approvals")
    _approve_from_my_day(page, request.title, "预算内，同意", t)
    assert page.get_attribute("#step-1-2", "data-state") == "approved"
    assert t["done"] in page.inner_text("#request-state")
    history = page.inner_text("#request-history")
    assert "同意参展" in history and "预算内，同意" in history
    screenshot(f"{lang}-approval-done")

    request.refresh_from_db()
    expense.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert (expense.status, expense.hook_calls) == ("approved", ["approved"])
