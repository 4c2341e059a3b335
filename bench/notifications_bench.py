"""Inbox and reminder sweep: ``python -m bench.notifications_bench --scale small|large``.

Uses its own database (``DATABASE_URL``, else ``var/bench-notifications-<scale>.sqlite3``),
filled on first use: customers (small 10,000 / large 1,000,000) with a contact each (a
birthday on most), an open follow-up on every fifth, a value row on every third (a third
of those dormant), and one user with 100,000 (small) / 1,000,000 (large) notifications.

Figures:
- ``inbox_p95_ms``: the inbox page (``GET /inbox/``, full Django stack, logged in) for the
  user with all those notifications, p95 of 50 requests (first page, the unread filter and
  deep pages mixed; pages 2 and 400 are reached by their keyset cursor, ``?before=``).
- ``reminder_sweep_s``: one run of the follow-up, birthday and dormant rules over all
  customers on a working day (a first run: writes the notifications it finds due).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
from typing import Any

from django.db import connection

SIZES = {"small": (10_000, 100_000), "large": (1_000_000, 1_000_000)}
TODAY = dt.date(2026, 12, 2)  # a working Wednesday


def _fill(customers: int, notifications: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from guanxi.accounts.models import Team, User
    from guanxi.analytics.models import CustomerValue
    from guanxi.customers.models import Communication, Contact, Customer
    from guanxi.notifications.models import Notification

    if Customer.objects.exists():
        return
    rnd = random.Random(9)
    team = Team.objects.create(name="基准测试部")
    owners = [
        User.objects.create(username=f"bench_am{i}", team=team, display_name=f"客户经理{i}")
        for i in range(50)
    ]
    reader = owners[0]
    now = timezone.now()
    batch = 20_000
    copied = connection.vendor == "postgresql" and customers > batch
    for start in range(0, batch if copied else customers, batch):
        n = min(batch, customers - start)
        with transaction.atomic():
            rows = Customer.objects.bulk_create(
                [
                    Customer(
                        name=f"基准客户{start + i:07d}",
                        owner=owners[(start + i) % len(owners)],
                        team=team,
                    )
                    for i in range(n)
                ]
            )
            Contact.objects.bulk_create(
                [
                    Contact(
                        customer=c,
                        name=f"联系人{c.pk}",
                        birthday=dt.date(1980, 1, 1) + dt.timedelta(days=rnd.randrange(365 * 30))
                        if rnd.random() < 0.8
                        else None,
                    )
                    for c in rows
                ]
            )
            Communication.objects.bulk_create(
                [
                    Communication(
                        customer=c,
                        channel="phone",
                        occurred_at=now,
                        summary="电话回访",
                        next_follow_up=TODAY + dt.timedelta(days=rnd.randrange(-30, 30)),
                    )
                    for i, c in enumerate(rows)
                    if i % 5 == 0
                ]
            )
            CustomerValue.objects.bulk_create(
                [_value(c, dormant=i % 9 == 0, now=now) for i, c in enumerate(rows) if i % 3 == 0]
            )
        print(f"  customers {start + n:,}", flush=True)
    if copied:
        _copy_customers(customers // batch)
        _sql_notifications(reader.pk, notifications, now)
        print(f"  notifications {notifications:,}", flush=True)
        return
    for start in range(0, notifications, batch):
        n = min(batch, notifications - start)
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient=reader,
                    kind="followup_due",
                    title=f"跟进提醒：基准客户{start + i:07d}",
                    url="/customers/1/",
                    read_at=now if rnd.random() < 0.7 else None,
                    created_at=now - dt.timedelta(minutes=notifications - start - i),
                )
                for i in range(n)
            ],
            batch_size=5000,
        )
    print(f"  notifications {notifications:,}", flush=True)


def _columns(model: Any, *skip: str) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column not in skip]


def _copy_customers(times: int) -> None:
    """PostgreSQL: the first batch of customers (with their contact, follow-up and value
    rows) copied ``times - 1`` more times in SQL, ids shifted by the batch's span: the
    same distributions at a fraction of the ORM's time."""
    from guanxi.analytics.models import CustomerValue
    from guanxi.customers.models import Communication, Contact, Customer

    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM customers_customer")
        lo, hi = cur.fetchone()
        span = hi - lo + 1
        copies = f"generate_series(1, {int(times) - 1}) AS k WHERE c.id BETWEEN {lo} AND {hi}"
        cols = _columns(Customer, "id", "name")
        cur.execute(
            f"INSERT INTO customers_customer (id, name, {', '.join(cols)}) "
            f"SELECT c.id + k * {span}, '基准客户' || lpad((c.id + k * {span})::text, 7, '0'), "
            f"{', '.join('c.' + c for c in cols)} FROM customers_customer c, {copies}"
        )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), "
            "(SELECT max(id) FROM customers_customer))"
        )
        for model in (Contact, Communication, CustomerValue):
            table = model._meta.db_table
            keep = "id" if model._meta.pk.column == "id" else ""
            cols = _columns(model, "customer_id", keep)
            cur.execute(
                f"INSERT INTO {table} (customer_id, {', '.join(cols)}) "
                f"SELECT r.customer_id + k * {span}, {', '.join('r.' + c for c in cols)} "
                f"FROM {table} r JOIN customers_customer c ON c.id = r.customer_id, {copies}"
            )
        cur.execute("ANALYZE")
    print(f"  customers {times * span:,} (copied in SQL, {time.perf_counter() - t0:.1f} s)")


