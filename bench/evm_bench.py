"""Earned-value figure: ``python -m bench.evm_bench --scale small|large``.

* ``evm_project_ms`` — the EVM of one 2,000-task project (200 summary tasks of 9 leaves,
  10 per cent milestones, spread over about 15 months of the CN working calendar) with a
  year of approved timesheets (small: 40 people, large: 120 people, two entries a person a
  working day) and 400 approved cost entries: ``selectors_evm.evm_result`` (settings,
  current baseline, the baseline's rows joined with the live tasks' progress, AC by day:
  the approved time's cost priced on approval + costs, summed by day in the database)
  plus the S-curve series (``selectors_evm.s_curve``), end to end with the database
  reads. Median of ``--repeat`` runs, in milliseconds.
* ``evm_baseline_ms`` — taking the baseline of that project (``take_baseline``: 2,000
  frozen rows, audit, timeline), once.

The data is generated inside the bench into its own database (``var/bench-evm-<scale>``
on SQLite, or ``DATABASE_URL``); a previous run's project is deleted first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from decimal import Decimal

PEOPLE = {"small": 40, "large": 120}
NAME = "挣值基准项目"
START = dt.date(2025, 10, 8)


def _fill(people: int, seed: int = 15) -> tuple[object, object, dt.date]:
    from django.db import transaction

    from guanxi.accounts.models import Role, Team, User
    from guanxi.core.calendar import is_working_day
    from guanxi.customers.models import Customer
    from guanxi.projects.models import (
        CostEntry,
        CostRate,
        CostStatus,
        Project,
        ProjectMember,
        Task,
        TaskStatus,
        TimeEntry,
        TimeStatus,
    )

    rng = random.Random(seed)
    Project.objects.filter(name=NAME).delete()
    team, _ = Team.objects.get_or_create(name="挣值基准部")
    manager, _ = User.objects.get_or_create(
        username="evm_bench_pm",
        defaults={"role": Role.PROJECT_MANAGER, "team": team, "is_superuser": True},
    )
    users = []
    for i in range(people):
        user, _ = User.objects.get_or_create(
            username=f"evm_bench_{i}", defaults={"role": Role.PROJECT_MEMBER, "team": team}
        )
        users.append(user)
    customer = Customer.objects.filter(name="挣值基准客户").first() or Customer.objects.create(
        name="挣值基准客户", owner=manager, team=team
    )
    days = []
    day = START
    while len(days) < 330:
        if is_working_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    status_date = days[250]  # a year of work done, the rest planned
    started = time.perf_counter()
    with transaction.atomic():
        project = Project.objects.create(
            name=NAME, customer=customer, start_date=START, manager=manager, team=team,
            budget=Decimal("5000000"),
        )  # fmt: skip
        ProjectMember.objects.bulk_create(
            [ProjectMember(project=project, user=u, role="engineer") for u in users]
        )
        CostRate.objects.filter(user__in=users).delete()
        CostRate.objects.bulk_create(
            [CostRate(user=u, hourly_rate=Decimal(rng.choice([120, 150, 200, 260])),
                      valid_from=START - dt.timedelta(days=30)) for u in users]
            + [CostRate(user=u, hourly_rate=Decimal(rng.choice([160, 210, 280])),
                        valid_from=START + dt.timedelta(days=180)) for u in users[::3]]
        )  # fmt: skip
        tasks: list[Task] = []
        for s in range(200):
            tasks.append(Task(project=project, position=s, outline=f"{s + 1}",
                              tree_key=f"{s + 1:05d}", name=f"阶段{s}", is_summary=True,
                              duration_days=0))  # fmt: skip
        Task.objects.bulk_create(tasks, batch_size=1000)
        leaves: list[Task] = []
        for s, summary in enumerate(tasks):
            base = int(s * 300 / 200)
            for i in range(9):
                milestone = rng.random() < 0.1
                length = 0 if milestone else rng.randint(1, 12)
                first = min(base + rng.randint(0, 10), len(days) - 13)
                begin, end = days[first], days[first + max(length - 1, 0)]
                progress = (100 if end <= status_date else
                            (rng.randint(10, 90) if begin <= status_date else 0))  # fmt: skip
                leaves.append(Task(
                    project=project, parent=summary, position=i, outline=f"{s + 1}.{i + 1}",
                    tree_key=f"{s + 1:05d}.{i + 1:05d}", name=f"任务{s}.{i}",
                    duration_days=length, milestone=milestone, start_date=begin,
                    finish_date=end, estimate_hours=Decimal(length * 8),
                    assignee=users[(s * 9 + i) % people], progress=progress,
                    status=TaskStatus.DONE if progress == 100 else
                    (TaskStatus.DOING if progress else TaskStatus.TODO),
                ))  # fmt: skip
        Task.objects.bulk_create(leaves, batch_size=1000)
        active = [t for t in leaves if not t.milestone]
        entries = []
        for d in days[:251]:
            doing = [t for t in active if t.start_date <= d <= t.finish_date] or active[:50]
            for u in users:
                for task in rng.sample(doing, min(2, len(doing))):
                    entries.append(
                        TimeEntry(user=u, project=project, task=task, date=d,
                                  hours=Decimal("4"), status=TimeStatus.APPROVED)
                    )  # fmt: skip
        from guanxi.projects.services.timesheets import price_time_entries

        price_time_entries(entries)  # as approval prices them, one by one
        TimeEntry.objects.bulk_create(entries, batch_size=2000)
        CostEntry.objects.bulk_create(
            [CostEntry(project=project, task=rng.choice(active), category="travel",
                       amount=Decimal(rng.randint(200, 20000)), date=rng.choice(days[:251]),
                       status=CostStatus.APPROVED) for _ in range(400)],
            batch_size=1000,
        )  # fmt: skip
    print(
        f"  filled {len(tasks) + len(leaves):,} tasks, {len(entries):,} time entries "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return project, manager, status_date


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(PEOPLE), default="small")
    parser.add_argument("--repeat", type=int, default=7)
    opts = parser.parse_args()
    from bench.common import setup_django

    setup_django(f"evm-{opts.scale}")
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from django.db import connection

    from bench.common import db_label
    from guanxi.projects import selectors_evm
    from guanxi.projects.services.baselines import take_baseline

    print(f"database: {db_label()}")
    project, manager, status_date = _fill(PEOPLE[opts.scale])
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    begin = time.perf_counter()
    take_baseline(project, actor=manager, name="基准基线", reason="")
    baseline_ms = (time.perf_counter() - begin) * 1000

    def once() -> float:
        started = time.perf_counter()
        result = selectors_evm.evm_result(project=project, status_date=status_date)
        selectors_evm.s_curve(result)
        return (time.perf_counter() - started) * 1000

    once()  # warm the calendar
    runs = [once() for _ in range(opts.repeat)]
    result = selectors_evm.evm_result(project=project, status_date=status_date)
    f = result.figures
    assert f is not None
    print(f"# BAC {f.bac} PV {f.pv} EV {f.ev} AC {f.ac} SPI {f.spi} CPI {f.cpi}")
    print(f"# runs {[round(r, 1) for r in runs]}")
    print(f"evm_baseline_ms: {baseline_ms:.1f} ms")
    print(f"evm_project_ms: {statistics.median(runs):.1f} ms")


if __name__ == "__main__":
    main()
