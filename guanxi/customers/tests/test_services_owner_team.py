"""A user's move to another department moves their customers' department with them, through
the ``accounts.hooks`` handler customers registers — from the role service and from the
admin alike — with an audit entry per customer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.accounts import hooks
from guanxi.accounts.services import user_set_role
from guanxi.core.models import AuditEntry, AuditSource
from guanxi.customers.models import Customer
from guanxi.customers.services import customers_follow_owner_team
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _team_entries():
    return AuditEntry.objects.filter(model="customers.customer", changes__has_key="team_id")


def test_customers_registers_its_handler():
    assert hooks.registered_user_team_handlers()["customers"] is customers_follow_owner_team


def test_role_service_moves_the_owners_customers_with_audit(
    admin_user, am_a, am_a2, team_a, team_b
):
    mine = [CustomerFactory(owner=am_a) for _ in range(3)]
    theirs = CustomerFactory(owner=am_a2)

    user_set_role(actor=admin_user, user_id=am_a.pk, role="account_manager", team_id=team_b.pk)

    assert set(Customer.objects.filter(team=team_b).values_list("pk", flat=True)) == {
        c.pk for c in mine
    }
    theirs.refresh_from_db()
    assert theirs.team_id == team_a.pk
    entries = _team_entries()
    assert sorted(e.customer_id for e in entries) == sorted(c.pk for c in mine)
    assert {tuple(e.changes["team_id"]) for e in entries} == {(team_a.pk, team_b.pk)}
    assert {e.actor_id for e in entries} == {admin_user.pk}


def test_moving_to_no_department(admin_user, am_a):
    customer = CustomerFactory(owner=am_a)

    user_set_role(actor=admin_user, user_id=am_a.pk, role="account_manager", team_id=None)

    customer.refresh_from_db()
    assert customer.team_id is None
    assert _team_entries().count() == 1


def test_the_handler_works_in_chunks_and_skips_customers_already_there(
    admin_user, am_a, team_a, team_b
):
    customers = [CustomerFactory(owner=am_a) for _ in range(5)]
    Customer.objects.filter(pk=customers[0].pk).update(team=team_b)

    moved = customers_follow_owner_team(
        actor=admin_user, user_id=am_a.pk, old_team_id=team_a.pk, new_team_id=team_b.pk,
        chunk_size=2,
    )  # fmt: skip

    assert moved == 4
    assert Customer.objects.filter(team=team_b).count() == 5
    assert _team_entries().count() == 4


def test_admin_department_change_moves_customers_with_admin_audit(
    client, admin_user, am_a, team_a, team_b
):
    customer = CustomerFactory(owner=am_a)
    client.force_login(admin_user)
    url = reverse("admin:accounts_user_change", args=[am_a.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        username=am_a.username, role=am_a.role, team=team_b.pk, language=am_a.language,
        date_joined_0=am_a.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=am_a.date_joined.strftime("%H:%M:%S"),
        is_active="on",
    )  # fmt: skip
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data.pop("groups", None)
    data.pop("user_permissions", None)
    data.pop("manager", None)

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.team_id == team_b.pk
    entry = _team_entries().get()
    assert (entry.customer_id, entry.source) == (customer.pk, AuditSource.ADMIN)
    assert entry.changes["team_id"] == [team_a.pk, team_b.pk]
