"""Portfolio KPI figures: ``python -m bench.kpi_bench --scale small|large``.

* ``portfolio_kpi_ms`` — the 组合看板 page (``projects:portfolio``, through the Django test
  client: session, scope, the tiles' aggregate, the ten worst by SPI and CPI, the scatter's
  points, one sorted page of 25 and the filter choices, rendered) over a portfolio of
  10,000 projects (small: 200) with their stored KPI snapshots, for an administrator (all
  projects) and one project manager's department manager (a department's share), over
  mixed filters and sorts. Median and p95 of all the requests, in milliseconds.
* ``portfolio_api_ms`` — the same over ``GET /api/v1/projects/portfolio``.
* ``kpi_refresh_ms`` — recomputing one project's snapshot through the refresh path
  (``services.kpi.kpi_refresh``: EVM, milestones, acceptance, hours), median over a few
  small projects with a baseline and time.

The snapshots are written in bulk (the refresh path is measured on its own): the data
is generated inside the bench into its own database (``var/bench-kpi-<scale>`` on SQLite,
or ``DATABASE_URL``); a previous run's projects are deleted first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from decimal import Decimal
from typing import Any

PROJECTS = {"small": 200, "large": 10_000}
PREFIX = "KPI基准"
TEAMS = 8
MANAGERS_PER_TEAM = 5


def _fill(count: int, seed: int = 9) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from guanxi.accounts.models import Role, Team, User
    from guanxi.customers.models import Customer
    from guanxi.projects.models import RAG_RANK, Project, ProjectKpi

    rng = random.Random(seed)
    Project.objects.filter(name__startswith=PREFIX).delete()
    started = time.perf_counter()
    with transaction.atomic():
        admin, _ = User.objects.get_or_create(
            username="kpi_bench_admin",
            defaults={"role": Role.ADMIN, "is_superuser": True, "is_staff": True},
        )
        teams, managers, heads = [], [], []
        for t in range(TEAMS):
            team, _ = Team.objects.get_or_create(name=f"{PREFIX}部{t}")
            teams.append(team)
            head, _ = User.objects.get_or_create(
                username=f"kpi_bench_head_{t}", defaults={"role": Role.MANAGER, "team": team}
            )
            heads.append(head)
            for m in range(MANAGERS_PER_TEAM):
                user, _ = User.objects.get_or_create(
                    username=f"kpi_bench_pm_{t}_{m}",
                    defaults={"role": Role.PROJECT_MANAGER, "team": team},
                )
                managers.append(user)
        customers = list(Customer.objects.filter(name__startswith=PREFIX).order_by("id"))
        for i in range(len(customers), max(20, count // 5)):
            team = teams[i % TEAMS]
            customers.append(
                Customer.objects.create(name=f"{PREFIX}客户{i}", owner=heads[i % TEAMS], team=team)
            )
        projects = []
        for i in range(count):
            manager = managers[i % len(managers)]
            projects.append(
                Project(
                    name=f"{PREFIX}项目{i:05d}", customer=rng.choice(customers),
                    start_date=dt.date(2026, 1, 5) + dt.timedelta(days=rng.randint(0, 300)),
                    manager=manager, team_id=manager.team_id,
                    phase=rng.choice(["identify", "plan", "execute", "execute", "close"]),
                    status=rng.choice(["active"] * 6 + ["on_hold", "closed", "cancelled"]),
                )
            )  # fmt: skip
        Project.objects.bulk_create(projects, batch_size=2000)
        now = timezone.now()
        snapshots = []
        for p in projects:
            if rng.random() < 0.05:
                continue  # not computed yet
            spi = Decimal(rng.randint(55, 115)) / 100
            cpi = Decimal(rng.randint(55, 125)) / 100
            due = rng.randint(0, 8)
            on_time = rng.randint(0, due)
            decided = rng.randint(0, 6)
            first = rng.randint(0, decided)
            available = Decimal(rng.randint(0, 4) * 160)
            booked = (available * Decimal(rng.randint(40, 110)) / 100).quantize(Decimal("1"))
            worst = min(spi, cpi)
            rag = (
                "red"
                if worst < Decimal("0.85")
                else "amber"
                if worst < Decimal("0.95")
                else "green"
            )
            snapshots.append(
                ProjectKpi(
                    project=p, pending=False, computed_at=now, status_date=now.date(),
                    has_baseline=True, bac=Decimal(rng.randint(10, 500) * 1000), spi=spi,
                    cpi=cpi, evm_rag=rag, milestones_due=due, milestones_on_time=on_time,
                    milestone_rate=(Decimal(on_time) / due).quantize(Decimal("0.0001"))
                    if due else None,
                    deliverables_decided=decided, deliverables_first_pass=first,
                    first_pass_rate=(Decimal(first) / decided).quantize(Decimal("0.0001"))
                    if decided else None,
                    booked_hours=booked, available_hours=available,
                    utilisation=(booked / available).quantize(Decimal("0.0001"))
                    if available else None,
                    rag=rag, rag_rank=RAG_RANK[rag],
                )
            )  # fmt: skip
        ProjectKpi.objects.bulk_create(snapshots, batch_size=2000)
    print(
        f"  filled {len(projects):,} projects, {len(snapshots):,} snapshots "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return {"admin": admin, "head": heads[0], "managers": managers, "customers": customers}


def _refresh_scene(rng: random.Random) -> list[int]:
    """Five small projects with a baseline, milestones and approved time, for the refresh."""
    from guanxi.accounts.models import Role, User
    from guanxi.customers.models import Customer
    from guanxi.projects.models import Project, ProjectMember, Task, TimeEntry, TimeStatus
    from guanxi.projects.services.baselines import take_baseline
    from guanxi.projects.services.timesheets import price_time_entries

    manager = User.objects.get(username="kpi_bench_admin")
    worker, _ = User.objects.get_or_create(
        username="kpi_bench_worker", defaults={"role": Role.PROJECT_MEMBER}
    )
    customer = Customer.objects.filter(name__startswith=PREFIX).first()
    ids = []
    for n in range(5):
        start = dt.date(2026, 9, 1)
        project = Project.objects.create(
            name=f"{PREFIX}刷新{n}", customer=customer, start_date=start, manager=manager
        )
        ProjectMember.objects.create(project=project, user=worker)
        tasks = [
            Task(project=project, position=i, outline=str(i + 1), tree_key=f"{i + 1:05d}",
                 name=f"任务{i}", duration_days=0 if i % 10 == 9 else 5, milestone=i % 10 == 9,
                 start_date=start + dt.timedelta(days=i),
                 finish_date=start + dt.timedelta(days=i + 6),
                 estimate_hours=Decimal("0") if i % 10 == 9 else Decimal("40"),
                 progress=rng.randint(0, 100))
            for i in range(100)
        ]  # fmt: skip
        Task.objects.bulk_create(tasks)
        take_baseline(project, actor=manager, name="基线", reason="")
        entries = [
            TimeEntry(user=worker, project=project, task=tasks[d % 90],
                      date=start + dt.timedelta(days=d), hours=Decimal("6"),
                      status=TimeStatus.APPROVED)
            for d in range(80)
        ]  # fmt: skip
        price_time_entries(entries)
        TimeEntry.objects.bulk_create(entries)
        ids.append(project.pk)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(PROJECTS), default="small")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the mixed requests")
    opts = parser.parse_args()
    from bench.common import setup_django

    setup_django(f"kpi-{opts.scale}")
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from django.db import connection
    from django.test import Client

    from bench.common import db_label
    from guanxi.projects.services.kpi import kpi_refresh

    print(f"database: {db_label()}")
    rng = random.Random(3)
    scene = _fill(PROJECTS[opts.scale])
    refresh_ids = _refresh_scene(rng)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    customers = scene["customers"]
    mixes = [
        {},
        {"sort": "spi"},
        {"phase": "execute"},
        {"status": "active", "sort": "-cpi"},
        {"rag": "red"},
        {"manager": scene["managers"][3].pk},
        {"customer": customers[7].pk},
        {"phase": "plan", "status": "active", "sort": "quality", "page": "3"},
        {"sort": "utilisation", "page": "40"},
    ]
    api_mixes = [
        {"manager_id" if k == "manager" else "customer_id" if k == "customer" else k: v
         for k, v in m.items() if k != "page"}
        for m in mixes
    ]  # fmt: skip
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.DEBUG = False  # no query log, no template debug: as in production
    clients = {}
    for role in ("admin", "head"):
        client = Client()
        client.force_login(scene[role])
        clients[role] = client

    def timed(client: Any, url: str, params: dict[str, Any]) -> float:
        begin = time.perf_counter()
        response = client.get(url, params)
        elapsed = (time.perf_counter() - begin) * 1000
        assert response.status_code == 200, (url, params, response.status_code)
        return elapsed

    page_runs: list[float] = []
    api_runs: list[float] = []
    for client in clients.values():  # warm up
        timed(client, "/projects/portfolio/", {})
        timed(client, "/api/v1/projects/portfolio", {})
    for _round in range(opts.repeat):
        for client in clients.values():
            for params in mixes:
                page_runs.append(timed(client, "/projects/portfolio/", params))
            for params in api_mixes:
                api_runs.append(timed(client, "/api/v1/projects/portfolio", params))
    refresh_runs = []
    for project_id in refresh_ids * 2:
        begin = time.perf_counter()
        kpi_refresh(project_id=project_id)
        refresh_runs.append((time.perf_counter() - begin) * 1000)

    def p95(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    total = clients["admin"].get("/api/v1/projects/portfolio", {"limit": 1}).json()["count"]
    mine = clients["head"].get("/api/v1/projects/portfolio", {"limit": 1}).json()["count"]
    print(f"# projects seen: admin {total:,}, department manager {mine:,}")
    print(f"# page runs {len(page_runs)}: max {max(page_runs):.1f} ms")
    print(f"portfolio_kpi_ms: {statistics.median(page_runs):.1f} ms (median; "
          f"p95 {p95(page_runs):.1f} ms)")  # fmt: skip
    print(f"portfolio_api_ms: {statistics.median(api_runs):.1f} ms (median; "
          f"p95 {p95(api_runs):.1f} ms)")  # fmt: skip
    print(f"kpi_refresh_ms: {statistics.median(refresh_runs):.1f} ms (median of "
          f"{len(refresh_runs)}, 100-task projects)")  # fmt: skip


if __name__ == "__main__":
    main()
