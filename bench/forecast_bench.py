"""The sales forecast: ``python -m bench.forecast_bench --scale small|large``.

Uses its own database (``DATABASE_URL``, else ``var/bench-forecast-<scale>.sqlite3``),
filled on first use with the one bulk writer (``core.db.copy``, COPY on PostgreSQL): one
pipeline (four open stages, won, lost) and opportunities (small 20,000 / large 1,000,000)
on 20,000 customers of 100 account managers in five departments — 35 % open, expected to
close from two months ago to a year ahead, in every forecast category, a tenth with their
own probability; 40 % won and 25 % lost, closed over the last two years.

Figures:
- ``forecast_ms``: the forecast page (full Django stack: the GROUP BY, the names, the
  chart data and the table rendered), logged in as the administrator who sees every
  opportunity, p95 of 30 requests mixing the three groupings (month, owner, department)
  over the default six-month window.
- ``forecast_query_ms``: the aggregation alone (``selectors_forecast.forecast``) for the
  administrator, p95 of 30.
- ``forecast_manager_ms``: the page for one department's manager, p95 of 30.
- ``forecast_live_ms`` / ``forecast_live_query_ms``: the page and the aggregation reading
  the opportunities themselves (``SALES_FORECAST_ROLLUP`` off: the code before the roll-up),
  p95 of 30; the page and ``forecast_query_ms`` read the monthly roll-up
  (``sales.models_forecast``).
- ``forecast_rollup_rebuild_s``: the roll-up rebuilt from every opportunity (set-based).
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
BATCH = 100_000
CATEGORIES = ("commit", "best_case", "pipeline", "pipeline", "omitted")


def _fill(total: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from guanxi.accounts.models import Role, Team, User
    from guanxi.core.db.copy import fast_table
    from guanxi.customers.models import Customer
    from guanxi.sales.models import Opportunity, Pipeline, Stage, StageKind

    if Pipeline.objects.exists():
        return
    started = time.perf_counter()
    rnd = random.Random(17)
    teams = [Team.objects.create(name=f"预测基准部{t}") for t in range(TEAMS)]
    User.objects.create(username="fc_admin", role=Role.ADMIN, is_superuser=True,
                        is_staff=True)  # fmt: skip
    User.objects.create(username="fc_manager", role=Role.MANAGER, team=teams[0])
    owners = [
        User.objects.create(
            username=f"fc_am{i}",
            team=teams[i % TEAMS],
            role=Role.ACCOUNT_MANAGER,
            display_name=f"客户经理{i}",
        )
        for i in range(OWNERS)
    ]
    now = timezone.now()
    customer_ids = fast_table(Customer).insert(
        ({"name": f"预测客户{i:06d}", "owner_id": owners[i % OWNERS].pk,
          "team_id": owners[i % OWNERS].team_id, "created_at": now, "updated_at": now}
         for i in range(CUSTOMERS)),
        count=CUSTOMERS,
    )  # fmt: skip
    pipeline = Pipeline.objects.create(name="预测基准流程", is_default=True)
    spec = [("初步接触", 10, StageKind.OPEN), ("需求确认", 30, StageKind.OPEN),
            ("方案报价", 60, StageKind.OPEN), ("商务谈判", 80, StageKind.OPEN),
            ("赢单", 100, StageKind.WON), ("输单", 0, StageKind.LOST)]  # fmt: skip
    stages = [Stage.objects.create(pipeline=pipeline, name=n, order=i, win_probability=p, kind=k)
              for i, (n, p, k) in enumerate(spec)]  # fmt: skip
    today = timezone.localdate()
    table = fast_table(Opportunity)

    def rows(start: int, stop: int) -> Iterator[dict[str, Any]]:
        for i in range(start, stop):
            c = i % CUSTOMERS
            owner = owners[c % OWNERS]
            roll = rnd.random()
            row: dict[str, Any] = {
                "customer_id": customer_ids[c], "pipeline_id": pipeline.pk,
                "name": f"预测商机{i:07d}", "amount": Decimal(rnd.randrange(1_000, 500_000)),
                "owner_id": owner.pk, "team_id": owner.team_id, "currency": "CNY",
                "created_at": now, "updated_at": now, "competitors": [],
                "forecast_category": rnd.choice(CATEGORIES),
            }  # fmt: skip
            if roll < 0.35:
                row.update(
                    stage_id=stages[rnd.randrange(4)].pk,
                    status="open",
                    expected_close=today + dt.timedelta(days=rnd.randrange(-60, 365)),
                    probability=rnd.randrange(101) if rnd.random() < 0.1 else None,
                )
            else:
                won = roll < 0.75
                closed = now - dt.timedelta(days=rnd.randrange(730), seconds=rnd.randrange(86400))
                row.update(stage_id=stages[4 if won else 5].pk, status="won" if won else "lost",
                           closed_at=closed, expected_close=closed.date())  # fmt: skip
            yield row

    for start in range(0, total, BATCH):
        stop = min(start + BATCH, total)
        with transaction.atomic():
            table.insert(rows(start, stop), count=stop - start)
        print(f"  opportunities {stop:,}", flush=True)
    print(f"  filled in {time.perf_counter() - started:.1f} s", flush=True)
    # COPY bypasses Opportunity.save(): the roll-up is rebuilt (timed in main()).


def _p95(fn: Callable[[int], Any], n: int) -> float:
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1000)
    print(f"  median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")
    return statistics.quantiles(times, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(SIZES), default="small")
    parser.add_argument("--opportunities", type=int, default=0, help="override the scale's size")
    parser.add_argument(
        "--no-vacuum",
        action="store_true",
        help="ANALYZE only (no visibility map: the worst case after a bulk load)",
    )
    opts = parser.parse_args()
    from bench.common import setup_django

    total = opts.opportunities or SIZES[opts.scale]
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DEBUG", "1")
    setup_django(f"forecast-{opts.scale}" if not opts.opportunities else f"forecast-{total}")
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment
    from django.utils import timezone

    from bench.common import db_label
    from guanxi.accounts.models import User
    from guanxi.sales.models import Opportunity
    from guanxi.sales.models_forecast import rebuild
    from guanxi.sales.selectors_forecast import forecast, validate_params

    print(f"database: {db_label()}; opportunities {total:,}")
    _fill(total)
    if connection.vendor == "postgresql":
        # A table in use is vacuumed by autovacuum (inserts count since PostgreSQL 13):
        # without it a freshly COPYed table has no visibility map and the forecast's
        # index-only scans would visit the heap after all. ``--no-vacuum`` measures that.
        with connection.cursor() as cur:
            cur.execute("ANALYZE" if opts.no_vacuum else "VACUUM ANALYZE")
    print(f"  in the table: {Opportunity.objects.count():,}", flush=True)
    t0 = time.perf_counter()
    rollup_rows = rebuild()
    rebuild_s = time.perf_counter() - t0
    print(f"  roll-up rebuilt: {rollup_rows:,} rows in {rebuild_s:.2f} s", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE sales_forecastrollup")
    setup_test_environment()
    admin = User.objects.get(username="fc_admin")
    client = Client()
    client.force_login(admin)
    groups = ["month", "owner", "team"]
    for group in groups:  # warm up
        assert client.get("/sales/forecast/", {"group": group}).status_code == 200

    def page(i: int) -> None:
        assert client.get("/sales/forecast/", {"group": groups[i % 3]}).status_code == 200

    today = timezone.localdate()
    with override_settings(SALES_FORECAST_ROLLUP=False):
        page(0)  # warm up
        print("forecast page (administrator), live (no roll-up):", flush=True)
        live_p95 = _p95(page, 30)

    def live_query(i: int) -> None:
        forecast(actor=admin, params=validate_params({"group": groups[i % 3]}, today=today),
                 live=True)  # fmt: skip

    print("aggregation alone (administrator), live:", flush=True)
    live_query_p95 = _p95(live_query, 30)
    print("forecast page (administrator):", flush=True)
    page_p95 = _p95(page, 30)

    def query(i: int) -> None:
        forecast(actor=admin, params=validate_params({"group": groups[i % 3]}, today=today))

    print("aggregation alone (administrator):", flush=True)
    query_p95 = _p95(query, 30)
    manager = Client()
    manager.force_login(User.objects.get(username="fc_manager"))

    def manager_page(i: int) -> None:
        assert manager.get("/sales/forecast/", {"group": groups[i % 3]}).status_code == 200

    print("forecast page (department manager):")
    manager_p95 = _p95(manager_page, 30)
    print(f"forecast_ms: {page_p95:.1f} ms")
    print(f"forecast_query_ms: {query_p95:.1f} ms")
    print(f"forecast_manager_ms: {manager_p95:.1f} ms")
    print(f"forecast_live_ms: {live_p95:.1f} ms")
    print(f"forecast_live_query_ms: {live_query_p95:.1f} ms")
    print(f"forecast_rollup_rebuild_s: {rebuild_s:.2f} s")


if __name__ == "__main__":
    main()
