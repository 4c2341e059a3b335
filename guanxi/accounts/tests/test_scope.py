import pytest

from guanxi.accounts import permissions
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CustomerFactory


@pytest.fixture
def book(am_a, am_a2, am_b):
    return {
        "a": CustomerFactory(owner=am_a),
        "a2": CustomerFactory(owner=am_a2),
        "b": CustomerFactory(owner=am_b),
    }


def _visible(actor):
    return set(
        permissions.scope_customers(actor, Customer.objects.all()).values_list("pk", flat=True)
    )


def test_account_manager_sees_only_own(book, am_a):
    assert _visible(am_a) == {book["a"].pk}


def test_manager_sees_own_team(book, manager_a):
    assert _visible(manager_a) == {book["a"].pk, book["a2"].pk}


def test_admin_sees_all(book, admin_user):
    assert _visible(admin_user) == {c.pk for c in book.values()}


def test_service_agent_reads_all_but_cannot_change(book, agent):
    assert _visible(agent) == {c.pk for c in book.values()}
    assert not permissions.can_change_customer(agent, book["a"])
    assert permissions.can_log_communication(agent, book["a"])


def test_portal_user_sees_nothing(book, portal_user):
    assert _visible(portal_user) == set()
    assert not permissions.can_change_customer(portal_user, book["a"])


def test_inactive_user_sees_nothing(book, am_a):
    am_a.is_active = False
    am_a.save()
    assert _visible(am_a) == set()


def test_change_rights(book, am_a, manager_a, admin_user):
    assert permissions.can_change_customer(am_a, book["a"])
    assert not permissions.can_change_customer(am_a, book["a2"])
    assert permissions.can_change_customer(manager_a, book["a2"])
    assert not permissions.can_change_customer(manager_a, book["b"])
    assert permissions.can_change_customer(admin_user, book["b"])
