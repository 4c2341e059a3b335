"""The critical path method on plain data (no ORM): forward and backward pass over
working days, early/late start and finish, total and free float, the critical path, and
summary tasks rolled up from their leaves.

Time is counted in *working-day indexes*: index 0 is the project's first working day, and a
task of ``d`` days starting at index ``es`` occupies ``es … es + d - 1`` (``ef = es + d`` is
exclusive, as in the textbooks' "day 0" convention). The calendar maps indexes to dates
only at the end, so weekends, Chinese holidays and 调休 days cost one lookup per date shown.

Links (precedence diagramming, lags in working days, negative = lead):

* FS  ``es(s) >= ef(p) + lag``            * SS  ``es(s) >= es(p) + lag``
* FF  ``ef(s) >= ef(p) + lag``            * SF  ``ef(s) >= es(p) + lag``

A task never starts before the project (index 0) nor before its ``start_no_earlier``
date. A link on a summary task stands for the same link on each of its leaves (MS Project's
reading), so the passes run on leaves only and summaries take the span of their leaves.

Total float ``ls - es`` is never negative: the early schedule is feasible and the late one
is the latest feasible schedule that finishes with the project. Free float is the delay a
task takes without moving any successor's early start or the project's finish, so it is
never more than total float.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from django.utils.translation import gettext as _

from guanxi.core.errors import PicklableError

__all__ = [
    "CpmLink",
    "CpmTask",
    "CycleError",
    "Schedule",
    "ScheduledTask",
    "WorkingCalendar",
    "schedule",
]

LINK_TYPES: Final = frozenset({"FS", "SS", "FF", "SF"})


class CycleError(PicklableError, ValueError):
    """The links (or the task tree) go round in a circle; ``tasks`` names it in order,
    the first task repeated at the end (``[3, 7, 9, 3]``)."""

    def __init__(self, tasks: Sequence[int], names: Sequence[str] = ()) -> None:
        self.tasks = list(tasks)
        self.names = list(names) or [str(t) for t in tasks]
        super().__init__(_("任务依赖形成循环：%(cycle)s") % {"cycle": " → ".join(self.names)})


@dataclass(frozen=True, slots=True)
class CpmTask:
    id: int
    duration: int = 1  # working days; 0 is a milestone
    parent: int | None = None
    name: str = ""
    start_no_earlier: dt.date | None = None
    work: Decimal = Decimal("0")  # estimate hours
    progress: int = 0  # %


@dataclass(frozen=True, slots=True)
class CpmLink:
    predecessor: int
    successor: int
    type: str = "FS"
    lag: int = 0  # working days


@dataclass(slots=True)
class ScheduledTask:
    id: int
    early_start: int
    early_finish: int  # exclusive index
    late_start: int
    late_finish: int
    total_float: int
    free_float: int
    critical: bool
    summary: bool
    duration: int
    work: Decimal
    progress: int
    start: dt.date = dt.date.min
    finish: dt.date = dt.date.min
    late_start_date: dt.date = dt.date.min
    late_finish_date: dt.date = dt.date.min


@dataclass(slots=True)
class Schedule:
    start: dt.date
    duration: int  # working days from the first working day to the end of the last task
    finish: dt.date
    tasks: dict[int, ScheduledTask]
    critical_path: list[int]  # leaf ids, first to last, joined by driving links
    driving_links: set[tuple[int, int]] = field(default_factory=set)  # between leaves


class WorkingCalendar:
    """Working days from ``start`` on, as indexes: ``date(0)`` is the first working day on
    or after ``start``. Dates are computed once and kept (a plan spans a few hundred)."""

    def __init__(self, start: dt.date, is_working_day: Callable[[dt.date], bool]) -> None:
        self._is_working_day = is_working_day
        day = start
        while not is_working_day(day):
            day += dt.timedelta(days=1)
        self._days: list[dt.date] = [day]

    def _extend_to_index(self, index: int) -> None:
        days = self._days
        day = days[-1]
        one = dt.timedelta(days=1)
        while len(days) <= index:
            day += one
            if self._is_working_day(day):
                days.append(day)

    def date(self, index: int) -> dt.date:
        """The date of working day ``index`` (``index >= 0``)."""
        if index >= len(self._days):
            self._extend_to_index(index)
        return self._days[index]

    def index(self, day: dt.date) -> int:
        """The index of the first working day on or after ``day`` (0 before the start)."""
        days = self._days
        if day <= days[0]:
            return 0
        while days[-1] < day:
            self._extend_to_index(len(days) + 64)
        # Binary search: the first kept working day >= day.
        lo, hi = 0, len(days) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if days[mid] < day:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def finish_date(self, early_start: int, early_finish: int) -> dt.date:
        """The last day of work of a task spanning ``[early_start, early_finish)``; for a
        milestone, the end of the day before it (as MS Project shows it), or the first day."""
        if early_finish > early_start:
            return self.date(early_finish - 1)
        return self.date(early_start - 1) if early_start > 0 else self.date(0)

    def start_date(self, early_start: int, early_finish: int) -> dt.date:
        if early_finish == early_start:  # a milestone sits at the end of its day
            return self.finish_date(early_start, early_finish)
        return self.date(early_start)


def _find_cycle(nodes: Iterable[int], succ: dict[int, list[int]]) -> list[int]:
    """One cycle among ``nodes`` (every one of which lies on or leads into a cycle)."""
    remaining = set(nodes)
    state: dict[int, int] = {}  # 1 = on the stack, 2 = done
    for root in sorted(remaining):
        if root in state:
            continue
        stack: list[tuple[int, int]] = [(root, 0)]
        path: list[int] = [root]
        state[root] = 1
        while stack:
            node, i = stack[-1]
            nexts = [n for n in succ.get(node, ()) if n in remaining]
            if i < len(nexts):
                stack[-1] = (node, i + 1)
                nxt = nexts[i]
                if state.get(nxt) == 1:
                    return [*path[path.index(nxt) :], nxt]
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, 0))
                    path.append(nxt)
            else:
                state[node] = 2
                stack.pop()
                path.pop()
    return sorted(remaining)[:1] * 2  # unreachable when the caller found a leftover


def _lower_bound(kind: str, es_p: int, ef_p: int, lag: int, d_s: int) -> int:
    """The earliest start a link allows its successor."""
    if kind == "FS":
        return ef_p + lag
    if kind == "SS":
        return es_p + lag
    if kind == "FF":
        return ef_p + lag - d_s
    return es_p + lag - d_s  # SF


def _upper_bound(kind: str, ls_s: int, lf_s: int, lag: int, d_p: int) -> int:
    """The latest finish a link allows its predecessor."""
    if kind == "FS":
        return ls_s - lag
    if kind == "SS":
        return ls_s - lag + d_p
    if kind == "FF":
        return lf_s - lag
    return lf_s - lag + d_p  # SF


def schedule(
    tasks: Sequence[CpmTask],
    links: Sequence[CpmLink],
    *,
    start: dt.date,
    is_working_day: Callable[[dt.date], bool] | None = None,
) -> Schedule:
    """Schedule ``tasks`` from ``start``; ``CycleError`` names a circle of links, and a
    link or parent naming an unknown task is a ``ValueError``."""
    if is_working_day is None:
        from guanxi.core.calendar import is_working_day as platform_working_day

        is_working_day = platform_working_day
    cal = WorkingCalendar(start, is_working_day)
    by_id = {t.id: t for t in tasks}
    if len(by_id) != len(tasks):
        raise ValueError(_("任务编号重复。"))
    names = {t.id: t.name or str(t.id) for t in tasks}

    # --- the tree: children, leaves, and a parent chain that must not loop -----------------
    children: dict[int, list[int]] = {}
    for t in tasks:
        if t.parent is not None:
            if t.parent not in by_id:
                raise ValueError(_("上级任务不存在：%(id)s") % {"id": t.parent})
            children.setdefault(t.parent, []).append(t.id)
    parent_of = {t.id: t.parent for t in tasks if t.parent is not None}
    _check_tree(parent_of, names)

    leaves_of: dict[int, list[int]] = {}

    def leaves(task_id: int) -> list[int]:
        found = leaves_of.get(task_id)
        if found is not None:
            return found
        out: list[int] = []
        stack = [task_id]
        while stack:
            node = stack.pop()
            kids = children.get(node)
            if kids:
                stack.extend(reversed(kids))
            else:
                out.append(node)
        leaves_of[task_id] = out
        return out

    leaf_ids = [t.id for t in tasks if t.id not in children]
    duration = {i: (by_id[i].duration if by_id[i].duration > 0 else 0) for i in leaf_ids}

    # A leaf inherits the latest "start no earlier than" of itself and its ancestors.
    earliest: dict[int, int] = {}
    for i in leaf_ids:
        bound = 0
        node: int | None = i
        while node is not None:
            snet = by_id[node].start_no_earlier
            if snet is not None:
                bound = max(bound, cal.index(snet))
            node = parent_of.get(node)
        earliest[i] = bound

    # --- links on leaves --------------------------------------------------------------------
    # Two links may join the same leaves (a summary's link beside a leaf's): both count.
    edges: dict[tuple[int, int], list[tuple[str, int]]] = {}
    for link in links:
        if link.predecessor not in by_id or link.successor not in by_id:
            missing = link.predecessor if link.predecessor not in by_id else link.successor
            raise ValueError(_("依赖指向不存在的任务：%(id)s") % {"id": missing})
        if link.type not in LINK_TYPES:
            raise ValueError(_("未知的依赖类型：%(type)s") % {"type": link.type})
        if link.predecessor == link.successor:
            raise CycleError([link.predecessor, link.predecessor], [names[link.predecessor]] * 2)
        for p in leaves(link.predecessor):
            for s in leaves(link.successor):
                if p == s:  # a link between a summary and its own part
                    cycle = [link.predecessor, link.successor, link.predecessor]
                    raise CycleError(cycle, [names[c] for c in cycle])
                edges.setdefault((p, s), []).append((link.type, link.lag))

    succ: dict[int, list[tuple[int, str, int]]] = {i: [] for i in leaf_ids}
    pred: dict[int, list[tuple[int, str, int]]] = {i: [] for i in leaf_ids}
    indegree = dict.fromkeys(leaf_ids, 0)
    for (p, s), kinds in edges.items():
        indegree[s] += 1
        for kind, lag in kinds:
            succ[p].append((s, kind, lag))
            pred[s].append((p, kind, lag))
    next_of = {p: list(dict.fromkeys(s for s, _k, _l in out)) for p, out in succ.items()}

    # --- topological order (Kahn); what is left over lies on a cycle ------------------------
    order: list[int] = [i for i in leaf_ids if indegree[i] == 0]
    head = 0
    while head < len(order):
        node = order[head]
        head += 1
        for s in next_of[node]:
            indegree[s] -= 1
            if indegree[s] == 0:
                order.append(s)
    if len(order) != len(leaf_ids):
        placed = set(order)
        left = [i for i in leaf_ids if i not in placed]
        cycle = _find_cycle(left, next_of)
        raise CycleError(cycle, [names[c] for c in cycle])

    # --- forward pass -----------------------------------------------------------------------
    es: dict[int, int] = {}
    ef: dict[int, int] = {}
    for node in order:
        d = duration[node]
        start_at = earliest[node]
        for p, kind, lag in pred[node]:
            bound = _lower_bound(kind, es[p], ef[p], lag, d)
            if bound > start_at:
                start_at = bound
        es[node] = start_at
        ef[node] = start_at + d
    finish = max(ef.values(), default=0)

    # --- backward pass ----------------------------------------------------------------------
    ls: dict[int, int] = {}
    lf: dict[int, int] = {}
    free: dict[int, int] = {}
    for node in reversed(order):
        d = duration[node]
        late = finish
        slack = finish - ef[node]
        for s, kind, lag in succ[node]:
            bound = _upper_bound(kind, ls[s], lf[s], lag, d)
            if bound < late:
                late = bound
            link_slack = es[s] - _lower_bound(kind, es[node], ef[node], lag, duration[s])
            if link_slack < slack:
                slack = link_slack
        lf[node] = late
        ls[node] = late - d
        free[node] = slack

    result: dict[int, ScheduledTask] = {}
    for node in leaf_ids:
        t = by_id[node]
        total = ls[node] - es[node]
        result[node] = ScheduledTask(
            id=node,
            early_start=es[node],
            early_finish=ef[node],
            late_start=ls[node],
            late_finish=lf[node],
            total_float=total,
            free_float=free[node],
            critical=total == 0,
            summary=False,
            duration=duration[node],
            work=t.work,
            progress=max(0, min(100, t.progress)),
        )

    # --- summaries roll up from their leaves ------------------------------------------------
    for summary_id in children:
        parts = [result[i] for i in leaves(summary_id)]
        s_es = min(p.early_start for p in parts)
        s_ef = max(p.early_finish for p in parts)
        weight = sum(p.duration for p in parts)
        if weight:
            progress = round(sum(p.progress * p.duration for p in parts) / weight)
        else:
            progress = round(sum(p.progress for p in parts) / len(parts))
        result[summary_id] = ScheduledTask(
            id=summary_id,
            early_start=s_es,
            early_finish=s_ef,
            late_start=min(p.late_start for p in parts),
            late_finish=max(p.late_finish for p in parts),
            total_float=min(p.total_float for p in parts),
            free_float=min(p.free_float for p in parts),
            critical=any(p.critical for p in parts),
            summary=True,
            duration=s_ef - s_es,
            work=sum((p.work for p in parts), Decimal("0")),
            progress=progress,
        )

    for item in result.values():
        item.start = cal.start_date(item.early_start, item.early_finish)
        item.finish = cal.finish_date(item.early_start, item.early_finish)
        item.late_start_date = cal.start_date(item.late_start, item.late_finish)
        item.late_finish_date = cal.finish_date(item.late_start, item.late_finish)

    # --- one critical path: from a task ending with the project, back along driving links --
    driving: set[tuple[int, int]] = set()
    for node in leaf_ids:
        for p, kind, lag in pred[node]:
            if es[node] == _lower_bound(kind, es[p], ef[p], lag, duration[node]) and (
                result[node].critical
            ):
                driving.add((p, node))
    path: list[int] = []
    ends = [i for i in order if ef[i] == finish and result[i].critical]
    if ends:
        # The longest chain of the last-finishing tasks, ties broken by plan order.
        node = ends[-1]
        path.append(node)
        while True:
            back = [p for p, _k, _l in pred[node] if (p, node) in driving]
            if not back:
                break
            node = back[0]
            path.append(node)
        path.reverse()
    first_day = cal.date(0)
    return Schedule(
        start=first_day,
        duration=finish,
        finish=cal.finish_date(0, finish),
        tasks=result,
        critical_path=path,
        driving_links=driving,
    )


def _check_tree(parent_of: dict[int, int], names: dict[int, str]) -> None:
    done: set[int] = set()
    for start in parent_of:
        if start in done:
            continue
        chain: list[int] = []
        on_chain: set[int] = set()
        node: int | None = start
        while node is not None and node not in done:
            if node in on_chain:
                cycle = [*chain[chain.index(node) :], node]
                raise CycleError(cycle, [names[c] for c in cycle])
            chain.append(node)
            on_chain.add(node)
            node = parent_of.get(node)
        done.update(chain)
