"""Departments as a tree, managers, role scopes: the services that write them."""

from __future__ import annotations

import pytest

from guanxi.accounts import hooks, services
from guanxi.accounts.models import Role, RoleScope, Team, User
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry, SecurityEvent

pytestmark = pytest.mark.django_db


def _fields(exc_info) -> list[str]:
    return list(exc_info.value.errors)


# --- departments ------------------------------------------------------------------------------


def test_team_create_under_a_parent_is_audited(admin_user, team_a):
    team = services.team_create(actor=admin_user, name="上海", parent_id=team_a.pk)

    assert team.parent == team_a
    entry = AuditEntry.objects.get(model="accounts.team", object_id=str(team.pk))
    assert entry.changes["parent_id"] == [None, team_a.pk]


def test_team_create_refuses_a_missing_parent(admin_user):
    with pytest.raises(ValidationFailed) as exc:
        services.team_create(actor=admin_user, name="上海", parent_id=10**9)

    assert _fields(exc) == ["parent_id"]
    assert not Team.objects.filter(name="上海").exists()


def test_team_update_moves_a_department(admin_user, team_a, team_b):
    services.team_update(actor=admin_user, team_id=team_b.pk, name="华南", parent_id=team_a.pk)

    team_b.refresh_from_db()
    assert (team_b.name, team_b.parent_id) == ("华南", team_a.pk)
    entry = AuditEntry.objects.get(model="accounts.team", object_id=str(team_b.pk))
    assert entry.changes == {"name": ["华南销售部", "华南"], "parent_id": [None, team_a.pk]}


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_team_update_refuses_a_cycle(admin_user, depth):
    root = TeamFactory(name="根")
    chain = [root]
    for i in range(depth):
        chain.append(TeamFactory(name=f"下级{i}", parent=chain[-1]))

    with pytest.raises(ValidationFailed) as exc:
        services.team_update(actor=admin_user, team_id=root.pk, name="根", parent_id=chain[-1].pk)

    assert _fields(exc) == ["parent_id"]
    root.refresh_from_db()
    assert root.parent_id is None


def test_team_update_refuses_a_taken_name(admin_user, team_a, team_b):
    with pytest.raises(Conflict) as exc:
        services.team_update(actor=admin_user, team_id=team_b.pk, name=team_a.name, parent_id=None)
    assert exc.value.field == "name"


def test_team_services_are_admin_only(manager_a, team_a):
    with pytest.raises(PermissionDenied):
        services.team_create(actor=manager_a, name="新部门")
    with pytest.raises(PermissionDenied):
        services.team_update(actor=manager_a, team_id=team_a.pk, name="x", parent_id=None)


def test_team_update_of_a_missing_department_is_404(admin_user):
    with pytest.raises(NotFound):
        services.team_update(actor=admin_user, team_id=10**9, name="x", parent_id=None)


# --- managers ---------------------------------------------------------------------------------


def test_user_set_manager_is_audited_and_logged(admin_user, manager_a, am_a):
    services.user_set_manager(actor=admin_user, user_id=am_a.pk, manager_id=manager_a.pk)

    am_a.refresh_from_db()
    assert am_a.manager == manager_a
    entry = AuditEntry.objects.get(model="accounts.user", object_id=str(am_a.pk))
    assert entry.changes == {"manager_id": [None, manager_a.pk]}
    assert SecurityEvent.objects.filter(event="manager_change").exists()


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_user_set_manager_refuses_a_cycle(admin_user, depth):
    top = UserFactory(username="top")
    chain = [top]
    for i in range(depth):
        chain.append(UserFactory(username=f"u{i}", manager=chain[-1]))

    with pytest.raises(ValidationFailed) as exc:
        services.user_set_manager(actor=admin_user, user_id=top.pk, manager_id=chain[-1].pk)

    assert _fields(exc) == ["manager_id"]
    top.refresh_from_db()
    assert top.manager_id is None


@pytest.mark.parametrize("who", ["self", "portal", "inactive", "missing"])
def test_user_set_manager_refuses_an_impossible_manager(admin_user, am_a, portal_user, who):
    inactive = UserFactory(username="gone", is_active=False)
    manager_id = {"self": am_a.pk, "portal": portal_user.pk, "inactive": inactive.pk,
                  "missing": 10**9}[who]  # fmt: skip

    with pytest.raises(ValidationFailed) as exc:
        services.user_set_manager(actor=admin_user, user_id=am_a.pk, manager_id=manager_id)

    assert _fields(exc) == ["manager_id"]


def test_user_set_manager_to_none(admin_user, manager_a):
    user = UserFactory(manager=manager_a)
    services.user_set_manager(actor=admin_user, user_id=user.pk, manager_id=None)
    user.refresh_from_db()
    assert user.manager_id is None


