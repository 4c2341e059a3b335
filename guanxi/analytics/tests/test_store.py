"""``store``: the rows written straight into ``CustomerValue`` (PostgreSQL: binary COPY;
SQLite: executemany) read back exactly, and a recompute runs no DDL."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guanxi.analytics import services, store
from guanxi.analytics.models import CustomerValue
from guanxi.analytics.tests import builders
from guanxi.customers.tests.factories import CustomerFactory

DDL = re.compile(r"^\s*(CREATE|DROP|ALTER|TRUNCATE|RENAME|REINDEX|CLUSTER)\b", re.IGNORECASE)
NOW = dt.datetime(2025, 6, 30, 18, 30, 15, 123456, tzinfo=dt.UTC)


def _columns(ids: list[int]) -> dict[str, store.Column]:
    """Three rows: ordinary, every nullable column NULL, and extreme amounts."""
    nan = np.nan

    def floats(*values: float) -> np.ndarray:
        return np.array(values, dtype=np.float64)

    def ints(*values: int) -> np.ndarray:
        return np.array(values, dtype=np.int64)

    day = (dt.date(2025, 6, 1) - dt.date(1970, 1, 1)).days
    return {
        "customer_id": ints(*ids),
        "orders": ints(3, 1, 2_000_000_000),
        "purchases": ints(3, 1, 7),
        "revenue": floats(1234.5, 0.0, 1_234_567_890_123.45),
        "first_purchase": ints(day - 100, day, 0),
        "last_purchase": ints(day, day, day + 10_000),
        "average_amount": floats(411.5, 0.01, 0.99),
        "average_cycle_days": floats(50.0, nan, 0.25),
        "communications": ints(0, 5, 1),
        "customer_value": floats(-0.01, 0.0, -1_234_567_890_123.45),
        "value_check": floats(1.005, nan, 10_000.0),
        "value_class": store.Labels(ints(0, 5, 4), services.CLASS_CODES),
        "cycle_band": store.Labels(ints(0, -1, 2), services.CYCLE_CODES),
        "amount_band": store.Labels(ints(2, -1, 1), services.AMOUNT_CODES),
        "rfm_r": ints(5, 1, 3),
        "rfm_f": ints(4, 1, 3),
        "rfm_m": ints(3, 1, 3),
        "rfm_fm": ints(4, 1, 3),
        "rfm_segment": store.Labels(ints(0, 11, 2), services.SEGMENT_CODES),
        "revenue_rank": ints(1, 3, 2),
        "clv_rank": ints(1, 3, 2),
        "key_account": np.array([True, False, True]),
        "p_alive": floats(0.75, nan, 1e-300),
        "expected_purchases": floats(2.5, nan, 0.0),
        "expected_spend": floats(400.0, nan, 12_345.67),
        "clv": floats(987.65, nan, 0.004),
        "propensity": floats(0.125, nan, 1.0),
        "dormant": np.array([False, True, False]),
        "cost_to_serve": floats(0.0, 10.0, 123.45),
        "profit": floats(1234.5, -10.0, -123.45),
        "cost_breakdown": store.Labels(
            ints(1, 0, 2),
            ("{}", '{"service.complaints": "12.30"}', '{"a.b": "1.00", "c.d": "-0.50"}'),
        ),
        "cohort_month": ints(24_300, 24_305, 0),
        "activity_mask": ints(5, 0, (1 << 62) + 1),
        "computed_at": NOW,
    }


def test_every_column_reads_back_as_written(admin_user, am_a):
    ids = sorted(CustomerFactory(owner=am_a).pk for _ in range(3))
    with transaction.atomic():
        store.values_replace(_columns(ids), 3)
    rows = {v.customer_id: v for v in CustomerValue.objects.all()}
    ordinary, empty, extreme = (rows[i] for i in ids)
    assert (ordinary.revenue, ordinary.average_amount, ordinary.customer_value) == (
        Decimal("1234.50"), Decimal("411.50"), Decimal("-0.01")
    )  # fmt: skip
    assert ordinary.value_check in (Decimal("1.00"), Decimal("1.01"))  # 1.005 as a double
    assert (ordinary.value_class, ordinary.cycle_band, ordinary.amount_band) == (
        "platinum", "short", "large"
    )  # fmt: skip
    assert ordinary.rfm_segment == services.SEGMENT_CODES[0]
    assert ordinary.first_purchase == dt.date(2025, 2, 21)
    assert ordinary.last_purchase == dt.date(2025, 6, 1)
    assert (ordinary.p_alive, ordinary.propensity, ordinary.average_cycle_days) == (
        0.75, 0.125, 50.0
    )  # fmt: skip
    assert ordinary.clv == Decimal("987.65") and ordinary.key_account and not ordinary.dormant
    assert ordinary.computed_at == NOW
    assert (ordinary.rfm_r, ordinary.rfm_f, ordinary.rfm_m, ordinary.rfm_fm) == (5, 4, 3, 4)
    assert (ordinary.revenue_rank, ordinary.clv_rank) == (1, 1)
    assert ordinary.cost_breakdown == {"service.complaints": "12.30"}

    assert empty.average_cycle_days is None and empty.value_check is None
    assert empty.p_alive is None and empty.expected_purchases is None
    assert empty.expected_spend is None and empty.clv is None and empty.propensity is None
    assert (empty.value_class, empty.cycle_band, empty.amount_band) == ("insufficient", "", "")
    assert empty.revenue == Decimal("0.00") and empty.average_amount == Decimal("0.01")
    assert empty.profit == Decimal("-10.00") and empty.dormant
    assert empty.cost_breakdown == {}

    assert extreme.orders == 2_000_000_000
    assert extreme.activity_mask == (1 << 62) + 1
    assert extreme.first_purchase == dt.date(1970, 1, 1)
    assert extreme.clv == Decimal("0.00") and extreme.expected_spend == Decimal("12345.67")
    assert extreme.profit == Decimal("-123.45")
    assert extreme.revenue == Decimal("1234567890123.45")
    assert extreme.customer_value == Decimal("-1234567890123.45")
    assert extreme.cost_breakdown == {"a.b": "1.00", "c.d": "-0.50"}


def test_the_previous_rows_are_replaced_and_rows_of_deleted_customers_left_out(am_a):
    kept, deleted, replaced = (CustomerFactory(owner=am_a) for _ in range(3))
    with transaction.atomic():
        store.values_replace(_columns(sorted([kept.pk, deleted.pk, replaced.pk])), 3)
    new = CustomerFactory(owner=am_a)
    ids = sorted([kept.pk, deleted.pk, new.pk])
    deleted.delete()  # after its orders were read, before the values are written
    with transaction.atomic():
        store.values_replace(_columns(ids), 3)
    assert sorted(CustomerValue.objects.values_list("customer_id", flat=True)) == sorted(
        [kept.pk, new.pk]
    )


def test_values_replace_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError):
        store.values_replace(_columns([1, 2, 3]), 3)


def test_a_missing_column_is_refused_before_anything_is_written(am_a):
    columns = _columns(sorted(CustomerFactory(owner=am_a).pk for _ in range(3)))
    del columns["profit"]
    with pytest.raises(ValueError, match="profit"), transaction.atomic():
        store.values_replace(columns, 3)
    assert not CustomerValue.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_recompute_runs_no_ddl(admin_user, am_a):
    builders.grid_book(owner=am_a)
    services.analytics_recompute(actor=admin_user, as_of=builders.AS_OF)
    with CaptureQueriesContext(connection) as queries:
        run = services.analytics_recompute(actor=admin_user, as_of=builders.AS_OF)
    statements = [q["sql"] for q in queries.captured_queries]
    assert [s for s in statements if DDL.match(s)] == []
    assert any(s.startswith("DELETE FROM analytics_customervalue") for s in statements)
    assert CustomerValue.objects.count() == 9
    if connection.vendor == "postgresql":  # the previous run's dead rows vacuumed
        assert "vacuum_values_s" in run.timings
        assert any(s.startswith("VACUUM") for s in statements)
    assert timezone.now() >= run.finished_at
