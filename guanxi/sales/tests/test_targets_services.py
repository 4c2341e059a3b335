"""Targets (业绩目标): who may set them, bad input named with nothing written, stale edits
refused; attainment, roll-ups, the history warning, the members-don't-add-up warning,
retention, the metrics without data, scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.orders.models import Order
from guanxi.sales.models import Target, TargetPolicy
from guanxi.sales.selectors_targets import (
    Period,
    attainment,
    parse_period,
    retention,
    scoped_targets,
)
from guanxi.sales.services.targets import (
    target_delete,
    target_policy_update,
    target_set,
    target_update,
)
from guanxi.sales.tests.factories import OpportunityFactory, board

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _set(actor, **kw):
    args = {"metric": "revenue", "year": 2026, "month": 12, "value": "10000"}
    args.update(kw)
    return target_set(actor=actor, **args)


def _won(owner, amount, day):
    _pipeline, stages = _board_once()
    return OpportunityFactory(
        customer=CustomerFactory(owner=owner), stage=stages[3], amount=Decimal(amount),
        status="won", position=None,
        closed_at=dt.datetime(day.year, day.month, day.day, 12, tzinfo=SHANGHAI),
    )  # fmt: skip


def _board_once():
    from guanxi.sales.models import Pipeline

    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        return board()
    return pipeline, list(pipeline.stages.order_by("order"))


# --- who sets targets ------------------------------------------------------------------------


def test_manager_sets_a_members_target_audited(manager_a, am_a):
    target = _set(manager_a, owner_id=am_a.pk)
    assert (target.owner_id, target.team_id, target.value) == (am_a.pk, am_a.team_id, 10000)
    entry = AuditEntry.objects.get(object_id=str(target.pk))
    assert entry.action == "create"


def test_manager_sets_their_department_target(manager_a, team_a):
    target = _set(manager_a, team_id=team_a.pk)
    assert (target.owner_id, target.team_id) == (None, team_a.pk)


@pytest.mark.parametrize("who", ["am_a", "agent"])
def test_others_may_not_set_targets(request, who, am_a):
    with pytest.raises(PermissionDenied):
        _set(request.getfixturevalue(who), owner_id=am_a.pk)
    assert not Target.objects.exists()


def test_manager_may_not_set_another_departments_targets(manager_a, am_b, team_b):
    with pytest.raises(PermissionDenied):
        _set(manager_a, owner_id=am_b.pk)
    with pytest.raises(PermissionDenied):
        _set(manager_a, team_id=team_b.pk)
    assert not Target.objects.exists()


def test_admin_sets_anyones(admin_user, am_b):
    assert _set(admin_user, owner_id=am_b.pk).owner_id == am_b.pk


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"metric": "profit"}, "metric"),
        ({"month": 13}, "month"),
        ({"month": "x"}, "month"),
        ({"year": 1999}, "year"),
        ({"year": True}, "year"),
        ({"value": "-1"}, "value"),
        ({"value": "abc"}, "value"),
        ({"value": "1e30"}, "value"),
        ({"value": "NaN"}, "value"),
        ({"metric": "retention", "value": "101"}, "value"),
        ({"metric": "new_customers", "value": "2.5"}, "value"),
        ({"owner_id": None}, "owner_id"),
        ({"team_id": 1}, "owner_id"),
        ({"owner_id": 2**70}, "owner_id"),
        ({"owner_id": 987654}, "owner_id"),
    ],
)
def test_bad_input_is_named_and_nothing_written(manager_a, am_a, kw, field):
    args = {"owner_id": am_a.pk, **kw}
    with pytest.raises(ValidationFailed) as exc:
        _set(manager_a, **args)
    assert field in exc.value.errors
    assert not Target.objects.exists()


def test_only_salespeople_get_targets(admin_user, agent):
    with pytest.raises(ValidationFailed) as exc:
        _set(admin_user, owner_id=agent.pk)
    assert "owner_id" in exc.value.errors


def test_setting_an_existing_target_needs_its_version(manager_a, am_a):
    first = _set(manager_a, owner_id=am_a.pk)
    with pytest.raises(Conflict):
        _set(manager_a, owner_id=am_a.pk, value="2")
    with pytest.raises(Conflict):
        _set(manager_a, owner_id=am_a.pk, value="2", version=first.version + 1)
    changed = _set(manager_a, owner_id=am_a.pk, value="2", version=first.version)
    assert (changed.pk, changed.value, changed.version) == (first.pk, 2, 2)
    assert Target.objects.count() == 1


def test_update_and_delete(manager_a, am_a, am_b, admin_user):
    target = _set(manager_a, owner_id=am_a.pk)
    with pytest.raises(Conflict):
        target_update(actor=manager_a, target_id=target.pk, value="5", version=9)
    updated = target_update(actor=manager_a, target_id=target.pk, value="5", version=1)
    assert updated.value == 5
    with pytest.raises(NotFound):  # out of scope looks like missing
        target_delete(actor=am_b, target_id=target.pk, version=2)
    with pytest.raises(PermissionDenied):  # the owner reads it, may not change it
        target_delete(actor=am_a, target_id=target.pk, version=2)
    target_delete(actor=admin_user, target_id=target.pk, version=2)
    assert not Target.objects.exists()
    assert AuditEntry.objects.filter(object_id=str(target.pk), action="delete").exists()


def test_policy_admin_only(admin_user, manager_a):
    with pytest.raises(PermissionDenied):
        target_policy_update(actor=manager_a, band_percent=10, history_months=3)
    with pytest.raises(ValidationFailed) as exc:
        target_policy_update(actor=admin_user, band_percent=0, history_months=99)
    assert set(exc.value.errors) == {"band_percent", "history_months"}
    row = target_policy_update(actor=admin_user, band_percent=20, history_months=3)
    assert (row.band_percent, row.history_months) == (20, 3)
    assert TargetPolicy.objects.count() == 1


# --- periods --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, kind, months",
    [("2026-12", "month", [(2026, 12)]), ("2026-Q1", "quarter", [(2026, 1), (2026, 2), (2026, 3)]),
     ("2026", "year", [(2026, m) for m in range(1, 13)])],
)  # fmt: skip
def test_periods(text, kind, months):
    period = parse_period(text, today=dt.date(2026, 12, 3))
    assert (period.kind, period.months, period.key) == (kind, months, text)


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26", "x" * 300, "2026-00", "1999"])
def test_bad_period_is_named(text):
    with pytest.raises(ValidationFailed) as exc:
        parse_period(text, today=dt.date(2026, 12, 3))
    assert "period" in exc.value.errors


def test_period_shift_crosses_years():
    assert Period("month", 2026, 12).shifted(1) == Period("month", 2027, 1)
    assert Period("quarter", 2026, 1).shifted(-1) == Period("quarter", 2025, 4)


# --- attainment -----------------------------------------------------------------------------


def test_attainment_of_revenue_and_the_history_warning(manager_a, am_a, am_a2):
    for month in range(6, 12):  # six months of history: 1,000 a month
        _won(am_a, "1000", dt.date(2026, month, 10))
        _won(am_a2, "1000", dt.date(2026, month, 10))
    _won(am_a, "2500", dt.date(2026, 12, 1))
    _set(manager_a, owner_id=am_a.pk, value="5000")  # 5× the history
    _set(manager_a, owner_id=am_a2.pk, value="1200")  # within the 50 % band
    rows = {r.subject_id: r for r in attainment(actor=manager_a,
                                                period=Period("month", 2026, 12)).rows}  # fmt: skip
    mine = rows[am_a.pk]
    assert (mine.target, mine.actual, mine.attainment) == (5000, 2500, Decimal("50.0"))
    assert mine.history == Decimal("1000.00")
    assert "5.0" in mine.warning
    assert rows[am_a2.pk].warning == ""
    assert rows[am_a2.pk].actual == 0


def test_no_history_is_flagged(manager_a, am_a):
    _set(manager_a, owner_id=am_a.pk, value="100")
    (row,) = attainment(actor=manager_a, period=Period("month", 2026, 12)).rows
    assert row.history == 0
    assert row.warning


def test_band_is_configurable(admin_user, manager_a, am_a):
    for month in range(6, 12):
        _won(am_a, "1000", dt.date(2026, month, 10))
    _set(manager_a, owner_id=am_a.pk, value="1300")
    period = Period("month", 2026, 12)
    assert attainment(actor=manager_a, period=period).rows[0].warning == ""
    target_policy_update(actor=admin_user, band_percent=20, history_months=6)
    assert attainment(actor=manager_a, period=period).rows[0].warning


def test_members_must_add_up_to_the_department(manager_a, am_a, am_a2, team_a):
    _set(manager_a, owner_id=am_a.pk, value="3000")
    _set(manager_a, owner_id=am_a2.pk, value="3000")
    _set(manager_a, team_id=team_a.pk, value="8000")
    rows = attainment(actor=manager_a, period=Period("month", 2026, 12)).rows
    team = next(r for r in rows if r.subject == "team")
    assert team.members_total == 6000
    assert "6,000.00" in team.members_warning
    target = Target.objects.get(owner__isnull=True)
    target_update(actor=manager_a, target_id=target.pk, value="6000", version=1)
    rows = attainment(actor=manager_a, period=Period("month", 2026, 12)).rows
    assert next(r for r in rows if r.subject == "team").members_warning == ""


def test_quarter_rolls_up_months(manager_a, am_a):
    for month, value in ((10, "100"), (11, "200"), (12, "300")):
        _set(manager_a, owner_id=am_a.pk, month=month, value=value)
        _set(manager_a, owner_id=am_a.pk, month=month, value="90", metric="retention")
    rows = attainment(actor=manager_a, period=Period("quarter", 2026, 4)).rows
    by_metric = {r.metric: r for r in rows}
    assert by_metric["revenue"].target == 600
    assert by_metric["retention"].target == 90  # a rate: the average
    assert len(by_metric["revenue"].targets) == 3


def test_metrics_without_data_say_so(manager_a, am_a):
    _set(manager_a, owner_id=am_a.pk, metric="collections", value="100")
    _set(manager_a, owner_id=am_a.pk, metric="satisfaction", value="90")
    rows = attainment(actor=manager_a, period=Period("month", 2026, 12)).rows
    assert {r.metric: (r.actual, r.no_data != "", r.warning) for r in rows} == {
        "collections": (None, True, ""), "satisfaction": (None, True, "")}  # fmt: skip


def test_new_customers_actual(manager_a, am_a):
    from guanxi.customers.models import Customer

    customers = [CustomerFactory(owner=am_a) for _ in range(3)]
    Customer.objects.filter(pk=customers[0].pk).update(
        created_at=dt.datetime(2026, 11, 5, tzinfo=SHANGHAI)
    )
    Customer.objects.filter(pk__in=[c.pk for c in customers[1:]]).update(
        created_at=dt.datetime(2026, 12, 5, tzinfo=SHANGHAI)
    )
    _set(manager_a, owner_id=am_a.pk, metric="new_customers", value="4")
    (row,) = attainment(actor=manager_a, period=Period("month", 2026, 12)).rows
    assert row.actual == 2
    assert row.history == (Decimal(1) / 6).quantize(Decimal("0.01"))


def _order(customer, day, number):
    return Order.objects.create(customer=customer, number=number, order_date=day,
                                total=Decimal("10"))  # fmt: skip


def test_retention_is_e_minus_n_over_s(admin_user, am_a):
    kept, lost, new = (CustomerFactory(owner=am_a) for _ in range(3))
    _order(kept, dt.date(2026, 6, 1), "A1")  # active at start and at end
    _order(lost, dt.date(2025, 12, 15), "B1")  # active at start (within 365 days), not at end
    _order(new, dt.date(2026, 12, 10), "C1")  # first order in the period
    got = retention(actor=admin_user, key="owner_id", ids=[am_a.pk],
                    start=dt.date(2026, 12, 1), end=dt.date(2027, 1, 1))  # fmt: skip
    assert got == {am_a.pk: Decimal("50.00")}  # (2 − 1) / 2


def test_retention_without_customers_is_empty(admin_user, am_a):
    got = retention(actor=admin_user, key="owner_id", ids=[am_a.pk],
                    start=dt.date(2026, 12, 1), end=dt.date(2027, 1, 1))  # fmt: skip
    assert got == {am_a.pk: None}


def test_scope(manager_a, am_a, am_b, admin_user, team_a):
    _set(admin_user, owner_id=am_a.pk)
    _set(admin_user, owner_id=am_b.pk)
    _set(admin_user, team_id=team_a.pk)
    assert set(scoped_targets(actor=am_a).values_list("owner_id", flat=True)) == {am_a.pk}
    assert set(scoped_targets(actor=manager_a).values_list("team_id", flat=True)) == {team_a.pk}
    assert scoped_targets(actor=admin_user).count() == 3


def test_attainment_query_count(manager_a, am_a, am_a2, team_a, django_assert_max_num_queries):
    for metric in ("revenue", "new_customers", "retention", "collections"):
        for owner in (am_a, am_a2):
            _set(manager_a, owner_id=owner.pk, metric=metric, value="50")
        _set(manager_a, team_id=team_a.pk, metric=metric, value="100")
    # the role's scope, policy, targets, revenue ×2, new customers ×2, retention ×4 (period
    # and history): by metric and kind of subject, not by row
    with django_assert_max_num_queries(11):
        attainment(actor=manager_a, period=Period("year", 2026))


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(1, 12), st.integers(0, 10**8)), max_size=12,
                unique_by=lambda t: t[0]))  # fmt: skip
def test_year_target_is_the_sum_of_its_months(admin_user, am_a, months):
    Target.objects.all().delete()
    for month, cents in months:
        Target.objects.create(metric="revenue", year=2026, month=month, owner=am_a,
                              team_id=am_a.team_id, value=Decimal(cents) / 100)  # fmt: skip
    rows = attainment(actor=admin_user, period=Period("year", 2026)).rows
    expected = sum((Decimal(c) / 100 for _m, c in months), Decimal("0"))
    assert sum((r.target for r in rows), Decimal("0")) == expected
    quarters = [attainment(actor=admin_user, period=Period("quarter", 2026, q)).rows
                for q in range(1, 5)]  # fmt: skip
    assert sum((r.target for rows_ in quarters for r in rows_), Decimal("0")) == expected
