"""What the projects app lets users import and export (``guanxi.imports.registry``): a
whole project plan as MS Project XML (``project-plan``, a document kind: the command line
``guanxi import project-plan FILE.xml --customer NAME`` and ``guanxi export project-plan
PROJECT_ID FILE.xml``) and tasks from CSV/XLSX rows into existing projects (``tasks``, an
import kind of the engine: mapping, preview, error report and undo like every other)."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any, Final

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.accounts import permissions
from guanxi.core import audit
from guanxi.core.audit import current_source
from guanxi.core.db.copy import fast_table
from guanxi.core.limits import MAX_ID
from guanxi.core.models import AuditSource
from guanxi.core.text.cleaning import to_halfwidth
from guanxi.imports import registry
from guanxi.imports.context import CREATE_ACTION, UPDATE_ACTION, ChunkResult
from guanxi.imports.fields import BOOL, DATE, TEXT, USER, FieldSpec, KindSpec
from guanxi.imports.models import OnDuplicate
from guanxi.imports.rows import CleanRow
from guanxi.imports.writers import Writer, audit_fields, create_changes, write_audit
from guanxi.projects import cpm, interchange, mspdi, selectors
from guanxi.projects.models import (
    MAX_DURATION_DAYS,
    MAX_ESTIMATE_HOURS,
    MAX_LAG_DAYS,
    MAX_OUTLINE_DEPTH,
    Project,
    ProjectMember,
    Task,
    TaskLink,
    TaskStatus,
)
from guanxi.projects.services import plan


def _summary(result: interchange.PlanImport) -> str:
    return f"project={result.project.pk} tasks={result.tasks} links={result.links}"


def import_plan_file(actor: Any, path: str, options: Mapping[str, Any]) -> str:
    """``guanxi import project-plan FILE.xml --customer NAME``."""
    if os.path.getsize(path) > mspdi.MAX_BYTES:
        raise mspdi.MspdiError(
            _("文件太大（最多 %(max)s MB）。") % {"max": mspdi.MAX_BYTES // 1024 // 1024}
        )
    with open(path, "rb") as fh:
        data = fh.read()
    customer = interchange.customer_by_name(actor=actor, name=options.get("customer") or "")
    token = current_source.set(AuditSource.IMPORT)
    try:
        result = interchange.plan_import(
            actor=actor, data=data, customer_id=customer.pk, name=options.get("name") or ""
        )
    finally:
        current_source.reset(token)
    return _summary(result)


def export_plan_file(actor: Any, project_id: str, path: str) -> str:
    """``guanxi export project-plan PROJECT_ID FILE.xml``."""
    project, data = interchange.plan_export(actor=actor, project_id=project_id)
    with open(path, "wb") as fh:
        fh.write(data)
    tasks = project.tasks.count()
    links = TaskLink.objects.filter(project=project).count()
    return f"project={project.pk} tasks={tasks} links={links}"


PLAN: Final = registry.DocumentKind(
    key="project-plan",
    label=gettext_lazy("项目计划（MS Project XML）"),
    import_file=import_plan_file,
    export_file=export_plan_file,
    options=(
        ("--customer", "the customer's name (the new project's customer)"),
        ("--name", "the project's name (default: the file's title)"),
    ),
)

registry.register_document(PLAN)


# --- tasks from CSV/XLSX rows ----------------------------------------------------------
#
# Each row is a task of the project it names (code, name or id, within the importer's
# scope). The hierarchy comes from an outline number ("1.2.3", its parent an earlier row)
# or a parent task's name; predecessors are MS Project's ("3FS+2;5SS"): the number is the
# row's 序号 column when the file has one, else its place among the file's task lines
# (the first task line is 1) — a task sheet saved from MS Project has both alike. A
# predecessor may come later in the file. After each chunk the projects it touched are
# scheduled (``plan.project_recompute``); a predecessor that would close a cycle fails its
# row, naming the cycle.
#
# Duplicates: a task with the same project, parent and name is the same task (updated,
# skipped or created again by the run's mode). Predecessor and outline references reach
# the rows of the run's earlier chunks only while the run is not resumed.

TASK_LABEL: Final = "projects.task"
LINK_LABEL: Final = "projects.tasklink"
TASK_UPDATE_FIELDS: Final = ("duration_days", "milestone", "estimate_hours", "assignee_id",
                             "start_no_earlier", "progress", "notes")  # fmt: skip
_LINK_WORDS: Final = {"fs": "FS", "ss": "SS", "ff": "FF", "sf": "SF", "完成-开始": "FS",
                      "开始-开始": "SS", "完成-完成": "FF", "开始-完成": "SF"}  # fmt: skip
_PREDECESSOR_RE: Final = re.compile(
    r"(?P<num>\d{1,7})\s*(?P<type>fs|ss|ff|sf|完成-开始|开始-开始|完成-完成|开始-完成)?\s*"
    r"(?:(?P<sign>[+-])\s*(?P<lag>\d{1,4})\s*(?:d|days?|个?工作日|天|日)?)?",
    re.IGNORECASE,
)
_PREDECESSOR_SPLIT_RE: Final = re.compile(r"[,;，；、]+")
_DURATION_RE: Final = re.compile(
    r"(?P<n>\d{1,5}(?:\.\d{1,3})?)\s*(?P<unit>d|days?|个?工作日|天|日|h|hrs?|hours?|小时)?\s*\??",
    re.IGNORECASE,
)
_HOURS_RE: Final = re.compile(r"(\d{1,5}(?:\.\d{1,2})?)\s*(?:h|hrs?|hours?|小时|工时)?", re.I)
_PERCENT_RE: Final = re.compile(r"(\d{1,3})(?:\.0+)?\s*[%％]?")
_OUTLINE_RE: Final = re.compile(rf"\d{{1,5}}(?:\.\d{{1,5}}){{0,{MAX_OUTLINE_DEPTH - 1}}}")
_PROJECT_ID_RE: Final = re.compile(r"#?(\d{1,12})")
HOURS_PER_DAY: Final = 8
FIRST_DAY: Final = dt.date(2000, 1, 1)
LAST_DAY: Final = dt.date(2100, 12, 31)

TASKS: Final = KindSpec(
    "tasks",
    gettext_lazy("项目任务"),
    (
        FieldSpec("project", gettext_lazy("项目"), TEXT, required=True, max_length=200,
                  aliases=("项目", "项目编号", "项目名称", "所属项目", "project",
                           "projectcode", "projectname")),
        FieldSpec("number", gettext_lazy("序号"), TEXT, max_length=10,
                  aliases=("序号", "标识号", "任务编号", "id", "no", "taskid")),
        FieldSpec("outline", gettext_lazy("大纲编号"), TEXT, max_length=60,
                  aliases=("大纲编号", "大纲数字", "wbs", "wbs编号", "outline", "outlinenumber")),
        FieldSpec("parent", gettext_lazy("上级任务"), TEXT, max_length=200,
                  aliases=("上级任务", "父任务", "摘要任务", "parent", "parenttask")),
        FieldSpec("name", gettext_lazy("任务名称"), TEXT, required=True, max_length=200,
                  aliases=("任务名称", "名称", "任务", "name", "taskname", "task")),
        FieldSpec("duration", gettext_lazy("工期"), TEXT, max_length=30,
                  aliases=("工期", "工期工作日", "duration", "days")),
        FieldSpec("start", gettext_lazy("开始日期"), DATE,
                  aliases=("开始日期", "开始时间", "开始", "计划开始", "start", "startdate")),
        FieldSpec("estimate", gettext_lazy("预计工时"), TEXT, max_length=30,
                  aliases=("预计工时", "工时", "工作量", "work", "estimate", "hours")),
        FieldSpec("assignee", gettext_lazy("负责人"), USER,
                  aliases=("负责人", "执行人", "资源名称", "资源", "assignee", "resource",
                           "resourcenames")),
        FieldSpec("predecessors", gettext_lazy("前置任务"), TEXT, max_length=500,
                  aliases=("前置任务", "前置", "紧前任务", "依赖", "predecessors",
                           "predecessor", "dependencies")),
        FieldSpec("milestone", gettext_lazy("里程碑"), BOOL, aliases=("里程碑", "milestone")),
        FieldSpec("progress", gettext_lazy("完成百分比"), TEXT, max_length=10,
                  aliases=("完成百分比", "进度", "完成率", "complete", "percentcomplete",
                           "progress")),
        FieldSpec("notes", gettext_lazy("备注"), TEXT, max_length=4000,
                  aliases=("备注", "说明", "notes", "note")),
    ),
)  # fmt: skip


def may_import_tasks(actor: Any) -> bool:
    """Whoever may create projects; each row also needs a project the actor may plan."""
    return permissions.can_create_project(actor)


@dataclass
class _PlannedTask:
    """An accepted row, before the chunk is written."""

    row: CleanRow
    project_id: int
    task_id: int
    number: int
    created: bool  # else an existing task the row updates (or skips)
    values: dict[str, Any]
    parent_row: _PlannedTask | None = None  # a parent made by this chunk
    links: list[tuple[int, str, int]] = field(default_factory=list)  # (number, type, lag)
    resolved: list[tuple[int, str, int]] = field(default_factory=list)  # (task id, …)


def _duration(text: str) -> int | None:
    m = _DURATION_RE.fullmatch(text.strip())
    if m is None:
        return None
    days = Decimal(m["n"])
    if (m["unit"] or "").lower()[:1] in ("h", "小"):
        days /= HOURS_PER_DAY
    whole = int(days.to_integral_value(rounding=ROUND_CEILING))
    return whole if whole <= MAX_DURATION_DAYS else None


def _estimate(text: str) -> Decimal | None:
    m = _HOURS_RE.fullmatch(text.strip())
    if m is None:
        return None
    hours = Decimal(m[1])
    return hours if hours <= MAX_ESTIMATE_HOURS else None


def _progress(text: str) -> int | None:
    m = _PERCENT_RE.fullmatch(text.strip())
    return int(m[1]) if m is not None and int(m[1]) <= 100 else None


def _predecessors(text: str) -> list[tuple[int, str, int]] | None:
    out = []
    for part in _PREDECESSOR_SPLIT_RE.split(text):
        part = to_halfwidth(part).strip()
        if not part:
            continue
        m = _PREDECESSOR_RE.fullmatch(part)
        if m is None:
            return None
        lag = int(m["lag"] or 0) * (-1 if m["sign"] == "-" else 1)
        if abs(lag) > MAX_LAG_DAYS:
            return None
        out.append((int(m["num"]), _LINK_WORDS[(m["type"] or "FS").lower()], lag))
    return out


class TaskWriter(Writer):
    def __init__(self, ctx: Any, cleaner: Any) -> None:
        super().__init__(ctx, cleaner)
        # What earlier chunks made, for the rows after them: (project, number) → task id,
        # (project, outline) → task id; and the project a cell names (id or error code).
        self.numbers: dict[tuple[int, int], int] = {}
        self.outlines: dict[tuple[int, str], int] = {}
        self.project_cells: dict[str, int | str] = {}

    # --- the projects rows name

    def _project_of(self, cell: str) -> int | str:
        if cell in self.project_cells:
            return self.project_cells[cell]
        qs = Project.objects.all()
        if self.ctx.is_user:
            qs = selectors.scope(self.ctx.actor, qs)
        hits: list[int] = []
        for lookup in ("code", "name"):
            hits = list(qs.filter(**{lookup: cell}).values_list("pk", flat=True)[:2])
            if hits:
                break
        m = _PROJECT_ID_RE.fullmatch(cell)
        if not hits and m is not None and int(m[1]) <= MAX_ID:
            hits = list(qs.filter(pk=int(m[1])).values_list("pk", flat=True))
        answer: int | str = (
            hits[0] if len(hits) == 1 else "task_project_ambiguous" if hits else
            "task_project_not_found"
        )  # fmt: skip
        self.project_cells[cell] = answer
        return answer

    def _lock(self, ids: set[int]) -> dict[int, Project]:
        """The projects, locked (every plan write locks its project first), that the actor
        may plan."""
        locked = Project.objects.select_for_update(of=("self",)).select_related("customer")
        projects = {p.pk: p for p in locked.filter(pk__in=ids).order_by("pk")}
        if self.ctx.is_user:
            projects = {
                pk: p for pk, p in projects.items() if selectors.can_change(self.ctx.actor, p)
            }
        return projects

    # --- the chunk

    def write(self, rows: list[CleanRow]) -> ChunkResult:
        result = ChunkResult()
        wanted: dict[int, int] = {}
        for r in rows:
            answer = self._project_of(r.values["project"])
            if isinstance(answer, str):
                result.fail(r, self.col("project"), r.values["project"], answer)
            else:
                wanted[r.row] = answer
        rows = [r for r in rows if r.row in wanted]
        projects = self._lock(set(wanted.values()))
        for r in [r for r in rows if wanted[r.row] not in projects]:
            result.fail(r, self.col("project"), r.values["project"], "task_project_readonly")
        rows = [r for r in rows if wanted[r.row] in projects]
        if not rows:
            return result
        state = _ChunkState.load(set(projects.values()))
        ids = iter(fast_table(Task).allocate_ids(len(rows)))
        planned: list[_PlannedTask] = []
        for r in rows:
            task = self._plan_row(r, projects[wanted[r.row]], state, ids, result)
            if task is not None:
                planned.append(task)
        planned = self._resolve(planned, state, result)
        self._save(planned, projects, state, result)
        return result

    def _plan_row(
        self,
        r: CleanRow,
        project: Project,
        state: _ChunkState,
        ids: Iterator[int],
        result: ChunkResult,
    ) -> _PlannedTask | None:
        v, pid = r.values, project.pk
        number = r.row - 1
        if v.get("number"):
            if not v["number"].isdigit():
                result.fail(r, self.col("number"), v["number"], "task_number_invalid")
                return None
            number = int(v["number"])
        parent_id: int | None = None
        parent_row: _PlannedTask | None = None
        outline = v.get("outline", "")
        if outline:
            outline = to_halfwidth(outline).strip().rstrip(".")
            if _OUTLINE_RE.fullmatch(outline) is None:
                result.fail(r, self.col("outline"), v["outline"], "task_outline_invalid")
                return None
            if "." in outline:
                up = outline.rsplit(".", 1)[0]
                parent_row = state.outline_rows.get((pid, up))
                parent_id = parent_row.task_id if parent_row else self.outlines.get((pid, up))
                if parent_id is None:
                    result.fail(r, self.col("outline"), outline, "task_outline_parent")
                    return None
        elif v.get("parent"):
            parent_row = state.name_rows.get((pid, v["parent"]))
            parent_id = parent_row.task_id if parent_row else state.unique_name(pid, v["parent"])
            if parent_id is None:
                result.fail(r, self.col("parent"), v["parent"], "task_parent_not_found")
                return None
        if state.depth(parent_id, parent_row) >= MAX_OUTLINE_DEPTH:
            result.fail(r, self.col("outline") if outline else self.col("parent"),
                        outline or v["parent"], "task_too_deep", max=MAX_OUTLINE_DEPTH)  # fmt: skip
            return None
        values: dict[str, Any] = {"name": v["name"]}
        checks = (("duration", _duration, "duration_days", "task_duration_invalid"),
                  ("estimate", _estimate, "estimate_hours", "task_estimate_invalid"),
                  ("progress", _progress, "progress", "task_progress_invalid"))  # fmt: skip
        for name, parse, attname, code in checks:
            if v.get(name):
                parsed = parse(v[name])
                if parsed is None:
                    result.fail(r, self.col(name), v[name], code)
                    return None
                values[attname] = parsed
        if "milestone" in v:
            values["milestone"] = bool(v["milestone"])
        if values.get("milestone"):
            values["duration_days"] = 0
        elif values.get("duration_days") == 0:
            values["milestone"] = True
        if v.get("start"):
            if not FIRST_DAY <= v["start"] <= LAST_DAY:
                result.fail(r, self.col("start"), v["start"].isoformat(), "task_start_range")
                return None
            values["start_no_earlier"] = v["start"] if v["start"] > project.start_date else None
        if v.get("assignee"):
            if v["assignee"] not in state.assignable[pid]:
                result.fail(r, self.col("assignee"), v["assignee"], "task_assignee_not_member")
                return None
            values["assignee_id"] = v["assignee"]
        if v.get("notes"):
            values["notes"] = v["notes"]
        links: list[tuple[int, str, int]] = []
        if v.get("predecessors"):
            parsed_links = _predecessors(v["predecessors"])
            if parsed_links is None:
                result.fail(r, self.col("predecessors"), v["predecessors"],
                            "task_predecessor_invalid")  # fmt: skip
                return None
            links = parsed_links
        existing = None
        if self.ctx.on_duplicate != OnDuplicate.CREATE:
            existing = state.known.get((pid, parent_id, v["name"]))
        planned = _PlannedTask(
            row=r,
            project_id=pid,
            task_id=existing if existing is not None else next(ids),
            number=number,
            created=existing is None,
            values=values,
            parent_row=parent_row,
            links=links,
        )
        values["parent_id"] = parent_id
        state.add(planned, outline)
        return planned

    def _resolve(
        self, planned: list[_PlannedTask], state: _ChunkState, result: ChunkResult
    ) -> list[_PlannedTask]:
        """Predecessor numbers to task ids; a row whose predecessor, parent or link is
        missing (or failed), or whose link closes a cycle, fails — and so, in turn, do
        the rows that lean on it."""
        skip = self.ctx.on_duplicate == OnDuplicate.SKIP
        while True:
            alive = {p.task_id for p in planned}
            failed: list[tuple[_PlannedTask, str, str, dict[str, Any]]] = []
            for p in planned:
                if p.parent_row is not None and p.parent_row.task_id not in alive:
                    failed.append((p, "outline" if p.row.values.get("outline") else "parent",
                                   p.row.values.get("outline") or p.row.values.get("parent", ""),
                                   {"code": "task_parent_failed"}))  # fmt: skip
                    continue
                p.resolved = []
                for number, kind, lag in p.links if not (skip and not p.created) else ():
                    target = state.numbers.get((p.project_id, number))
                    if target is not None:  # a row of this chunk: if it is still in
                        target_id = target.task_id if target.task_id in alive else None
                    else:  # a row of an earlier chunk
                        target_id = self.numbers.get((p.project_id, number))
                    if target_id is None:
                        failed.append((p, "predecessors", p.row.values["predecessors"],
                                       {"code": "task_predecessor_not_found",
                                        "number": number}))  # fmt: skip
                        break
                    if target_id == p.task_id:
                        failed.append((p, "predecessors", p.row.values["predecessors"],
                                       {"code": "task_predecessor_self"}))  # fmt: skip
                        break
                    p.resolved.append((target_id, kind, lag))
            if not failed:
                cycle = self._cycle(planned, state)
                if cycle is None:
                    return planned
                failed = [cycle]
            for p, column, cell, params in failed:
                code = params.pop("code")
                result.fail(p.row, self.col(column), cell, code, **params)
            dropped = {id(f[0]) for f in failed}
            planned = [p for p in planned if id(p) not in dropped]

    def _cycle(
        self, planned: list[_PlannedTask], state: _ChunkState
    ) -> tuple[_PlannedTask, str, str, dict[str, Any]] | None:
        """The last row of the chunk whose links close a cycle, if one does (the whole
        plan of each project scheduled as it would be, as ``cpm`` refuses it)."""
        for project_id in sorted({p.project_id for p in planned}):
            mine = [p for p in planned if p.project_id == project_id]
            tasks, links = state.plan(project_id, mine)
            try:
                cpm.schedule(tasks, links, start=state.projects[project_id].start_date)
            except cpm.CycleError as exc:
                in_cycle = set(exc.tasks)
                blamed = [p for p in mine if p.task_id in in_cycle and p.resolved] or [
                    p for p in mine if p.task_id in in_cycle
                ] or mine  # fmt: skip
                p = blamed[-1]
                cycle = {"code": "task_predecessor_cycle", "cycle": " → ".join(exc.names)}
                if p.resolved:
                    return p, "predecessors", p.row.values["predecessors"], cycle
                return p, "name", p.row.values["name"], cycle
        return None

    def _save(
        self,
        planned: list[_PlannedTask],
        projects: dict[int, Project],
        state: _ChunkState,
        result: ChunkResult,
    ) -> None:
        ctx = self.ctx
        creates: list[dict[str, Any]] = []
        create_ids: list[int] = []
        befores: dict[int, dict[str, Any]] = {}
        objects: dict[int, Task] = {}
        link_rows: list[dict[str, Any]] = []
        mode = ctx.on_duplicate
        for p in planned:
            key = (p.project_id, p.number)
            self.numbers[key] = p.task_id
            outline = p.row.values.get("outline")
            if outline:
                self.outlines[(p.project_id, to_halfwidth(outline).strip().rstrip("."))] = p.task_id
            if p.created:
                parent = p.values["parent_id"]
                creates.append({
                    "project_id": p.project_id,
                    "position": state.next_position(p.project_id, parent),
                    "board_position": state.next_board(p.project_id),
                    "status": TaskStatus.TODO,
                    **p.values,
                })  # fmt: skip
                create_ids.append(p.task_id)
                result.mark(p.row, "create")
            elif mode == OnDuplicate.SKIP:
                result.mark(p.row, "skip")
                continue
            else:
                if p.task_id not in objects:
                    objects[p.task_id] = Task.objects.get(pk=p.task_id)
                    befores[p.task_id] = audit.snapshot(objects[p.task_id])
                task = objects[p.task_id]
                changed = False
                for name in TASK_UPDATE_FIELDS:
                    if name in p.values and getattr(task, name) != p.values[name]:
                        setattr(task, name, p.values[name])
                        changed = True
                if task.milestone and task.duration_days:
                    task.milestone = False
                new_links = [x for x in p.resolved if (x[0], p.task_id) not in state.links]
                result.mark(p.row, "update" if changed or new_links else "unchanged")
            for pred, kind, lag in p.resolved:
                if (pred, p.task_id) in state.links:
                    continue
                state.links.add((pred, p.task_id))
                link_rows.append(
                    {"project_id": p.project_id, "predecessor_id": pred,
                     "successor_id": p.task_id, "type": kind, "lag_days": lag}
                )  # fmt: skip
        if creates:
            fast_table(Task).insert(creates, ids=create_ids)
            result.add_created(TASK_LABEL, create_ids)
        link_ids = fast_table(TaskLink).insert(link_rows) if link_rows else []
        if link_ids:
            result.add_created(LINK_LABEL, link_ids)
        self._audit(creates, create_ids, link_rows, link_ids, projects)
        self._save_updates(objects, befores, projects, result)
        for project_id in sorted({p.project_id for p in planned}):
            plan.project_recompute(actor=ctx.actor, project=projects[project_id])

    def _audit(
        self,
        creates: list[dict[str, Any]],
        create_ids: list[int],
        link_rows: list[dict[str, Any]],
        link_ids: list[int],
        projects: dict[int, Project],
    ) -> None:
        ctx = self.ctx
        audits = []
        for label, model, rows, ids in ((TASK_LABEL, Task, creates, create_ids),
                                        (LINK_LABEL, TaskLink, link_rows, link_ids)):  # fmt: skip
            names = audit_fields(model)
            for pk, row in zip(ids, rows, strict=True):
                audits.append(
                    ctx.audit_row(
                        action=CREATE_ACTION, model=label, object_id=pk,
                        object_repr=str(row.get("name") or f"{row.get('predecessor_id')} "
                                        f"{row.get('type')} {row.get('successor_id')}"),
                        customer_id=projects[row["project_id"]].customer_id,
                        changes=create_changes(row, names),
                    )
                )  # fmt: skip
        write_audit(audits)

    def _save_updates(
        self,
        objects: dict[int, Task],
        befores: dict[int, dict[str, Any]],
        projects: dict[int, Project],
        result: ChunkResult,
    ) -> None:
        ctx = self.ctx
        dirty: list[Task] = []
        audits = []
        for pk, before in befores.items():
            task = objects[pk]
            changes = audit.diff(before, audit.snapshot(task, before.keys()))
            if not changes:
                continue
            task.version += 1
            task.updated_at = ctx.now
            dirty.append(task)
            result.updated.append([TASK_LABEL, pk, {k: c[0] for k, c in changes.items()},
                                   {k: c[1] for k, c in changes.items()}])  # fmt: skip
            audits.append(
                ctx.audit_row(
                    action=UPDATE_ACTION, model=TASK_LABEL, object_id=pk,
                    object_repr=str(task), changes=changes,
                    customer_id=projects[task.project_id].customer_id,
                )
            )  # fmt: skip
        if dirty:
            Task.objects.bulk_update(
                dirty, [*TASK_UPDATE_FIELDS, "version", "updated_at"], batch_size=500
            )
        write_audit(audits)


class _ChunkState:
    """The chunk's projects as they stand (their tasks, links and who may be assigned),
    and the rows the chunk has planned so far."""

    def __init__(self, projects: set[Project]) -> None:
        self.projects = {p.pk: p for p in projects}
        ids = list(self.projects)
        self.tasks: dict[int, tuple[int, int | None, int, str, int]] = {}
        self.known: dict[tuple[int, int | None, str], int] = {}
        self.names: dict[tuple[int, str], list[int]] = {}
        self.positions: dict[tuple[int, int | None], int] = {}
        self.boards: dict[int, int] = {}
        for pk, project_id, parent_id, position, name, status, board in Task.objects.filter(
            project_id__in=ids
        ).values_list("id", "project_id", "parent_id", "position", "name", "status",
                      "board_position"):  # fmt: skip
            self.tasks[pk] = (project_id, parent_id, position, name, board)
            self.known.setdefault((project_id, parent_id, name), pk)
            self.names.setdefault((project_id, name), []).append(pk)
            slot = (project_id, parent_id)
            self.positions[slot] = max(self.positions.get(slot, 0), position)
            if status == TaskStatus.TODO:
                self.boards[project_id] = max(self.boards.get(project_id, 0), board)
        self.links: set[tuple[int, int]] = set(
            TaskLink.objects.filter(project_id__in=ids).values_list(
                "predecessor_id", "successor_id"
            )
        )
        self.assignable: dict[int, set[int]] = {pk: set() for pk in ids}
        for project_id, user_id in ProjectMember.objects.filter(
            project_id__in=ids, user__is_active=True
        ).values_list("project_id", "user_id"):
            self.assignable[project_id].add(user_id)
        for p in projects:
            if p.manager_id:
                self.assignable[p.pk].add(p.manager_id)
        self.numbers: dict[tuple[int, int], _PlannedTask] = {}
        self.outline_rows: dict[tuple[int, str], _PlannedTask] = {}
        self.name_rows: dict[tuple[int, str], _PlannedTask] = {}

    @classmethod
    def load(cls, projects: set[Project]) -> _ChunkState:
        return cls(projects)

    def unique_name(self, project_id: int, name: str) -> int | None:
        ids = self.names.get((project_id, name), [])
        return ids[0] if len(ids) == 1 else None

    def depth(self, parent_id: int | None, parent_row: _PlannedTask | None) -> int:
        """The outline level of a parent (0: none), through rows planned and tasks saved."""
        depth = 0
        while parent_row is not None:
            depth += 1
            parent_id = parent_row.values.get("parent_id")
            parent_row = parent_row.parent_row
        while parent_id is not None and depth <= MAX_OUTLINE_DEPTH:
            depth += 1
            parent_id = self.tasks[parent_id][1] if parent_id in self.tasks else None
        return depth

    def add(self, planned: _PlannedTask, outline: str) -> None:
        self.numbers[(planned.project_id, planned.number)] = planned
        if outline:
            self.outline_rows[(planned.project_id, outline)] = planned
        self.name_rows.setdefault((planned.project_id, planned.values["name"]), planned)

    def next_position(self, project_id: int, parent_id: int | None) -> int:
        slot = (project_id, parent_id)
        self.positions[slot] = self.positions.get(slot, 0) + 1
        return self.positions[slot]

    def next_board(self, project_id: int) -> int:
        self.boards[project_id] = self.boards.get(project_id, 0) + 1
        return self.boards[project_id]

    def plan(
        self, project_id: int, planned: list[_PlannedTask]
    ) -> tuple[list[cpm.CpmTask], list[cpm.CpmLink]]:
        """The project's plan with the planned rows in it, as ``cpm`` reads it."""
        parents = {pk: t[1] for pk, t in self.tasks.items() if t[0] == project_id}
        names = {pk: t[3] for pk, t in self.tasks.items() if t[0] == project_id}
        for p in planned:
            parents[p.task_id] = p.values.get("parent_id", parents.get(p.task_id))
            names[p.task_id] = p.values["name"]
        tasks = [
            cpm.CpmTask(id=pk, parent=parent, name=names[pk]) for pk, parent in parents.items()
        ]
        ids = set(parents)
        links = [cpm.CpmLink(a, b) for a, b in self.links if a in ids and b in ids]
        links += [cpm.CpmLink(a, p.task_id, kind, lag) for p in planned
                  for a, kind, lag in p.resolved]  # fmt: skip
        return tasks, links


