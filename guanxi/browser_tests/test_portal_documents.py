"""Shared documents end to end in Chromium: the account manager shares a ticket's file on
the staff ticket page (the attachments panel's toggle), and the customer's person finds it
under 文档 in the portal on a phone (390 px), in Chinese and in English; a file not shared
stays off the page."""

from __future__ import annotations

import io
from typing import Any

import pytest

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, UserFactory
from guanxi.attachments import services as attachment_services
from guanxi.attachments.tests.conftest import PDF_BYTES
from guanxi.browser_tests.conftest import SCREENSHOTS
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.portal.models import PortalAccount, PortalRole
from guanxi.service.tests.factories import TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page: Any, base: str, username: str, path: str) -> None:
    page.goto(f"{base}/accounts/login/?next={path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}{path}")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_a_shared_file_reaches_the_portal_documents_on_a_phone(
    live_server: Any,
    chromium: Any,
    settings: Any,
    tmp_path: Any,
    lang: str,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    wang = UserFactory(username="wang", role=Role.ACCOUNT_MANAGER)
    customer = CustomerFactory(name="杭州云栖科技有限公司", owner=wang)
    contact = ContactFactory(customer=customer, email="li@yunqi.example.cn")
    person = UserFactory(username="li", email=contact.email, role=Role.PORTAL)
    PortalAccount.objects.create(
        user=person, customer=customer, contact=contact, contact_bound=True,
        role=PortalRole.REQUESTER,
    )  # fmt: skip
    ticket = TicketFactory(customer=customer, contact=contact, subject="机房断电")
    for name in ("断电分析报告.pdf", "内部排查记录.pdf"):
        attachment_services.attachment_add(
            actor=wang, kind="ticket", record_id=ticket.pk, stream=io.BytesIO(PDF_BYTES),
            name=name,
        )  # fmt: skip

    desk = chromium.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    phone = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True,
        locale="en-US" if lang == "en" else "zh-CN",
    )  # fmt: skip
    desk.set_default_timeout(15_000)
    phone.set_default_timeout(15_000)
    try:
        staff = desk.new_page()
        _login(staff, live_server.url, "wang", f"/service/tickets/{ticket.pk}/")
        item = staff.locator(".gx-attachment", has_text="断电分析报告.pdf")
        item.locator(".gx-attachment-share").click()
        staff.locator(".gx-attachment", has_text="断电分析报告.pdf").locator(
            ".gx-attachment-shared"
        ).wait_for()

        mobile = phone.new_page()
        if lang == "en":
            phone.add_cookies(
                [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
            )
        _login(mobile, live_server.url, "li", "/portal/")
        mobile.locator(".navbar-toggler").click()
        mobile.locator("#nav-portal-documents").click()
        mobile.wait_for_url(f"{live_server.url}/portal/documents/")
        documents = mobile.locator("#portal-documents")
        assert "断电分析报告.pdf" in documents.inner_text()
        assert "内部排查记录.pdf" not in documents.inner_text()
        heading = mobile.locator("h1").inner_text()
        assert heading == ("Documents" if lang == "en" else "文档")
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
        (SCREENSHOTS / "portal").mkdir(parents=True, exist_ok=True)
        mobile.screenshot(path=str(SCREENSHOTS / "portal" / f"documents-390-{lang}.png"))
        staff.screenshot(path=str(SCREENSHOTS / "portal" / f"staff-shared-1400-{lang}.png"))
        href = mobile.locator(".gx-document-link").first.get_attribute("href")
        response = mobile.request.get(f"{live_server.url}{href}")
        assert response.status == 200
        assert response.body() == PDF_BYTES
    finally:
        desk.close()
        phone.close()
