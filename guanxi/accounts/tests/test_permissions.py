"""The scope levels, collaborators and role scopes of ``accounts.permissions``."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.functional import SimpleLazyObject

from guanxi.accounts import permissions
from guanxi.accounts.backends import ScopedModelBackend
from guanxi.accounts.models import Role, RoleScope, ScopeLevel, User
from guanxi.accounts.services import token_authenticate, token_create
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.customers.models import Contact, Customer
from guanxi.customers.tests.factories import (
    ContactFactory,
    CustomerCollaboratorFactory,
    CustomerFactory,
)

pytestmark = pytest.mark.django_db


def _set_scope(role: str, read: str, write: str | None = None) -> None:
    RoleScope.objects.update_or_create(
        role=role, defaults={"read_level": read, "write_level": write or read}
    )


def _fresh(user: User) -> User:
    """The user as a request would load it (nothing cached from earlier reads)."""
    return User.objects.get(pk=user.pk)


def _visible(actor) -> set[int]:
    return set(
        permissions.scope_customers(actor, Customer.objects.all()).values_list("pk", flat=True)
    )


@pytest.fixture
def org(db):
    """销售部 > 华东 > 上海, and 华南 beside it; the boss heads 华东 and manages one
    subordinate in 华南, who manages another."""
    sales = TeamFactory(name="销售部")
    east = TeamFactory(name="华东", parent=sales)
    shanghai = TeamFactory(name="上海", parent=east)
    south = TeamFactory(name="华南")
    boss = UserFactory(username="boss", role=Role.MANAGER, team=east)
    sub = UserFactory(username="sub", team=south, manager=boss)
    subsub = UserFactory(username="subsub", team=south, manager=sub)
    peer = UserFactory(username="peer", team=east)
    local = UserFactory(username="local", team=shanghai)
    other = UserFactory(username="other", team=south)
    top = UserFactory(username="top", team=sales)
    customers = {
        name: CustomerFactory(owner=user)
        for name, user in {
            "boss": boss, "sub": sub, "subsub": subsub, "peer": peer, "local": local,
            "other": other, "top": top,
        }.items()
    }  # fmt: skip
    return {"boss": boss, "c": customers, "teams": {"sales": sales, "east": east}}


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (ScopeLevel.NONE, set()),
        (ScopeLevel.OWN, {"boss"}),
        (ScopeLevel.SUBORDINATES, {"boss", "sub", "subsub"}),
        (ScopeLevel.DEPARTMENT, {"boss", "peer"}),
        (ScopeLevel.DEPARTMENT_TREE, {"boss", "peer", "local"}),
        (ScopeLevel.ALL, {"boss", "sub", "subsub", "peer", "local", "other", "top"}),
    ],
)
def test_each_level_reads_exactly_its_customers(org, level, expected):
    _set_scope(Role.MANAGER, level)
    boss = _fresh(org["boss"])

    assert _visible(boss) == {org["c"][name].pk for name in expected}


@pytest.mark.parametrize(
    ("level", "allowed"),
    [
        (ScopeLevel.NONE, set()),
        (ScopeLevel.OWN, {"boss"}),
        (ScopeLevel.SUBORDINATES, {"boss", "sub", "subsub"}),
        (ScopeLevel.DEPARTMENT, {"boss", "peer"}),
        (ScopeLevel.DEPARTMENT_TREE, {"boss", "peer", "local"}),
        (ScopeLevel.ALL, {"boss", "sub", "subsub", "peer", "local", "other", "top"}),
    ],
)
def test_each_write_level_changes_exactly_its_customers(org, level, allowed):
    _set_scope(Role.MANAGER, ScopeLevel.ALL, level)
    boss = _fresh(org["boss"])

    changeable = {n for n, c in org["c"].items() if permissions.can_change_customer(boss, c)}

    assert changeable == allowed


def test_records_of_a_customer_follow_its_scope(org):
    _set_scope(Role.MANAGER, ScopeLevel.SUBORDINATES)
    mine = ContactFactory(customer=org["c"]["subsub"])
    ContactFactory(customer=org["c"]["peer"])
    boss = _fresh(org["boss"])

    visible = permissions.scope_by_customer(boss, Contact.objects.all())

    assert list(visible) == [mine]


def test_department_without_a_department_is_own(org):
    _set_scope(Role.MANAGER, ScopeLevel.DEPARTMENT_TREE)
    boss = org["boss"]
    boss.team = None
    boss.save()
    Customer.objects.filter(owner=boss).update(team=None)

    assert _visible(_fresh(boss)) == {org["c"]["boss"].pk}


def test_a_cycle_in_the_data_does_not_hang_the_scope(org):
    """Services refuse cycles; should one reach the database anyway (a raw write), the
    recursive queries still end."""
    _set_scope(Role.MANAGER, ScopeLevel.SUBORDINATES)
    User.objects.filter(username="boss").update(manager=User.objects.get(username="subsub"))
    teams = org["teams"]
    type(teams["sales"]).objects.filter(pk=teams["sales"].pk).update(parent=teams["east"])
    boss = _fresh(org["boss"])

    assert _visible(boss) == {org["c"][n].pk for n in ("boss", "sub", "subsub")}
    shanghai = type(teams["east"]).objects.get(name="上海")
    assert permissions.department_ids(boss) == {teams["east"].pk, shanghai.pk, teams["sales"].pk}


def test_shared_customers_join_the_scope_only_with_their_access(org):
    _set_scope(Role.MANAGER, ScopeLevel.OWN)
    boss = org["boss"]
    read = CustomerCollaboratorFactory(customer=org["c"]["other"], user=boss, access="read")
    write = CustomerCollaboratorFactory(customer=org["c"]["top"], user=boss, access="write")
    boss = _fresh(boss)

    assert _visible(boss) == {org["c"]["boss"].pk, read.customer_id, write.customer_id}
    assert not permissions.can_change_customer(boss, org["c"]["other"])
    assert permissions.can_change_customer(boss, org["c"]["top"])
    assert not permissions.can_change_customer(boss, org["c"]["peer"])


def test_single_record_lookup_probes_the_share_without_loading_all(org, django_assert_num_queries):
    _set_scope(Role.MANAGER, ScopeLevel.OWN)
    shared = CustomerCollaboratorFactory(customer=org["c"]["other"], user=org["boss"])
    boss = _fresh(org["boss"])
    permissions.read_level(boss)  # the role's levels, as a request has them already

    with django_assert_num_queries(1):
        found = list(
            permissions.scope_customers(boss, Customer.objects.all(), one=True).filter(
                pk=shared.customer_id
            )
        )

    assert found == [shared.customer]


def test_the_list_filter_has_no_share_clause_when_nothing_is_shared(org):
    _set_scope(Role.MANAGER, ScopeLevel.OWN)
    boss = _fresh(org["boss"])

    q = permissions.customer_filter(boss)

    # index-friendly: one equality on the owner, no OR with a subquery
    assert q.children == [("owner_id", boss.pk)]


def test_the_list_filter_inlines_the_shared_ids(org):
    _set_scope(Role.MANAGER, ScopeLevel.OWN)
    shared = CustomerCollaboratorFactory(customer=org["c"]["other"], user=org["boss"])
    boss = _fresh(org["boss"])

    sql = str(Customer.objects.filter(permissions.customer_filter(boss)).query)

    assert "customercollaborator" not in sql.lower()
    assert str(shared.customer_id) in sql


def test_many_shared_ids_fall_back_to_a_subquery(org, monkeypatch):
    monkeypatch.setattr(permissions, "MAX_INLINE_IDS", 1)
    _set_scope(Role.MANAGER, ScopeLevel.OWN)
    for name in ("other", "top"):
        CustomerCollaboratorFactory(customer=org["c"][name], user=org["boss"])
    boss = _fresh(org["boss"])

    assert _visible(boss) == {org["c"][n].pk for n in ("boss", "other", "top")}
    assert permissions.can_change_customer(boss, org["c"]["other"]) is False


def test_many_subordinates_and_departments_fall_back_to_a_subquery(org, monkeypatch):
    monkeypatch.setattr(permissions, "MAX_INLINE_IDS", 1)
    _set_scope(Role.MANAGER, ScopeLevel.SUBORDINATES)
    assert _visible(_fresh(org["boss"])) == {org["c"][n].pk for n in ("boss", "sub", "subsub")}
    _set_scope(Role.MANAGER, ScopeLevel.DEPARTMENT_TREE)
    assert _visible(_fresh(org["boss"])) == {org["c"][n].pk for n in ("boss", "peer", "local")}


def test_subordinates_are_computed_once_per_actor(org, django_assert_num_queries):
    _set_scope(Role.MANAGER, ScopeLevel.SUBORDINATES)
    boss = _fresh(org["boss"])
    permissions.read_level(boss)
    with django_assert_num_queries(2):  # the subordinates and the shared ids, each once
        for _ in range(3):
            permissions.customer_filter(boss)
            permissions.can_change_customer(boss, org["c"]["sub"])


def test_a_role_without_a_row_has_the_default_levels(am_a, am_a2):
    RoleScope.objects.all().delete()
    mine = CustomerFactory(owner=am_a)
    CustomerFactory(owner=am_a2)

    assert _visible(_fresh(am_a)) == {mine.pk}


def test_seeded_role_scopes_are_the_rules_of_before():
    rows = dict(RoleScope.objects.values_list("role", "read_level"))
    if not rows:
        pytest.skip("a transactional test flushed the seeded rows")
    assert {r.role: (r.read_level, r.write_level) for r in RoleScope.objects.all()} == dict(
        permissions.DEFAULT_ROLE_SCOPES
    )


def test_superuser_reaches_everything_whatever_the_role_scope(admin_user, am_b):
    _set_scope(Role.ADMIN, ScopeLevel.NONE)
    c = CustomerFactory(owner=am_b)

    assert permissions.customer_filter(_fresh(admin_user)) is None
    assert permissions.can_change_customer(_fresh(admin_user), c)


def test_portal_user_reaches_nothing_whatever_the_role_scope(portal_user, am_b):
    _set_scope(Role.PORTAL, ScopeLevel.ALL)
    CustomerFactory(owner=am_b)

    assert _visible(_fresh(portal_user)) == set()


def test_changed_role_on_the_object_reads_its_own_levels(am_a, am_a2):
    theirs = CustomerFactory(owner=am_a2)
    user = _fresh(am_a)
    assert theirs.pk not in _visible(user)

    user.role = Role.SERVICE_AGENT

    assert theirs.pk in _visible(user)


def test_levels_come_with_the_session_user(am_a, django_assert_num_queries):
    backend = ScopedModelBackend()
    with django_assert_num_queries(1):
        user = backend.get_user(am_a.pk)
        assert permissions.read_level(user) == ScopeLevel.OWN
        assert permissions.write_level(user) == ScopeLevel.OWN


def test_levels_come_with_the_token_user(am_a, django_assert_num_queries):
    _set_scope(Role.ACCOUNT_MANAGER, ScopeLevel.DEPARTMENT, ScopeLevel.OWN)
    _token, raw = token_create(actor=am_a, name="t")
    token_authenticate(raw)  # the first use stamps last_used_at
    with django_assert_num_queries(1):
        user = token_authenticate(raw)
        assert permissions.read_level(user) == ScopeLevel.DEPARTMENT
        assert permissions.write_level(user) == ScopeLevel.OWN


def test_levels_of_a_lazy_request_user_are_not_read_again(am_a):
    """``request.user`` is a lazy proxy: the levels loaded on the user behind it count."""
    user = SimpleLazyObject(lambda: ScopedModelBackend().get_user(am_a.pk))
    with CaptureQueriesContext(connection) as ctx:
        assert permissions.read_level(user) == ScopeLevel.OWN
        assert permissions.write_level(user) == ScopeLevel.OWN
    assert len(ctx.captured_queries) == 1  # the user row, with its levels


@pytest.mark.parametrize(
    ("read", "write", "ok"),
    [
        ("all", "all", True),
        ("all", "department_tree", True),
        ("department_tree", "department", True),
        ("department", "own", True),
        ("subordinates", "own", True),
        ("own", "none", True),
        ("own", "department", False),
        ("department", "subordinates", False),
        ("department_tree", "subordinates", False),
        ("subordinates", "department", False),
        ("none", "own", False),
    ],
)
def test_level_covers(read, write, ok):
    assert permissions.level_covers(read, write) is ok


def test_role_rules(admin_user, manager_a, am_a, agent, portal_user):
    assert [permissions.can_scan_duplicates(u) for u in (admin_user, manager_a, am_a, agent)] == [
        True, True, True, False
    ]  # fmt: skip
    assert [permissions.can_log_communications_on_read(u) for u in (manager_a, am_a, agent)] == [
        False, False, True
    ]  # fmt: skip
    assert not permissions.can_scan_duplicates(portal_user)
    assert not permissions.can_log_communications_on_read(portal_user)