TASK_MESSAGES: Final = {
    "task_project_not_found": gettext_lazy("找不到项目“%(value)s”（可填写项目编号、名称或 ID）。"),
    "task_project_ambiguous": gettext_lazy("有多个项目叫“%(value)s”，请填写项目编号或 ID。"),
    "task_project_readonly": gettext_lazy("你不能修改项目“%(value)s”的计划。"),
    "task_number_invalid": gettext_lazy("序号“%(value)s”必须是正整数。"),
    "task_outline_invalid": gettext_lazy("大纲编号“%(value)s”不对，请写成 1.2.3 这样的格式。"),
    "task_outline_parent": gettext_lazy("大纲编号“%(value)s”的上级任务不在前面的行中。"),
    "task_parent_not_found": gettext_lazy(
        "找不到上级任务“%(value)s”（须是该项目中唯一的任务名称）。"
    ),
    "task_parent_failed": gettext_lazy("上级任务“%(value)s”那一行没有导入。"),
    "task_too_deep": gettext_lazy("任务层级不能超过 %(max)s 级。"),
    "task_duration_invalid": gettext_lazy("工期“%(value)s”不对，请写工作日天数，例如 5 或 5d。"),
    "task_estimate_invalid": gettext_lazy("预计工时“%(value)s”不对，请写小时数，例如 16。"),
    "task_progress_invalid": gettext_lazy("完成百分比“%(value)s”必须在 0 到 100 之间。"),
    "task_start_range": gettext_lazy("开始日期 %(value)s 必须在 2000-01-01 到 2100-12-31 之间。"),
    "task_assignee_not_member": gettext_lazy("只能指派给项目经理或项目成员。"),
    "task_predecessor_invalid": gettext_lazy(
        "前置任务“%(value)s”不对，请写成 3FS+2;5SS 这样的格式（类型 FS/SS/FF/SF，延隔为工作日）。"
    ),
    "task_predecessor_not_found": gettext_lazy(
        "前置任务“%(value)s”中的 %(number)s 号任务不存在或没有导入。"
    ),
    "task_predecessor_self": gettext_lazy("任务不能依赖它自己。"),
    "task_predecessor_cycle": gettext_lazy("任务依赖形成循环：%(cycle)s"),
}


