"""The public pool's recycle run: ``python -m bench.pool_bench --scale small|large``.

Uses its own database (``DATABASE_URL``, else ``var/bench-pool-<scale>.sqlite3``), filled on
first use: customers (small 10,000 / large 1,000,000; ``--customers`` to choose) with varied
names, created 400 days ago, held by 50 account managers in 5 departments, each with a last
follow-up 0 to 31 days ago (evenly); 2 % have an open opportunity, 1 % are locked. One pool
covers every department with one rule: 30 days without follow-up, open opportunities
exempt, reminded 3 days before. So a run is a day's run of a pool in use: every customer
scanned, the 1/32 followed up 31 days ago returned (about 3 %), none left over from before.

Figure:
- ``pool_recycle_s``: one recycle run (``sales.pool.rules.recycle``: the candidate scan over
  every customer, then the events, timeline entries, audit rows, pool states and customer
  updates of the returned ones, all set-based), inside a transaction rolled back after it so
  every repetition starts from the same data; the median of the repetitions.
- ``pool_reminder_s``: the reminder rule's ``INSERT … SELECT`` of the notifications of the
  same day (rolled back as well).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time

SIZES = {"small": 10_000, "large": 1_000_000}
OWNERS = 50
TEAMS = 5
BATCH = 50_000
CITIES = ["杭州", "上海", "苏州", "南京", "宁波", "深圳", "广州", "成都", "武汉", "西安"]
WORDS = ["云栖", "海纳", "星辰", "远航", "宏图", "金石", "青松", "华信", "博远", "启明"]
TRADES = ["科技", "贸易", "制造", "物流", "信息", "建设"]


class _Rollback(Exception):
    pass


def _fill(customers: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from guanxi.accounts.models import Role, Team, User
    from guanxi.core.db.copy import fast_table
    from guanxi.core.text.keys import customer_search_keys
    from guanxi.customers.models import Communication, Customer
    from guanxi.sales.models import Opportunity, Pipeline, Stage
    from guanxi.sales.models_pool import Pool, PoolCustomer, PoolRule

    if Pool.objects.exists():
        return
    started = time.perf_counter()
    now = timezone.now()
    teams = [Team.objects.create(name=f"公海基准部{t}") for t in range(TEAMS)]
    owners = [
        User.objects.create(
            username=f"pool_am{i}",
            team=teams[i % TEAMS],
            role=Role.ACCOUNT_MANAGER,
            display_name=f"客户经理{i}",
        )
        for i in range(OWNERS)
    ]
    stems = [f"{city}{word}{trade}" for city in CITIES for word in WORDS for trade in TRADES]
    stem_keys = [customer_search_keys(stem, "") for stem in stems]
    created = now - dt.timedelta(days=400)
    customer_table = fast_table(Customer)
    comm_table = fast_table(Communication)
    for start in range(0, customers, BATCH):
        stop = min(start + BATCH, customers)
        with transaction.atomic():
            ids = customer_table.insert(
                (
                    {"name": f"{stems[i % len(stems)]}{i:07d}有限公司",
                     "owner_id": owners[i % OWNERS].pk, "team_id": owners[i % OWNERS].team_id,
                     "name_pinyin": stem_keys[i % len(stems)].name_pinyin + f"{i:07d}",
                     "name_initials": stem_keys[i % len(stems)].name_initials + f"{i:07d}",
                     "name_key": stem_keys[i % len(stems)].name_key + f"{i:07d}",
                     "search_text": stem_keys[i % len(stems)].search_text + f" {i:07d}",
                     "created_at": created, "updated_at": created}
                    for i in range(start, stop)
                ),
                count=stop - start,
            )  # fmt: skip
            follow = list(zip(ids, range(start, stop), strict=True))
            comm_table.insert(
                (
                    {"customer_id": cid, "channel": "phone", "summary": "电话回访",
                     "occurred_at": now - dt.timedelta(days=(i * 7) % 32)}
                    for cid, i in follow
                ),
                count=len(follow),
            )  # fmt: skip
        print(f"  customers {stop:,}", flush=True)
    pipeline = Pipeline.objects.create(name="公海基准流程", is_default=True)
    stage = Stage.objects.create(pipeline=pipeline, name="初步接触", order=0, win_probability=10)
    all_ids = Customer.objects.order_by("pk").values_list("pk", flat=True)
    opp_ids = [cid for n, cid in enumerate(all_ids.iterator()) if n % 50 == 9]
    Opportunity.objects.bulk_create(
        [Opportunity(customer_id=cid, pipeline=pipeline, stage=stage, name="基准商机",
                     position=(k + 1) * 1024) for k, cid in enumerate(opp_ids)],
        batch_size=5000,
    )  # fmt: skip
    locked = [cid for n, cid in enumerate(all_ids.iterator()) if n % 100 == 8]
    PoolCustomer.objects.bulk_create(
        [PoolCustomer(customer_id=cid, locked=True) for cid in locked], batch_size=5000
    )
    pool = Pool.objects.create(name="基准公海", daily_claim_limit=20)
    PoolRule.objects.create(pool=pool, kind="no_follow_up", days=30, remind_days=3)
    print(f"  filled in {time.perf_counter() - started:.1f} s", flush=True)


def _timed(fn: object) -> tuple[float, int]:
    from django.db import transaction

    result: list[int] = []
    started = time.perf_counter()
    try:
        with transaction.atomic():
            result.append(fn())  # type: ignore[operator]
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, result[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(SIZES), default="small")
    parser.add_argument("--customers", type=int, default=0, help="override the scale's size")
    parser.add_argument("--repeat", type=int, default=0, help="runs (default: 3 small, 1 large)")
    opts = parser.parse_args()
    from bench.common import setup_django

    customers = opts.customers or SIZES[opts.scale]
    label = f"pool-{opts.scale}" if not opts.customers else f"pool-{customers}"
    setup_django(label)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from django.db import connection
    from django.utils import timezone

    from bench.common import db_label
    from guanxi.customers.models import Customer
    from guanxi.notifications.reminders import bulk_notify
    from guanxi.sales.pool import rules

    print(f"database: {db_label()}; customers {customers:,}")
    _fill(customers)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    total = Customer.objects.count()
    today = timezone.localdate()
    repeat = opts.repeat or (3 if opts.scale == "small" else 1)
    runs = [_timed(lambda: rules.recycle(today=today)) for _ in range(repeat)]
    for seconds, returned in runs:
        print(f"  recycle: {returned:,} of {total:,} customers returned in {seconds:.2f} s")

    def remind() -> int:
        return sum(bulk_notify(q, now=timezone.now()) for q in rules.reminders(today))

    reminder_runs = [_timed(remind) for _ in range(repeat)]
    for seconds, sent in reminder_runs:
        print(f"  reminders: {sent:,} written in {seconds:.2f} s")
    print(f"pool_recycle_s: {statistics.median(s for s, _n in runs):.2f} s")
    print(f"pool_reminder_s: {statistics.median(s for s, _n in reminder_runs):.2f} s")


if __name__ == "__main__":
    os.environ.setdefault("DEBUG", "0")
    main()
