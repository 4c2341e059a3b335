"""The maintained receivables aging (``CustomerAging``, issue 13): after any sequence of
collections, plan changes (amendments), new contracts, terminations and day changes with the
nightly rebuild, the summary-based aging equals the live computation for every grouping and
scope; a stale or missing summary is never read; the rebuild is idempotent and runs once a
day from the worker; merges keep it; the reads and the refresh have pinned query counts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.contracts.models import (
    AGING_COLUMNS,
    OPEN_INSTALMENT_STATUSES,
    AgingState,
    Contract,
    ContractAmendment,
    CustomerAging,
    Instalment,
)
from guanxi.contracts.selectors import (
    BUCKETS,
    GROUPS,
    aging_page,
    receivables_aging,
    summary_current,
)
from guanxi.contracts.services import aging
from guanxi.contracts.services import contracts as contract_services
from guanxi.contracts.services.collections import collection_create
from guanxi.contracts.tests.contract_helpers import (  # noqa: F401 - fixture
    approved,
    decide_all,
    scene_fixture,
)
from guanxi.core.models import AuditEntry
from guanxi.customers.tests.factories import CustomerFactory

D0 = dt.date(2026, 3, 1)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def _bucket(day: dt.date, due: dt.date) -> str:
    days = (day - due).days
    for key, low, high in BUCKETS:
        if (low is None or days >= low) and (high is None or days <= high):
            return key
    raise AssertionError(days)


def expected_rows(day: dt.date) -> dict[tuple[Any, ...], dict[str, Decimal]]:
    """The summary computed in Python from the instalments, independently of the SQL."""
    out: dict[tuple[Any, ...], dict[str, Decimal]] = defaultdict(
        lambda: {k: ZERO for k, _l, _h in BUCKETS}
    )
    for i in Instalment.objects.filter(status__in=OPEN_INSTALMENT_STATUSES):
        out[(i.customer_id, i.owner_id, i.team_id)][_bucket(day, i.due_date)] += (
            i.amount - i.received
        )
    return dict(out)


def table_rows(day: dt.date) -> dict[tuple[Any, ...], dict[str, Decimal]]:
    rows: dict[tuple[Any, ...], dict[str, Decimal]] = {}
    for row in CustomerAging.objects.all():
        assert row.as_of == day
        key = (row.customer_id, row.owner_id, row.team_id)
        assert key not in rows  # one row per customer, owner and department
        buckets = {k: getattr(row, column) for k, column in AGING_COLUMNS.items()}
        # the buckets partition the row's open amount
        assert sum(buckets.values(), ZERO) == row.amount_open
        rows[key] = buckets
    return rows


def _view(rows: list[Any]) -> list[tuple[Any, str, dict[str, Decimal]]]:
    return [(r.key, str(r.label), r.buckets) for r in rows]


def assert_summary_is_live(actors: list[Any], day: dt.date) -> None:
    assert summary_current(day)
    assert table_rows(day) == expected_rows(day)
    for actor in actors:
        for group in GROUPS:
            fast = aging_page(actor=actor, group_by=group, today=day, limit=2)
            slow = aging_page(actor=actor, group_by=group, today=day, limit=2, live=True)
            assert (fast.totals, fast.count) == (slow.totals, slow.count), (actor, group)
            assert _view(fast.rows) == _view(slow.rows), (actor, group)
            full = receivables_aging(actor=actor, group_by=group, today=day)
            assert _view(full) == _view(
                receivables_aging(actor=actor, group_by=group, today=day, live=True)
            )
            assert sum((r.total for r in full), ZERO) == fast.total


def _open(contract: Contract) -> Decimal:
    return sum(
        (
            i.amount - i.received
            for i in contract.instalments.filter(status__in=OPEN_INSTALMENT_STATUSES)
        ),
        ZERO,
    )


operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("new"),
            st.integers(0, 2),
            st.sampled_from(["1000.00", "2500.50", "999.99"]),
            st.integers(1, 4),
            st.integers(-120, 60),
        ),
        st.tuples(st.just("collect"), st.integers(0, 2), st.integers(1, 100)),
        st.tuples(st.just("amend"), st.integers(0, 2), st.integers(-60, 60)),
        st.tuples(st.just("terminate"), st.integers(0, 2)),
        st.tuples(st.just("day"), st.integers(1, 45)),
    ),
    min_size=1,
    max_size=6,
)


@pytest.mark.django_db
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_the_summary_equals_the_live_aging_after_any_operations(scene, ops):
    second = CustomerFactory(
        name="杭州第二客户有限公司", owner=scene["seller"], team=scene["sales"]
    )
    parties = [
        (scene["customer"], scene["seller"]),
        (second, scene["director"]),
        (scene["other_customer"], scene["outsider"]),
    ]
    admin = UserFactory(username="c_aging_admin", role=Role.ADMIN, is_superuser=True)
    actors = [admin, scene["seller"], scene["director"], scene["outsider"]]
    with transaction.atomic():
        day = D0
        approved(scene, "3000.00", count=3)
        assert aging.aging_rebuild(today=day) is not None
        assert_summary_is_live(actors, day)
        for op in ops:
            kind = op[0]
            if kind == "new":
                _k, who, amount, count, offset = op
                customer, owner = parties[who]
                approved(
                    {**scene, "customer": customer, "seller": owner},
                    amount,
                    count=count,
                    first_due=day + dt.timedelta(days=offset),
                )
            elif kind in ("collect", "amend", "terminate"):
                customer, owner = parties[op[1]]
                contract = (
                    Contract.objects.filter(customer=customer, status__in=["approved", "active"])
                    .order_by("pk")
                    .first()
                )
                if contract is None:
                    continue
                if kind == "collect":
                    due = _open(contract)
                    amount = (due * op[2] / 100).quantize(CENT, rounding=ROUND_DOWN)
                    if amount <= 0:
                        continue
                    collection_create(
                        actor=owner,
                        contract_id=contract.pk,
                        data={"amount": str(amount), "received_on": day.isoformat()},
                    )
                elif kind == "amend":
                    new = (contract.amount * (100 + op[2]) / 100).quantize(CENT)
                    new = max(new, contract.collected, contract.invoiced, CENT)
                    if new == contract.amount:
                        continue
                    amendment = contract_services.amendment_create(
                        actor=owner,
                        contract_id=contract.pk,
                        data={"amount": str(new), "reason": "调整金额"},
                        version=contract.version,
                    )
                    decide_all(amendment, scene["finance"], document_type="contract_amendment")
                    assert ContractAmendment.objects.get(pk=amendment.pk).status == "approved"
                else:
                    contract_services.contract_transition(
                        actor=owner,
                        contract_id=contract.pk,
                        status="terminated",
                        version=contract.version,
                    )
            else:
                day += dt.timedelta(days=op[1])
                # stale until the rebuild: never read, the live aging is shown
                assert not summary_current(day)
                page = aging_page(actor=admin, group_by="customer", today=day)
                live = aging_page(actor=admin, group_by="customer", today=day, live=True)
                assert (page.totals, _view(page.rows)) == (live.totals, _view(live.rows))
                assert aging.aging_rebuild(today=day) is not None
                assert aging.aging_rebuild(today=day) is None  # idempotent
            assert_summary_is_live(actors, day)
        transaction.set_rollback(True)


def test_a_stale_or_missing_summary_is_never_read(scene):
    seller = scene["seller"]
    contract = approved(scene, "3000.00", count=3)
    aging.aging_rebuild(today=D0)
    # Changed behind the services' back: the summary of D0 is now wrong — and it is what
    # the reads of D0 show (so the comparisons above test the summary, not the live query).
    Instalment.objects.filter(contract=contract).update(received=F("amount") - 1, status="partly")
    summary = aging_page(actor=seller, today=D0)
    live = aging_page(actor=seller, today=D0, live=True)
    assert summary.total == 3000 and live.total == 3
    # the next day the summary is stale: the live aging is read
    tomorrow = D0 + dt.timedelta(days=1)
    assert not summary_current(tomorrow)
    assert aging_page(actor=seller, today=tomorrow).total == 3
    assert receivables_aging(actor=seller, today=tomorrow)[0].total == 3
    aging.aging_rebuild(today=tomorrow)
    assert aging_page(actor=seller, today=tomorrow).total == 3
    assert table_rows(tomorrow) == expected_rows(tomorrow)
    # no summary at all: live
    AgingState.objects.all().delete()
    assert not summary_current(tomorrow)
    Instalment.objects.filter(contract=contract).update(received=F("amount") - 2)
    assert aging_page(actor=seller, today=tomorrow).total == 6


def test_the_rebuild_is_idempotent_audited_and_the_worker_runs_it_once_a_day(scene):
    from guanxi.core.periodic import periodic_jobs

    approved(scene, "3000.00", count=3)
    job = next(j for j in periodic_jobs() if j.key == "contracts.aging_rebuild")
    today = timezone.localdate()
    first = job.run()
    assert first is not None and first.as_of == today and first.rows == 1
    before = table_rows(today)
    assert job.run() is None and aging.aging_rebuild() is None
    assert table_rows(today) == before == expected_rows(today)
    forced = aging.aging_rebuild(force=True)
    assert forced is not None and table_rows(today) == before
    entries = AuditEntry.objects.filter(object_repr=str(today), model="contracts.agingstate")
    assert entries.count() == 1  # the forced rebuild of the same day changed nothing


@pytest.mark.parametrize("group_by", ["customer", "owner", "team"])
def test_the_summary_read_and_the_refresh_are_a_fixed_number_of_queries(
    scene, group_by, django_assert_num_queries
):
    seller = scene["seller"]
    approved(scene, "3000.00", count=3, first_due=dt.date(2020, 1, 1))
    second = CustomerFactory(name="应收客户二", owner=seller, team=scene["sales"])
    approved({**scene, "customer": second}, "1000.00", count=2)
    aging.aging_rebuild()
    aging_page(actor=seller, group_by=group_by)  # warm the actor's scope
    with django_assert_num_queries(3):
        page = aging_page(actor=seller, group_by=group_by)
    assert page.total == 4000
    pg = connection.vendor == "postgresql"
    with transaction.atomic(), django_assert_num_queries(5 if pg else 3):
        aging.aging_refresh([scene["customer"].pk, second.pk])
    assert table_rows(timezone.localdate()) == expected_rows(timezone.localdate())
    AgingState.objects.all().delete()
    with transaction.atomic(), django_assert_num_queries(2 if pg else 1):
        aging.aging_refresh([scene["customer"].pk])


def test_a_merge_and_its_undo_keep_the_summary(scene):
    from guanxi.customers.duplicates.services import customer_merge, customer_merge_undo

    seller = scene["seller"]
    admin = UserFactory(username="c_aging_admin", role=Role.ADMIN, is_superuser=True)
    second = CustomerFactory(name="上海关系科技（重复）", owner=seller, team=scene["sales"])
    approved(scene, "3000.00", count=3)
    approved({**scene, "customer": second}, "1000.00", count=2)
    aging.aging_rebuild()
    today = timezone.localdate()
    survivor = scene["customer"]
    survivor.refresh_from_db()
    second.refresh_from_db()
    record = customer_merge(
        actor=admin,
        survivor_id=survivor.pk,
        merged_id=second.pk,
        survivor_version=survivor.version,
        merged_version=second.version,
    )
    assert {k[0] for k in table_rows(today)} == {survivor.pk}
    assert_summary_is_live([admin, seller], today)
    customer_merge_undo(actor=admin, merge_id=record.pk)
    assert {k[0] for k in table_rows(today)} == {survivor.pk, second.pk}
    assert_summary_is_live([admin, seller], today)


def test_imports_and_their_undo_keep_the_summary(tmp_path, scene):
    from guanxi.imports.tests.support import run_file, write_csv
    from guanxi.imports.undo import import_undo

    seller = scene["seller"]
    contract = approved(scene, "120000.00", count=2)  # 2 × ¥60,000, leaves room to import
    contract_services.amendment_create(
        actor=seller, contract_id=contract.pk, data={"amount": "150000.00", "reason": "加项"},
        version=contract.version,
    )  # fmt: skip
    amendment = ContractAmendment.objects.get(contract=contract)
    decide_all(amendment, scene["finance"], document_type="contract_amendment")
    aging.aging_rebuild()
    today = timezone.localdate()
    assert_summary_is_live([seller], today)
    rows = [["合同编号", "回款日期", "回款金额"], [contract.number, "2026-01-10", "70000"]]
    run = run_file(write_csv(tmp_path / "p.csv", rows), "collections", actor=seller)
    assert Contract.objects.get(pk=contract.pk).collected == Decimal("70000.00")
    assert aging_page(actor=seller, today=today).total == Decimal("80000.00")
    assert_summary_is_live([seller], today)
    import_undo(run_id=run.pk, actor=seller)
    assert aging_page(actor=seller, today=today).total == Decimal("150000.00")
    assert_summary_is_live([seller], today)
