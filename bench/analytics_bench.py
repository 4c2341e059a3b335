"""Customer-value analytics figures: ``python -m bench.analytics_bench --scale large``.

* ``analytics_full_s`` — the whole recompute (``services.analytics_recompute``: SQL
  aggregate over the confirmed orders, F1–F8 with BG/NBD and Gamma-Gamma fits, every
  ``CustomerValue`` row replaced in place, the dated snapshot, pruning, the run record and,
  on PostgreSQL, the ``VACUUM`` of the replaced rows after the commit) against
  the bench database that ``bench.generate`` filled (``DATABASE_URL`` or the SQLite file of
  the scale). The best of ``--repeat`` runs; each run's steps are printed too.
* ``bgnbd_fit_1m_s`` — ``compute.bgnbd.fit`` on 1,000,000 customers simulated from the
  CDNOW parameters (Fader, Hardie & Lee 2005) with times in whole days, as the recompute
  sees them (identical rows merge: about 100,000 remain); no database.
  ``bgnbd_fit_1m_continuous_s``: the same with continuous times, every row distinct (the
  worst case). ``bgnbd_fit_bench_s``: the fit on the bench data set's own customers.

* ``analytics_dashboard_cold_p95_ms`` — the dashboard's first render after a recompute:
  ``/analytics/`` through Django's test ``Client`` with an empty cache (the figures the
  recompute prepared for each scope are in the database, ``services.dashboard_prepare``),
  20 requests each as the bench admin, the manager of team 1 and the account manager with
  the biggest book; the p95 of those 60. ``analytics_dashboard_prepare_s``: the time the
  recompute spent preparing every scope's figures (part of ``analytics_full_s``).
* ``--pages``: after the recompute, the analytics pages through Django's test ``Client``
  (middleware, views, templates; ``DEBUG`` off) as the bench admin, the manager of team 1
  and the account manager with the biggest book: the dashboard with an empty cache
  (``analytics_dashboard_*_cold_ms``) and warm (``_warm_ms``), the customer list filtered by
  a value-matrix cell, and the API value list sorted by CLV. p50 and p95 of 20 requests.

Figures are printed last, one per line, as ``name: value unit``. The database is migrated
first (the analytics tables are created if the data set predates them).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bench.common import SCALES, db_label, setup_django, state_get


def simulate_bgnbd(
    n: int, seed: int = 2005, whole_days: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frequency, recency, T) in days for ``n`` customers: CDNOW parameters (weeks) turned
    into days, acquired uniformly over 12 weeks, observed for 78 weeks, times floored to
    whole days (as the recompute measures them) unless ``whole_days`` is false."""
    r, alpha, a, b = 0.243, 4.414 * 7, 0.793, 2.426
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1.0 / alpha, n)
    drop = rng.beta(a, b, n)
    birth = rng.uniform(0, 84, n)
    end = 546.0
    t_obs = end - birth
    x = np.zeros(n)
    last = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    t = np.zeros(n)
    # Vectorised simulation, one purchase per step for every customer still buying.
    while alive.any():
        gap = rng.exponential(1.0, n) / np.maximum(rate, 1e-12)
        t = np.where(alive, t + gap, t)
        bought = alive & (t <= t_obs)
        x += bought
        last = np.where(bought, t, last)
        alive = bought & (rng.random(n) >= drop)
    days_t = np.floor(t_obs) if whole_days else t_obs
    recency = np.minimum(np.floor(last) if whole_days else last, days_t)
    recency[x == 0] = 0
    return x, recency, days_t


def _pct(values: list[float], q: float) -> float:
    data = sorted(values)
    return data[max(0, min(len(data) - 1, round(q / 100 * len(data) + 0.5) - 1))]


def _clients() -> dict[str, Any]:
    """Logged-in test clients of the bench admin, the manager of team 1 and the account
    manager with the biggest book (``DEBUG`` off)."""
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client

    from guanxi.accounts.models import User
    from guanxi.customers.models import Customer

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.DEBUG = False
    top = Customer.objects.values("owner_id").annotate(n=Count("id")).order_by("-n").first()
    users = {
        "admin": User.objects.get(username="bench_admin"),
        "manager": User.objects.get(username="bench_mgr1"),
        "am": User.objects.get(pk=top["owner_id"]) if top else None,
    }
    clients: dict[str, Any] = {}
    for role, user in users.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        clients[role] = client
    return clients


def measure_dashboard_cold(requests: int = 20, warmup: int = 2) -> list[str]:
    """``analytics_dashboard_cold_p95_ms``: the first render after a recompute (empty
    cache, the prepared figures in the database), over the three roles."""
    from django.core.cache import cache

    times: list[float] = []
    for role, client in _clients().items():
        mine: list[float] = []
        for i in range(warmup + requests):
            cache.clear()
            started = time.perf_counter()
            response = client.get("/analytics/")
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"dashboard as {role}: answered {response.status_code}")
            if i >= warmup:
                mine.append(elapsed)
        print(f"dashboard cold as {role}: p50 {_pct(mine, 50):.0f} ms, "
              f"p95 {_pct(mine, 95):.0f} ms", flush=True)  # fmt: skip
        times += mine
    return [f"analytics_dashboard_cold_p95_ms: {_pct(times, 95):.0f} ms"]


