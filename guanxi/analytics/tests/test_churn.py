"""Issue 10 items 25 and 26: churn against each customer's own purchase cycle, the
incomplete as-of month left out, and no P(alive) of 100 % for a customer who bought once.
The expected figures are worked out by hand in the comments (docs/analytics.md, "Churn")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.core.cache import cache
from hypothesis import given
from hypothesis import strategies as st

from guanxi.analytics import aggregate, selectors, services
from guanxi.analytics.models import CustomerValue
from guanxi.analytics.tests import builders
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.customers.tests.test_api_support import Api

# The 15th: June 2025 is not over, so May 2025 is the last month that counts.
AS_OF = dt.date(2025, 6, 15)
D = dt.date

# Purchase days per customer. Cycles: A 30 days, B 10, C 10, E 60 (repeat buyers; their
# median is (10 + 30) / 2 = 20 days); D, F and G bought once. With the default dormancy
# multiple 3 the windows are ceil(3 * cycle / 30.4375) months:
#   A: 90 d -> 3 months;  B, C: 30 d -> 1 month;  E: 180 d -> 6 months;
#   D, G (one purchase, the median cycle): 60 d -> 2 months.
HISTORIES = {
    "A": [D(2025, 1, 10), D(2025, 2, 9), D(2025, 3, 11), D(2025, 4, 10), D(2025, 5, 10),
          D(2025, 6, 9)],
    "B": [D(2025, 1, 1), D(2025, 1, 11), D(2025, 1, 21), D(2025, 1, 31)],
    "C": [D(2025, 3, 1), D(2025, 3, 11), D(2025, 3, 21), D(2025, 3, 31)],
    "D": [D(2025, 2, 20)],
    "E": [D(2024, 11, 1), D(2024, 12, 31), D(2025, 3, 1)],
    "F": [D(2025, 6, 5)],  # acquired in the incomplete month: in no figure
    "G": [D(2025, 4, 15)],
}  # fmt: skip
# Lost at the end of month q = acquired and q - last purchase month >= window.
#   March: active = acquired by the end of February and not lost then = A, D, E (B was
#          lost at the end of February: January + 1 month). Lost at the end of March:
#          nobody (A bought, D 1 < 2 months, E bought).                 -> 0 / 3
#   April: active = A, C, D, E. Lost at the end of April: C (April - March = 1 >= 1) and
#          D (April - February = 2 >= 2).                                -> 2 / 4
#   May:   active = A, E, G. Lost at the end of May: nobody (A bought; E 2 < 6; G 1 < 2).
#                                                                        -> 0 / 3
EXPECTED_PERIODS = [
    {"month": "2025-03", "active": 3, "churned": 0, "churn": 0.0, "retention": 1.0},
    {"month": "2025-04", "active": 4, "churned": 2, "churn": 0.5, "retention": 0.5},
    {"month": "2025-05", "active": 3, "churned": 0, "churn": 0.0, "retention": 1.0},
]
# Cohorts of March to May: March = C (bought in March only), April = G; June (F) is not a
# cohort yet, and April's cohort has no June cell (not a 0 % "fact").
EXPECTED_COHORTS = [
    {"month": "2025-03", "size": 1, "retention": [1.0, 0.0, 0.0]},
    {"month": "2025-04", "size": 1, "retention": [1.0, 0.0, None]},
]


@pytest.fixture
def histories(admin_user, am_a):
    cache.clear()
    customers = {}
    for name, days in HISTORIES.items():
        customer = CustomerFactory(owner=am_a, name=f"流失测试{name}")
        builders.add_orders(customer, [(day, Decimal("100.00")) for day in days])
        customers[name] = customer
    run = services.analytics_recompute(actor=admin_user, as_of=AS_OF)
    return customers, run


def test_the_windows_follow_each_customers_cycle():
    cycles = np.array([30.0, 10.0, 60.0, np.nan, 0.0])
    assert aggregate.churn_windows(cycles, 3.0, 20.0).tolist() == [3, 1, 6, 2, 1]
    # nobody has a cycle yet: a year
    assert aggregate.churn_windows(np.array([np.nan]), 3.0, None).tolist() == [12]


def test_an_incomplete_month_is_recognised():
    assert not aggregate.is_month_complete(AS_OF)
    assert aggregate.is_month_complete(dt.date(2025, 6, 30))
    assert aggregate.is_month_complete(dt.date(2024, 2, 29))


def test_the_recompute_stores_churn_by_each_customers_window(histories):
    _customers, run = histories
    retention = run.retention
    assert retention["incomplete_month"] == "2025-06"
    assert retention["end_month"] == "2025-05"
    assert retention["reference_cycle_days"] == 20.0
    by_month = {p["month"]: p for p in retention["periods"]}
    assert [by_month[p["month"]] for p in EXPECTED_PERIODS] == EXPECTED_PERIODS
    assert "2025-06" not in by_month
    months = [c["month"] for c in retention["cohorts"]]
    assert "2025-06" not in months and months[-1] == "2025-04"


def test_a_scoped_cohort_table_uses_the_same_definition(histories, am_a):
    table = selectors.cohort_table(actor=am_a, filters=selectors.ValueFilters(), months=3)
    assert table["periods"] == EXPECTED_PERIODS
    assert table["cohorts"] == EXPECTED_COHORTS
    assert table["incomplete_month"] == "2025-06"


def test_the_dashboard_marks_the_incomplete_month_and_defines_churn(client, histories, am_a):
    client.force_login(am_a)
    html = client.get("/analytics/").content.decode()
    assert 'id="incomplete-month"' in html and "2025-06 还没有结束" in html
    assert 'id="churn-definition"' in html
    periods = client.get("/analytics/").context["charts"]["cohorts"]["periods"]
    assert "2025-06" not in periods


def test_a_complete_as_of_month_counts(admin_user, am_a):
    customer = CustomerFactory(owner=am_a)
    builders.add_orders(customer, [(D(2025, 6, 1), Decimal("10.00"))])
    run = services.analytics_recompute(actor=admin_user, as_of=D(2025, 6, 30))
    assert run.retention["incomplete_month"] is None
    assert run.retention["cohorts"][-1]["month"] == "2025-06"


@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, (1 << 40) - 1), st.integers(1, 12)),
        min_size=1,
        max_size=30,
    )
)
def test_churn_counts_stay_within_the_active_base(rows):
    end_month = 2025 * 12 + 5
    # a customer's cohort month is its oldest purchase month in the mask
    cohort = np.array([end_month - k for k, _mask, _w in rows], dtype=np.int64)
    masks = np.array([(m & ((1 << k) - 1)) | (1 << k) for k, m, _w in rows], dtype=np.int64)
    windows = np.array([w for _k, _m, w in rows], dtype=np.int64)
    for period in aggregate.churn_by_month(cohort, masks, windows, end_month, end_month, 12):
        assert 0 <= period["churned"] <= period["active"] <= len(rows)
        if period["active"]:
            assert period["churn"] == pytest.approx(period["churned"] / period["active"], abs=1e-4)
        else:
            assert period["churn"] is None


# --- item 26: one purchase is no evidence of being alive -----------------------------------


def test_a_one_purchase_customer_shows_insufficient_history(client, admin_user, am_a):
    cache.clear()
    builders.simulated_book(120, owner=am_a)
    once = CustomerFactory(owner=am_a, name="十四个月前买过一次")
    builders.add_orders(once, [(builders.AS_OF - dt.timedelta(days=425), Decimal("5000.00"))])
    run = services.analytics_recompute(actor=admin_user, as_of=builders.AS_OF)
    assert run.bgnbd is not None, run.prediction_message
    value = CustomerValue.objects.get(pk=once.pk)
    assert value.p_alive is None and value.history_insufficient
    body = Api(am_a).get(f"/analytics/customers/{once.pk}").json()
    assert body["p_alive"] is None and body["history_insufficient"] is True
    assert body["churn_risk"] is None
    client.force_login(am_a)
    card = client.get(f"/customers/{once.pk}/").content.decode()
    cell = card[card.index('id="customer-p-alive"') :][:300]
    assert "历史不足" in cell and "100%" not in cell
    assert 'id="customer-value-help"' in card and "减去服务成本" in card
    english = client.get(f"/customers/{once.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Insufficient history" in english
    assert "What is this figure?" in english
