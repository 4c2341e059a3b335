"""Satisfaction and follow-up, end to end in Chromium: the agent resolves a ticket on its
page, the CSAT link mailed to the requester (read from Django's outbox) is answered on a
phone-sized viewport in Chinese and in English, the score shows on the ticket and on the
results page, and once the agent closes the ticket the follow-up visit is on the account
manager's "my day", 14 days out."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, UserFactory
from guanxi.browser_tests.conftest import SCREENSHOTS
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.service.models import FollowUp, Survey
from guanxi.service.tests.factories import SlaPolicyFactory, TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS / "service_satisfaction"
LINK = re.compile(r"https?://[^\s]+/service/s/[A-Za-z0-9_\-]+/")
TEXT = {
    "zh-hans": {"switch": "中文", "thanks": "感谢您的评价", "answered": "已经回答过了"},
    "en": {"switch": "English", "thanks": "Thank you for your rating",
           "answered": "already been answered"},
}  # fmt: skip


def _login(page: Any, base: str, username: str, lang: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("form.gx-lang button", has_text=TEXT[lang]["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_resolve_answer_on_a_phone_see_the_score_and_the_visit(
    live_server: Any, page: Any, chromium: Any, settings: Any, lang: str
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.GUANXI_BASE_URL = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    SlaPolicyFactory()
    wang = UserFactory(username="wang", display_name="王经理", role=Role.ACCOUNT_MANAGER,
                       language=lang)  # fmt: skip
    agent = UserFactory(username="xiaoli", role=Role.SERVICE_AGENT, language=lang)
    customer = CustomerFactory(name="杭州云栖科技有限公司", owner=wang)
    contact = ContactFactory(customer=customer, email="li@yunqi.example.cn")
    ticket = TicketFactory(customer=customer, contact=contact, assignee=agent, status="open",
                           requester_email=contact.email, subject="打印机频繁卡纸")  # fmt: skip

    # The agent resolves the ticket on its page.
    _login(page, live_server.url, "xiaoli", lang)
    page.goto(f"{live_server.url}/service/tickets/{ticket.pk}/")
    page.locator("#ticket-transitions button[data-status=resolved]").click()
    page.wait_for_load_state()
    found = [m for m in mail.outbox if "li@yunqi.example.cn" in m.to and LINK.search(m.body)]
    assert len(found) == 1
    link = LINK.search(found[0].body).group(0)  # type: ignore[union-attr]

    # The customer answers on a phone, without signing in.
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                 is_mobile=True)  # fmt: skip
    try:
        mobile = phone.new_page()
        mobile.goto(link)
        mobile.locator("form.gx-lang button", has_text=TEXT[lang]["switch"]).click()
        mobile.wait_for_load_state()
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
        mobile.screenshot(path=str(SHOTS / f"{lang}-survey-390.png"), full_page=True)
        mobile.locator("label[for=score-4]").click()
        mobile.fill("#id_comment", "工程师很专业")
        mobile.locator("#survey-submit").click()
        mobile.wait_for_load_state()
        assert TEXT[lang]["thanks"] in mobile.inner_text("#survey")
        mobile.screenshot(path=str(SHOTS / f"{lang}-survey-thanks-390.png"), full_page=True)
        mobile.goto(link)  # the link again: answered once
        assert TEXT[lang]["answered"] in mobile.inner_text("#survey")
    finally:
        phone.close()
    assert Survey.objects.get(ticket=ticket).score == 4

    # The score on the ticket and on the results page.
    page.goto(f"{live_server.url}/service/tickets/{ticket.pk}/")
    assert "4 / 5" in page.inner_text("#ticket-csat")
    page.goto(f"{live_server.url}/service/satisfaction/?group=owner")
    assert page.inner_text("#results-score") == "100.0%"
    assert "王经理" in page.inner_text("#results-table")
    page.wait_for_function("() => !!document.querySelector('#chart-trend canvas')")
    page.screenshot(path=str(SHOTS / f"{lang}-results-1280.png"), full_page=True)

    # The agent closes it: the visit is planned 14 days out for the account manager.
    page.goto(f"{live_server.url}/service/tickets/{ticket.pk}/")
    page.locator("#ticket-transitions button[data-status=closed]").click()
    page.wait_for_load_state()
    visit = FollowUp.objects.get(ticket=ticket)
    assert visit.due_date == timezone.localdate() + dt.timedelta(days=14)
    page.context.clear_cookies()
    _login(page, live_server.url, "wang", lang)
    section = page.locator("#section-service_visits")
    assert "杭州云栖科技有限公司" in section.inner_text()
    assert visit.due_date.isoformat() in section.inner_text()
    page.screenshot(path=str(SHOTS / f"{lang}-my-day-1280.png"), full_page=True)
    page.goto(f"{live_server.url}/service/visits/?status=pending")
    page.screenshot(path=str(SHOTS / f"{lang}-visits-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / f"{lang}-visits-390.png"), full_page=True)
