"""Complaints (C2): the root-cause tree, the complaint record of a complaint ticket and the
complaint rates and cost per customer and per product."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
)
from guanxi.service import selectors
from guanxi.service.models import Complaint, RootCause
from guanxi.service.services import complaints
from guanxi.service.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def causes(admin_user):
    quality = complaints.root_cause_create(actor=admin_user, data={"name": "产品质量"})
    broken = complaints.root_cause_create(
        actor=admin_user, data={"name": "包装破损", "parent_id": quality.pk}
    )
    return quality, broken


@pytest.fixture
def complaint_ticket(am_a):
    return TicketFactory(customer=CustomerFactory(owner=am_a), category="complaint")


# --- the tree --------------------------------------------------------------------------------


def test_tree_is_depth_first_with_paths(causes, agent):
    complaints.root_cause_create(actor=_admin(), data={"name": "服务态度"})
    tree = selectors.root_cause_tree(actor=agent)
    assert [(i.path, i.depth) for i in tree] == [
        ("产品质量", 0),
        ("产品质量 / 包装破损", 1),
        ("服务态度", 0),
    ]


def _admin():
    from guanxi.accounts.models import User

    return User.objects.get(username="admin1")


@pytest.mark.parametrize("who", ["agent", "manager_a", "am_a"])
def test_only_admins_grow_the_tree(request, who):
    with pytest.raises(PermissionDenied):
        complaints.root_cause_create(actor=request.getfixturevalue(who), data={"name": "x"})
    assert not RootCause.objects.exists()


def test_a_cause_cannot_move_under_its_own_child(causes, admin_user):
    quality, broken = causes
    with pytest.raises(ValidationFailed) as exc:
        complaints.root_cause_update(
            actor=admin_user,
            root_cause_id=quality.pk,
            data={"parent_id": broken.pk},
            version=quality.version,
        )
    assert "parent_id" in exc.value.errors
    quality.refresh_from_db()
    assert quality.parent_id is None and quality.version == 1


def test_tree_depth_is_bounded(admin_user):
    parent = None
    for level in range(5):
        parent = complaints.root_cause_create(
            actor=admin_user, data={"name": f"L{level}", "parent_id": parent and parent.pk}
        )
    with pytest.raises(ValidationFailed) as exc:
        complaints.root_cause_create(actor=admin_user, data={"name": "L5", "parent_id": parent.pk})
    assert "parent_id" in exc.value.errors
    assert RootCause.objects.count() == 5


def test_same_name_under_one_parent_is_refused(causes, admin_user):
    quality, _ = causes
    with pytest.raises(ValidationFailed) as exc:
        complaints.root_cause_create(
            actor=admin_user, data={"name": "包装破损", "parent_id": quality.pk}
        )
    assert "name" in exc.value.errors
    # the same name elsewhere in the tree is fine
    complaints.root_cause_create(actor=admin_user, data={"name": "包装破损"})


def test_switching_off_a_cause_hides_it_from_new_complaints(causes, admin_user, agent):
    _, broken = causes
    complaints.root_cause_update(
        actor=admin_user, root_cause_id=broken.pk, data={"active": False}, version=1
    )
    assert [i.path for i in selectors.root_cause_tree(actor=agent, active_only=True)] == [
        "产品质量"
    ]
    entry = AuditEntry.objects.filter(model="service.rootcause", action="update").get()
    assert entry.changes["active"] == [True, False]


# --- the complaint record --------------------------------------------------------------------


def test_filing_a_complaint_audits_and_goes_on_the_timeline(
    causes, complaint_ticket, agent, team_a
):
    product = ProductFactory()
    complaint = complaints.complaint_save(
        actor=agent,
        ticket_id=complaint_ticket.pk,
        version=None,
        data={
            "root_cause_id": causes[1].pk,
            "resolution": "换货",
            "compensation_amount": "200",
            "compensation_kind": "voucher",
            "department_id": team_a.pk,
            "product_id": product.pk,
        },
    )
    complaint.refresh_from_db()
    assert complaint.compensation_amount == Decimal("200.00")
    assert (complaint.root_cause, complaint.department, complaint.product) == (
        causes[1],
        team_a,
        product,
    )
    entry = AuditEntry.objects.get(model="service.complaint", action="create")
    assert entry.customer_id == complaint_ticket.customer_id
    line = TimelineEntry.objects.get(customer=complaint_ticket.customer, kind="ticket")
    assert "包装破损" in line.title


def test_editing_a_complaint_checks_the_version(causes, complaint_ticket, agent):
    complaint = complaints.complaint_save(
        actor=agent, ticket_id=complaint_ticket.pk, version=None, data={"resolution": "a"}
    )
    complaints.complaint_save(
        actor=agent, ticket_id=complaint_ticket.pk, version=1, data={"resolution": "b"}
    )
    with pytest.raises(Conflict):
        complaints.complaint_save(
            actor=agent, ticket_id=complaint_ticket.pk, version=1, data={"resolution": "c"}
        )
    complaint.refresh_from_db()
    assert (complaint.resolution, complaint.version) == ("b", 2)
    change = AuditEntry.objects.get(model="service.complaint", action="update")
    assert change.changes["resolution"] == ["a", "b"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"compensation_amount": "-1", "compensation_kind": "refund"}, "compensation_amount"),
        ({"compensation_amount": "abc", "compensation_kind": "refund"}, "compensation_amount"),
        (
            {"compensation_amount": "10000000000", "compensation_kind": "refund"},
            "compensation_amount",
        ),
        ({"compensation_amount": "10"}, "compensation_kind"),
        ({"compensation_kind": "cash"}, "compensation_kind"),
        ({"root_cause_id": 999999}, "root_cause_id"),
        ({"department_id": 999999}, "department_id"),
        ({"product_id": "x"}, "product_id"),
        ({"resolution": "x" * 5001}, "resolution"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_complaint_input_names_the_field_and_writes_nothing(
    complaint_ticket, agent, data, field
):
    with pytest.raises(ValidationFailed) as exc:
        complaints.complaint_save(
            actor=agent, ticket_id=complaint_ticket.pk, version=None, data=data
        )
    assert field in exc.value.errors
    assert not Complaint.objects.exists()
    assert not AuditEntry.objects.filter(model="service.complaint").exists()


def test_only_complaint_tickets_carry_a_complaint(agent, am_a):
    ticket = TicketFactory(customer=CustomerFactory(owner=am_a), category="repair")
    with pytest.raises(ValidationFailed) as exc:
        complaints.complaint_save(actor=agent, ticket_id=ticket.pk, version=None, data={})
    assert "category" in exc.value.errors


def test_a_complaint_out_of_scope_is_not_found(complaint_ticket, am_b):
    with pytest.raises(NotFound):
        complaints.complaint_save(
            actor=am_b, ticket_id=complaint_ticket.pk, version=None, data={"resolution": "x"}
        )
    assert not Complaint.objects.exists()


# --- rates and cost --------------------------------------------------------------------------


def _complaint(customer, *, amount="0", kind="", product=None):
    ticket = TicketFactory(customer=customer, category="complaint")
    return Complaint.objects.create(
        ticket=ticket,
        compensation_amount=Decimal(amount),
        compensation_kind=kind,
        product=product,
    )


def test_complaint_rate_per_customer_and_product_within_scope(am_a, am_b, agent):
    mine, theirs = CustomerFactory(owner=am_a, name="甲公司"), CustomerFactory(owner=am_b)
    product, other = ProductFactory(), ProductFactory()
    for _ in range(4):
        OrderLineFactory(order=OrderFactory(customer=mine), product=product)
    OrderFactory(customer=mine, status="cancelled")
    OrderLineFactory(order=OrderFactory(customer=theirs), product=product)
    _complaint(mine, amount="100", kind="refund", product=product)
    _complaint(mine, amount="50.5", kind="voucher")
    _complaint(theirs, amount="999", kind="refund", product=product)
    _complaint(theirs, product=other)

    rows = {r.key: r for r in selectors.complaint_rate_by_customer(actor=am_a)}
    assert list(rows) == [mine.pk]
    assert (rows[mine.pk].complaints, rows[mine.pk].orders) == (2, 4)
    assert rows[mine.pk].rate == Decimal("0.5000") and rows[mine.pk].cost == Decimal("150.50")
    by_product = selectors.complaint_rate_by_product(actor=am_a)
    assert [(r.key, r.complaints, r.orders) for r in by_product] == [(product.pk, 1, 4)]

    everyone = {r.key: r for r in selectors.complaint_rate_by_product(actor=agent)}
    assert (everyone[product.pk].complaints, everyone[product.pk].orders) == (2, 5)
    assert everyone[other.pk].rate is None  # no orders of it: no rate


def test_complaint_cost_by_customer_for_cost_to_serve(am_a, am_b):
    mine, theirs = CustomerFactory(owner=am_a), CustomerFactory(owner=am_b)
    _complaint(mine, amount="100", kind="refund")
    _complaint(mine, amount="20", kind="service")
    _complaint(theirs, amount="7", kind="other")
    _complaint(theirs)
    assert selectors.complaint_cost_by_customer(actor=None) == {
        mine.pk: Decimal("120.00"),
        theirs.pk: Decimal("7.00"),
    }
    assert selectors.complaint_cost_by_customer(actor=am_a) == {mine.pk: Decimal("120.00")}
    assert selectors.complaint_cost_by_customer(actor=None, customer_ids=[theirs.pk]) == {
        theirs.pk: Decimal("7.00")
    }
