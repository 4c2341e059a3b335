"""Writes of change requests (需求变更, SPEC E6): raise (the team, or staff recording it in
the customer's name, or the customer through the portal), state the impact (scope, cost,
quality, and the schedule *computed* by the CPM on a copy of the plan with the proposed
task changes), submit to the internal approval flow, the customer's decision, and — on the
customer's approval — apply the task changes to the plan and take a new baseline.

Status flow (``TRANSITIONS``)::

    draft → impact_stated → in_review → awaiting_customer → approved → applied
                 ↑  ↺            │                      └→ rejected
                 └── review rejected
    draft / impact_stated → withdrawn

Who decides for the customer: a portal account the portal says is an approver of that
customer (``can_approve_for``), or the staff who answer for the project (its manager, the
roles whose write scope reaches it, the customer's account manager) recording the
decision *on behalf* of a named contact of the customer. Anyone else is refused (403).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from guanxi.accounts import permissions
from guanxi.core import audit
from guanxi.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.limits import MAX_ID
from guanxi.core.writes import check_version, reject_unknown
from guanxi.customers.timeline import TimelineText, timeline_add
from guanxi.notifications.services import notify
from guanxi.projects import cpm, selectors
from guanxi.projects.models import (
    MAX_COST_DELTA,
    MAX_DURATION_DAYS,
    MAX_LAG_DAYS,
    MAX_TASK_CHANGES,
    Baseline,
    ChangeOrigin,
    ChangeRequest,
    ChangeRequestTaskChange,
    ChangeStatus,
    LinkType,
    Project,
    Task,
    TaskChangeKind,
    TaskLink,
    TaskStatus,
)
from guanxi.projects.services import plan
from guanxi.projects.services.baselines import take_baseline

__all__ = [
    "DOCUMENT_TYPE",
    "NOTIFY_KIND",
    "TRANSITIONS",
    "ProposedChange",
    "ScheduleImpact",
    "can_approve_for",
    "change_request_apply",
    "change_request_create",
    "change_request_decide_on_behalf",
    "change_request_raise_by_customer",
    "change_request_state_impact",
    "change_request_submit",
    "change_request_update",
    "change_request_withdraw",
    "customer_decide",
    "on_review_approved",
    "on_review_rejected",
    "register_portal_hooks",
    "schedule_impact",
]

DOCUMENT_TYPE: Final = "change_request"
NOTIFY_KIND: Final = "project_change_request"
TIMELINE_KIND: Final = "project"

S = ChangeStatus
TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    S.DRAFT: frozenset({S.IMPACT_STATED, S.WITHDRAWN}),
    S.IMPACT_STATED: frozenset({S.IMPACT_STATED, S.IN_REVIEW, S.WITHDRAWN}),
    S.IN_REVIEW: frozenset({S.AWAITING_CUSTOMER, S.IMPACT_STATED}),
    S.AWAITING_CUSTOMER: frozenset({S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.APPLIED}),
    S.REJECTED: frozenset(),
    S.APPLIED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
EDITABLE: Final = frozenset({S.DRAFT, S.IMPACT_STATED})
CREATE_FIELDS: Final = frozenset({"title", "description", "origin", "raised_for_contact"})
UPDATE_FIELDS: Final = frozenset({"title", "description"})
TASK_CHANGE_FIELDS: Final = frozenset(
    {"kind", "task_id", "duration_days", "name", "predecessor_id", "successor_id", "type",
     "lag_days"}
)  # fmt: skip


# --- the portal's hooks ----------------------------------------------------------------------


@dataclass
class _PortalHooks:
    """What only the portal (a higher layer) knows: which customers a portal account acts
    for and whether it is an approver of one. Until the portal registers its functions no
    portal account decides anything (both answer "no")."""

    customer_ids: Callable[[Any], Collection[int]] = lambda user: ()
    is_approver: Callable[[Any, int], bool] = lambda user, customer_id: False


_portal = _PortalHooks()


def register_portal_hooks(
    *,
    customer_ids: Callable[[Any], Collection[int]] | None = None,
    is_approver: Callable[[Any, int], bool] | None = None,
) -> None:
    """Called by the portal app's ``ready()``: ``customer_ids(user)`` the customers a portal
    account acts for, ``is_approver(user, customer_id)`` whether it approves for one."""
    if customer_ids is not None:
        _portal.customer_ids = customer_ids
    if is_approver is not None:
        _portal.is_approver = is_approver


def can_approve_for(user: Any, customer_id: int) -> bool:
    """Whether ``user`` is a portal account that approves for the customer (the portal's
    approver role, through its registered hook)."""
    return permissions.is_portal_actor(user) and bool(_portal.is_approver(user, customer_id))


def _acts_for(user: Any, customer_id: int) -> bool:
    return permissions.is_portal_actor(user) and customer_id in set(_portal.customer_ids(user))


def may_record_customer_decision(actor: Any, project: Project) -> bool:
    """Staff who answer for the project towards the customer (its manager, the roles whose
    write scope reaches it, the customer's account manager) — not a plain team member."""
    return permissions.can_change_project(
        actor,
        manager_id=project.manager_id,
        team_id=project.team_id,
        customer=project.customer,
        is_member=False,
    )


# --- checks ----------------------------------------------------------------------------------


def _text(value: Any, name: str, max_length: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed({name: _("必须是文字。")})
    text = value.replace("\x00", "").strip()
    if required and not text:
        raise ValidationFailed({name: _("这个字段是必填项。")})
    if len(text) > max_length:
        raise ValidationFailed({name: _("不能超过 %(max)s 个字符。") % {"max": max_length}})
    return text


def _cost_delta(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None or value == "":
        raise ValidationFailed({"cost_delta": _("必须是数字。")})
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed({"cost_delta": _("必须是数字。")}) from None
    if not amount.is_finite() or not -MAX_COST_DELTA <= amount <= MAX_COST_DELTA:
        raise ValidationFailed(
            {"cost_delta": _("必须在 -%(max)s 到 %(max)s 之间。") % {"max": MAX_COST_DELTA}}
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed({"cost_delta": _("最多两位小数。")})
    return amount.quantize(Decimal("0.01"))


def _id(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ValidationFailed({name: _("必须是有效的编号。")})
    return value


def _move(cr: ChangeRequest, to: str) -> None:
    if to not in TRANSITIONS.get(cr.status, frozenset()):
        raise Conflict(
            _("需求变更当前状态为“%(from)s”，不能变为“%(to)s”。")
            % {"from": ChangeStatus(cr.status).label, "to": ChangeStatus(to).label},
            field="status",
        )
    cr.status = to


def _lock(actor: Any, project_id: Any, cr_id: Any) -> tuple[Project, ChangeRequest]:
    """The project (locked, changeable by the actor: 404/403 otherwise) and its request."""
    project = plan.project_lock(actor, project_id)
    return project, _cr_of(project, cr_id)


def _cr_of(project: Project, cr_id: Any) -> ChangeRequest:
    if isinstance(cr_id, bool) or not isinstance(cr_id, int) or not 1 <= cr_id <= MAX_ID:
        raise NotFound(_("需求变更不存在。"), field="change_request_id")
    cr = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .filter(project=project, pk=cr_id)
        .first()
    )
    if cr is None:
        raise NotFound(_("需求变更不存在。"), field="change_request_id")
    cr.project = project
    return cr


def _timeline(cr: ChangeRequest, actor: Any, msgid: str, body: str = "") -> None:
    timeline_add(
        customer_id=cr.project.customer_id,
        kind=TIMELINE_KIND,
        occurred_at=timezone.now(),
        title=TimelineText(
            msgid,
            {
                "name": cr.project.name,
                "number": cr.number,
                "title": cr.title,
            },
        ),
        body=body,
        actor=actor,
        subject=cr,
        data={"status": str(cr.status), "change_request": cr.pk},
    )


def _notify_manager(cr: ChangeRequest, actor: Any, message: Any) -> None:
    manager_id = cr.project.manager_id
    if manager_id is None or manager_id == getattr(actor, "pk", None):
        return
    notify(
        recipients=[manager_id],
        kind=NOTIFY_KIND,
        title=format_lazy(message, number=cr.number, title=cr.title),
        url=cr.get_absolute_url(),
        subject=cr,
        actor=actor,
    )


def _save(cr: ChangeRequest, actor: Any, before: Mapping[str, Any]) -> None:
    cr.version += 1
    cr.save()
    audit.audit_update(actor=actor, obj=cr, before=before, customer_id=cr.project.customer_id)


# --- raising ---------------------------------------------------------------------------------


def _next_number(project: Project) -> int:
    last = ChangeRequest.objects.filter(project=project).aggregate(m=Max("number"))["m"]
    return int(last or 0) + 1


def _create(
    *,
    actor: Any,
    project: Project,
    title: str,
    description: str,
    origin: str,
    via_portal: bool,
    contact: str,
) -> ChangeRequest:
    cr = ChangeRequest.objects.create(
        project=project,
        number=_next_number(project),
        title=title,
        description=description,
        origin=origin,
        raised_by=actor,
        raised_via_portal=via_portal,
        raised_for_contact=contact,
    )
    audit.audit_create(actor=actor, obj=cr, customer_id=project.customer_id)
    _timeline(cr, actor, gettext_noop("项目 %(name)s 提出需求变更 CR-%(number)s：%(title)s"))
    _notify_manager(cr, actor, gettext_lazy("新的需求变更 CR-{number}：{title}"))
    return cr


@transaction.atomic
def change_request_create(*, actor: Any, project_id: Any, data: Mapping[str, Any]) -> ChangeRequest:
    """A new draft request raised by the team (``origin`` ``team``), or recorded by staff
    in the customer's name (``origin`` ``customer`` with ``raised_for_contact``, the
    customer's contact who asked for it)."""
    reject_unknown(data, CREATE_FIELDS)
    project = plan.project_lock(actor, project_id)
    title = _text(data.get("title"), "title", 200, required=True)
    description = _text(data.get("description"), "description", 4000)
    origin = data.get("origin", ChangeOrigin.TEAM)
    if origin not in ChangeOrigin.values:
        raise ValidationFailed({"origin": _("无效的选项。")})
    contact = _text(
        data.get("raised_for_contact"),
        "raised_for_contact",
        100,
        required=origin == ChangeOrigin.CUSTOMER,
    )
    return _create(
        actor=actor, project=project, title=title, description=description, origin=origin,
        via_portal=False, contact=contact if origin == ChangeOrigin.CUSTOMER else "",
    )  # fmt: skip


@transaction.atomic
def change_request_raise_by_customer(
    *, portal_user: Any, project_id: Any, title: Any, description: Any = ""
) -> ChangeRequest:
    """The customer raises a request through the portal (called by the portal): the
    project must be one of the customers the portal account acts for (404 otherwise)."""
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk=project_id if isinstance(project_id, int) else 0)
        .first()
    )
    if project is None or not _acts_for(portal_user, project.customer_id):
        raise NotFound(_("项目不存在。"), field="project_id")
    return _create(
        actor=portal_user,
        project=project,
        title=_text(title, "title", 200, required=True),
        description=_text(description, "description", 4000),
        origin=ChangeOrigin.CUSTOMER,
        via_portal=True,
        contact=str(getattr(portal_user, "display_name", "") or portal_user)[:100],
    )


@transaction.atomic
def change_request_update(
    *, actor: Any, project_id: Any, change_request_id: Any, data: Mapping[str, Any],
    version: int | None,
) -> ChangeRequest:  # fmt: skip
    """Edit the title and description while the request is a draft or being assessed."""
    reject_unknown(data, UPDATE_FIELDS)
    _project, cr = _lock(actor, project_id, change_request_id)
    check_version(cr, version)
    if cr.status not in EDITABLE:
        raise Conflict(_("只有草稿或已评估的需求变更可以修改。"), field="status")
    before = audit.snapshot(cr)
    if "title" in data:
        cr.title = _text(data["title"], "title", 200, required=True)
    if "description" in data:
        cr.description = _text(data["description"], "description", 4000)
    if audit.diff(before, audit.snapshot(cr, before.keys())):
        _save(cr, actor, before)
    return cr


# --- the impact: schedule computed by the CPM on a copy of the plan --------------------------


@dataclass(frozen=True, slots=True)
class ProposedChange:
    kind: str
    task_id: int | None = None
    duration_days: int | None = None
    name: str = ""
    predecessor_id: int | None = None
    successor_id: int | None = None
    type: str = "FS"
    lag_days: int = 0


@dataclass(frozen=True, slots=True)
class ScheduleImpact:
    finish_before: Any  # dt.date | None
    finish_after: Any
    duration_before: int  # working days
    duration_after: int

    @property
    def delta_days(self) -> int:
        """The change of the project's length in working days (+ later, − earlier)."""
        return self.duration_after - self.duration_before


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed({name: _("必须是整数。")})
    if not low <= value <= high:
        raise ValidationFailed(
            {name: _("必须在 %(low)s 到 %(high)s 之间。") % {"low": low, "high": high}}
        )
    return value


def _task_ref(item: Mapping[str, Any], name: str, prefix: str, tasks: Mapping[int, bool]) -> int:
    task_id = _id(item.get(name), f"{prefix}.{name}")
    if task_id not in tasks:
        raise ValidationFailed({f"{prefix}.{name}": _("任务不存在。")})
    return task_id


def parse_task_changes(project: Project, raw: Sequence[Mapping[str, Any]]) -> list[ProposedChange]:
    """The proposed task changes, checked against the project's plan; errors name the
    item (``task_changes.2.task_id``)."""
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ValidationFailed({"task_changes": _("必须是列表。")})
    if len(raw) > MAX_TASK_CHANGES:
        raise ValidationFailed(
            {"task_changes": _("最多 %(max)s 项调整。") % {"max": MAX_TASK_CHANGES}}
        )
    tasks = dict(Task.objects.filter(project=project).values_list("id", "is_summary"))
    links = set(
        TaskLink.objects.filter(project=project).values_list("predecessor_id", "successor_id")
    )
    out: list[ProposedChange] = []
    for index, item in enumerate(raw):
        prefix = f"task_changes.{index}"
        if not isinstance(item, Mapping):
            raise ValidationFailed({prefix: _("必须是对象。")})
        unknown = set(item) - TASK_CHANGE_FIELDS
        if unknown:
            raise ValidationFailed({f"{prefix}.{sorted(unknown)[0]}": _("不允许的字段。")})
        kind = item.get("kind")

        def task(name: str, item: Mapping[str, Any] = item, prefix: str = prefix) -> int:
            return _task_ref(item, name, prefix, tasks)

        def maybe(name: str, item: Mapping[str, Any] = item, prefix: str = prefix) -> int | None:
            return None if item.get(name) is None else _task_ref(item, name, prefix, tasks)

        if kind == TaskChangeKind.DURATION:
            task_id = task("task_id")
            if tasks[task_id]:
                raise ValidationFailed({f"{prefix}.task_id": _("摘要任务的工期由其子任务决定。")})
            days = _int(item.get("duration_days"), f"{prefix}.duration_days", 0, MAX_DURATION_DAYS)
            out.append(ProposedChange(kind=kind, task_id=task_id, duration_days=days))
        elif kind == TaskChangeKind.NEW_TASK:
            name = _text(item.get("name"), f"{prefix}.name", 200, required=True)
            days = _int(item.get("duration_days"), f"{prefix}.duration_days", 0, MAX_DURATION_DAYS)
            pred = maybe("predecessor_id")
            succ = maybe("successor_id")
            if pred is not None and pred == succ:
                raise ValidationFailed(
                    {f"{prefix}.successor_id": _("前置任务和后续任务不能相同。")}
                )
            out.append(
                ProposedChange(
                    kind=kind, name=name, duration_days=days, predecessor_id=pred,
                    successor_id=succ,
                )
            )  # fmt: skip
        elif kind == TaskChangeKind.NEW_LINK:
            pred = task("predecessor_id")
            succ = task("successor_id")
            if pred == succ:
                raise ValidationFailed({f"{prefix}.successor_id": _("任务不能依赖它自己。")})
            if (pred, succ) in links or any(
                c.kind == TaskChangeKind.NEW_LINK
                and (c.predecessor_id, c.successor_id) == (pred, succ)
                for c in out
            ):
                raise ValidationFailed({f"{prefix}.successor_id": _("这两个任务之间已有依赖。")})
            link_type = item.get("type", "FS")
            if link_type not in LinkType.values:
                raise ValidationFailed({f"{prefix}.type": _("无效的选项。")})
            lag = _int(item.get("lag_days", 0), f"{prefix}.lag_days", -MAX_LAG_DAYS, MAX_LAG_DAYS)
            out.append(
                ProposedChange(
                    kind=kind, predecessor_id=pred, successor_id=succ, type=link_type,
                    lag_days=lag,
                )
            )  # fmt: skip
        else:
            raise ValidationFailed({f"{prefix}.kind": _("无效的选项。")})
    return out


def proposed_plan(
    tasks: Sequence[cpm.CpmTask], links: Sequence[cpm.CpmLink], changes: Sequence[ProposedChange]
) -> tuple[list[cpm.CpmTask], list[cpm.CpmLink]]:
    """A copy of the plan with ``changes`` made: new durations, new tasks (ids −1, −2, …,
    at the top level, FS after their predecessor and before their successor), new links."""
    by_id = {t.id: t for t in tasks}
    new_links = list(links)
    next_new = -1
    for change in changes:
        if change.kind == TaskChangeKind.DURATION and change.task_id in by_id:
            old = by_id[change.task_id]
            by_id[old.id] = cpm.CpmTask(
                id=old.id, duration=int(change.duration_days or 0), parent=old.parent,
                name=old.name, start_no_earlier=old.start_no_earlier, work=old.work,
                progress=old.progress,
            )  # fmt: skip
        elif change.kind == TaskChangeKind.NEW_TASK:
            new_id, next_new = next_new, next_new - 1
            by_id[new_id] = cpm.CpmTask(
                id=new_id, duration=int(change.duration_days or 0), name=change.name
            )
            if change.predecessor_id is not None:
                new_links.append(cpm.CpmLink(change.predecessor_id, new_id))
            if change.successor_id is not None:
                new_links.append(cpm.CpmLink(new_id, change.successor_id))
        elif change.kind == TaskChangeKind.NEW_LINK:
            assert change.predecessor_id is not None and change.successor_id is not None
            new_links.append(
                cpm.CpmLink(change.predecessor_id, change.successor_id, change.type,
                            change.lag_days)
            )  # fmt: skip
    return list(by_id.values()), new_links


def schedule_impact(*, project: Project, changes: Sequence[ProposedChange]) -> ScheduleImpact:
    """The schedule before and after the proposed changes: the critical path method on
    the plan as it stands and on a copy with the changes made (nothing is saved). A change
    that would make the links go round is refused (``CycleRefused`` naming the cycle)."""
    tasks, links = selectors.plan_rows(project.pk)
    try:
        before = cpm.schedule(tasks, links, start=project.start_date)
        new_tasks, new_links = proposed_plan(tasks, links, changes)
        after = cpm.schedule(new_tasks, new_links, start=project.start_date)
    except cpm.CycleError as exc:
        raise plan.CycleRefused(str(exc), tasks=exc.tasks) from exc
    return ScheduleImpact(
        finish_before=before.finish if tasks else None,
        finish_after=after.finish if new_tasks else None,
        duration_before=before.duration if tasks else 0,
        duration_after=after.duration if new_tasks else 0,
    )


@transaction.atomic
def change_request_state_impact(
    *,
    actor: Any,
    project_id: Any,
    change_request_id: Any,
    scope_impact: Any,
    cost_delta: Any,
    quality_impact: Any,
    task_changes: Sequence[Mapping[str, Any]],
    version: int | None,
) -> ChangeRequest:
    """State (or restate) the impact: scope and quality in words, the cost delta (±, two
    places), and the proposed task changes whose schedule impact the CPM computes."""
    project, cr = _lock(actor, project_id, change_request_id)
    check_version(cr, version)
    scope_text = _text(scope_impact, "scope_impact", 4000)
    quality_text = _text(quality_impact, "quality_impact", 4000)
    delta = _cost_delta(cost_delta)
    changes = parse_task_changes(project, task_changes)
    impact = schedule_impact(project=project, changes=changes)
    before = audit.snapshot(cr)
    _move(cr, S.IMPACT_STATED)
    cr.scope_impact, cr.quality_impact, cr.cost_delta = scope_text, quality_text, delta
    cr.finish_before, cr.finish_after = impact.finish_before, impact.finish_after
    cr.schedule_delta_days = impact.delta_days
    cr.impact_stated_at, cr.impact_stated_by = timezone.now(), actor
    old_changes = list(cr.task_changes.values("kind", "task_id", "duration_days", "name"))
    cr.task_changes.all().delete()
    ChangeRequestTaskChange.objects.bulk_create(
        ChangeRequestTaskChange(
            change_request=cr, position=position, kind=c.kind, task_id=c.task_id,
            duration_days=c.duration_days, name=c.name, predecessor_id=c.predecessor_id,
            successor_id=c.successor_id, link_type=c.type, lag_days=c.lag_days,
        )
        for position, c in enumerate(changes, start=1)
    )  # fmt: skip
    cr.version += 1
    cr.save()
    audit.audit_update(
        actor=actor, obj=cr, before=before, customer_id=project.customer_id,
        extra={"task_changes": [len(old_changes), len(changes)]},
    )  # fmt: skip
    _timeline(cr, actor, gettext_noop("需求变更 CR-%(number)s 已评估影响：%(title)s"))
    return cr


# --- internal review -------------------------------------------------------------------------


@transaction.atomic
def change_request_submit(
    *, actor: Any, project_id: Any, change_request_id: Any, version: int | None
) -> ChangeRequest:
    """Send the assessed request to the internal approval flow (document type
    ``change_request``); the flow's outcome moves it on (``on_review_*``)."""
    from guanxi.approvals.services import approval_submit

    _project, cr = _lock(actor, project_id, change_request_id)
    check_version(cr, version)
    before = audit.snapshot(cr)
    _move(cr, S.IN_REVIEW)
    cr.submitted_at = timezone.now()
    cr.review_note = ""
    _save(cr, actor, before)
    approval_submit(actor=actor, document_type=DOCUMENT_TYPE, object_id=cr.pk)
    return cr


def _relock(cr: ChangeRequest) -> ChangeRequest:
    locked = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("project", "project__customer")
        .get(pk=cr.pk)
    )
    return locked


def on_review_approved(cr: ChangeRequest, actor: Any, comment: str = "") -> None:
    """The internal approval passed (in the deciding transaction): over to the customer."""
    locked = _relock(cr)
    before = audit.snapshot(locked)
    _move(locked, S.AWAITING_CUSTOMER)
    locked.review_note = comment[:500]
    _save(locked, actor, before)
    _timeline(locked, actor, gettext_noop("需求变更 CR-%(number)s 内部审批通过，待客户确认"))
    _notify_manager(locked, actor, gettext_lazy("需求变更 CR-{number} 已通过内部审批：{title}"))
    cr.status, cr.version = locked.status, locked.version


def on_review_rejected(cr: ChangeRequest, actor: Any, comment: str = "") -> None:
    """The internal approval was rejected: back to the team to restate the impact."""
    locked = _relock(cr)
    before = audit.snapshot(locked)
    _move(locked, S.IMPACT_STATED)
    locked.review_note = comment[:500]
    _save(locked, actor, before)
    _timeline(locked, actor, gettext_noop("需求变更 CR-%(number)s 内部审批被驳回"), comment)
    _notify_manager(locked, actor, gettext_lazy("需求变更 CR-{number} 内部审批被驳回：{title}"))
    cr.status, cr.version = locked.status, locked.version


@transaction.atomic
def change_request_withdraw(
    *, actor: Any, project_id: Any, change_request_id: Any, version: int | None
) -> ChangeRequest:
    _project, cr = _lock(actor, project_id, change_request_id)
    check_version(cr, version)
    before = audit.snapshot(cr)
    _move(cr, S.WITHDRAWN)
    _save(cr, actor, before)
    _timeline(cr, actor, gettext_noop("需求变更 CR-%(number)s 已撤回：%(title)s"))
    return cr


# --- the customer's decision -----------------------------------------------------------------


def _decide(
    cr: ChangeRequest,
    *,
    actor: Any,
    approve: bool,
    comment: str,
    on_behalf: bool,
    contact: str,
) -> ChangeRequest:
    if not isinstance(approve, bool):
        raise ValidationFailed({"approve": _("必须是 true 或 false。")})
    before = audit.snapshot(cr)
    _move(cr, S.APPROVED if approve else S.REJECTED)
    cr.decided_at, cr.decided_by = timezone.now(), actor
    cr.decided_on_behalf, cr.customer_contact, cr.customer_comment = on_behalf, contact, comment
    _save(cr, actor, before)
    if approve:
        _timeline(cr, actor, gettext_noop("客户批准需求变更 CR-%(number)s：%(title)s"), comment)
        _notify_manager(cr, actor, gettext_lazy("客户已批准需求变更 CR-{number}：{title}"))
        try:
            with transaction.atomic():
                _apply(cr, actor)
        except DomainError as exc:
            # The decision stands; the plan changed since the impact was stated. The
            # team sees why and applies by hand (``change_request_apply``).
            ChangeRequest.objects.filter(pk=cr.pk).update(apply_error=exc.message[:500])
            cr.apply_error = exc.message[:500]
    else:
        _timeline(cr, actor, gettext_noop("客户拒绝需求变更 CR-%(number)s：%(title)s"), comment)
        _notify_manager(cr, actor, gettext_lazy("客户已拒绝需求变更 CR-{number}：{title}"))
    return cr


@transaction.atomic
def customer_decide(
    change_request: ChangeRequest, *, portal_user: Any, approve: bool, comment: Any = ""
) -> ChangeRequest:
    """The customer's own decision through the portal: only a portal account that is an
    approver of the project's customer (``can_approve_for``); anyone else is refused."""
    cr = _relock(change_request)
    if not can_approve_for(portal_user, cr.project.customer_id):
        raise PermissionDenied(_("只有客户的审批人可以确认需求变更。"))
    name = str(getattr(portal_user, "display_name", "") or portal_user)[:100]
    result = _decide(
        cr, actor=portal_user, approve=approve, comment=_text(comment, "comment", 2000),
        on_behalf=False, contact=name,
    )  # fmt: skip
    change_request.status, change_request.version = result.status, result.version
    return result


@transaction.atomic
def change_request_decide_on_behalf(
    *,
    actor: Any,
    project_id: Any,
    change_request_id: Any,
    approve: bool,
    contact_name: Any,
    comment: Any = "",
    version: int | None,
) -> ChangeRequest:
    """Staff record the customer's decision in the name of the customer's contact who
    made it (``contact_name``): only those who answer for the project to the customer
    (``may_record_customer_decision``), 403 for anyone else."""
    project, cr = _lock(actor, project_id, change_request_id)
    check_version(cr, version)
    if not may_record_customer_decision(actor, project):
        raise PermissionDenied(_("只有项目经理或客户经理可以代客户确认需求变更。"))
    contact = _text(contact_name, "contact_name", 100, required=True)
    return _decide(
        cr, actor=actor, approve=approve, comment=_text(comment, "comment", 2000),
        on_behalf=True, contact=contact,
    )  # fmt: skip


# --- applying the approved change ------------------------------------------------------------


def _gone() -> Conflict:
    return Conflict(
        _("变更涉及的任务已被删除或改为摘要任务，请重新评估后再实施。"), field="task_changes"
    )


def _apply(cr: ChangeRequest, actor: Any) -> None:
    """Make the task changes on the plan, reschedule, take a new baseline; the request
    becomes ``applied``. Runs in the caller's transaction (a savepoint on approval)."""
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=cr.project_id)
    )
    customer_id = project.customer_id
    for change in cr.task_changes.order_by("position", "id"):
        if change.kind == TaskChangeKind.DURATION:
            task = (
                None
                if change.task_id is None
                else Task.objects.select_for_update(of=("self",))
                .filter(project=project, pk=change.task_id)
                .first()
            )
            if task is None or task.is_summary:
                raise _gone()
            before = audit.snapshot(task, ["duration_days", "milestone"])
            task.duration_days = int(change.duration_days or 0)
            task.milestone = task.duration_days == 0
            if audit.diff(before, audit.snapshot(task, before.keys())):
                task.version += 1
                task.save(update_fields=["duration_days", "milestone", "version", "updated_at"])
                audit.audit_update(actor=actor, obj=task, before=before, customer_id=customer_id)
        elif change.kind == TaskChangeKind.NEW_TASK:
            days = int(change.duration_days or 0)
            task = Task.objects.create(
                project=project, name=change.name, duration_days=days, milestone=days == 0,
                position=plan._next_position(project, None),
                board_position=plan._next_board_position(project, TaskStatus.TODO),
            )  # fmt: skip
            audit.audit_create(actor=actor, obj=task, customer_id=customer_id)
            if change.predecessor_id is not None:
                _link(project, actor, change.predecessor_id, task.pk, "FS", 0)
            if change.successor_id is not None:
                _link(project, actor, task.pk, change.successor_id, "FS", 0)
        elif change.kind == TaskChangeKind.NEW_LINK:
            if change.predecessor_id is None or change.successor_id is None:
                raise _gone()
            _link(project, actor, change.predecessor_id, change.successor_id,
                  change.link_type, change.lag_days)  # fmt: skip
    plan.project_recompute(actor=actor, project=project)
    baseline = _take_baseline(project, cr, actor)
    before = audit.snapshot(cr)
    _move(cr, S.APPLIED)
    cr.applied_at, cr.applied_by, cr.apply_error = timezone.now(), actor, ""
    cr.resulting_baseline = baseline
    _save(cr, actor, before)
    _timeline(cr, actor, gettext_noop("需求变更 CR-%(number)s 已实施到项目计划：%(title)s"))


