"""Issue 10 item 36: the 客户经理 filter and the owner dropdown offer only users who can own
customers (managers and account managers), within the actor's scope — never the
administrator, service agents or project staff."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(team_a, team_b, admin_user, manager_a, am_a, am_a2, am_b, agent):
    pm = UserFactory(username="pm_a", role=Role.PROJECT_MANAGER, team=team_a)
    member = UserFactory(username="member_a", role=Role.PROJECT_MEMBER, team=team_a)
    gone = UserFactory(username="gone_a", role=Role.ACCOUNT_MANAGER, team=team_a)
    gone.is_active = False
    gone.save()
    portal = UserFactory(username="portal", role=Role.PORTAL)
    return {"pm": pm, "member": member, "gone": gone, "portal": portal}


def _names(qs):
    return sorted(u.username for u in qs)


def _options(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>.*?</select>', html, re.S)
    assert select is not None
    return re.findall(r'<option value="(\d+)"', select.group(0))


def test_filter_choices_for_admin_are_every_account_manager_and_manager(staff, admin_user):
    assert _names(selectors.owners(actor=admin_user)) == ["am_a", "am_a2", "am_b", "manager_a"]


def test_filter_choices_for_a_manager_are_those_of_the_department(staff, manager_a):
    assert _names(selectors.owners(actor=manager_a)) == ["am_a", "am_a2", "manager_a"]


def test_filter_choices_for_an_account_manager_are_itself(staff, am_a):
    assert _names(selectors.owners(actor=am_a)) == ["am_a"]


def test_filter_choices_for_a_service_agent_are_all_owners_it_may_read(staff, agent):
    # the service desk reads every customer, so every owner is a useful filter
    assert _names(selectors.owners(actor=agent)) == ["am_a", "am_a2", "am_b", "manager_a"]


def test_filter_choices_for_a_portal_user_are_none(staff):
    assert _names(selectors.owners(actor=staff["portal"])) == []


def test_owner_dropdown_for_a_manager_lists_no_admin_agent_or_project_staff(staff, manager_a):
    assert _names(selectors.assignable_owners(actor=manager_a)) == ["am_a", "am_a2", "manager_a"]


def test_owner_dropdown_for_admin_lists_owners_only(staff, admin_user):
    assert _names(selectors.assignable_owners(actor=admin_user)) == [
        "am_a",
        "am_a2",
        "am_b",
        "manager_a",
    ]


def test_list_page_filter_offers_only_owners(client, staff, admin_user, am_a, manager_a, agent):
    client.force_login(manager_a)
    html = client.get(reverse("customers:list")).content.decode()
    offered = set(_options(html, "id_owner"))
    assert offered == {str(am_a.pk), str(manager_a.pk), str(UserFactory(username="am_a2").pk)}
    for user in (admin_user, agent, staff["pm"], staff["member"], staff["gone"]):
        assert str(user.pk) not in offered


def test_create_form_owner_dropdown_offers_only_owners(client, staff, admin_user, agent, am_b):
    client.force_login(admin_user)
    html = client.get(reverse("customers:create")).content.decode()
    offered = set(_options(html, "id_owner"))
    assert str(am_b.pk) in offered
    for user in (admin_user, agent, staff["pm"], staff["member"], staff["gone"]):
        assert str(user.pk) not in offered
