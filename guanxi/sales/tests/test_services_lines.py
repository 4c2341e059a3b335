"""opportunity_line_add / opportunity_line_remove and the amount rule of opportunity_update:
while an opportunity has product lines its amount is their sum."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.core.errors import Conflict, NotFound, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.tests.factories import CustomerFactory, ProductFactory
from guanxi.sales.models import Opportunity, OpportunityLine
from guanxi.sales.services import opportunities as services
from guanxi.sales.tests.factories import board

pytestmark = pytest.mark.django_db


@pytest.fixture
def opp(am_a):
    board()
    return services.opportunity_create(
        actor=am_a, customer_id=CustomerFactory(owner=am_a).pk,
        data={"name": "ERP 项目", "amount": "5000"},
    )  # fmt: skip


def _add(actor, opp, version, **line):
    return services.opportunity_line_add(
        actor=actor, opportunity_id=opp.pk, version=version, line=line
    )


def test_adding_lines_sets_the_amount_to_their_sum_and_audits(am_a, opp):
    crm = ProductFactory(unit_price=Decimal("19800.00"))
    mob = ProductFactory(unit_price=Decimal("8800.00"))
    _add(am_a, opp, 1, product_id=crm.pk, quantity="2")
    _add(am_a, opp, 2, product_id=mob.pk, quantity="1", unit_price="8000")
    opp.refresh_from_db()
    assert opp.amount == Decimal("47600.00") and opp.version == 3
    assert AuditEntry.objects.filter(model="sales.opportunityline", action="create").count() == 2
    update = AuditEntry.objects.filter(model="sales.opportunity", action="update").first()
    assert update.changes["amount"] == ["5000.00", "39600.00"]
    assert update.customer_id == opp.customer_id


def test_removing_a_line_recomputes_and_the_last_keeps_the_amount(am_a, opp):
    a = _add(am_a, opp, 1, product_id=ProductFactory(unit_price=Decimal("100")).pk, quantity="3")
    _add(am_a, opp, 2, product_id=ProductFactory(unit_price=Decimal("50")).pk, quantity="1")
    services.opportunity_line_remove(actor=am_a, opportunity_id=opp.pk, version=3, line_id=a.pk)
    opp.refresh_from_db()
    assert opp.amount == Decimal("50.00") and opp.version == 4
    last = opp.lines.get()
    services.opportunity_line_remove(actor=am_a, opportunity_id=opp.pk, version=4, line_id=last.pk)
    opp.refresh_from_db()
    assert opp.amount == Decimal("50.00") and not opp.lines.exists()
    assert AuditEntry.objects.filter(model="sales.opportunityline", action="delete").count() == 2


def test_a_stale_version_changes_nothing(am_a, opp):
    product = ProductFactory()
    _add(am_a, opp, 1, product_id=product.pk, quantity="1")
    with pytest.raises(Conflict):
        _add(am_a, opp, 1, product_id=product.pk, quantity="5")
    line = opp.lines.get()
    with pytest.raises(Conflict):
        services.opportunity_line_remove(actor=am_a, opportunity_id=opp.pk, version=1,
                                         line_id=line.pk)  # fmt: skip
    assert OpportunityLine.objects.count() == 1
    assert Opportunity.objects.get().version == 2


@pytest.mark.parametrize(
    "line, field",
    [
        ({"product_id": 999999, "quantity": "1"}, "product_id"),
        ({"product_id": "abc", "quantity": "1"}, "product_id"),
        ({"product_id": "PRODUCT", "quantity": "0"}, "quantity"),
        ({"product_id": "PRODUCT", "quantity": "x"}, "quantity"),
        ({"product_id": "PRODUCT", "quantity": "1", "unit_price": "-1"}, "unit_price"),
        ({"product_id": "PRODUCT", "colour": "red"}, "colour"),
    ],
)
def test_bad_lines_name_the_field_and_change_nothing(am_a, opp, line, field):
    product = ProductFactory()
    line = {k: product.pk if v == "PRODUCT" else v for k, v in line.items()}
    with pytest.raises(ValidationFailed) as exc:
        _add(am_a, opp, 1, **line)
    assert field in exc.value.errors
    opp.refresh_from_db()
    assert opp.version == 1 and opp.amount == Decimal("5000.00") and not opp.lines.exists()


def test_lines_of_a_closed_opportunity_are_frozen(am_a, opp):
    services.opportunity_win(actor=am_a, opportunity_id=opp.pk, version=1)
    with pytest.raises(ValidationFailed) as exc:
        _add(am_a, opp, 2, product_id=ProductFactory().pk, quantity="1")
    assert "lines" in exc.value.errors


def test_out_of_scope_or_an_unknown_line_is_not_found(am_a, am_b, opp):
    with pytest.raises(NotFound):
        _add(am_b, opp, 1, product_id=ProductFactory().pk, quantity="1")
    with pytest.raises(NotFound):
        services.opportunity_line_remove(actor=am_a, opportunity_id=opp.pk, version=1,
                                         line_id=123456)  # fmt: skip
    assert not OpportunityLine.objects.exists()


def test_update_refuses_another_amount_while_there_are_lines(am_a, opp):
    _add(am_a, opp, 1, product_id=ProductFactory(unit_price=Decimal("300")).pk, quantity="1")
    with pytest.raises(ValidationFailed) as exc:
        services.opportunity_update(actor=am_a, opportunity_id=opp.pk, version=2,
                                    data={"amount": "999"})  # fmt: skip
    assert "amount" in exc.value.errors
    # the same amount (what the form shows) and other fields go through
    services.opportunity_update(actor=am_a, opportunity_id=opp.pk, version=2,
                                data={"amount": "300", "next_step": "发送报价"})  # fmt: skip
    opp.refresh_from_db()
    assert opp.amount == Decimal("300.00") and opp.next_step == "发送报价" and opp.version == 3


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture],
          deadline=None)  # fmt: skip
@given(
    ops=st.lists(
        st.tuples(st.booleans(), st.integers(1, 50), st.decimals("0", "99999", places=2)),
        min_size=1, max_size=8,
    )
)  # fmt: skip
def test_amount_is_always_the_sum_of_the_lines(am_a, opp, ops):
    product = ProductFactory()
    opp.refresh_from_db()
    for add, qty, price in ops:
        lines = list(opp.lines.all())
        if add or not lines:
            _add(am_a, opp, opp.version, product_id=product.pk, quantity=str(qty),
                 unit_price=str(price))  # fmt: skip
        else:
            services.opportunity_line_remove(actor=am_a, opportunity_id=opp.pk,
                                             version=opp.version, line_id=lines[0].pk)  # fmt: skip
        opp.refresh_from_db()
        lines = list(opp.lines.all())
        if lines:
            assert opp.amount == sum((li.subtotal for li in lines), Decimal("0"))
