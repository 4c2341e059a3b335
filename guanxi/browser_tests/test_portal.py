"""The customer portal end to end in Chromium on a phone-sized viewport (390×844): the
account manager invites a customer's person, who sets a password from the mailed link,
sees the company's project and its Gantt, raises a ticket with an attachment and, once the
desk resolved it, answers its CSAT in the portal; the staff side sees the ticket, the file
and the score."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from guanxi.accounts.models import Role, User
from guanxi.accounts.tests.factories import PASSWORD, UserFactory
from guanxi.attachments.tests.conftest import PNG_BYTES
from guanxi.browser_tests.conftest import SCREENSHOTS
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.portal import services as portal_services
from guanxi.projects.tests.factories import ProjectFactory, TaskFactory
from guanxi.service.models import Survey, Ticket
from guanxi.service.services import tickets as desk
from guanxi.service.tests.factories import SlaPolicyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots: var/screenshots/portal, or where GUANXI_PORTAL_SHOTS says.
SHOTS = Path(os.environ.get("GUANXI_PORTAL_SHOTS", str(SCREENSHOTS / "portal")))
LINK = re.compile(r"https?://[^\s]+/portal/invitation/[A-Za-z0-9_\-]+/")
NEW_PASSWORD = "Harbour-lantern-93"  # noqa: S105 - test data


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def test_invited_customer_sets_a_password_follows_the_project_raises_and_rates_a_ticket(
    live_server: Any, page: Any, chromium: Any, settings: Any, tmp_path: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.GUANXI_BASE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    SHOTS.mkdir(parents=True, exist_ok=True)
    SlaPolicyFactory()
    wang = UserFactory(username="wang", display_name="王经理", role=Role.ACCOUNT_MANAGER)
    agent = UserFactory(username="xiaoli", display_name="小李", role=Role.SERVICE_AGENT)
    customer = CustomerFactory(name="杭州云栖科技有限公司", owner=wang)
    contact = ContactFactory(customer=customer, name="李工", email="li@yunqi.example.cn")
    project = ProjectFactory(customer=customer, name="云栖数据中心迁移")
    TaskFactory(project=project, name="机房勘察", progress=100, duration_days=3)
    TaskFactory(project=project, name="割接上线", milestone=True, duration_days=0)

    # The account manager invites the contact (the staff page), the link is mailed.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "wang")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/portal/staff/customers/{customer.pk}/")
    page.fill("#id_email", contact.email)
    page.select_option("#id_role", "requester")
    page.select_option("#id_contact", str(contact.pk))
    page.locator("#invite-form button[type=submit]").click()
    page.wait_for_load_state()
    page.screenshot(path=str(SHOTS / "staff-invite-1400.png"), full_page=True)
    found = [m for m in mail.outbox if contact.email in m.to and LINK.search(m.body)]
    assert len(found) == 1
    link = LINK.search(found[0].body).group(0)  # type: ignore[union-attr]

    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                 is_mobile=True)  # fmt: skip
    phone.set_default_timeout(15_000)
    try:
        mobile = phone.new_page()
        # The invited person sets a password and lands in the portal, signed in.
        mobile.goto(link)
        _fits(mobile)
        mobile.screenshot(path=str(SHOTS / "accept-390.png"), full_page=True)
        mobile.fill("#id_name", "李工")
        mobile.fill("#id_password1", NEW_PASSWORD)
        mobile.fill("#id_password2", NEW_PASSWORD)
        mobile.locator("#accept-form button[type=submit]").click()
        mobile.wait_for_url(f"{live_server.url}/portal/")
        assert "杭州云栖科技有限公司" in mobile.inner_text("main")
        assert mobile.locator("#nav-customers").count() == 0  # no staff menu
        _fits(mobile)
        mobile.screenshot(path=str(SHOTS / "home-390.png"), full_page=True)

        # The project, read-only, with its Gantt.
        mobile.goto(f"{live_server.url}/portal/projects/")
        mobile.locator("#portal-projects a", has_text="云栖数据中心迁移").click()
        mobile.wait_for_selector("#gantt svg")
        assert "割接上线" in mobile.inner_text("#portal-milestones")
        mobile.screenshot(path=str(SHOTS / "project-390.png"), full_page=True)

        # A ticket with an attachment.
        mobile.goto(f"{live_server.url}/portal/tickets/new/")
        mobile.select_option("#id_category", "repair")
        mobile.fill("#id_subject", "机房空调告警")
        mobile.fill("#id_description", "B 区空调温度告警，请尽快派人。")
        mobile.set_input_files(
            "#id_file", files=[{"name": "alarm.png", "mimeType": "image/png", "buffer": PNG_BYTES}]
        )
        _fits(mobile)
        mobile.screenshot(path=str(SHOTS / "ticket-new-390.png"), full_page=True)
        mobile.locator("#ticket-form button[type=submit]").click()
        mobile.wait_for_selector("#portal-ticket")
        assert "alarm.png" in mobile.inner_text("#ticket-files")
        assert mobile.inner_text("#ticket-promise")
        _fits(mobile)
        mobile.screenshot(path=str(SHOTS / "ticket-390.png"), full_page=True)
        ticket = Ticket.objects.get(subject="机房空调告警")
        assert ticket.channel == "portal" and ticket.customer_id == customer.pk

        # The desk answers and resolves it; the CSAT waits for the customer in the portal.
        Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
        desk.ticket_reply(actor=agent, ticket_id=ticket.pk, body="已派工程师，已恢复。")
        ticket.refresh_from_db()
        desk.ticket_transition(
            actor=agent, ticket_id=ticket.pk, status="resolved", version=ticket.version
        )
        mobile.reload()
        assert "已派工程师" in mobile.inner_text("#ticket-messages")
        mobile.locator("#ticket-survey a").click()
        mobile.locator("label[for=score-5]").click()
        mobile.fill("#id_comment", "响应很快")
        mobile.locator("#survey-form button[type=submit]").click()
        mobile.wait_for_selector("#survey-answered")
        _fits(mobile)
        mobile.screenshot(path=str(SHOTS / "csat-390.png"), full_page=True)
    finally:
        phone.close()
    assert Survey.objects.get(ticket=ticket).score == 5
    assert portal_services.selectors.account_of(User.objects.get(username=contact.email))

    # The staff side sees the ticket, its file and the score.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "xiaoli")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/service/tickets/{ticket.pk}/")
    body = page.inner_text("main")
    assert "机房空调告警" in body and "alarm.png" in body
    assert "5 / 5" in page.inner_text("#ticket-csat")
    page.screenshot(path=str(SHOTS / "staff-ticket-1400.png"), full_page=True)
