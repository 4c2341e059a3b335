"""The projects of the bench data set (a phase of ``bench.generate``): at ``large`` 10,000
projects with 500,000 tasks (SPEC), at ``small`` the same slice per customer (100 projects,
5,000 tasks).

Each project is on every n-th customer, managed by the customer's account manager (its
department's scope), started at a date spread over the last two years, and planned as five
summary tasks of nine leaves each (the ninth a milestone), chained by finish-to-start links
with start-to-start, finish-to-finish and start-to-finish links and lags mixed in. The
schedule is the one the projects app stores: ``projects.cpm.schedule`` on the working
calendar, with outline numbers and tree keys as ``plan.project_recompute`` writes them.
Rows go in with ``guanxi.core.db.copy`` (PostgreSQL ``COPY``; SQLite ``executemany``),
ids from the tables' sequences, a batch of projects at a time.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal
from typing import Any, Final

#: scale → (projects, tasks per project)
SIZES: Final = {"small": (100, 50), "large": (10_000, 50)}
SUMMARIES: Final = 5
LEAVES: Final = 9
BATCH: Final = 500  # projects per COPY batch
SEED: Final = 14
PHASES: Final = ("identify", "plan", "execute", "close")
SUBJECTS: Final = ("CRM 系统实施", "数据中台建设", "ERP 升级改造", "智慧园区集成", "办公网络改造",
                   "移动应用开发", "供应链系统上线", "信息安全咨询")  # fmt: skip
STAGES: Final = ("需求调研", "方案设计", "配置开发", "测试验证", "上线验收")
TABLES: Final = ("projects_project", "projects_projectmember", "projects_phasegate",
                 "projects_task", "projects_tasklink")  # fmt: skip


def _plan(rng: random.Random, ids: list[int]) -> tuple[list[Any], list[Any], list[str]]:
    """One project's plan as ``cpm`` reads it, on the given task ids (summaries first in
    each phase), with the task names."""
    from guanxi.projects.cpm import CpmLink, CpmTask

    tasks: list[Any] = []
    links: list[Any] = []
    names: list[str] = []
    it = iter(ids)
    previous: list[int] = []
    for s in range(SUMMARIES):
        summary = next(it)
        tasks.append(CpmTask(summary, 1, name=STAGES[s]))
        names.append(STAGES[s])
        leaves = []
        for i in range(LEAVES):
            pk = next(it)
            milestone = i == LEAVES - 1
            tasks.append(
                CpmTask(pk, 0 if milestone else rng.randint(1, 8), parent=summary,
                        work=Decimal(8 * rng.randint(1, 10)), progress=0)
            )  # fmt: skip
            names.append(f"{STAGES[s]}评审" if milestone else f"{STAGES[s]}任务{i + 1}")
            leaves.append(pk)
        for a, b in itertools.pairwise(leaves):
            kind = rng.choice(("FS", "FS", "FS", "FS", "SS", "FF", "SF"))
            links.append(CpmLink(a, b, kind, rng.randint(0, 2) if kind != "SF" else 2))
        if previous:
            links.append(CpmLink(previous[-1], leaves[0], "FS", rng.randint(0, 1)))
        previous = leaves
    return tasks, links, names


def customers_of(scale: str, plan: Any) -> list[tuple[int, int, int]]:
    """Every n-th customer of ``bench.generate``'s per-customer plan (owner and department
    of customer ``i`` at index ``i - 1``) as (id, owner id, department id), one a project."""
    n_projects = SIZES[scale][0]
    n_customers = len(plan.owner)
    step = max(1, n_customers // n_projects)
    picked = [1 + (n * step) % n_customers for n in range(n_projects)]
    return [(c, int(plan.owner[c - 1]), int(plan.team[c - 1])) for c in picked]


def generate(scale: str, customers: list[tuple[int, int, int]], today: dt.date) -> dict[str, int]:
    """Write the projects of ``scale``, project ``n`` on ``customers[n]`` (cycled) and
    managed by its owner."""
    from guanxi.core.db.copy import fast_table
    from guanxi.projects.cpm import schedule
    from guanxi.projects.models import PhaseGate, Project, ProjectMember, Task, TaskLink

    n_projects, per_project = SIZES[scale]
    assert per_project == SUMMARIES * (LEAVES + 1)
    rng = random.Random(SEED)
    counts = dict.fromkeys(("projects", "tasks", "links", "members", "gates"), 0)
    for first in range(0, n_projects, BATCH):
        batch = range(first, min(n_projects, first + BATCH))
        project_ids = fast_table(Project).allocate_ids(len(batch))
        task_ids = fast_table(Task).allocate_ids(len(batch) * per_project)
        projects, members, gates, tasks, links = [], [], [], [], []
        for k, (n, pid) in enumerate(zip(batch, project_ids, strict=True)):
            customer, owner, team = customers[n % len(customers)]
            start = today - dt.timedelta(days=rng.randint(-20, 700))
            ids = task_ids[k * per_project : (k + 1) * per_project]
            cpm_tasks, cpm_links, names = _plan(rng, ids)
            result = schedule(cpm_tasks, cpm_links, start=start)
            elapsed = (today - start).days
            phase = PHASES[min(3, max(0, elapsed // 60))] if elapsed > 0 else "identify"
            done = result.finish < today
            projects.append({
                "name": f"基准项目{n + 1:05d} {SUBJECTS[n % len(SUBJECTS)]}",
                "code": f"BP-{n + 1:05d}", "customer_id": customer, "start_date": start,
                "due_date": result.finish + dt.timedelta(days=14),
                "scheduled_finish": result.finish,
                "budget": Decimal(rng.randint(5, 200) * 10_000), "manager_id": owner,
                "team_id": team, "phase": "close" if done else phase,
                "status": "closed" if done and n % 3 == 0 else "active",
                "lifecycle_stage": "feedback" if done and n % 3 == 0 else "engaged",
            })  # fmt: skip
            members.append({"project_id": pid, "user_id": owner, "role": "项目经理",
                            "allocation": 100})  # fmt: skip
            gates.extend({"project_id": pid, "phase": phase_name} for phase_name in PHASES)
            outline: dict[int, tuple[str, str, int]] = {}
            s_no = 0
            for t in cpm_tasks:
                if t.parent is None:
                    s_no += 1
                    leaf_no = 0
                    outline[t.id] = (str(s_no), f"{s_no:05d}", s_no)
                else:
                    leaf_no += 1
                    outline[t.id] = (f"{s_no}.{leaf_no}", f"{s_no:05d}.{leaf_no:05d}", leaf_no)
            for t, name in zip(cpm_tasks, names, strict=True):
                r = result.tasks[t.id]
                finished = r.finish < today
                running = not finished and r.start <= today
                number, key, position = outline[t.id]
                tasks.append({
                    "project_id": pid, "parent_id": t.parent, "position": position,
                    "outline": number, "tree_key": key, "name": name,
                    "estimate_hours": t.work, "duration_days": t.duration,
                    "milestone": t.parent is not None and t.duration == 0,
                    "assignee_id": None if t.parent is None else owner,
                    "progress": 100 if finished else 50 if running else 0,
                    "status": "done" if finished else "doing" if running else "todo",
                    "board_position": position, "start_date": r.start, "finish_date": r.finish,
                    "late_start": r.late_start_date, "late_finish": r.late_finish_date,
                    "total_float": r.total_float, "free_float": r.free_float,
                    "critical": r.critical, "is_summary": r.summary,
                })  # fmt: skip
            links.extend(
                {"project_id": pid, "predecessor_id": x.predecessor, "successor_id": x.successor,
                 "type": x.type, "lag_days": x.lag}
                for x in cpm_links
            )  # fmt: skip
        fast_table(Project).insert(projects, ids=project_ids)
        fast_table(ProjectMember).insert(members)
        fast_table(PhaseGate).insert(gates)
        fast_table(Task).insert(tasks, ids=task_ids)
        fast_table(TaskLink).insert(links)
        for name, rows in (("projects", projects), ("tasks", tasks), ("links", links),
                           ("members", members), ("gates", gates)):  # fmt: skip
            counts[name] += len(rows)
    return counts
