"""MSPDI — Microsoft Project's XML interchange format (what MS Project, ProjectLibre,
GanttProject and OpenProject exchange) — read and written on plain dataclasses.

This module knows the file format only: :func:`parse` turns bytes into a :class:`Plan`,
:func:`render` turns a :class:`Plan` into bytes. Turning a plan into projects and tasks is
the interchange service's work (``services/interchange.py``).

Reading uses ``defusedxml``: a document type declaration, entity definitions (the
"billion laughs" expansion) and external references are refused before anything is
expanded. Files are bounded in size and in the number of tasks and links, and a plan whose
links form a cycle is refused naming the tasks on it.

Units, as MS Project writes them:

* durations and work are ISO 8601 (``PT16H0M0S``); a day is ``MinutesPerDay`` working
  minutes (480 by default), so ``P2D`` is 16 hours;
* ``LinkLag``, ``TotalSlack`` and ``FreeSlack`` are integers in tenths of a minute; the
  link's ``LagFormat`` is only the unit the lag is shown in;
* dates are the project's wall-clock time without a zone (``2026-03-02T08:00:00``).

This module keeps durations, lags and slack in working minutes.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Final
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed

__all__ = [
    "LINK_TYPES",
    "MAX_BYTES",
    "MAX_LINKS",
    "MAX_TASKS",
    "MspdiError",
    "Plan",
    "PlanCalendar",
    "PlanException",
    "PlanLink",
    "PlanTask",
    "find_cycle",
    "format_duration",
    "parse",
    "parse_duration",
    "render",
]

NS: Final = "http://schemas.microsoft.com/project"
#: a plan file larger than this is refused before it is parsed
MAX_BYTES: Final = 20 * 1024 * 1024
MAX_TASKS: Final = 20_000
MAX_LINKS: Final = 100_000
MAX_NAME: Final = 255
MAX_NOTES: Final = 10_000
#: bounds of a duration or lag (ten years of working days), so numbers stay sane
MAX_MINUTES: Final = 10 * 260 * 480
MAX_OUTLINE_LEVEL: Final = 30
#: MSPDI link type codes
LINK_TYPES: Final = {0: "FF", 1: "FS", 2: "SF", 3: "SS"}
_LINK_CODES: Final = {v: k for k, v in LINK_TYPES.items()}
#: ``LagFormat`` codes: 3 m, 4 em, 5 h, 6 eh, 7 d, 8 ed, 9 w, 10 ew, 11 mo, 12 emo, 19 %,
#: 20 e%, and the same + 32 for estimated (35 m? … 39 d?, …)
PERCENT_LAG_FORMATS: Final = frozenset({19, 20, 51, 52})
LAG_FORMAT_DAYS: Final = 7
#: ``ConstraintType`` codes read as "start no earlier than": 2 must start on, 4 start no
#: earlier than (the others — finish constraints, ALAP — have no counterpart here)
SNET_CONSTRAINTS: Final = frozenset({2, 4})
DURATION_FORMAT_DAYS: Final = 7
#: MSPDI ``DayType``: 1 Sunday … 7 Saturday; 0 an exception (older files)
_DAY_TYPES: Final = {1: 7, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6}
_ISO_DAYS: Final = {v: k for k, v in _DAY_TYPES.items()}

_DURATION = re.compile(
    r"^-?P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<mi>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


class MspdiError(ValidationFailed):
    """The file is not a plan this module accepts; the message says why (field ``file``)."""

    def __init__(self, message: str) -> None:
        super().__init__({"file": message})


@dataclass
class PlanLink:
    """A predecessor link: this task depends on ``predecessor_uid``."""

    predecessor_uid: int
    type: str = "FS"  # FS, SS, FF, SF
    lag_minutes: int = 0  # working minutes; negative is a lead
    lag_format: int = LAG_FORMAT_DAYS


@dataclass
class PlanTask:
    uid: int
    name: str
    outline_level: int = 1
    outline_number: str = ""
    duration_minutes: int = 0
    work_minutes: int | None = None
    start: dt.datetime | None = None
    finish: dt.datetime | None = None
    milestone: bool = False
    summary: bool = False
    percent_complete: int = 0
    notes: str = ""
    #: "start no earlier than" (MSPDI ``ConstraintType`` 4 with its ``ConstraintDate``)
    start_no_earlier: dt.datetime | None = None
    #: the name of the resource assigned (the first assignment's)
    resource: str = ""
    links: list[PlanLink] = field(default_factory=list)
    # The computed schedule, written on export (read back when present).
    early_start: dt.datetime | None = None
    early_finish: dt.datetime | None = None
    late_start: dt.datetime | None = None
    late_finish: dt.datetime | None = None
    total_slack_minutes: int | None = None
    free_slack_minutes: int | None = None
    critical: bool | None = None


@dataclass
class PlanException:
    """A calendar exception: days from ``start`` to ``finish`` (inclusive) that are
    non-working (a holiday) or working (调休, a make-up working day)."""

    start: dt.date
    finish: dt.date
    working: bool = False
    name: str = ""


@dataclass
class PlanCalendar:
    uid: int
    name: str
    #: ISO weekdays (1 Monday … 7 Sunday) that are working days
    working_weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    exceptions: list[PlanException] = field(default_factory=list)


@dataclass
class Plan:
    name: str
    start: dt.datetime | None = None
    finish: dt.datetime | None = None
    minutes_per_day: int = 480
    calendar_uid: int | None = None
    calendars: list[PlanCalendar] = field(default_factory=list)
    #: in outline order (a summary task before its children)
    tasks: list[PlanTask] = field(default_factory=list)

    def parent_uids(self) -> dict[int, int | None]:
        """Each task's parent (the nearest earlier task one outline level up)."""
        out: dict[int, int | None] = {}
        stack: list[PlanTask] = []
        for task in self.tasks:
            while stack and stack[-1].outline_level >= task.outline_level:
                stack.pop()
            out[task.uid] = stack[-1].uid if stack else None
            stack.append(task)
        return out

    @property
    def link_count(self) -> int:
        return sum(len(t.links) for t in self.tasks)


