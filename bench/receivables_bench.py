"""The receivables aging: ``python -m bench.receivables_bench --scale small|large``.

Uses its own database (``DATABASE_URL``, else ``var/bench-receivables-<scale>.sqlite3``),
filled on first use with the one bulk writer (``core.db.copy``, COPY on PostgreSQL):
20,000 customers of 100 account managers in five departments, one contract per ten
instalments, and the instalments (small 20,000 / large 1,000,000) due from 400 days ago to
300 days ahead — 25 % received, 5 % void, the rest open (pending, partly received or
overdue), so about 70 % are in the aging.

Figures:
- ``receivables_aging_rebuild_s``: the nightly rebuild of the maintained summary
  (``services.aging.aging_rebuild``: one ``INSERT … SELECT`` over every open instalment),
  once, for today.
- ``receivables_aging_ms``: ``selectors.aging_page`` as the page and the API call it, now
  that the summary is for today (the summary's day, the grouped read of ``CustomerAging``
  with the totals and number of all groups, the 500 largest groups with their names) for
  the administrator who sees every instalment, p95 of 30 runs mixing the three groupings
  (customer, owner, department); the median is printed as ``receivables_aging_median_ms``.
- ``receivables_aging_live_ms``: the same with ``live=True`` — the grouped scan of every
  open instalment, the figure this bench printed as ``receivables_aging_ms`` before the
  summary; p95 of 30 (median ``receivables_aging_live_median_ms``).
- ``receivables_aging_manager_ms``: the page read for one department's manager, p95 of 30.
- ``receivables_aging_full_ms``: ``selectors.receivables_aging`` (every group with its name,
  as the money property tests read it), administrator, p95 of 15, for comparison.
- ``receivables_aging_refresh_ms``: ``aging_refresh`` of one customer (what every
  collection, plan change or approval adds to its transaction), median of 20.
- ``receivables_page_ms``: the receivables page (full Django stack: aging, chart data,
  the first page of the overdue list) for the administrator, p95 of 15.

Nothing is cached between runs. On PostgreSQL the fill is followed by ``VACUUM ANALYZE``
(autovacuum does the same in production) so the visibility map lets the scan be
index-only; the rebuild is followed by ``ANALYZE`` of the summary table (autovacuum's
threshold is passed by every rebuild).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

SIZES = {"small": 20_000, "large": 1_000_000}
CUSTOMERS = 20_000
OWNERS = 100
TEAMS = 5
PER_CONTRACT = 10
BATCH = 100_000


def _fill(total: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from guanxi.accounts.models import Role, Team, User
    from guanxi.contracts.models import Contract, Instalment
    from guanxi.core.db.copy import fast_table
    from guanxi.customers.models import Customer

    if Contract.objects.exists():
        return
    started = time.perf_counter()
    rnd = random.Random(13)
    teams = [Team.objects.create(name=f"应收基准部{t}") for t in range(TEAMS)]
    User.objects.create(username="rv_admin", role=Role.ADMIN, is_superuser=True,
                        is_staff=True)  # fmt: skip
    User.objects.create(username="rv_manager", role=Role.MANAGER, team=teams[0])
    owners = [
        User.objects.create(username=f"rv_am{i}", team=teams[i % TEAMS],
                            role=Role.ACCOUNT_MANAGER, display_name=f"客户经理{i}")
        for i in range(OWNERS)
    ]  # fmt: skip
    now = timezone.now()
    today = timezone.localdate()
    customer_ids = fast_table(Customer).insert(
        ({"name": f"应收客户{i:06d}", "owner_id": owners[i % OWNERS].pk,
          "team_id": owners[i % OWNERS].team_id, "created_at": now, "updated_at": now}
         for i in range(CUSTOMERS)),
        count=CUSTOMERS,
    )  # fmt: skip
    n_contracts = max(1, total // PER_CONTRACT)
    amount = Decimal("100000.00")
    share = amount / PER_CONTRACT
    contract_ids = []
    for start in range(0, n_contracts, BATCH):
        stop = min(start + BATCH, n_contracts)
        with transaction.atomic():
            contract_ids += fast_table(Contract).insert(
                ({"number": f"RV-{i:07d}", "title": f"应收基准合同{i}",
                  "customer_id": customer_ids[i % CUSTOMERS], "amount": amount,
                  "start_date": today - dt.timedelta(days=400), "end_date": today,
                  "status": "active", "owner_id": owners[i % CUSTOMERS % OWNERS].pk,
                  "team_id": owners[i % CUSTOMERS % OWNERS].team_id,
                  "created_at": now, "updated_at": now}
                 for i in range(start, stop)),
                count=stop - start,
            )  # fmt: skip
    print(f"  contracts {n_contracts:,}", flush=True)
    table = fast_table(Instalment)

    def rows(lo: int, hi: int) -> Iterator[dict[str, Any]]:
        for i in range(lo, hi):
            c = i // PER_CONTRACT
            owner = owners[c % CUSTOMERS % OWNERS]
            due = today + dt.timedelta(days=rnd.randrange(-400, 300))
            roll = rnd.random()
            received = Decimal("0.00")
            if roll < 0.25:
                status, received = "received", share
            elif roll < 0.30:
                status = "void"
            elif roll < 0.45:
                received = Decimal(rnd.randrange(1, 9999))
                status = "overdue" if due < today else "partly"
            else:
                status = "overdue" if due < today else "pending"
            yield {
                "contract_id": contract_ids[c], "sequence": i % PER_CONTRACT + 1,
                "due_date": due, "amount": share, "received": received, "method": "transfer",
                "status": status, "customer_id": customer_ids[c % CUSTOMERS],
                "owner_id": owner.pk, "team_id": owner.team_id,
                "created_at": now, "updated_at": now,
            }  # fmt: skip

    for lo in range(0, total, BATCH):
        hi = min(lo + BATCH, total)
        with transaction.atomic():
            table.insert(rows(lo, hi), count=hi - lo)
        print(f"  instalments {hi:,}", flush=True)
    print(f"  filled in {time.perf_counter() - started:.1f} s", flush=True)


def _p95(fn: Callable[[int], Any], n: int) -> float:
    return _times(fn, n)[1]


def _times(fn: Callable[[int], Any], n: int) -> tuple[float, float]:
    """(median, p95) in ms of ``n`` calls ``fn(0)``, ``fn(1)``, …"""
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1000)
    p95 = statistics.quantiles(times, n=20)[-1]
    median = statistics.median(times)
    print(f"  median {median:.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms")
    return median, p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(SIZES), default="small")
    parser.add_argument("--instalments", type=int, default=0, help="override the scale's size")
    parser.add_argument("--explain", action="store_true", help="print the aging's query plan")
    opts = parser.parse_args()
    from bench.common import setup_django

    total = opts.instalments or SIZES[opts.scale]
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DEBUG", "1")
    setup_django(f"receivables-{opts.scale}" if not opts.instalments else f"receivables-{total}")
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from bench.common import db_label
    from guanxi.accounts.models import User
    from guanxi.contracts.models import Instalment
    from guanxi.contracts.selectors import aging_page, aging_page_query, receivables_aging
    from guanxi.contracts.services.aging import aging_rebuild, aging_refresh

    print(f"database: {db_label()}; instalments {total:,}")
    _fill(total)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    print(f"  in the table: {Instalment.objects.count():,}")
    admin = User.objects.get(username="rv_admin")
    manager = User.objects.get(username="rv_manager")
    groups = ["customer", "owner", "team"]
    from django.db import transaction
    from django.utils import timezone

    print("nightly rebuild of the summary:")
    started = time.perf_counter()
    rebuilt = aging_rebuild(force=True)
    rebuild_s = time.perf_counter() - started
    assert rebuilt is not None
    print(f"  {rebuilt.rows:,} rows for {rebuilt.as_of} in {rebuild_s:.2f} s")
    with connection.cursor() as cur:
        cur.execute("ANALYZE contracts_customeraging")
    if opts.explain:
        for group in groups:
            for summary in (True, False):
                qs = aging_page_query(
                    admin, group, timezone.localdate(), limit=500, summary=summary
                )
                if connection.vendor == "postgresql":
                    plan = qs.explain(analyze=True, buffers=True)
                else:
                    plan = qs.explain()
                print(f"-- {group} ({'summary' if summary else 'live'})\n{plan}")
    for group in groups:  # warm up
        aging_page(actor=admin, group_by=group)
        aging_page(actor=admin, group_by=group, live=True)
    # the summary read equals the live one (the bench's own check of what it times)
    for group in groups:
        fast, slow = (
            aging_page(actor=admin, group_by=group),
            aging_page(actor=admin, group_by=group, live=True),
        )
        assert fast.totals == slow.totals and fast.count == slow.count, group
        assert [(r.key, r.buckets) for r in fast.rows] == [(r.key, r.buckets) for r in slow.rows]

    print("aging page (administrator), from the summary:")
    median, aging_p95 = _times(lambda i: aging_page(actor=admin, group_by=groups[i % 3]), 30)
    print("aging page (administrator), live:")
    live_median, live_p95 = _times(
        lambda i: aging_page(actor=admin, group_by=groups[i % 3], live=True), 30
    )
    for group in groups:
        print(f"aging page by {group} (administrator):")
        _times(lambda _i, g=group: aging_page(actor=admin, group_by=g), 9)
    print("aging page (department manager):")
    manager_p95 = _p95(lambda i: aging_page(actor=manager, group_by=groups[i % 3]), 30)
    print("full aging, every group (administrator):")
    full_p95 = _p95(lambda i: receivables_aging(actor=admin, group_by=groups[i % 3]), 15)
    customers = list(Instalment.objects.values_list("customer_id", flat=True)[:20])

    def refresh(i: int) -> None:
        with transaction.atomic():
            aging_refresh([customers[i % len(customers)]])

    print("refresh of one customer's summary rows:")
    refresh_median, _refresh_p95 = _times(refresh, 20)
    setup_test_environment()
    client = Client()
    client.force_login(admin)
    assert client.get("/contracts/receivables/").status_code == 200

    def page(i: int) -> None:
        response = client.get("/contracts/receivables/", {"group_by": groups[i % 3]})
        assert response.status_code == 200

    print("receivables page (administrator):")
    page_p95 = _p95(page, 15)
    print(f"receivables_aging_ms: {aging_p95:.1f} ms")
    print(f"receivables_aging_median_ms: {median:.1f} ms")
    print(f"receivables_aging_live_ms: {live_p95:.1f} ms")
    print(f"receivables_aging_live_median_ms: {live_median:.1f} ms")
    print(f"receivables_aging_rebuild_s: {rebuild_s:.2f} s")
    print(f"receivables_aging_refresh_ms: {refresh_median:.1f} ms")
    print(f"receivables_aging_manager_ms: {manager_p95:.1f} ms")
    print(f"receivables_aging_full_ms: {full_p95:.1f} ms")
    print(f"receivables_page_ms: {page_p95:.1f} ms")


if __name__ == "__main__":
    main()
