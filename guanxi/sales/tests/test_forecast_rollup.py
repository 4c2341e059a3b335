"""The forecast's monthly roll-up (``models_forecast``): kept by every opportunity write in
the write's transaction, it gives the same forecast as the live aggregation for every
grouping, scope and filter, and ``rebuild()`` recomputes exactly what was kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.core.errors import Conflict, PermissionDenied, ValidationFailed
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.sales.models import ForecastRollup, Opportunity, Stage
from guanxi.sales.models_forecast import rebuild
from guanxi.sales.selectors_forecast import ForecastParams, forecast
from guanxi.sales.services import forecast as forecast_services
from guanxi.sales.services import opportunities as services
from guanxi.sales.tests.factories import LostReasonFactory, OpportunityFactory, board

pytestmark = pytest.mark.django_db

START = dt.date(2026, 11, 1)
CENT = Decimal("0.01")


def _cells(result):
    def line(x):
        return (
            str(x.key),
            str(x.label),
            {
                b: (c.count, c.amount.quantize(CENT), c.weighted.quantize(CENT), c.url)
                for b, c in x.cells.items()
            },
        )

    return [line(x) for x in result.lines], line(result.total), [line(m) for m in result.months]


def assert_same_forecast(actors, pipeline_id, owners):
    """The roll-up's forecast equals the live one for every reader, grouping and filter."""
    for actor in actors:
        for group in ("month", "owner", "team"):
            for extra in ({}, {"pipeline": pipeline_id}, {"owner": owners[0].pk},
                          {"team": owners[1].team_id}):  # fmt: skip
                params = ForecastParams(start=START, months=14, group=group, **extra)
                live = forecast(actor=actor, params=params, live=True)
                rolled = forecast(actor=actor, params=params, live=False)
                assert _cells(rolled) == _cells(live), (actor, group, extra)


def _kept():
    rows = {}
    for r in ForecastRollup.objects.exclude(n=0):
        key = (r.month, r.bucket, r.pipeline_id, r.stage_id, r.owner_id, r.team_id)
        # to the cent: SQLite adds its NUMERIC columns as floats
        sums = (r.amount, r.weighted_own, r.amount_stage)
        rows[key] = (r.n, *(Decimal(v).quantize(CENT) for v in sums))
    return rows


OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("create"),
            st.integers(0, 1),
            st.integers(0, 900_000),
            st.integers(-40, 400),
            st.integers(0, 1),
        ),
        st.tuples(
            st.just("update"),
            st.integers(0, 30),
            st.integers(0, 900_000),
            st.one_of(st.none(), st.integers(-40, 400)),
            st.integers(0, 2),
        ),
        st.tuples(st.just("move"), st.integers(0, 30), st.integers(0, 3)),
        st.tuples(st.just("win"), st.integers(0, 30)),
        st.tuples(st.just("lose"), st.integers(0, 30), st.booleans()),
        st.tuples(
            st.just("forecast"),
            st.integers(0, 30),
            st.sampled_from(["commit", "best_case", "pipeline", "omitted"]),
            st.one_of(st.none(), st.integers(0, 100)),
        ),
        st.tuples(st.just("delete"), st.integers(0, 30)),
        st.tuples(st.just("stage"), st.integers(0, 2), st.integers(0, 100)),
    ),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_rollup_forecast_equals_live_after_any_writes(
    admin_user, manager_a, am_a, am_b, ops
):  # fmt: skip
    """Invariant: after any sequence of service writes (some refused), the forecast read
    from the roll-up equals the live aggregation for every grouping, scope and filter, and
    a rebuild recomputes exactly the kept roll-up."""
    Opportunity.objects.all().delete()  # the previous example's, through the roll-up too
    assert not _kept()
    ForecastRollup.objects.all().delete()
    pipeline = Stage.objects.filter(name="初步接触").values_list("pipeline", flat=True).first()
    if pipeline is None:
        pipeline, stages = board()
        pipeline = pipeline.pk
        LostReasonFactory(code="price")
    stages = list(Stage.objects.filter(pipeline_id=pipeline).order_by("order"))
    customers = [CustomerFactory(owner=am_a), CustomerFactory(owner=am_b)]
    owners = [am_a, am_b]
    today = dt.date(2026, 12, 3)

    def opp(i):
        ids = list(Opportunity.objects.order_by("pk").values_list("pk", flat=True))
        return Opportunity.objects.get(pk=ids[i % len(ids)]) if ids else None

    for op in ops:
        kind, *args = op
        target = opp(args[0]) if kind not in ("create", "stage") else None
        if kind not in ("create", "stage") and target is None:
            continue
        try:
            if kind == "create":
                c, cents, offset, stage = args
                services.opportunity_create(
                    actor=admin_user, customer_id=customers[c].pk, stage_id=stages[stage].pk,
                    owner_id=owners[c].pk,
                    data={"name": "商机", "amount": str(Decimal(cents) / 100),
                          "expected_close": today + dt.timedelta(days=offset)},
                )  # fmt: skip
            elif kind == "update":
                _i, cents, offset, owner = args
                data = {"amount": str(Decimal(cents) / 100),
                        "expected_close": None if offset is None
                        else today + dt.timedelta(days=offset)}  # fmt: skip
                services.opportunity_update(
                    actor=admin_user, opportunity_id=target.pk, data=data,
                    version=target.version, owner_id=owners[owner].pk if owner < 2 else None,
                )  # fmt: skip
            elif kind == "move":
                services.opportunity_move(actor=admin_user, opportunity_id=target.pk,
                                          stage_id=stages[args[1]].pk, index=0,
                                          version=target.version)  # fmt: skip
            elif kind == "win":
                services.opportunity_win(actor=admin_user, opportunity_id=target.pk,
                                         version=target.version)  # fmt: skip
            elif kind == "lose":
                services.opportunity_lose(actor=admin_user, opportunity_id=target.pk,
                                          version=target.version, reason="price",
                                          invalid=args[1])  # fmt: skip
            elif kind == "forecast":
                forecast_services.opportunity_set_forecast(
                    actor=admin_user, opportunity_id=target.pk, version=target.version,
                    category=args[1], probability=args[2],
                )  # fmt: skip
            elif kind == "delete":
                target.delete()
            else:
                stage = stages[args[0]]
                stage.win_probability = args[1]
                stage.save()
        except (ValidationFailed, Conflict, PermissionDenied):
            pass  # refused: changes nothing, the roll-up included
    assert_same_forecast([admin_user, manager_a, am_a, am_b], pipeline, owners)
    kept = _kept()
    rebuild()
    assert _kept() == kept


