"""The admin site for departments, managers and role scopes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.accounts.models import Role, RoleScope
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.core.models import AuditEntry, AuditSource

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _role_scope(role: str) -> RoleScope:
    row, _created = RoleScope.objects.get_or_create(
        role=role, defaults={"read_level": "department", "write_level": "department"}
    )
    return row


def test_user_list_shows_department_and_manager(admin_client, manager_a):
    UserFactory(username="report", team=manager_a.team, manager=manager_a)

    html = admin_client.get(reverse("admin:accounts_user_changelist")).content.decode()

    assert "部门" in html and "直属上级" in html
    assert str(manager_a) in html


def test_department_list_shows_the_parent(admin_client):
    root = TeamFactory(name="销售部")
    TeamFactory(name="华东", parent=root)

    html = admin_client.get(reverse("admin:accounts_team_changelist")).content.decode()

    assert "上级部门" in html and "华东" in html


def test_department_admin_refuses_a_cycle(admin_client):
    root = TeamFactory(name="销售部")
    child = TeamFactory(name="华东", parent=root)

    response = admin_client.post(
        reverse("admin:accounts_team_change", args=[root.pk]),
        {"name": "销售部", "parent": child.pk},
    )

    assert response.status_code == 200
    assert "上级部门不能是本部门的下属部门。" in response.content.decode()
    root.refresh_from_db()
    assert root.parent_id is None


def test_user_admin_refuses_a_manager_cycle(admin_client, manager_a):
    report = UserFactory(username="report", manager=manager_a)
    form = admin_client.get(reverse("admin:accounts_user_change", args=[manager_a.pk]))
    data = {
        k: v
        for k, v in form.context["adminform"].form.initial.items()
        if v is not None and k not in ("password", "groups", "user_permissions", "last_login")
    }
    data.pop("date_joined", None)
    data.update(
        manager=report.pk, team=manager_a.team_id, is_active="on",
        date_joined_0=manager_a.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=manager_a.date_joined.strftime("%H:%M:%S"),
    )  # fmt: skip

    response = admin_client.post(reverse("admin:accounts_user_change", args=[manager_a.pk]), data)

    assert response.status_code == 200
    assert "直属上级不能是该用户的下属。" in response.content.decode()
    manager_a.refresh_from_db()
    assert manager_a.manager_id is None


def test_role_scopes_are_edited_in_the_list_through_the_service(admin_client):
    row = _role_scope(Role.MANAGER)

    response = admin_client.post(
        reverse("admin:accounts_rolescope_changelist") + f"?role={row.role}",
        {
            "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000", "form-0-id": str(row.pk),
            "form-0-read_level": "department_tree", "form-0-write_level": "department",
            "_save": "1",
        },
    )  # fmt: skip

    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.read_level, row.write_level) == ("department_tree", "department")
    entry = AuditEntry.objects.get(model="accounts.rolescope", object_id=str(row.pk))
    assert entry.source == AuditSource.ADMIN


def test_role_scope_admin_refuses_write_beyond_read(admin_client):
    row = _role_scope(Role.MANAGER)

    response = admin_client.post(
        reverse("admin:accounts_rolescope_change", args=[row.pk]),
        {"read_level": "own", "write_level": "all"},
    )

    assert response.status_code == 200
    assert "修改范围不能超出查看范围。" in response.content.decode()
    row.refresh_from_db()
    assert (row.read_level, row.write_level) == ("department", "department")
    assert not AuditEntry.objects.filter(model="accounts.rolescope").exists()


def test_role_scopes_cannot_be_deleted(admin_client):
    row = _role_scope(Role.MANAGER)
    response = admin_client.get(reverse("admin:accounts_rolescope_delete", args=[row.pk]))
    assert response.status_code == 403
