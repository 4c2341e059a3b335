"""The sales kanban: ``python -m bench.sales_bench --scale small|large``.

Uses its own database (``DATABASE_URL``, else ``var/bench-sales-<scale>.sqlite3``), filled
on first use: one pipeline (four open stages, won, lost) with open opportunities (small
5,000 / large 50,000) spread over its open stages, a tenth as many closed ones in the won
and lost columns, on 2,000 customers of 50 account managers in one department.

Figure:
- ``kanban_p95_ms``: the kanban page (full Django stack, logged in as the department's
  manager, who sees every card), p95 of 60 requests mixing the whole board, the board
  fragment a move reloads, and "load more" of a column near its top and deep in it.
- ``kanban_search_p95_ms``: the board filtered by a search text (opportunity or customer
  name, a substring match: no index helps it), p95 of 20 requests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
from decimal import Decimal
from typing import Any

SIZES = {"small": 5_000, "large": 50_000}
CUSTOMERS = 2_000
GAP = 1024


def _fill(open_count: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from guanxi.accounts.models import Role, Team, User
    from guanxi.customers.models import Customer
    from guanxi.sales.models import Opportunity, Pipeline, Stage, StageKind

    if Pipeline.objects.exists():
        return
    rnd = random.Random(11)
    team = Team.objects.create(name="基准销售部")
    User.objects.create(username="bench_manager", team=team, role=Role.MANAGER,
                        display_name="销售经理")  # fmt: skip
    owners = [
        User.objects.create(
            username=f"bench_am{i}",
            team=team,
            role=Role.ACCOUNT_MANAGER,
            display_name=f"客户经理{i}",
        )
        for i in range(50)
    ]
    customers = Customer.objects.bulk_create(
        [
            Customer(name=f"基准客户{i:05d}", owner=owners[i % 50], team=team)
            for i in range(CUSTOMERS)
        ],
        batch_size=2000,
    )
    pipeline = Pipeline.objects.create(name="基准流程", is_default=True)
    spec = [("初步接触", 10, StageKind.OPEN), ("需求确认", 30, StageKind.OPEN),
            ("方案报价", 60, StageKind.OPEN), ("商务谈判", 80, StageKind.OPEN),
            ("赢单", 100, StageKind.WON), ("输单", 0, StageKind.LOST)]  # fmt: skip
    stages = Stage.objects.bulk_create(
        [
            Stage(pipeline=pipeline, name=n, order=i, win_probability=p, kind=k)
            for i, (n, p, k) in enumerate(spec)
        ]
    )
    open_stages, closed_stages = stages[:4], stages[4:]
    ranks = {s.pk: 0 for s in stages}
    now = timezone.now()
    today = timezone.localdate()
    rows = []
    for i in range(open_count + open_count // 10):
        closed = i >= open_count
        stage = rnd.choice(closed_stages if closed else open_stages)
        ranks[stage.pk] += GAP
        c = customers[rnd.randrange(CUSTOMERS)]
        owner = c.owner
        rows.append(
            Opportunity(
                customer=c,
                pipeline=pipeline,
                stage=stage,
                name=f"基准商机{i:06d}",
                amount=Decimal(rnd.randrange(1_000, 500_000)),
                owner=owner,
                team=team,
                expected_close=today + dt.timedelta(days=rnd.randrange(-30, 180)),
                status=("won" if stage.kind == StageKind.WON else "lost") if closed else "open",
                closed_at=now if closed else None,
                position=ranks[stage.pk],
            )
        )
    with transaction.atomic():
        Opportunity.objects.bulk_create(rows, batch_size=2000)
    print(f"  opportunities {len(rows):,} ({open_count:,} open)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(SIZES), default="small")
    opts = parser.parse_args()
    from bench.common import setup_django

    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DEBUG", "1")  # plain static files (no manifest to build)
    setup_django(f"sales-{opts.scale}")
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from bench.common import db_label
    from guanxi.accounts.models import User
    from guanxi.sales.models import Pipeline

    open_count = SIZES[opts.scale]
    print(f"database: {db_label()}; open opportunities {open_count:,}")
    _fill(open_count)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(username="bench_manager"))
    pipeline = Pipeline.objects.get()
    stage = pipeline.stages.order_by("order").first()
    assert stage is not None
    base = f"/sales/pipelines/{pipeline.pk}/"
    urls = [
        base,
        f"{base}?part=board",
        f"{base}stages/{stage.pk}/cards/?offset=20",
        f"{base}stages/{stage.pk}/cards/?offset={open_count // 8}",
    ]
    search = f"{base}?q=%E5%9F%BA%E5%87%86%E5%AE%A2%E6%88%B7001"  # 基准客户001
    for url in [*urls, search]:  # warm up
        assert client.get(url).status_code == 200, url
    p95 = _p95(client, urls, 60)
    search_p95 = _p95(client, [search], 20)
    print(f"kanban_p95_ms: {p95:.1f} ms")
    print(f"kanban_search_p95_ms: {search_p95:.1f} ms")


def _p95(client: Any, urls: list[str], n: int) -> float:
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        response = client.get(urls[i % len(urls)])
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    for j, url in enumerate(urls):
        mine = times[j :: len(urls)]
        print(f"  {url}: median {statistics.median(mine):.1f} ms, max {max(mine):.1f} ms")
    return statistics.quantiles(times, n=20)[-1]


if __name__ == "__main__":
    main()
