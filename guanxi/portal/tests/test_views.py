"""The portal's frame and its home: for portal users only, in both languages, never the
staff menu."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = "/portal/"


def test_the_portal_home_is_mounted_at_portal():
    assert reverse("portal:home") == URL


def test_a_portal_login_without_a_company_sees_a_page_saying_so(
    client, portal_user, django_assert_num_queries
):
    client.force_login(portal_user)
    with django_assert_num_queries(3):  # the session, the user, the portal account
        page = client.get(URL)

    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="portal-no-account"' in html
    assert 'id="portal-nav"' in html  # the portal's own frame
    assert 'id="nav-portal"' in html and 'id="nav-customers"' not in html
    assert 'id="gx-bell"' not in html


def test_the_home_lists_what_needs_the_users_action(client, company_a):
    client.force_login(company_a.user)

    html = client.get(URL).content.decode()

    for section in ("home-surveys", "home-awaiting", "home-approvals", "home-projects"):
        assert f'id="{section}"' in html
    assert company_a.ticket.subject in html  # waiting for the customer
    assert company_a.project.name in html


def test_the_portal_speaks_english(client, company_a):
    client.force_login(company_a.user)
    client.cookies["django_language"] = "en"

    html = client.get(URL).content.decode()

    assert "Surveys to answer" in html and "待填写的调查" not in html
    assert "Service requests" in html


def test_staff_get_403_and_strangers_the_login_page(client, am_a):
    assert client.get(URL).status_code == 302
    assert client.get(URL)["Location"].startswith(reverse("accounts:login"))
    client.force_login(am_a)
    assert client.get(URL).status_code == 403


def test_the_portal_home_answers_get_only(client, portal_user):
    client.force_login(portal_user)
    assert client.post(URL).status_code == 405


def test_home_sends_each_user_to_the_landing_page_of_the_role(client, portal_user, am_a):
    assert client.get(reverse("home"))["Location"].startswith(reverse("accounts:login"))
    client.force_login(portal_user)
    assert client.get(reverse("home"))["Location"] == URL
    client.force_login(am_a)
    assert client.get(reverse("home"))["Location"] == reverse("notifications:my_day")


def test_the_project_page_draws_a_read_only_gantt(client, company_a):
    client.force_login(company_a.user)

    html = client.get(reverse("portal:project", args=[company_a.project.pk])).content.decode()

    assert 'data-readonly="1"' in html and 'id="gantt-payload"' in html
    assert "需求说明书" in html and "上线" in html  # the deliverable, the milestone
    assert "onclick" not in html and "<script>" not in html.replace(
        '<script id="gantt-payload"', ""
    )
