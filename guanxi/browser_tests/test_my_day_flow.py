"""A due follow-up, end to end, in Chinese and in English: the worker's reminder rule runs
(the management command the cron / worker uses), the e-mail arrives at a real SMTP server
on 127.0.0.1, and the account manager signs in to land on "my day", which lists the
follow-up, with the bell counting the unread reminder that the inbox shows and opens."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, UserFactory
from guanxi.core.calendar import add_working_days, is_working_day
from guanxi.customers.tests.factories import CommunicationFactory, CustomerFactory
from guanxi.notifications.models import Delivery, DeliveryStatus, Notification
from guanxi.notifications.tests.receivers import smtp_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = "杭州云栖科技有限公司"
SUMMARY = "电话回访：确认年度采购计划"
TEXT = {
    "zh-hans": {"switch": "中文", "my_day": "我的一天", "title": "跟进提醒：{name}（{date}）"},
    "en": {"switch": "English", "my_day": "My day", "title": "Follow-up: {name} ({date})"},
}


@pytest.fixture
def smtp(settings: Any) -> Any:
    with smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = inbox.host, inbox.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.GUANXI_BASE_URL = "https://crm.example.cn"
        yield inbox


def _announce_day(day: dt.date) -> dt.date:
    """The working day whose reminder run announces ``day`` (the day itself, or the last
    working day before a weekend / holiday)."""
    return day if is_working_day(day) else add_working_days(day, -1)


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_due_follow_up_reaches_my_day_the_inbox_and_the_mailbox(
    live_server: Any, page: Any, screenshot: Any, smtp: Any, lang: str
) -> None:
    t = TEXT[lang]
    today = timezone.localdate()
    wang = UserFactory(username="wang", display_name="王经理", role=Role.ACCOUNT_MANAGER,
                       email="wang@example.cn", language=lang)  # fmt: skip
    customer = CustomerFactory(name=CUSTOMER, owner=wang)
    CommunicationFactory(customer=customer, staff=wang, summary=SUMMARY, next_follow_up=today)
    title = t["title"].format(name=CUSTOMER, date=today.isoformat())

    # The worker's rule (here the command cron would run); the e-mail leaves on commit.
    call_command("reminders", "run", "--rule", "followups", "--date",
                 _announce_day(today).isoformat())  # fmt: skip
    note = Notification.objects.get(recipient=wang)
    assert note.title == title and note.read_at is None
    assert Delivery.objects.get(notification=note).status == DeliveryStatus.SENT
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail["To"] == "wang@example.cn" and title in mail["Subject"]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert SUMMARY in text and f"https://crm.example.cn/customers/{customer.pk}/" in text

    # Sign in: staff land on "my day".
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=t["switch"]).click()
    page.wait_for_load_state()
    page.fill("#id_username", "wang")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == t["my_day"]
    follow_ups = page.locator("#section-follow_ups")
    assert CUSTOMER in follow_ups.inner_text() and SUMMARY in follow_ups.inner_text()
    assert page.inner_text("#count-follow_ups") == "1"
    assert page.inner_text("#count-unread") == "1"
    assert title in page.inner_text("#section-inbox")
    page.locator("#gx-unread", has_text="1").wait_for()  # the bell, loaded by htmx
    screenshot(f"{lang}-my-day")

    # The bell opens the inbox; the reminder opens the customer and counts as read.
    page.click("#gx-bell")
    page.wait_for_url("**/inbox/")
    row = page.locator(f"#notification-{note.pk}")
    assert title in row.inner_text()
    screenshot(f"{lang}-inbox")
    row.get_by_role("link", name=re.compile(re.escape(title))).first.click()
    page.wait_for_url(f"**/customers/{customer.pk}/")
    note.refresh_from_db()
    assert note.read_at is not None
    assert page.locator("#gx-unread").count() == 0

    # At 390 px the day still reads.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/")
    assert CUSTOMER in page.inner_text("#section-follow_ups")
    screenshot(f"{lang}-my-day-390")