def _link(project: Project, actor: Any, pred: int, succ: int, kind: str, lag: int) -> None:
    ids = set(
        Task.objects.filter(project=project, pk__in=[pred, succ]).values_list("id", flat=True)
    )
    if ids != {pred, succ}:
        raise _gone()
    if TaskLink.objects.filter(predecessor_id=pred, successor_id=succ).exists():
        return  # someone added the same dependency meanwhile
    link = TaskLink.objects.create(
        project=project, predecessor_id=pred, successor_id=succ, type=kind, lag_days=lag
    )
    audit.audit_create(actor=actor, obj=link, customer_id=project.customer_id)


def _take_baseline(project: Project, cr: ChangeRequest, actor: Any) -> Baseline:
    """The new baseline of the changed plan; the approval authorises the re-baseline."""
    return take_baseline(
        project,
        actor=actor,
        name=_("需求变更 CR-%(number)s") % {"number": cr.number},
        reason=cr.title[:500],
        change_request=cr,
    )


@transaction.atomic
def change_request_apply(
    *, actor: Any, project_id: Any, change_request_id: Any, version: int | None
) -> ChangeRequest:
    """Apply an approved request whose automatic application failed (the plan changed
    meanwhile): a cycle or a deleted task is refused again with the reason."""
    _project, cr = _lock(actor, project_id, change_request_id)
    check_version(cr, version)
    if cr.status != S.APPROVED:
        raise Conflict(_("只有客户已批准的需求变更可以实施。"), field="status")
    _apply(cr, actor)
    return cr
