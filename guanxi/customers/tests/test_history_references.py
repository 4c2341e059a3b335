"""The change-history and timeline rows name referenced records only within the reader's
scope (``core.references``): a record outside it shows as ``#id``, never its name."""

import pytest

from guanxi.accounts import permissions
from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.core.models import AuditEntry
from guanxi.core.templatetags.gx import attach_change_rows
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _entry(model, changes):
    return AuditEntry(model=model, object_id="1", action="update", changes=changes)


def _rows(actor, model, changes):
    entry = _entry(model, changes)
    attach_change_rows([entry], actor=actor, model_attr="model", changes=lambda e: e.changes)
    return {row.field: (row.old, row.new) for row in entry.change_rows}


def test_a_contact_outside_the_readers_scope_is_shown_by_id_only():
    east, west = TeamFactory(name="华东"), TeamFactory(name="华西")
    me = UserFactory(role=Role.ACCOUNT_MANAGER, team=east)
    mine = ContactFactory(name="王经理", customer=CustomerFactory(owner=me))
    theirs = ContactFactory(
        name="别人的秘密联系人", customer=CustomerFactory(owner=UserFactory(team=west))
    )

    rows = _rows(me, "customers.communication", {"contact": [mine.pk, theirs.pk]})

    assert rows["contact"] == ("王经理", f"#{theirs.pk}")


def test_an_admin_sees_both_and_user_names_are_resolved():
    admin = UserFactory(role=Role.ADMIN)
    a = ContactFactory(name="甲")
    b = ContactFactory(name="乙")
    old = UserFactory(display_name="李经理")
    new = UserFactory(display_name="王经理")

    assert _rows(admin, "customers.communication", {"contact": [a.pk, str(b.pk)]}) == {
        "contact": ("甲", "乙")
    }
    assert _rows(admin, "customers.customer", {"owner": [old.pk, new.pk]})["owner"] == (
        "李经理",
        "王经理",
    )


def test_a_portal_reader_gets_no_names():
    portal = UserFactory(role=Role.PORTAL)
    a = ContactFactory(name="甲")
    rows = _rows(portal, "customers.communication", {"contact": [a.pk, None]})
    assert rows["contact"][0] == f"#{a.pk}"


def test_one_query_per_referenced_model(django_assert_num_queries):
    admin = UserFactory(role=Role.ADMIN)
    contacts = [ContactFactory() for _ in range(5)]
    entries = [
        _entry("customers.communication", {"contact": [c.pk, contacts[0].pk]}) for c in contacts
    ]
    permissions.read_level(admin)  # the actor's scope level, loaded once per request
    with django_assert_num_queries(1):
        attach_change_rows(entries, actor=admin, model_attr="model", changes=lambda e: e.changes)
    assert {e.change_rows[0].old for e in entries} == {str(c) for c in contacts}
