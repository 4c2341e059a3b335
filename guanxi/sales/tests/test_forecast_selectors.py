"""The forecast aggregation (``selectors_forecast``): weighted pipeline by month / owner /
department and category, closed-won beside it, scoped to the reader, drill-down filters
that select exactly the opportunities behind a number, and its pinned query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.core.errors import ValidationFailed
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.sales import selectors
from guanxi.sales.models import Opportunity, Pipeline
from guanxi.sales.selectors_forecast import (
    ForecastParams,
    forecast,
    forecast_rows,
    validate_params,
)
from guanxi.sales.tests.factories import OpportunityFactory, board

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 3)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _won(stage, customer, amount, when):
    return OpportunityFactory(
        customer=customer, stage=stage, amount=Decimal(amount), status="won",
        closed_at=when, position=None,
    )  # fmt: skip


@pytest.fixture
def scene(am_a, am_b):
    _pipeline, stages = board()
    a, b = CustomerFactory(owner=am_a), CustomerFactory(owner=am_b)
    opps = {
        # 10% stage, pipeline category: weighted 100
        "a_dec": OpportunityFactory(customer=a, stage=stages[0], amount=Decimal("1000"),
                                    expected_close=dt.date(2026, 12, 20)),
        # own probability 50% overrides the stage's 30%: weighted 1000
        "a_jan_commit": OpportunityFactory(customer=a, stage=stages[1], amount=Decimal("2000"),
                                           expected_close=dt.date(2027, 1, 5), probability=50,
                                           forecast_category="commit"),
        "a_omitted": OpportunityFactory(customer=a, stage=stages[1], amount=Decimal("9000"),
                                        expected_close=dt.date(2027, 1, 6),
                                        forecast_category="omitted"),
        # outside the window
        "a_late": OpportunityFactory(customer=a, stage=stages[0], amount=Decimal("7000"),
                                     expected_close=dt.date(2027, 7, 1)),
        # won on 1 Dec 00:30 Shanghai = 30 Nov UTC: counts in December
        "a_won": _won(stages[3], a, "500", dt.datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI)),
        "b_dec": OpportunityFactory(customer=b, stage=stages[2], amount=Decimal("3000"),
                                    expected_close=dt.date(2026, 12, 31),
                                    forecast_category="best_case"),
    }  # fmt: skip
    return stages, opps


def params(**kw):
    return ForecastParams(start=kw.pop("start", dt.date(2026, 12, 1)), **kw)


def test_admin_sees_every_bucket_by_month(scene, admin_user):
    result = forecast(actor=admin_user, params=params(months=3))
    dec, jan, feb = result.lines
    assert [line.label for line in result.lines] == ["2026-12", "2027-01", "2027-02"]
    assert dec.cells["pipeline"].amount == Decimal("1000")
    assert dec.cells["pipeline"].weighted == Decimal("100.00")
    assert dec.cells["best_case"].weighted == Decimal("1800.00")  # 60% stage
    assert dec.cells["won"].amount == Decimal("500")
    assert dec.cells["won"].count == 1
    assert jan.cells["commit"].weighted == Decimal("1000.00")
    assert jan.cells["omitted"].amount == Decimal("9000")
    assert feb.open_amount == 0
    # omitted counts nowhere in the forecast
    assert jan.weighted_total == Decimal("1000.00")
    assert result.total.weighted_total == Decimal("500") + Decimal("100") + Decimal(
        "1800"
    ) + Decimal("1000")
    assert result.total.commit_total == Decimal("2500")
    assert result.total.best_case_total == Decimal("5500")


def test_account_manager_sees_own_only(scene, am_a):
    result = forecast(actor=am_a, params=params(months=3, group="owner"))
    assert [line.key for line in result.lines] == [am_a.pk]
    assert result.total.cells["best_case"].amount == 0  # am_b's is out of scope


def test_manager_sees_department(scene, manager_a, am_a, am_b):
    result = forecast(actor=manager_a, params=params(months=3, group="team"))
    assert [line.key for line in result.lines] == [am_a.team_id]


def test_drill_down_url_selects_exactly_the_opportunities_behind_a_number(scene, admin_user):
    result = forecast(actor=admin_user, params=params(months=3, group="owner"))
    for line in result.lines:
        for bucket, cell in line.cells.items():
            query = {k: v[0] for k, v in parse_qs(urlparse(cell.url).query).items()}
            filters = selectors.validate_filters(query)
            qs = selectors.opportunity_list(actor=admin_user, filters=filters)
            assert qs.count() == cell.count, (line.label, bucket)
            assert sum((o.amount for o in qs), Decimal("0")) == cell.amount


def test_filters_narrow_by_owner_and_pipeline(scene, admin_user, am_b):
    result = forecast(actor=admin_user, params=params(months=3, owner=am_b.pk))
    assert result.total.open_amount == Decimal("3000")
    assert result.total.won.amount == 0


def test_query_count_is_fixed(scene, admin_user, django_assert_max_num_queries):
    for group in ("month", "owner", "team"):
        with django_assert_max_num_queries(2):
            forecast(actor=admin_user, params=params(months=6, group=group))


def test_portal_user_sees_nothing(scene, portal_user):
    assert not list(forecast_rows(actor=portal_user, params=params(months=6)))


@pytest.mark.parametrize(
    "raw, field",
    [
        ({"start": "2026-13"}, "start"),
        ({"start": "abc"}, "start"),
        ({"months": "0"}, "months"),
        ({"months": "25"}, "months"),
        ({"months": "x" * 500}, "months"),
        ({"group": "pipeline"}, "group"),
        ({"owner": "-1"}, "owner"),
        ({"team": "9" * 40}, "team"),
    ],
)
def test_bad_parameters_are_named(raw, field):
    with pytest.raises(ValidationFailed) as exc:
        validate_params(raw, today=TODAY)
    assert field in exc.value.errors


def test_default_window_starts_this_month():
    p = validate_params({}, today=TODAY)
    assert (p.start, p.end, p.months) == (dt.date(2026, 12, 1), dt.date(2027, 6, 1), 6)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 500_000).map(lambda c: Decimal(c) / 100),
            st.integers(-2, 8),  # month offset of the expected close from the window start
            st.sampled_from(["commit", "best_case", "pipeline", "omitted"]),
            st.one_of(st.none(), st.integers(0, 100)),
            st.integers(0, 2),  # stage index (10, 30, 60 %)
        ),
        max_size=12,
    )
)
def test_totals_are_the_sums_of_the_opportunities_in_the_window(admin_user, rows):
    """Invariant: each bucket's amount and weighted amount equal the plain Python sums over
    the opportunities in the window, and the months add up to the total."""
    Opportunity.objects.all().delete()
    pipeline = Pipeline.objects.filter(is_default=True).first()
    stages = list(pipeline.stages.order_by("order")) if pipeline else board()[1]
    customer = Customer.objects.filter(owner=admin_user).first() or CustomerFactory(
        owner=admin_user
    )
    start = dt.date(2026, 12, 1)
    expected: dict[str, list[Decimal]] = {}
    for amount, offset, category, probability, stage_index in rows:
        index = 2026 * 12 + 11 + offset
        close = dt.date(index // 12, index % 12 + 1, 15)
        stage = stages[stage_index]
        OpportunityFactory(customer=customer, stage=stage, amount=amount, expected_close=close,
                           forecast_category=category, probability=probability)  # fmt: skip
        if 0 <= offset < 6:
            p = stage.win_probability if probability is None else probability
            sums = expected.setdefault(category, [Decimal("0"), Decimal("0")])
            sums[0] += amount
            sums[1] += amount * p / 100
    result = forecast(actor=admin_user, params=ForecastParams(start=start, months=6))
    for category in ("commit", "best_case", "pipeline", "omitted"):
        amount, weighted = expected.get(category, [Decimal("0"), Decimal("0")])
        cell = result.total.cells[category]
        assert cell.amount == amount
        assert abs(cell.weighted - weighted) <= Decimal("0.01")
        assert sum((m.cells[category].amount for m in result.lines), Decimal("0")) == amount
