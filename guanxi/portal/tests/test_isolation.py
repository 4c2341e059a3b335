"""Isolation (SPEC G4): a portal user sees their own company's records only. Every portal
URL is walked from the URL patterns themselves, so a new URL cannot be forgotten: with
another company's ids it answers 404; with the user's own it never shows a staff-internal
field (the planted secret). Staff pages and the staff API stay closed to portal users; the
portal home never answers 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.core import navigation
from guanxi.portal import urls as portal_urls
from guanxi.portal.models import PortalRole
from guanxi.portal.tests.conftest import SECRET, make_company

pytestmark = pytest.mark.django_db

ID_PARAMS = {
    "project_id", "ticket_id", "survey_id", "attachment_id", "token_id", "change_request_id",
    "deliverable_id",
}  # fmt: skip
# Pages for anyone (the invitation link, the password reset): no company record in the URL.
OPEN_PAGES = {
    "accept",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}
# The staff side of the portal app (who has portal access to a customer).
STAFF_PAGES = {"manage", "invite", "account_deactivate"}


def _patterns() -> list[tuple[str, set[str]]]:
    return [(p.name, set(p.pattern.converters)) for p in portal_urls.urlpatterns]


def _portal_pages() -> list[tuple[str, set[str]]]:
    return [(n, c) for n, c in _patterns() if n not in OPEN_PAGES | STAFF_PAGES]


def _call(client, url):
    """The answer of the method the page takes (GET, else POST)."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    return response


def test_every_portal_url_is_classified():
    for name, converters in _patterns():
        assert name in OPEN_PAGES | STAFF_PAGES or converters <= ID_PARAMS, name
    assert {"home", "projects", "project", "tickets", "ticket", "surveys", "survey"} <= {
        n for n, _c in _patterns()
    }


def test_another_companys_ids_answer_404_on_every_portal_url(client, company_a, company_b):
    client.force_login(company_a.user)
    theirs = company_b.ids()
    checked = 0
    for name, converters in _portal_pages():
        if not converters:
            continue
        url = reverse(f"portal:{name}", kwargs={c: theirs[c] for c in converters})
        response = _call(client, url)
        assert response.status_code == 404, (name, url, response.status_code)
        checked += 1
    assert checked >= 10
    # and nothing of theirs changed
    company_b.ticket.refresh_from_db()
    assert company_b.ticket.status == "waiting"
    assert company_b.ticket.messages.count() == 3


def test_own_pages_answer_and_never_show_internal_fields(client, company_a, company_b):
    client.force_login(company_a.user)
    mine = company_a.ids()
    for name, converters in _portal_pages():
        url = reverse(f"portal:{name}", kwargs={c: mine[c] for c in converters})
        response = client.get(url)
        if response.status_code == 405:  # a write: its GET is refused, nothing else to see
            continue
        assert response.status_code == 200, (name, url, response.status_code)
        body = b"".join(response) if response.streaming else response.content
        text = body.decode(errors="replace")
        assert SECRET not in text, name
        assert company_b.customer.name not in text and company_b.ticket.subject not in text, name
        assert 'id="nav-customers"' not in text, name  # no staff menu, ever


def test_the_ticket_page_shows_replies_but_not_internal_notes(client, company_a):
    client.force_login(company_a.user)

    html = client.get(reverse("portal:ticket", args=[company_a.ticket.pk])).content.decode()

    assert "打印机卡纸" in html and "请提供型号" in html
    assert SECRET not in html and "客户难缠" not in html


def test_bad_ids_are_404_not_500(client, company_a):
    client.force_login(company_a.user)
    for url in (
        "/portal/tickets/0/",
        "/portal/tickets/99999999999999999999/",
        "/portal/projects/x/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/portal/tickets/424242/").status_code == 404


def test_staff_pages_are_closed_to_portal_users(client, company_a):
    client.force_login(company_a.user)
    for entry in navigation.entries():
        if entry.key == "portal":
            continue
        try:
            url = reverse(entry.url_name)
        except Exception:  # noqa: S112 - an app whose URLs are not mounted
            continue
        assert client.get(url).status_code in (302, 403), (entry.key, url)
    assert client.get(reverse("portal:manage", args=[company_a.customer.pk])).status_code == 403
    assert client.get(reverse("customers:detail", args=[company_a.customer.pk])).status_code == 403
    assert client.get("/api/v1/customers").status_code == 403


def test_the_portal_home_never_answers_403(client, company_a):
    client.force_login(company_a.user)
    assert client.get(reverse("portal:home")).status_code == 200

    lonely = UserFactory(username="lonely", role=Role.PORTAL)  # no company account
    client.force_login(lonely)
    page = client.get(reverse("portal:home"))
    assert page.status_code == 200 and 'id="portal-no-account"' in page.content.decode()

    company_a.account.active = False
    company_a.account.deactivated_at = company_a.account.updated_at
    company_a.account.save()
    client.force_login(company_a.user)
    assert client.get(reverse("portal:home")).status_code == 200


def test_a_viewer_reads_but_cannot_raise_or_reply(client):
    viewer = make_company("丙", role=PortalRole.VIEWER)
    client.force_login(viewer.user)

    assert client.get(reverse("portal:tickets")).status_code == 200
    assert client.get(reverse("portal:ticket_new")).status_code == 403
    reply = client.post(reverse("portal:ticket_reply", args=[viewer.ticket.pk]), {"body": "hi"})
    assert reply.status_code == 403
    assert viewer.ticket.messages.count() == 3


def test_staff_get_403_on_portal_pages_and_strangers_the_login(client, am_a, company_a):
    url = reverse("portal:tickets")
    assert client.get(url)["Location"].startswith(reverse("accounts:login"))
    client.force_login(am_a)
    assert client.get(url).status_code == 403