def test_each_write_moves_the_share_in_its_transaction(admin_user, am_a):
    """Creating, winning and a refused write: the roll-up follows the row, and a write that
    fails leaves it as it was."""
    board()
    LostReasonFactory(code="price")
    customer = CustomerFactory(owner=am_a)
    created = services.opportunity_create(
        actor=admin_user, customer_id=customer.pk, owner_id=am_a.pk,
        data={"name": "甲", "amount": "1200.50", "expected_close": dt.date(2026, 12, 20)},
    )  # fmt: skip
    row = ForecastRollup.objects.get()
    assert (row.month, row.bucket, row.owner_id, row.team_id, row.n, row.amount,
            row.amount_stage) == (dt.date(2026, 12, 1), "pipeline", am_a.pk, am_a.team_id, 1,
                                  Decimal("1200.50"), Decimal("1200.50"))  # fmt: skip
    with pytest.raises(ValidationFailed):
        services.opportunity_update(actor=admin_user, opportunity_id=created.pk,
                                    data={"amount": "-1"}, version=created.version)  # fmt: skip
    assert ForecastRollup.objects.get().amount == Decimal("1200.50")
    created.refresh_from_db()
    services.opportunity_win(actor=admin_user, opportunity_id=created.pk, version=created.version)
    open_row = ForecastRollup.objects.get(bucket="pipeline")
    won_row = ForecastRollup.objects.get(bucket="won")
    assert (open_row.n, open_row.amount) == (0, Decimal("0"))
    assert (won_row.n, won_row.amount, won_row.weighted_own) == (
        1, Decimal("1200.50"), Decimal("120050.00"),
    )  # fmt: skip


def test_a_save_that_changes_nothing_the_forecast_reads_writes_no_roll_up(
    admin_user, am_a, django_assert_num_queries
):  # fmt: skip
    _pipeline, stages = board()
    opp = OpportunityFactory(customer=CustomerFactory(owner=am_a), stage=stages[0],
                             expected_close=dt.date(2026, 12, 1))  # fmt: skip
    opp = Opportunity.objects.get(pk=opp.pk)
    opp.next_step = "回访"
    with django_assert_num_queries(1):  # the UPDATE of the row alone
        opp.save(update_fields=["next_step"])
    opp.amount = Decimal("5")
    with django_assert_num_queries(2):  # the row and one upsert of its key
        opp.save()
    assert ForecastRollup.objects.get().amount == Decimal("5.00")


def test_rebuild_command_recomputes_after_bulk_writes(admin_user, am_a):
    _pipeline, stages = board()
    opp = OpportunityFactory(customer=CustomerFactory(owner=am_a), stage=stages[0],
                             expected_close=dt.date(2026, 12, 1), amount=Decimal("10"))  # fmt: skip
    Opportunity.objects.filter(pk=opp.pk).update(amount=Decimal("99"))  # bypasses save()
    assert ForecastRollup.objects.get().amount == Decimal("10.00")
    call_command("sales_forecast_rebuild", verbosity=0)
    assert ForecastRollup.objects.get().amount == Decimal("99.00")


def test_migrate_fills_a_missing_roll_up_and_leaves_a_kept_one(am_a):
    """A database migrated to the roll-up's table has opportunities but no roll-up rows: the
    post-migrate handler fills it; once rows are kept, it does not touch them."""
    from guanxi.sales.models_forecast import fill_if_missing

    _pipeline, stages = board()
    opp = OpportunityFactory(customer=CustomerFactory(owner=am_a), stage=stages[0],
                             expected_close=dt.date(2026, 12, 1), amount=Decimal("10"))  # fmt: skip
    ForecastRollup.objects.all().delete()  # as right after the table was created
    fill_if_missing(using="default")
    assert ForecastRollup.objects.get().amount == Decimal("10.00")
    Opportunity.objects.filter(pk=opp.pk).update(amount=Decimal("99"))  # bypasses save()
    fill_if_missing(using="default")
    assert ForecastRollup.objects.get().amount == Decimal("10.00")  # kept rows: left alone
    # and the handler is connected to migrate
    call_command("migrate", "sales", verbosity=0)
    assert ForecastRollup.objects.get().amount == Decimal("10.00")
    ForecastRollup.objects.all().delete()
    call_command("migrate", "sales", verbosity=0)
    assert ForecastRollup.objects.get().amount == Decimal("99.00")
