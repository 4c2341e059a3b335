"""Money is exact (hypothesis): instalments sum to the amount with the last absorbing the
rounding; collections never exceed what is due unless marked as prepayment; the aging
buckets partition the open amount."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.contracts.models import Instalment, InstalmentStatus
from guanxi.contracts.selectors import BUCKETS, aging_page, aging_totals, receivables_aging
from guanxi.contracts.services.collections import allocate
from guanxi.contracts.services.plans import split_amount
from guanxi.contracts.tests.contract_helpers import approved, scene_fixture  # noqa: F401 - fixture
from guanxi.core.errors import ValidationFailed

amounts = st.decimals(
    min_value=Decimal("0.01"),
    max_value=Decimal("999999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@given(amount=amounts, count=st.integers(min_value=1, max_value=120))
def test_instalments_sum_to_the_amount_and_the_last_absorbs_rounding(amount, count):
    parts = split_amount(amount, count)
    assert len(parts) == count
    assert sum(parts) == amount
    assert all(p == p.quantize(Decimal("0.01")) for p in parts)
    assert len(set(parts[:-1])) <= 1
    assert parts[-1] >= parts[0] and parts[-1] - parts[0] < Decimal("0.01") * count


open_lists = st.lists(amounts.map(lambda a: min(a, Decimal("1000000.00"))), min_size=1, max_size=8)


@given(opens=open_lists, amount=amounts, prepayment=st.booleans())
def test_collections_never_exceed_what_is_due_unless_prepayment(opens, amount, prepayment):
    instalments = list(enumerate(opens, start=1))
    due = sum(opens)
    try:
        parts, rest = allocate(amount, instalments, None, prepayment=prepayment)
    except ValidationFailed as exc:
        assert not prepayment and amount > due
        assert "amount" in exc.errors
        return
    assert prepayment or amount <= due
    assert sum(p for _i, p in parts) + rest == amount
    open_by_id = dict(instalments)
    assert all(0 < p <= open_by_id[i] for i, p in parts)
    assert rest == max(amount - due, Decimal("0"))


@given(opens=open_lists, data=st.data())
def test_requested_allocations_beyond_an_instalment_are_refused(opens, data):
    index = data.draw(st.integers(min_value=0, max_value=len(opens) - 1))
    too_much = opens[index] + Decimal("0.01")
    instalments = list(enumerate(opens, start=1))
    with pytest.raises(ValidationFailed) as exc:
        allocate(too_much, instalments, [(index + 1, too_much)], prepayment=True)
    assert "allocations[0].amount" in exc.value.errors


@pytest.mark.django_db
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offsets=st.lists(st.integers(min_value=-200, max_value=400), min_size=1, max_size=10),
    received=st.lists(st.integers(min_value=0, max_value=99), min_size=10, max_size=10),
)
def test_aging_buckets_partition_the_open_amount(scene, offsets, received):
    today = dt.date(2026, 6, 30)
    contract = approved(scene, "1000.00", count=1)
    Instalment.objects.filter(contract=contract).delete()
    for n, offset in enumerate(offsets, start=1):
        Instalment.objects.create(
            contract=contract,
            sequence=n,
            due_date=today - dt.timedelta(days=offset),
            amount=Decimal("100.00"),
            received=Decimal(received[n - 1]),
            status=InstalmentStatus.PARTLY,
            customer=contract.customer,
            owner=contract.owner,
            team=contract.team,
        )
    rows = receivables_aging(actor=scene["seller"], group_by="customer", today=today)
    open_total = sum(Decimal(100 - received[n]) for n in range(len(offsets)))
    assert sum(r.total for r in rows) == open_total
    totals = aging_totals(rows)
    assert set(totals) == {k for k, _l, _h in BUCKETS}
    for key, low, high in BUCKETS:
        expected = sum(
            (
                Decimal(100 - received[n])
                for n, off in enumerate(offsets)
                if (low is None or off >= low) and (high is None or off <= high)
            ),
            Decimal("0"),
        )
        assert totals[key] == expected, key
    # the page's totals (window sums over every group) are the full aging's, to the cent
    page = aging_page(actor=scene["seller"], group_by="customer", today=today, limit=1)
    assert page.totals == totals and page.count == len(rows)
    assert [r.buckets for r in page.rows] == [r.buckets for r in rows]
    contract.instalments.all().delete()
    contract.delete()
