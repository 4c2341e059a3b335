"""``aggregate.customer_measures`` against orders whose measures are worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from guanxi.analytics import aggregate
from guanxi.customers.tests.factories import CommunicationFactory, CustomerFactory, OrderFactory
from guanxi.orders.models import OrderStatus

AS_OF = dt.date(2025, 5, 31)


def day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


@pytest.fixture
def book(db):
    a = CustomerFactory(name="甲")
    OrderFactory(customer=a, order_date=dt.date(2025, 1, 1), total=Decimal("100.00"))
    OrderFactory(customer=a, order_date=dt.date(2025, 1, 1), total=Decimal("50.50"))  # same day
    OrderFactory(customer=a, order_date=dt.date(2025, 2, 10), total=Decimal("200.00"))
    OrderFactory(
        customer=a, order_date=dt.date(2025, 3, 1), total=Decimal("999.00"),
        status=OrderStatus.CANCELLED,
    )  # fmt: skip
    OrderFactory(customer=a, order_date=dt.date(2025, 6, 1), total=Decimal("70.00"))  # after as-of
    only_cancelled = CustomerFactory(name="乙")
    OrderFactory(
        customer=only_cancelled, order_date=dt.date(2025, 1, 5), status=OrderStatus.CANCELLED
    )
    c = CustomerFactory(name="丙")
    OrderFactory(customer=c, order_date=dt.date(2020, 1, 15), total=Decimal("10.00"))  # > 63 months
    OrderFactory(customer=c, order_date=dt.date(2025, 5, 31), total=Decimal("0.00"))
    tz = timezone.get_default_timezone()
    CommunicationFactory(customer=c, occurred_at=dt.datetime(2025, 5, 31, 23, 30, tzinfo=tz))
    CommunicationFactory(customer=c, occurred_at=dt.datetime(2025, 3, 1, 9, 0, tzinfo=tz))
    CommunicationFactory(customer=c, occurred_at=dt.datetime(2025, 6, 1, 0, 30, tzinfo=tz))  # after
    CommunicationFactory(customer=only_cancelled, occurred_at=dt.datetime(2025, 1, 1, tzinfo=tz))
    CustomerFactory(name="丁")  # no orders at all
    return {"a": a, "c": c, "only_cancelled": only_cancelled}


def test_measures_of_a_customer_match_the_hand_computed_ones(book):
    m = aggregate.customer_measures(as_of=AS_OF)
    assert m.customer_id.tolist() == sorted([book["a"].pk, book["c"].pk])
    i = m.customer_id.tolist().index(book["a"].pk)
    assert m.orders[i] == 3  # the cancelled order and the one after the as-of date left out
    assert m.purchases[i] == 2  # two orders on 1 January are one purchase day
    assert m.revenue[i] == pytest.approx(350.50)
    assert m.first_day[i] == day(dt.date(2025, 1, 1))
    assert m.last_day[i] == day(dt.date(2025, 2, 10))
    # as-of month May 2025: January is 4 months back, February 3.
    assert m.activity_mask[i] == (1 << 4) | (1 << 3)
    assert m.communications[i] == 0


def test_customers_with_only_cancelled_or_no_orders_have_no_measures(book):
    m = aggregate.customer_measures(as_of=AS_OF)
    assert book["only_cancelled"].pk not in m.customer_id.tolist()
    assert m.size == 2


def test_months_beyond_the_mask_are_dropped_and_communications_counted_to_the_as_of_day(book):
    m = aggregate.customer_measures(as_of=AS_OF)
    i = m.customer_id.tolist().index(book["c"].pk)
    assert m.orders[i] == 2
    assert m.purchases[i] == 2
    assert m.first_day[i] == day(dt.date(2020, 1, 15))
    assert m.activity_mask[i] == 1  # only May 2025; January 2020 is 64 months back
    assert m.communications[i] == 2  # 23:30 on the as-of day (Beijing time) counts, 00:30 after not


def test_no_orders_gives_empty_arrays(db):
    m = aggregate.customer_measures(as_of=AS_OF)
    assert m.size == 0
    assert m.revenue.dtype == np.float64
