"""Navigation by role: each role's menu shows exactly what it may open. Every link a role
is shown answers 200; every menu entry it is not shown answers 403 (or sends it to log in);
a portal user sees no staff menu, only the portal's own, and lands on the portal."""

from __future__ import annotations

import contextlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from guanxi.core import navigation
from guanxi.imports.models import ImportRun

pytestmark = pytest.mark.django_db

# Who may use the 导入/导出 page: whoever may import some kind or export a list (the
# service desk imports communications only, a project manager tasks); project members and
# the portal may not.
IMPORTERS = {Role.ADMIN, Role.MANAGER, Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT,
             Role.PROJECT_MANAGER}  # fmt: skip
NAV_LINK = re.compile(r'<a class="nav-link[^"]*" href="([^"]+)" id="nav-([\w-]+)"')
USER_MENU_LINK = re.compile(r'<a class="dropdown-item" href="([^"]+)"')


def _user(role: str):
    extra = {"is_staff": True, "is_superuser": True} if role == Role.ADMIN else {}
    return UserFactory(username=f"u_{role}", role=role, team=TeamFactory(), **extra)


def _landing(client, user):
    """Log in through the login form, as a person does; the page landed on."""
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    return response


def _menu(html: str) -> dict[str, str]:
    return {key: url for url, key in NAV_LINK.findall(html)}


def _all_entry_urls() -> dict[str, str]:
    urls = {}
    for entry in navigation.entries():
        with contextlib.suppress(NoReverseMatch):  # an app whose URLs are not mounted
            urls[entry.key] = reverse(entry.url_name)
    return urls


@pytest.mark.parametrize("role", Role.values)
def test_each_role_sees_exactly_the_entries_it_may_open(client, role):
    user = _user(role)
    page = _landing(client, user)
    html = page.content.decode()
    shown = _menu(html)

    assert ("import" in shown) == (role in IMPORTERS)
    if role == Role.PORTAL:
        # the portal's own menu, no staff entry
        assert list(shown) == [
                "portal", "portal-projects", "portal-tickets", "portal-documents", "portal-surveys"
            ]  # fmt: skip
        assert page.redirect_chain[-1][0] == reverse("portal:home")
    else:
        assert "portal" not in shown and "customers" in shown
        assert page.redirect_chain[-1][0] == reverse("notifications:my_day")

    for key, url in shown.items():
        # an entry may redirect (sales: to the default pipeline) but must end on a page
        assert client.get(url, follow=True).status_code == 200, (role, key, url)
    for key, url in _all_entry_urls().items():
        if key in shown:
            continue
        status = client.get(url).status_code
        assert status in (302, 403), (role, key, url, status)


@pytest.mark.parametrize("role", Role.values)
def test_every_link_of_the_user_menu_answers(client, role):
    user = _user(role)
    html = _landing(client, user).content.decode()
    links = USER_MENU_LINK.findall(html)

    assert links
    assert (reverse("accounts:tokens") in links) == (role != Role.PORTAL)
    for url in links:
        assert client.get(url).status_code == 200, (role, url)


@pytest.mark.parametrize("role", [Role.PROJECT_MEMBER, Role.PORTAL])
def test_roles_that_may_not_import_get_403_before_any_upload(client, role):
    user = _user(role)
    client.force_login(user)
    upload = SimpleUploadedFile("c.csv", "名称,电话\n甲公司,13800000000\n".encode())

    assert client.get(reverse("imports:import")).status_code == 403
    response = client.post(reverse("imports:import"), {"kind": "customers", "file": upload})

    assert response.status_code == 403
    assert not ImportRun.objects.exists()


def test_the_service_desk_is_offered_only_the_communications_and_tickets_imports(client, agent):
    client.force_login(agent)

    page = client.get(reverse("imports:import"))

    assert page.status_code == 200
    assert [key for key, _label in page.context["kinds"]] == ["communications", "tickets"]
    assert not page.context["can_export"]