# --- durations --------------------------------------------------------------------------


def parse_duration(text: str, *, minutes_per_day: int = 480) -> int:
    """Working minutes of an ISO 8601 duration as MSPDI writes it. Weeks are five days,
    months twenty (MS Project's defaults). ``ValueError`` on anything else."""
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "PT", "-P", "-PT"):
        raise ValueError(text)
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    minutes = (
        parts.get("y", 0) * 12 * 20 * minutes_per_day
        + parts.get("mo", 0) * 20 * minutes_per_day
        + parts.get("w", 0) * 5 * minutes_per_day
        + parts.get("d", 0) * minutes_per_day
        + parts.get("h", 0) * 60
        + parts.get("mi", 0)
        + parts.get("s", 0) / 60
    )
    value = round(minutes)
    return -value if text.strip().startswith("-") else value


def format_duration(minutes: int) -> str:
    """``PT16H0M0S`` for 960 minutes (MS Project writes hours, minutes, seconds)."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}PT{hours}H{rest}M0S"


# --- reading ----------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: Element, name: str) -> Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _children(el: Element, name: str) -> list[Element]:
    return [c for c in el if _local(c.tag) == name]


def _text(el: Element, name: str) -> str | None:
    c = _child(el, name)
    if c is None or c.text is None:
        return None
    return c.text.strip()


class _Reader:
    def __init__(self, root: Element) -> None:
        self.root = root
        self.minutes_per_day = 480

    def where(self, task_name: str | None, uid: str | None) -> str:
        return _("任务“%(name)s”（UID %(uid)s）") % {"name": task_name or "", "uid": uid or "?"}

    def integer(self, el: Element, name: str, *, where: str, low: int, high: int) -> int | None:
        raw = _text(el, name)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            raise MspdiError(
                _("%(where)s的 %(field)s 不是整数：%(value)s")
                % {"where": where, "field": name, "value": raw[:40]}
            ) from None
        if not low <= value <= high:
            raise MspdiError(
                _("%(where)s的 %(field)s 超出范围（%(low)s 到 %(high)s）：%(value)s")
                % {"where": where, "field": name, "low": low, "high": high, "value": value}
            )
        return value

    def flag(self, el: Element, name: str) -> bool | None:
        raw = _text(el, name)
        if raw is None or raw == "":
            return None
        return raw in ("1", "true", "True")

    def when(self, el: Element, name: str, *, where: str) -> dt.datetime | None:
        raw = _text(el, name)
        if not raw:
            return None
        try:
            value = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise MspdiError(
                _("%(where)s的 %(field)s 不是日期时间：%(value)s")
                % {"where": where, "field": name, "value": raw[:40]}
            ) from None
        if not 1900 <= value.year <= 2200:
            raise MspdiError(
                _("%(where)s的 %(field)s 超出范围（1900 到 2200 年）：%(value)s")
                % {"where": where, "field": name, "value": raw[:40]}
            )
        return value.replace(tzinfo=None)

    def duration(self, el: Element, name: str, *, where: str) -> int | None:
        raw = _text(el, name)
        if not raw:
            return None
        try:
            value = parse_duration(raw, minutes_per_day=self.minutes_per_day)
        except ValueError:
            raise MspdiError(
                _("%(where)s的 %(field)s 不是 ISO 8601 时长（如 PT8H0M0S）：%(value)s")
                % {"where": where, "field": name, "value": raw[:40]}
            ) from None
        if abs(value) > MAX_MINUTES:
            raise MspdiError(
                _("%(where)s的 %(field)s 太长：%(value)s")
                % {"where": where, "field": name, "value": raw[:40]}
            )
        return value

    def plan(self) -> Plan:
        root = self.root
        here = _("项目")
        mpd = self.integer(root, "MinutesPerDay", where=here, low=60, high=1440)
        self.minutes_per_day = mpd or 480
        name = _text(root, "Title") or _text(root, "Name") or ""
        plan = Plan(
            name=name[:MAX_NAME],
            start=self.when(root, "StartDate", where=here),
            finish=self.when(root, "FinishDate", where=here),
            minutes_per_day=self.minutes_per_day,
            calendar_uid=self.integer(root, "CalendarUID", where=here, low=-1, high=2**31),
        )
        calendars = _child(root, "Calendars")
        if calendars is not None:
            plan.calendars = [self.calendar(c) for c in _children(calendars, "Calendar")]
        tasks_el = _child(root, "Tasks")
        elements = _children(tasks_el, "Task") if tasks_el is not None else []
        if len(elements) > MAX_TASKS + 1:
            raise MspdiError(
                _("计划的任务太多：%(n)s 个（最多 %(max)s 个）。")
                % {"n": len(elements), "max": MAX_TASKS}
            )
        seen: dict[int, PlanTask] = {}
        for el in elements:
            task = self.task(el)
            if task is None:
                continue
            if task.uid in seen:
                raise MspdiError(_("任务 UID %(uid)s 出现了两次。") % {"uid": task.uid})
            seen[task.uid] = task
            plan.tasks.append(task)
        self.check(plan, seen)
        self.assignments(plan, seen)
        return plan

    def assignments(self, plan: Plan, tasks: dict[int, PlanTask]) -> None:
        """Each task's first assigned resource, by name (people are matched by name)."""
        resources_el, assignments_el = (
            _child(self.root, "Resources"),
            _child(self.root, "Assignments"),
        )
        if resources_el is None or assignments_el is None:
            return
        here = _("资源")
        names: dict[int, str] = {}
        for el in _children(resources_el, "Resource")[:MAX_TASKS]:
            uid = self.integer(el, "UID", where=here, low=-(2**31), high=2**31)
            name = (_text(el, "Name") or "").strip()
            if uid is not None and name:
                names[uid] = name[:MAX_NAME]
        for el in _children(assignments_el, "Assignment")[:MAX_LINKS]:
            task_uid = self.integer(el, "TaskUID", where=here, low=-(2**31), high=2**31)
            res_uid = self.integer(el, "ResourceUID", where=here, low=-(2**31), high=2**31)
            task = tasks.get(task_uid) if task_uid is not None else None
            if task is not None and not task.resource and res_uid in names:
                task.resource = names[res_uid]

    def calendar(self, el: Element) -> PlanCalendar:
        uid = self.integer(el, "UID", where=_("日历"), low=-1, high=2**31) or 0
        cal = PlanCalendar(uid=uid, name=(_text(el, "Name") or "")[:MAX_NAME])
        where = _("日历“%(name)s”") % {"name": cal.name}
        weekdays = _child(el, "WeekDays")
        working = set(cal.working_weekdays)
        for wd in _children(weekdays, "WeekDay") if weekdays is not None else []:
            day_type = self.integer(wd, "DayType", where=where, low=0, high=7)
            is_working = bool(self.flag(wd, "DayWorking"))
            if day_type == 0:
                period = _child(wd, "TimePeriod")
                if period is not None:
                    cal.exceptions.append(self.period(period, is_working, "", where=where))
            elif day_type is not None:
                iso = _DAY_TYPES[day_type]
                if is_working:
                    working.add(iso)
                else:
                    working.discard(iso)
        cal.working_weekdays = frozenset(working)
        exceptions = _child(el, "Exceptions")
        for ex in _children(exceptions, "Exception") if exceptions is not None else []:
            period = _child(ex, "TimePeriod")
            if period is not None:
                cal.exceptions.append(
                    self.period(
                        period, bool(self.flag(ex, "DayWorking")),
                        (_text(ex, "Name") or "")[:MAX_NAME], where=where,
                    )
                )  # fmt: skip
        return cal

    def period(self, el: Element, working: bool, name: str, *, where: str) -> PlanException:
        start = self.when(el, "FromDate", where=where)
        finish = self.when(el, "ToDate", where=where)
        if start is None or finish is None or finish < start:
            raise MspdiError(_("%(where)s的例外日期不完整。") % {"where": where})
        if (finish - start).days > 3660:
            raise MspdiError(_("%(where)s的例外日期跨度太长。") % {"where": where})
        return PlanException(start.date(), finish.date(), working, name)

    def task(self, el: Element) -> PlanTask | None:
        raw_uid, raw_name = _text(el, "UID"), _text(el, "Name")
        where = self.where(raw_name, raw_uid)
        if self.flag(el, "IsNull"):
            return None  # a blank row of the task sheet
        uid = self.integer(el, "UID", where=where, low=0, high=2**31 - 1)
        if uid is None:
            raise MspdiError(_("%(where)s没有 UID。") % {"where": where})
        level = self.integer(el, "OutlineLevel", where=where, low=0, high=MAX_OUTLINE_LEVEL)
        if uid == 0 or level == 0:
            return None  # the project summary task: the plan itself
        name = (raw_name or "").strip()
        if not name:
            raise MspdiError(_("%(where)s没有名称。") % {"where": where})
        if len(name) > MAX_NAME:
            raise MspdiError(
                _("%(where)s的名称超过 %(max)s 个字符。") % {"where": where, "max": MAX_NAME}
            )
        task = PlanTask(
            uid=uid,
            name=name,
            outline_level=level or 1,
            outline_number=(_text(el, "OutlineNumber") or "")[:60],
            duration_minutes=self.duration(el, "Duration", where=where) or 0,
            work_minutes=self.duration(el, "Work", where=where),
            start=self.when(el, "Start", where=where),
            finish=self.when(el, "Finish", where=where),
            milestone=bool(self.flag(el, "Milestone")),
            summary=bool(self.flag(el, "Summary")),
            percent_complete=self.integer(el, "PercentComplete", where=where, low=0, high=100) or 0,
            notes=(_text(el, "Notes") or "")[:MAX_NOTES],
            early_start=self.when(el, "EarlyStart", where=where),
            early_finish=self.when(el, "EarlyFinish", where=where),
            late_start=self.when(el, "LateStart", where=where),
            late_finish=self.when(el, "LateFinish", where=where),
            critical=self.flag(el, "Critical"),
        )
        constraint = self.integer(el, "ConstraintType", where=where, low=0, high=7)
        if constraint in SNET_CONSTRAINTS:
            task.start_no_earlier = self.when(el, "ConstraintDate", where=where)
        if task.duration_minutes < 0:
            raise MspdiError(_("%(where)s的工期是负数。") % {"where": where})
        for slack in ("TotalSlack", "FreeSlack"):
            tenths = self.integer(
                el, slack, where=where, low=-MAX_MINUTES * 10, high=MAX_MINUTES * 10
            )
            minutes = None if tenths is None else round(tenths / 10)
            if slack == "TotalSlack":
                task.total_slack_minutes = minutes
            else:
                task.free_slack_minutes = minutes
        for link_el in _children(el, "PredecessorLink"):
            task.links.append(self.link(link_el, where=where))
        return task

    def link(self, el: Element, *, where: str) -> PlanLink:
        pred = self.integer(el, "PredecessorUID", where=where, low=0, high=2**31 - 1)
        if pred is None:
            raise MspdiError(_("%(where)s的前置任务链接没有 PredecessorUID。") % {"where": where})
        code = self.integer(el, "Type", where=where, low=0, high=3)
        lag_format = self.integer(el, "LagFormat", where=where, low=0, high=64)
        tenths = self.integer(el, "LinkLag", where=where, low=-MAX_MINUTES * 10,
                              high=MAX_MINUTES * 10) or 0  # fmt: skip
        if lag_format in PERCENT_LAG_FORMATS and tenths:
            raise MspdiError(
                _("%(where)s的链接延隔是百分比，不支持；请改为天数或小时。") % {"where": where}
            )
        return PlanLink(
            predecessor_uid=pred,
            type=LINK_TYPES[1 if code is None else code],
            lag_minutes=round(tenths / 10),
            lag_format=lag_format if lag_format is not None else LAG_FORMAT_DAYS,
        )

    def check(self, plan: Plan, tasks: dict[int, PlanTask]) -> None:
        links = plan.link_count
        if links > MAX_LINKS:
            raise MspdiError(
                _("计划的链接太多：%(n)s 条（最多 %(max)s 条）。") % {"n": links, "max": MAX_LINKS}
            )
        previous = 0
        for task in plan.tasks:
            if task.outline_level > previous + 1:
                raise MspdiError(
                    _("%(where)s的大纲级别 %(level)s 跳过了上一级。")
                    % {"where": self.where(task.name, str(task.uid)), "level": task.outline_level}
                )
            previous = task.outline_level
            for link in task.links:
                if link.predecessor_uid not in tasks:
                    raise MspdiError(
                        _("%(where)s的前置任务 UID %(pred)s 不存在。")
                        % {"where": self.where(task.name, str(task.uid)),
                           "pred": link.predecessor_uid}
                    )  # fmt: skip
                if link.predecessor_uid == task.uid:
                    raise MspdiError(
                        _("%(where)s以自己为前置任务。")
                        % {"where": self.where(task.name, str(task.uid))}
                    )
        parents = plan.parent_uids()
        has_children = {p for p in parents.values() if p is not None}
        for task in plan.tasks:
            task.summary = task.uid in has_children
            if not task.outline_number:
                task.outline_number = ""
        _number(plan, parents)
        cycle = find_cycle(plan)
        if cycle:
            names = " → ".join(tasks[uid].name for uid in cycle)
            raise MspdiError(_("任务之间存在循环依赖：%(cycle)s") % {"cycle": names})