def _sql_notifications(reader_id: int, n: int, now: dt.datetime) -> None:
    """PostgreSQL: the reader's notifications in one statement (70 % read, one a minute)."""
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(0.9)")
        cur.execute(
            "INSERT INTO notifications_notification (recipient_id, kind, title, body, url, "
            "subject_model, subject_id, in_inbox, created_at, read_at) "
            "SELECT %s, 'followup_due', '跟进提醒：基准客户' || lpad(g::text, 7, '0'), '', "
            "'/customers/1/', '', '', true, %s - (%s - g) * interval '1 minute', "
            "CASE WHEN random() < 0.7 THEN %s::timestamptz END FROM generate_series(0, %s - 1) g",
            [reader_id, now, n, now, n],
        )
        cur.execute("VACUUM ANALYZE notifications_notification")


def _value(customer: Any, *, dormant: bool, now: dt.datetime) -> Any:
    from guanxi.analytics.models import CustomerValue

    last = TODAY - dt.timedelta(days=400 if dormant else 20)
    return CustomerValue(
        customer=customer, orders=2, purchases=2, revenue=100, first_purchase=last,
        last_purchase=last, average_amount=50, customer_value=100, value_class="silver",
        rfm_r=1, rfm_f=1, rfm_m=1, rfm_fm=1, rfm_segment="lost", revenue_rank=1,
        dormant=dormant, cost_to_serve=0, profit=100, cohort_month=2025 * 12, computed_at=now,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(SIZES), default="small")
    opts = parser.parse_args()
    from bench.common import setup_django

    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DEBUG", "1")  # plain static files (no manifest to build)
    setup_django(f"notifications-{opts.scale}")
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from django.test import Client
    from django.test.utils import setup_test_environment

    from bench.common import db_label
    from guanxi.accounts.models import User
    from guanxi.notifications.models import Notification, RuleState
    from guanxi.notifications.reminders import reminders_run

    customers, notifications = SIZES[opts.scale]
    print(f"database: {db_label()}; customers {customers:,}; notifications {notifications:,}")
    _fill(customers, notifications)
    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(username="bench_am0"))
    # Pages 2 and 400 (of 25 rows) by their keyset cursors: the rows just before them.
    from guanxi.core.db.keyset import Cursor

    newest = Notification.objects.filter(recipient__username="bench_am0", in_inbox=True)
    newest = newest.order_by("-created_at", "-id").only("id", "created_at")
    deep = [Cursor.of(newest[n - 1], "created_at") for n in (25, 399 * 25)]
    urls = ["/inbox/", "/inbox/?unread=1", f"/inbox/?before={deep[0]}", f"/inbox/?before={deep[1]}"]
    for url in urls:  # warm up
        assert client.get(url).status_code == 200
    times = []
    for i in range(50):
        t0 = time.perf_counter()
        response = client.get(urls[i % len(urls)])
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"inbox median {statistics.median(times):.1f} ms")

    # The sweep as the worker runs it on a working day: a fresh run of each rule.
    Notification.objects.exclude(recipient__username="bench_am0").delete()
    Notification.objects.filter(
        kind__in=["birthday", "dormant_customer", "followup_overdue"]
    ).delete()
    Notification.objects.filter(dedupe_key__isnull=False).delete()
    RuleState.objects.all().delete()
    if connection.vendor == "postgresql":  # the deleted rows' dead tuples (autovacuum's job)
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE notifications_notification")
    t0 = time.perf_counter()
    results = reminders_run(today=TODAY, only=["followups", "birthdays", "dormant_customers"])
    sweep = time.perf_counter() - t0
    for r in results:
        print(f"  {r.key}: {r.due:,} due, {r.created:,} new, {r.seconds:.2f} s")
    t0 = time.perf_counter()
    reminders_run(today=TODAY, only=["followups", "birthdays", "dormant_customers"], force=True)
    print(f"  a second (forced) run, notifying nobody again: {time.perf_counter() - t0:.2f} s")
    print(f"inbox_p95_ms: {p95:.1f} ms")
    print(f"reminder_sweep_s: {sweep:.2f} s")


if __name__ == "__main__":
    main()
