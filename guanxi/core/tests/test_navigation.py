"""The main navigation is assembled from the apps' registrations and shows a role only what
it may use."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.core import navigation

pytestmark = pytest.mark.django_db


def _menu(client, user, url="/customers/"):
    client.force_login(user)
    response = client.get(url)
    return [(item.key, item.active) for item in response.context["nav_items"]]


def test_staff_see_the_entries_every_app_registered_in_order(client, am_a):
    keys = [key for key, _active in _menu(client, am_a)]

    # other apps add their own entries; these three keep their order among them
    assert [key for key in keys if key in {"customers", "import", "analytics"}] == [
        "customers",
        "import",
        "analytics",
    ]
    assert "portal" not in keys


def test_the_entry_of_the_current_page_is_active(client, am_a):
    menu = dict(_menu(client, am_a, reverse("analytics:dashboard")))
    assert [key for key, active in menu.items() if active] == ["analytics"]
    assert {"customers", "import"} <= set(menu)
    assert dict(_menu(client, am_a, reverse("customers:list")))["customers"] is True
    import_page = dict(_menu(client, am_a, reverse("imports:import")))
    assert import_page["import"] is True
    assert import_page["customers"] is False


def test_the_menu_renders_each_entry_once_with_its_link(client, am_a):
    client.force_login(am_a)

    html = client.get(reverse("customers:list")).content.decode()

    assert html.count('id="nav-analytics"') == 1
    assert f'href="{reverse("analytics:dashboard")}" id="nav-analytics"' in html


def test_portal_users_get_no_staff_menu_only_the_portal(portal_user):
    class Request:
        user = portal_user
        resolver_match = None

    assert [item.key for item in navigation.items_for(Request())] == ["portal"]
    assert navigation.home_url(Request()) == reverse("portal:home")


def test_a_landing_entry_wins_over_earlier_entries(am_a):
    class Request:
        user = am_a
        resolver_match = None

    navigation.register_nav(
        key="first-test", label="x", url_name="analytics:dashboard", visible=bool, order=1
    )
    try:
        assert navigation.items_for(Request())[0].key == "first-test"
        assert navigation.home_url(Request()) == reverse("notifications:my_day")
    finally:
        navigation._ENTRIES.pop("first-test")


def test_an_app_adds_an_entry_only_the_roles_it_names_see(client, admin_user, am_a):
    navigation.register_nav(
        key="settings-test",
        label="设置",
        url_name="customers:list",
        visible=lambda user: user.is_superuser,
        order=99,
    )
    try:
        assert "settings-test" in dict(_menu(client, admin_user))
        assert "settings-test" not in dict(_menu(client, am_a))
    finally:
        navigation._ENTRIES.pop("settings-test")


def test_an_entry_whose_url_is_not_mounted_is_left_out(client, am_a):
    navigation.register_nav(
        key="nowhere", label="x", url_name="nowhere:home", visible=lambda user: True
    )
    try:
        assert "nowhere" not in dict(_menu(client, am_a))
    finally:
        navigation._ENTRIES.pop("nowhere")