def test_user_set_manager_is_admin_only(manager_a, am_a):
    with pytest.raises(PermissionDenied):
        services.user_set_manager(actor=manager_a, user_id=am_a.pk, manager_id=manager_a.pk)
    am_a.refresh_from_db()
    assert am_a.manager_id is None


def test_user_create_with_a_manager(admin_user, manager_a, team_a):
    user = services.user_create(
        actor=admin_user, username="newbie", password="Xq-9817-long-pass",
        role=Role.ACCOUNT_MANAGER, team_id=team_a.pk, manager_id=manager_a.pk,
    )  # fmt: skip
    assert (user.team_id, user.manager_id) == (team_a.pk, manager_a.pk)


def test_user_create_refuses_a_missing_department(admin_user):
    with pytest.raises(ValidationFailed) as exc:
        services.user_create(
            actor=admin_user, username="newbie", password="Xq-9817-long-pass",
            role=Role.ACCOUNT_MANAGER, team_id=10**9,
        )  # fmt: skip
    assert _fields(exc) == ["team_id"]
    assert not User.objects.filter(username="newbie").exists()


# --- the department change reaches other apps -------------------------------------------------


def test_user_set_role_calls_the_team_handlers_only_when_the_team_changes(
    admin_user, am_a, team_a, team_b, monkeypatch
):
    calls = []
    monkeypatch.setattr(hooks, "_USER_TEAM_CHANGED", {"probe": lambda **kw: calls.append(kw)})

    services.user_set_role(actor=admin_user, user_id=am_a.pk, role="manager", team_id=team_a.pk)
    services.user_set_role(actor=admin_user, user_id=am_a.pk, role="manager", team_id=team_b.pk)

    assert calls == [
        {"actor": admin_user, "user_id": am_a.pk, "old_team_id": team_a.pk,
         "new_team_id": team_b.pk}
    ]  # fmt: skip


def test_a_failing_team_handler_undoes_the_role_change(admin_user, am_a, team_b, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(hooks, "_USER_TEAM_CHANGED", {"fail": fail})

    with pytest.raises(RuntimeError):
        services.user_set_role(actor=admin_user, user_id=am_a.pk, role="manager", team_id=team_b.pk)

    am_a.refresh_from_db()
    assert (am_a.role, am_a.team.name) == ("account_manager", "华东销售部")


def test_user_set_role_refuses_a_missing_department(admin_user, am_a):
    with pytest.raises(ValidationFailed) as exc:
        services.user_set_role(actor=admin_user, user_id=am_a.pk, role="manager", team_id=10**9)
    assert _fields(exc) == ["team_id"]


# --- role scopes -----------------------------------------------------------------------------


def test_role_scope_update_is_audited_and_logged(admin_user):
    row = services.role_scope_update(
        actor=admin_user, role=Role.MANAGER, read_level="department_tree", write_level="department"
    )

    assert (row.read_level, row.write_level) == ("department_tree", "department")
    entry = AuditEntry.objects.filter(model="accounts.rolescope", object_id=str(row.pk)).get()
    assert entry.changes["read_level"][1] == "department_tree"
    assert SecurityEvent.objects.filter(event="role_scope_change").exists()


def test_role_scope_update_creates_a_missing_row(admin_user):
    RoleScope.objects.filter(role=Role.PROJECT_MEMBER).delete()

    services.role_scope_update(
        actor=admin_user, role=Role.PROJECT_MEMBER, read_level="own", write_level="own"
    )

    assert RoleScope.objects.get(role=Role.PROJECT_MEMBER).read_level == "own"


def test_role_scope_write_must_lie_within_read(admin_user):
    before = list(RoleScope.objects.values())

    with pytest.raises(ValidationFailed) as exc:
        services.role_scope_update(
            actor=admin_user, role=Role.MANAGER, read_level="own", write_level="department"
        )

    assert _fields(exc) == ["write_level"]
    assert list(RoleScope.objects.values()) == before


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"role": "boss", "read_level": "all", "write_level": "all"}, "role"),
        ({"role": "manager", "read_level": "everything", "write_level": "all"}, "read_level"),
        ({"role": "manager", "read_level": "all", "write_level": "most"}, "write_level"),
    ],
)
def test_role_scope_update_names_the_bad_field(admin_user, values, field):
    with pytest.raises(ValidationFailed) as exc:
        services.role_scope_update(actor=admin_user, **values)
    assert _fields(exc) == [field]


def test_role_scope_update_is_admin_only(manager_a):
    with pytest.raises(PermissionDenied):
        services.role_scope_update(
            actor=manager_a, role=Role.MANAGER, read_level="all", write_level="all"
        )


def test_me_names_the_department_and_the_manager(manager_a, team_a):
    from guanxi.customers.tests.test_api_support import Api

    report = UserFactory(username="report", team=team_a, manager=manager_a)

    body = Api(report).get("/accounts/me").json()

    assert (body["team_id"], body["manager_id"]) == (team_a.pk, manager_a.pk)