@contextmanager
def _undo_scope(
    created: Mapping[str, list[int]], updated: Sequence[list[Any]], actor: Any
) -> Iterator[None]:
    """Undo of a chunk removes tasks and links and restores durations: lock the projects
    they belong to first (every plan write does), and schedule those projects again once
    the chunk is undone, as the import did after writing it."""
    task_ids = {*created.get(TASK_LABEL, ()), *(row[1] for row in updated if row[0] == TASK_LABEL)}
    touched = Q(pk__in=Task.objects.filter(pk__in=task_ids).values("project_id")) | Q(
        pk__in=TaskLink.objects.filter(pk__in=created.get(LINK_LABEL, ())).values("project_id")
    )
    projects = list(Project.objects.select_for_update(of=("self",)).filter(touched).order_by("pk"))
    yield
    for project in projects:
        plan.project_recompute(actor=actor, project=project)


TASKS_KIND: Final = registry.ImportKind(
    key="tasks",
    label=gettext_lazy("项目任务"),
    spec=TASKS,
    writer=TaskWriter,
    models=(TaskLink, Task),
    may_import=may_import_tasks,
    undo=registry.ImportUndo(chunk_scope=_undo_scope),
    messages=TASK_MESSAGES,
    order=70,
)  # fmt: skip

registry.register_kind(TASKS_KIND)