def measure_pages(requests: int = 20, warmup: int = 3) -> list[str]:
    """p50/p95 of the analytics pages, as figure lines."""
    from django.core.cache import cache
    from django.test import Client

    from guanxi.accounts.services import token_create

    clients = _clients()
    from guanxi.accounts.models import User

    admin = User.objects.get(username="bench_admin")
    _token, raw = token_create(actor=admin, name="analytics bench")
    api = Client(headers={"Authorization": f"Bearer {raw}"})

    def timed(name: str, get: Callable[[], Any], cold: bool = False) -> str:
        times: list[float] = []
        for i in range(warmup + requests):
            if cold:
                cache.clear()
            started = time.perf_counter()
            response = get()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{name}: answered {response.status_code}")
            if i >= warmup:
                times.append(elapsed)
        line = f"{name}: p50 {_pct(times, 50):.0f} ms, p95 {_pct(times, 95):.0f} ms"
        print(line, flush=True)
        return line

    lines = []
    for role, client in clients.items():
        lines.append(
            timed(f"analytics_dashboard_{role}_cold", lambda c=client: c.get("/analytics/"), True)
        )
        lines.append(
            timed(f"analytics_dashboard_{role}_warm", lambda c=client: c.get("/analytics/"))
        )
    lines.append(
        timed(
            "customer_list_value_cell_admin",
            lambda: clients["admin"].get("/customers/", {"value_cell": "large-short"}),
        )
    )
    lines.append(
        timed(
            "customer_list_value_cell_am",
            lambda: clients["am"].get("/customers/", {"value_cell": "large-short"}),
        )
    )
    lines.append(
        timed(
            "api_analytics_values_admin",
            lambda: api.get("/api/v1/analytics/values", {"sort": "-clv", "limit": 50}),
        )
    )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-full", action="store_true", help="only the fit figures")
    parser.add_argument("--pages", action="store_true", help="also time the analytics pages")
    args = parser.parse_args(argv)
    setup_django(args.scale)

    from django.core.management import call_command
    from django.db import connection

    from bench.generate import TODAY
    from guanxi.analytics import aggregate, services
    from guanxi.analytics.compute import bgnbd
    from guanxi.analytics.models import CustomerValue, ValueSnapshot

    print(f"database: {db_label()}", flush=True)
    figures: list[str] = []
    if not args.skip_full:
        if not state_get("complete"):
            raise SystemExit("the bench data set is not complete: run bench.generate first")
        call_command("migrate", verbosity=0, interactive=False)
        runs: list[float] = []
        for i in range(args.repeat):
            started = time.perf_counter()
            run = services.analytics_recompute(actor=None, as_of=TODAY)
            elapsed = time.perf_counter() - started
            runs.append(elapsed)
            steps = "  ".join(f"{k}={v:.2f}" for k, v in run.timings.items())
            print(
                f"run {i + 1}: {elapsed:.2f} s  customers={run.customers:,}  "
                f"predictions={'yes' if run.bgnbd else 'no: ' + run.prediction_message}  {steps}",
                flush=True,
            )
        print(
            f"rows: customer values {CustomerValue.objects.count():,}, "
            f"snapshots {ValueSnapshot.objects.count():,}; classes {run.class_counts}"
        )
        if connection.vendor == "postgresql":
            # Replaced in place, the table keeps about twice its live size: watch it grow.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_size_pretty(pg_relation_size(%s)), "
                    "pg_size_pretty(pg_indexes_size(%s))",
                    [CustomerValue._meta.db_table] * 2,
                )
                heap, indexes = cursor.fetchone()
            print(f"customer values table: {heap}, its indexes {indexes}")
        figures.append(f"analytics_full_s: {min(runs):.2f} s")
        figures.append(f"analytics_full_median_s: {statistics.median(runs):.2f} s")
        prepare = run.timings.get("dashboard_prepare_s")
        if prepare is not None:
            figures.append(f"analytics_dashboard_prepare_s: {prepare:.2f} s")
        figures += measure_dashboard_cold()

        t = time.perf_counter()
        m = aggregate.customer_measures(as_of=TODAY)
        figures.append(f"analytics_aggregate_s: {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        bgnbd.fit(m.purchases - 1, m.last_day - m.first_day, m.as_of_day - m.first_day)
        figures.append(f"bgnbd_fit_bench_s: {time.perf_counter() - t:.2f} s ({m.size:,} customers)")

        if args.pages:
            figures += measure_pages()

    x, recency, t_end = simulate_bgnbd(1_000_000)
    fits: list[float] = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        params = bgnbd.fit(x, recency, t_end)
        fits.append(time.perf_counter() - t)
    print(
        f"fit on 1M simulated: r={params.r:.3f} alpha={params.alpha:.2f} "
        f"a={params.a:.3f} b={params.b:.3f} (true 0.243, 30.90, 0.793, 2.426)"
    )
    figures.append(f"bgnbd_fit_1m_s: {min(fits):.2f} s")
    # The worst case for the fit: continuous times, so no two customers' rows merge.
    x, recency, t_end = simulate_bgnbd(1_000_000, whole_days=False)
    fits = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        bgnbd.fit(x, recency, t_end)
        fits.append(time.perf_counter() - t)
    figures.append(f"bgnbd_fit_1m_continuous_s: {min(fits):.2f} s")
    print()
    for line in figures:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