def _number(plan: Plan, parents: dict[int, int | None]) -> None:
    """Outline numbers from the hierarchy (a file's own are often missing or stale)."""
    counters: dict[int | None, int] = {}
    numbers: dict[int, str] = {}
    for task in plan.tasks:
        parent = parents[task.uid]
        counters[parent] = counters.get(parent, 0) + 1
        prefix = numbers[parent] + "." if parent is not None else ""
        numbers[task.uid] = f"{prefix}{counters[parent]}"
        task.outline_number = numbers[task.uid]


def find_cycle(plan: Plan) -> list[int]:
    """The UIDs of one cycle of predecessor links, its first task repeated at the end
    (``[a, b, c, a]``); ``[]`` when the links form no cycle. Iterative, so a long chain
    does not hit Python's recursion limit."""
    successors: dict[int, list[int]] = {t.uid: [] for t in plan.tasks}
    for task in plan.tasks:
        for link in task.links:
            successors.setdefault(link.predecessor_uid, []).append(task.uid)
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(successors, white)
    for root in successors:
        if colour[root] != white:
            continue
        path: list[int] = [root]
        iters = [iter(successors[root])]
        colour[root] = grey
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                colour[path.pop()] = black
                iters.pop()
                continue
            if colour.get(nxt, white) == grey:
                return [*path[path.index(nxt) :], nxt]
            if colour.get(nxt, white) == white:
                colour[nxt] = grey
                path.append(nxt)
                iters.append(iter(successors.get(nxt, [])))
    return []


