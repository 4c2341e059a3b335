"""``customer_collaborator_add`` / ``_remove``: sharing a customer with named users (团队成员)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers import selectors, services
from guanxi.customers.bin.services import customers_purge_expired
from guanxi.customers.models import Customer, CustomerCollaborator, TimelineEntry
from guanxi.customers.tests.factories import CustomerCollaboratorFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(am_a):
    return CustomerFactory(owner=am_a)


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def test_add_shares_the_customer_audited_and_on_the_timeline(am_a, am_b, customer):
    collaborator = services.customer_collaborator_add(
        actor=am_a, customer_id=customer.pk, user_id=am_b.pk, access="write"
    )

    assert (collaborator.user, collaborator.access, collaborator.added_by) == (am_b, "write", am_a)
    entry = AuditEntry.objects.get(model="customers.customercollaborator", action="create")
    assert entry.customer_id == customer.pk
    assert entry.changes["user_id"] == [None, am_b.pk]
    event = TimelineEntry.objects.get(customer=customer, kind="collaborator")
    assert event.display_title == f"添加团队成员 {am_b}（可编辑）"


def test_a_read_collaborator_sees_but_does_not_change(am_a, am_b, customer):
    services.customer_collaborator_add(
        actor=am_a, customer_id=customer.pk, user_id=am_b.pk, access="read"
    )
    reader = _fresh(am_b)

    assert selectors.customer_get(actor=reader, customer_id=customer.pk) == customer
    with pytest.raises(PermissionDenied):
        services.customer_update(
            actor=reader, customer_id=customer.pk, data={"notes": "x"}, version=1
        )
    customer.refresh_from_db()
    assert customer.notes == ""


def test_a_write_collaborator_changes_it(am_a, am_b, customer):
    services.customer_collaborator_add(
        actor=am_a, customer_id=customer.pk, user_id=am_b.pk, access="write"
    )

    services.customer_update(
        actor=_fresh(am_b), customer_id=customer.pk, data={"notes": "改"}, version=1
    )

    customer.refresh_from_db()
    assert customer.notes == "改"


def test_remove_ends_the_sharing(am_a, am_b, customer):
    CustomerCollaboratorFactory(customer=customer, user=am_b)

    services.customer_collaborator_remove(actor=am_a, customer_id=customer.pk, user_id=am_b.pk)

    assert not CustomerCollaborator.objects.exists()
    assert AuditEntry.objects.filter(
        model="customers.customercollaborator", action="delete", customer_id=customer.pk
    ).exists()
    assert TimelineEntry.objects.get(kind="collaborator").display_title == f"移除团队成员 {am_b}"
    with pytest.raises(NotFound):
        selectors.customer_get(actor=_fresh(am_b), customer_id=customer.pk)


def test_remove_of_someone_not_shared_with_is_404_on_user_id(am_a, am_b, customer):
    with pytest.raises(NotFound) as exc:
        services.customer_collaborator_remove(actor=am_a, customer_id=customer.pk, user_id=am_b.pk)
    assert exc.value.field == "user_id"


def test_adding_twice_is_a_conflict_on_user_id(am_a, am_b, customer):
    CustomerCollaboratorFactory(customer=customer, user=am_b)

    with pytest.raises(Conflict) as exc:
        services.customer_collaborator_add(actor=am_a, customer_id=customer.pk, user_id=am_b.pk)

    assert exc.value.field == "user_id"
    assert CustomerCollaborator.objects.count() == 1


@pytest.mark.parametrize("who", ["owner", "portal", "inactive", "missing"])
def test_add_refuses_a_user_who_cannot_be_a_collaborator(am_a, portal_user, customer, who):
    inactive = User.objects.create(username="gone", is_active=False)
    user_id = {"owner": am_a.pk, "portal": portal_user.pk, "inactive": inactive.pk,
               "missing": 10**9}[who]  # fmt: skip

    with pytest.raises(ValidationFailed) as exc:
        services.customer_collaborator_add(actor=am_a, customer_id=customer.pk, user_id=user_id)

    assert list(exc.value.errors) == ["user_id"]
    assert not CustomerCollaborator.objects.exists()


def test_add_refuses_an_unknown_access(am_a, am_b, customer):
    with pytest.raises(ValidationFailed) as exc:
        services.customer_collaborator_add(
            actor=am_a, customer_id=customer.pk, user_id=am_b.pk, access="admin"
        )
    assert list(exc.value.errors) == ["access"]


def test_only_who_may_change_the_customer_may_share_it(am_a, am_b, agent, customer):
    with pytest.raises(PermissionDenied):  # reads every customer, changes none
        services.customer_collaborator_add(actor=agent, customer_id=customer.pk, user_id=am_b.pk)
    with pytest.raises(NotFound):  # does not see it
        services.customer_collaborator_add(actor=am_b, customer_id=customer.pk, user_id=am_b.pk)
    CustomerCollaboratorFactory(customer=customer, user=am_b, access="read")
    with pytest.raises(PermissionDenied):  # a read-only collaborator
        services.customer_collaborator_remove(
            actor=_fresh(am_b), customer_id=customer.pk, user_id=am_b.pk
        )
    assert CustomerCollaborator.objects.count() == 1


def test_deleting_the_customer_audits_its_collaborators(am_a, am_b, customer):
    collaborator = CustomerCollaboratorFactory(customer=customer, user=am_b)

    services.customer_delete(actor=am_a, customer_id=customer.pk, version=1)
    Customer.all_objects.filter(pk=customer.pk).update(
        deleted_at=timezone.now() - dt.timedelta(days=31)
    )
    customers_purge_expired()  # the recycle bin's purge removes (and audits) the cascade

    assert not Customer.all_objects.filter(pk=customer.pk).exists()
    assert AuditEntry.objects.filter(
        model="customers.customercollaborator", object_id=str(collaborator.pk), action="delete"
    ).exists()


def test_shared_customers_appear_in_the_collaborators_list(am_a, am_b, customer):
    CustomerFactory(owner=am_b)
    CustomerCollaboratorFactory(customer=customer, user=am_b)

    reader = _fresh(am_b)
    assert customer.pk in set(
        permissions.scope_customers(reader, Customer.objects.all()).values_list("pk", flat=True)
    )
    assert [c.user for c in selectors.collaborators_of(customer=customer)] == [am_b]
    assert am_b not in selectors.collaborator_candidates(actor=am_a, customer=customer)
    assert am_a not in selectors.collaborator_candidates(actor=am_a, customer=customer)
