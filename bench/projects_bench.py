"""Project schedule figure: ``python -m bench.projects_bench --scale small|large``.

* ``gantt_cpm_ms`` — one 2,000-task project (200 summary tasks of 9 leaves each, 10 per
  cent milestones, ~3,000 links mixing FS/SS/FF/SF with lags and leads, on the CN working
  calendar with holidays and 调休): ``projects.cpm.schedule`` (tree, topological order,
  forward and backward pass, floats, critical path, dates) plus building the Gantt JSON
  payload (``selectors.gantt_payload`` + ``json.dumps``) from the schedule. The median of
  ``--repeat`` runs, in milliseconds. Plain data in memory: the database reads of the plan
  (two indexed queries) are not in the figure. At ``--scale large`` the same for a
  10,000-task plan is printed too (``gantt_cpm_10k_ms``).
* ``--db``: the same work on the generated data set (``bench.generate``'s projects phase,
  ``DATABASE_URL`` or the scale's SQLite file): for ``--projects`` random 50-task projects,
  ``gantt_db_ms`` — the Gantt payload from the stored schedule (``selectors.gantt``: two
  indexed queries + the payload + ``json.dumps``) — and ``schedule_db_ms`` — the plan read
  (``selectors.plan_rows``) and scheduled (``cpm.schedule``), what every plan write does
  before storing. p50 and p95 in milliseconds; shows whether the indexes hold at 500,000
  tasks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import statistics
import time

import django


def _plan(n_summaries: int, leaves: int, seed: int = 14) -> tuple[list, list]:
    from guanxi.projects.cpm import CpmLink, CpmTask

    rng = random.Random(seed)
    tasks, links = [], []
    next_id = 1
    previous_leaves: list[int] = []
    for s in range(n_summaries):
        summary = next_id
        next_id += 1
        tasks.append(CpmTask(summary, 1, name=f"阶段{s}"))
        mine = []
        for i in range(leaves):
            milestone = rng.random() < 0.1
            tasks.append(CpmTask(next_id, 0 if milestone else rng.randint(1, 10), parent=summary,
                                 name=f"任务{s}.{i}", progress=rng.randint(0, 100)))  # fmt: skip
            mine.append(next_id)
            next_id += 1
        for a, b in itertools.pairwise(mine):
            links.append(CpmLink(a, b, rng.choice(["FS", "FS", "FS", "SS", "FF", "SF"]),
                                 rng.randint(-2, 3)))  # fmt: skip
        if previous_leaves:
            links.append(CpmLink(rng.choice(previous_leaves), mine[0], "FS", rng.randint(0, 2)))
            links.append(CpmLink(rng.choice(previous_leaves), rng.choice(mine), "SS", 1))
            links.append(CpmLink(previous_leaves[-1], mine[-1], "FF", 0))
        previous_leaves = mine
    return tasks, links


def _once(tasks: list, links: list) -> float:
    from guanxi.projects.cpm import schedule
    from guanxi.projects.selectors import gantt_payload

    class _Project:
        pk = 1
        start_date = dt.date(2026, 9, 1)
        scheduled_finish = None

    begin = time.perf_counter()
    result = schedule(tasks, links, start=_Project.start_date)
    rows = [
        {"id": t.id, "outline": "", "name": "", "start_date": r.start, "finish_date": r.finish,
         "progress": r.progress, "critical": r.critical, "milestone": r.duration == 0,
         "is_summary": r.summary, "total_float": r.total_float, "free_float": r.free_float,
         "version": 1}
        for t in tasks
        for r in (result.tasks[t.id],)
    ]  # fmt: skip
    link_rows = [{"predecessor_id": x.predecessor, "successor_id": x.successor} for x in links]
    json.dumps(gantt_payload(project=_Project, tasks=rows, links=link_rows), default=str)  # type: ignore[arg-type]
    return (time.perf_counter() - begin) * 1000


def _pct(runs: list[float], q: float) -> float:
    data = sorted(runs)
    return data[max(0, min(len(data) - 1, round(q / 100 * len(data) + 0.5) - 1))]


def _from_db(n: int) -> None:
    from guanxi.projects import cpm, selectors
    from guanxi.projects.models import Project, Task

    ids = list(Project.objects.order_by("id").values_list("id", flat=True))
    if not ids:
        raise SystemExit("no projects in this database: run bench.generate first")
    print(f"# {len(ids):,} projects, {Task.objects.count():,} tasks in the database")
    picked = random.Random(14).sample(ids, min(n, len(ids)))
    gantt_runs, schedule_runs = [], []
    for i, pk in enumerate([picked[0], *picked]):  # the first one warms up
        project = Project.objects.get(pk=pk)
        begin = time.perf_counter()
        json.dumps(selectors.gantt(project=project), default=str)
        middle = time.perf_counter()
        tasks, links = selectors.plan_rows(project.pk)
        cpm.schedule(tasks, links, start=project.start_date)
        end = time.perf_counter()
        if i:
            gantt_runs.append((middle - begin) * 1000)
            schedule_runs.append((end - middle) * 1000)
    for name, runs in (("gantt_db_ms", gantt_runs), ("schedule_db_ms", schedule_runs)):
        print(f"{name}: p50 {_pct(runs, 50):.1f} ms, p95 {_pct(runs, 95):.1f} ms "
              f"({len(runs)} projects)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=["small", "large"], default="small")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", action="store_true", help="also time plans read from the data set")
    parser.add_argument("--projects", type=int, default=200)
    args = parser.parse_args()
    if args.db:
        from bench.common import setup_django

        setup_django(args.scale)
    else:
        django.setup()
    sizes = [("gantt_cpm_ms", 200, 9)]
    if args.scale == "large":
        sizes.append(("gantt_cpm_10k_ms", 1000, 9))
    for name, summaries, leaves in sizes:
        tasks, links = _plan(summaries, leaves)
        _once(tasks, links)  # warm the calendar
        runs = [_once(tasks, links) for _ in range(args.repeat)]
        print(f"# {len(tasks)} tasks, {len(links)} links, runs {[round(r, 1) for r in runs]}")
        print(f"{name}: {statistics.median(runs):.1f} ms")
    if args.db:
        _from_db(args.projects)


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    main()