def parse(data: bytes) -> Plan:
    """The plan in an MSPDI file; :class:`MspdiError` naming what is wrong otherwise."""
    if len(data) > MAX_BYTES:
        raise MspdiError(
            _("文件太大：%(size)s MB（最多 %(max)s MB）。")
            % {"size": round(len(data) / 1024 / 1024, 1), "max": MAX_BYTES // 1024 // 1024}
        )
    if not data.strip():
        raise MspdiError(_("文件是空的。"))
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True)  # fmt: skip
    except DefusedXmlException:
        raise MspdiError(
            _("文件含有 DTD、实体定义或外部引用，出于安全考虑拒绝导入（如“十亿笑声”攻击）。")
        ) from None
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise MspdiError(
            _("不是有效的 XML（第 %(line)s 行第 %(column)s 列）。")
            % {"line": line, "column": column}
        ) from None
    if _local(root.tag) != "Project":
        raise MspdiError(_("不是 MS Project XML（MSPDI）文件：根元素应为 Project。"))
    return _Reader(root).plan()


# --- writing ----------------------------------------------------------------------------


def _when(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.replace(tzinfo=None, microsecond=0).isoformat()


def _sub(parent: Element, name: str, value: object) -> None:
    if value is None:
        return
    el = ET.SubElement(parent, name)
    if isinstance(value, bool):
        el.text = "1" if value else "0"
    else:
        el.text = str(value)


def _write_calendar(parent: Element, cal: PlanCalendar) -> None:
    el = ET.SubElement(parent, "Calendar")
    _sub(el, "UID", cal.uid)
    _sub(el, "Name", cal.name)
    _sub(el, "IsBaseCalendar", True)
    _sub(el, "BaseCalendarUID", -1)
    days = ET.SubElement(el, "WeekDays")
    for day_type in range(1, 8):
        wd = ET.SubElement(days, "WeekDay")
        _sub(wd, "DayType", day_type)
        working = _DAY_TYPES[day_type] in cal.working_weekdays
        _sub(wd, "DayWorking", working)
        if working:
            times = ET.SubElement(wd, "WorkingTimes")
            for start, finish in (("08:00:00", "12:00:00"), ("13:00:00", "17:00:00")):
                wt = ET.SubElement(times, "WorkingTime")
                _sub(wt, "FromTime", start)
                _sub(wt, "ToTime", finish)
    if cal.exceptions:
        exceptions = ET.SubElement(el, "Exceptions")
        for ex in cal.exceptions:
            x = ET.SubElement(exceptions, "Exception")
            _sub(x, "EnteredByOccurrences", False)
            period = ET.SubElement(x, "TimePeriod")
            _sub(period, "FromDate", f"{ex.start.isoformat()}T00:00:00")
            _sub(period, "ToDate", f"{ex.finish.isoformat()}T23:59:00")
            _sub(x, "Occurrences", 1)
            _sub(x, "Name", ex.name)
            _sub(x, "Type", 1)
            _sub(x, "DayWorking", ex.working)
            if ex.working:
                times = ET.SubElement(x, "WorkingTimes")
                for start, finish in (("08:00:00", "12:00:00"), ("13:00:00", "17:00:00")):
                    wt = ET.SubElement(times, "WorkingTime")
                    _sub(wt, "FromTime", start)
                    _sub(wt, "ToTime", finish)


def _write_task(parent: Element, task: PlanTask, task_id: int) -> None:
    el = ET.SubElement(parent, "Task")
    _sub(el, "UID", task.uid)
    _sub(el, "ID", task_id)
    _sub(el, "Name", task.name)
    _sub(el, "Type", 0)
    _sub(el, "IsNull", False)
    _sub(el, "WBS", task.outline_number)
    _sub(el, "OutlineNumber", task.outline_number)
    _sub(el, "OutlineLevel", task.outline_level)
    _sub(el, "Start", _when(task.start))
    _sub(el, "Finish", _when(task.finish))
    _sub(el, "Duration", format_duration(task.duration_minutes))
    _sub(el, "DurationFormat", DURATION_FORMAT_DAYS)
    if task.work_minutes is not None:
        _sub(el, "Work", format_duration(task.work_minutes))
    _sub(el, "Milestone", task.milestone)
    _sub(el, "Summary", task.summary)
    _sub(el, "Critical", task.critical)
    _sub(el, "PercentComplete", task.percent_complete)
    _sub(el, "EarlyStart", _when(task.early_start))
    _sub(el, "EarlyFinish", _when(task.early_finish))
    _sub(el, "LateStart", _when(task.late_start))
    _sub(el, "LateFinish", _when(task.late_finish))
    if task.free_slack_minutes is not None:
        _sub(el, "FreeSlack", task.free_slack_minutes * 10)
    if task.total_slack_minutes is not None:
        _sub(el, "TotalSlack", task.total_slack_minutes * 10)
    if task.start_no_earlier is not None:
        _sub(el, "ConstraintType", 4)
        _sub(el, "ConstraintDate", _when(task.start_no_earlier))
    else:
        _sub(el, "ConstraintType", 0)
    if task.notes:
        _sub(el, "Notes", task.notes)
    for link in task.links:
        ln = ET.SubElement(el, "PredecessorLink")
        _sub(ln, "PredecessorUID", link.predecessor_uid)
        _sub(ln, "Type", _LINK_CODES[link.type])
        _sub(ln, "CrossProject", False)
        _sub(ln, "LinkLag", link.lag_minutes * 10)
        _sub(ln, "LagFormat", link.lag_format)


def render(plan: Plan) -> bytes:
    """The plan as an MSPDI file (UTF-8), laid out the way MS Project saves one: the
    project's properties, its calendars, the project summary task (UID 0), the tasks."""
    ET.register_namespace("", NS)
    root = ET.Element("Project", {"xmlns": NS})
    _sub(root, "SaveVersion", 14)
    _sub(root, "Name", f"{plan.name}.xml")
    _sub(root, "Title", plan.name)
    _sub(root, "ScheduleFromStart", True)
    _sub(root, "StartDate", _when(plan.start))
    _sub(root, "FinishDate", _when(plan.finish))
    _sub(root, "FYStartDate", 1)
    _sub(root, "CalendarUID", plan.calendar_uid if plan.calendar_uid is not None else 1)
    _sub(root, "DefaultStartTime", "08:00:00")
    _sub(root, "DefaultFinishTime", "17:00:00")
    _sub(root, "MinutesPerDay", plan.minutes_per_day)
    _sub(root, "MinutesPerWeek", plan.minutes_per_day * 5)
    _sub(root, "DaysPerMonth", 20)
    _sub(root, "DurationFormat", DURATION_FORMAT_DAYS)
    _sub(root, "WorkFormat", 2)
    calendars = ET.SubElement(root, "Calendars")
    for cal in plan.calendars:
        _write_calendar(calendars, cal)
    tasks = ET.SubElement(root, "Tasks")
    summary = PlanTask(uid=0, name=plan.name, outline_level=0, outline_number="0",
                       start=plan.start, finish=plan.finish, summary=True)  # fmt: skip
    if plan.start and plan.finish:
        summary.duration_minutes = 0
    _write_task(tasks, summary, 0)
    for i, task in enumerate(plan.tasks, start=1):
        _write_task(tasks, task, i)
    people = sorted({t.resource for t in plan.tasks if t.resource})
    resource_uids = {name: i for i, name in enumerate(people, start=1)}
    resources = ET.SubElement(root, "Resources")
    for name, uid in resource_uids.items():
        res = ET.SubElement(resources, "Resource")
        _sub(res, "UID", uid)
        _sub(res, "ID", uid)
        _sub(res, "Name", name)
        _sub(res, "Type", 1)
        _sub(res, "IsNull", False)
        _sub(res, "MaxUnits", "1.00")
    assignments = ET.SubElement(root, "Assignments")
    for i, task in enumerate((t for t in plan.tasks if t.resource), start=1):
        asg = ET.SubElement(assignments, "Assignment")
        _sub(asg, "UID", i)
        _sub(asg, "TaskUID", task.uid)
        _sub(asg, "ResourceUID", resource_uids[task.resource])
        _sub(asg, "Units", 1)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body
