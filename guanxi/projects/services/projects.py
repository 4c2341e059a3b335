"""Writes of projects: create (by hand, from a template, from a won opportunity — SPEC
B5), edit, the team, deliverables, and the phase gates (a gate passes only when its
checklist is done; passing it moves the project to the next phase). What concerns the
customer — the project's start, its phases, its end — goes on the customer's timeline
(kind ``project``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.contracts.models import Contract, ContractStatus
from guanxi.contracts.selectors import scoped_contracts
from guanxi.core import audit
from guanxi.core.calendar import add_working_days
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.limits import MAX_ID
from guanxi.core.money import MAX_AMOUNT
from guanxi.core.writes import check_version, reject_unknown
from guanxi.customers.models import Customer
from guanxi.customers.timeline import ChoiceLabel, TimelineText, timeline_add
from guanxi.projects.models import (
    MAX_DURATION_DAYS,
    MAX_LAG_DAYS,
    PHASE_ORDER,
    Deliverable,
    GateItem,
    LifecycleStage,
    LinkType,
    Phase,
    PhaseGate,
    Project,
    ProjectMember,
    ProjectStatus,
    ProjectTemplate,
    Task,
    TaskLink,
    TemplateLink,
    TemplateTask,
)
from guanxi.projects.services.plan import _date, _int_in, _text, project_lock, project_recompute
from guanxi.sales.models import Opportunity, OpportunityStatus
from guanxi.sales.selectors import scoped_opportunities

__all__ = [
    "DEFAULT_GATE_ITEMS",
    "deliverable_create",
    "deliverable_update",
    "gate_item_add",
    "gate_item_set",
    "gate_pass",
    "member_add",
    "member_remove",
    "project_create",
    "project_create_from_contract",
    "project_create_from_opportunity",
    "project_update",
    "template_create",
]

PROJECT_FIELDS = frozenset(
    {"name", "code", "goal", "scope", "start_date", "due_date", "budget", "lifecycle_stage",
     "status"}
)  # fmt: skip

# Each phase's gate checklist (阶段评审) a new project starts with; the texts are messages,
# shown in the reader's language (``GateItem`` texts pass through ``gettext`` on display).
DEFAULT_GATE_ITEMS: dict[str, tuple[str, ...]] = {
    Phase.IDENTIFY: (
        gettext_noop("确认客户需求与项目目标"),
        gettext_noop("明确项目范围与交付物"),
        gettext_noop("任命项目经理并组建团队"),
    ),
    Phase.PLAN: (
        gettext_noop("完成工作分解（WBS）"),
        gettext_noop("排定进度计划并确认关键路径"),
        gettext_noop("确认预算与资源"),
    ),
    Phase.EXECUTE: (
        gettext_noop("全部交付物已完成"),
        gettext_noop("客户验收确认"),
    ),
    Phase.CLOSE: (
        gettext_noop("完成项目总结"),
        gettext_noop("安排客户满意度回访"),
    ),
}


def _timeline(
    project: Project, actor: Any, msgid: str, params: Mapping[str, Any] | None = None
) -> None:
    timeline_add(
        customer_id=project.customer_id,
        kind="project",
        occurred_at=timezone.now(),
        title=TimelineText(msgid, {"name": project.name, **(params or {})}),
        actor=actor,
        subject=project,
        data={"phase": project.phase, "status": project.status},
    )


def _budget(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed({"budget": _("必须是金额。")}) from None
    if not amount.is_finite() or not Decimal("0") <= amount <= MAX_AMOUNT:
        raise ValidationFailed(
            {"budget": _("金额必须在 0 到 %(max)s 之间。") % {"max": MAX_AMOUNT}}
        )
    return amount.quantize(Decimal("0.01"))


def _apply(project: Project, data: Mapping[str, Any]) -> None:
    reject_unknown(data, PROJECT_FIELDS)
    errors: dict[str, str] = {}
    for name, length, required in (
        ("name", 200, project.pk is None),
        ("code", 40, False),
        ("goal", 4000, False),
        ("scope", 8000, False),
    ):
        try:
            value = _text(data, name, length, required=required)
        except ValidationFailed as exc:
            errors.update({k: v[0] for k, v in exc.errors.items()})
            continue
        if value is not None:
            setattr(project, name, value)

    def start() -> None:
        value = _date(data["start_date"], "start_date")
        if value is None:
            raise ValidationFailed({"start_date": _("这个字段是必填项。")})
        project.start_date = value

    def due() -> None:
        project.due_date = _date(data["due_date"], "due_date")

    def budget() -> None:
        project.budget = _budget(data["budget"])

    for name, check in (("start_date", start), ("due_date", due), ("budget", budget)):
        if name not in data:
            continue
        try:
            check()
        except ValidationFailed as exc:
            errors.update({k: v[0] for k, v in exc.errors.items()})
    if "lifecycle_stage" in data and data["lifecycle_stage"] not in LifecycleStage.values:
        errors["lifecycle_stage"] = _("无效的选项。")
    elif "lifecycle_stage" in data:
        project.lifecycle_stage = data["lifecycle_stage"]
    if "status" in data and data["status"] not in ProjectStatus.values:
        errors["status"] = _("无效的选项。")
    elif "status" in data:
        project.status = data["status"]
    if getattr(project, "start_date", None) is None and "start_date" not in errors:
        errors["start_date"] = _("这个字段是必填项。")
    if (
        not errors
        and project.due_date is not None
        and project.start_date is not None
        and project.due_date < project.start_date
    ):
        errors["due_date"] = _("目标完成日期不能早于开始日期。")
    if errors:
        raise ValidationFailed(errors)


def _readable_customer(actor: Any, customer_id: Any) -> Customer:
    if (
        isinstance(customer_id, bool)
        or not isinstance(customer_id, int)
        or not (1 <= customer_id <= MAX_ID)
    ):
        raise NotFound(_("客户不存在。"), field="customer_id")
    customer = (
        permissions.scope_customers(actor, Customer.objects.all(), one=True)
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise NotFound(_("客户不存在。"), field="customer_id")
    return customer


def _user(value: Any, field: str) -> User:
    user_id = _int_in(value, field, 1, MAX_ID)
    user = User.objects.filter(pk=user_id, is_active=True).exclude(role="portal").first()
    if user is None:
        raise ValidationFailed({field: _("该用户不存在。")})
    return user


def _create_gates(project: Project) -> None:
    gates = PhaseGate.objects.bulk_create(PhaseGate(project=project, phase=p) for p in PHASE_ORDER)
    GateItem.objects.bulk_create(
        GateItem(gate=gate, position=i, text=text)
        for gate in gates
        for i, text in enumerate(DEFAULT_GATE_ITEMS[gate.phase], start=1)
    )


def _apply_template(actor: Any, project: Project, template: ProjectTemplate) -> int:
    """Copy the template's tasks (offsets become "start no earlier than") and links."""
    rows = list(template.tasks.order_by("position", "id"))
    copies: dict[int, Task] = {}
    pending = list(rows)
    # Parents before children, whatever the template's order.
    while pending:
        later = []
        for row in pending:
            if row.parent_id is not None and row.parent_id not in copies:
                later.append(row)
                continue
            task = Task(
                project=project,
                parent=copies.get(row.parent_id) if row.parent_id else None,
                position=row.position,
                name=row.name,
                duration_days=0 if row.milestone else row.duration_days,
                milestone=row.milestone or row.duration_days == 0,
                estimate_hours=row.estimate_hours,
                start_no_earlier=(
                    add_working_days(project.start_date, row.offset_days)
                    if row.offset_days
                    else None
                ),
                board_position=row.position,
            )
            task.save()
            copies[row.pk] = task
        if len(later) == len(pending):  # a parent outside the template: keep them at top
            for row in later:
                row.parent_id = None
        pending = later
    links = [
        TaskLink(
            project=project,
            predecessor=copies[link.predecessor_id],
            successor=copies[link.successor_id],
            type=link.type,
            lag_days=link.lag_days,
        )
        for link in template.links.all()
        if link.predecessor_id in copies and link.successor_id in copies
    ]
    TaskLink.objects.bulk_create(links)
    audit.audit_bulk_create(actor=actor, objs=copies.values(), customer_attr=None)
    return len(copies)


@transaction.atomic
def project_create(
    *,
    actor: Any,
    customer_id: Any,
    data: Mapping[str, Any],
    manager_id: Any = None,
    template_id: Any = None,
    parent_id: Any = None,
    opportunity: Opportunity | None = None,
    contract: Contract | None = None,
) -> Project:
    """A project on a customer the actor reads, with its four gates, the manager on the
    team, and — from a template — its plan, scheduled."""
    if not permissions.can_create_project(actor):
        raise PermissionDenied(_("你的角色不能创建项目。"))
    customer = _readable_customer(actor, customer_id)
    project = Project(
        customer=customer, created_by=actor, opportunity=opportunity, contract=contract
    )
    _apply(project, data)
    manager = _user(manager_id, "manager_id") if manager_id not in (None, "") else actor
    project.manager = manager
    project.team_id = manager.team_id
    if parent_id not in (None, ""):
        parent = Project.objects.filter(pk=_int_in(parent_id, "parent_id", 1, MAX_ID)).first()
        if parent is None or not _reads(actor, parent):
            raise ValidationFailed({"parent_id": _("上级项目不存在。")})
        if parent.customer_id != customer.pk:
            raise ValidationFailed({"parent_id": _("子项目必须属于同一客户。")})
        project.parent = parent
    template = None
    if template_id not in (None, ""):
        template = ProjectTemplate.objects.filter(
            pk=_int_in(template_id, "template_id", 1, MAX_ID), active=True
        ).first()
        if template is None:
            raise ValidationFailed({"template_id": _("模板不存在。")})
        project.template = template
    try:
        with transaction.atomic():
            project.save()
    except IntegrityError:
        raise Conflict(_("该商机已经有项目了。"), field="opportunity_id") from None
    ProjectMember.objects.create(project=project, user=manager, role=_("项目经理"))
    _create_gates(project)
    audit.audit_create(actor=actor, obj=project, customer_id=customer.pk)
    if template is not None:
        _apply_template(actor, project, template)
        project_recompute(actor=actor, project=project)
    _timeline(project, actor, gettext_noop("项目 %(name)s 启动"))
    return project


def _reads(actor: Any, project: Project) -> bool:
    from guanxi.projects.selectors import project_filter

    q = project_filter(actor)
    return q is None or Project.objects.filter(q, pk=project.pk).exists()


@transaction.atomic
def project_create_from_opportunity(
    *, actor: Any, opportunity_id: Any, template_id: Any = None
) -> Project:
    """B5: one click on a won opportunity — the project on its customer, named after it,
    the deal's amount as budget, starting on the next working day, from ``template_id``."""
    try:
        pk = _int_in(opportunity_id, "opportunity_id", 1, MAX_ID)
    except ValidationFailed:
        raise NotFound(_("商机不存在。"), field="opportunity_id") from None
    opportunity = (
        scoped_opportunities(actor=actor).select_for_update(of=("self",)).filter(pk=pk).first()
    )
    if opportunity is None:
        raise NotFound(_("商机不存在。"), field="opportunity_id")
    if opportunity.status != OpportunityStatus.WON:
        raise ValidationFailed({"opportunity_id": _("只有赢单的商机可以创建项目。")})
    if Project.objects.filter(opportunity=opportunity).exists():
        raise Conflict(_("该商机已经有项目了。"), field="opportunity_id")
    start = add_working_days(timezone.localdate(), 1)
    return project_create(
        actor=actor,
        customer_id=opportunity.customer_id,
        data={
            "name": opportunity.name[:200],
            "start_date": start,
            "budget": opportunity.amount,
            "lifecycle_stage": LifecycleStage.ENGAGED,
        },
        template_id=template_id,
        opportunity=opportunity,
    )


#: The contract states a delivery project may start from: signed off, not yet over.
DELIVERY_STATUSES = (ContractStatus.APPROVED, ContractStatus.ACTIVE)


@transaction.atomic
def project_create_from_contract(
    *, actor: Any, contract_id: Any, template_id: Any = None
) -> Project:
    """The delivery project of an approved contract: on its customer, named after it, the
    contract's amount as budget, its end as the target date, starting on its start date
    or the next working day when that has passed; linked to the contract's opportunity
    too when that has no project yet. One per contract (the contract row is locked)."""
    try:
        pk = _int_in(contract_id, "contract_id", 1, MAX_ID)
    except ValidationFailed:
        raise NotFound(_("合同不存在。"), field="contract_id") from None
    contract = scoped_contracts(actor=actor).select_for_update(of=("self",)).filter(pk=pk).first()
    if contract is None:
        raise NotFound(_("合同不存在。"), field="contract_id")
    if contract.status not in DELIVERY_STATUSES:
        raise ValidationFailed({"contract_id": _("只有已审批或执行中的合同可以创建交付项目。")})
    if Project.objects.filter(contract=contract).exists():
        raise Conflict(_("该合同已经有交付项目了。"), field="contract_id")
    start = max(contract.start_date, add_working_days(timezone.localdate(), 1))
    data: dict[str, Any] = {
        "name": contract.title[:200],
        "code": contract.number[:40],
        "start_date": start,
        "budget": contract.amount,
        "lifecycle_stage": LifecycleStage.ENGAGED,
    }
    if contract.end_date >= start:
        data["due_date"] = contract.end_date
    opportunity = None
    if (
        contract.opportunity_id is not None
        and not Project.objects.filter(opportunity_id=contract.opportunity_id).exists()
    ):
        opportunity = Opportunity.objects.filter(pk=contract.opportunity_id).first()
    return project_create(
        actor=actor,
        customer_id=contract.customer_id,
        data=data,
        template_id=template_id,
        opportunity=opportunity,
        contract=contract,
    )


def _lock_checked(actor: Any, project_id: Any, version: int | None) -> Project:
    project = project_lock(actor, project_id)
    check_version(project, version)
    return project


@transaction.atomic
def project_update(
    *, actor: Any, project_id: Any, data: Mapping[str, Any], version: int | None
) -> Project:
    project = _lock_checked(actor, project_id, version)
    before = audit.snapshot(project)
    _apply(project, data)
    changes = audit.diff(before, audit.snapshot(project, before.keys()))
    if not changes:
        return project
    project.version += 1
    project.save()
    audit.audit_update(actor=actor, obj=project, before=before, customer_id=project.customer_id)
    if "start_date" in changes:
        project_recompute(actor=actor, project=project)
    if "lifecycle_stage" in changes:
        _timeline(
            project, actor, gettext_noop("项目 %(name)s 进入客户生命周期阶段：%(stage)s"),
            {"stage": ChoiceLabel.of(project, "lifecycle_stage")},
        )  # fmt: skip
    if "status" in changes:
        _timeline(
            project, actor, gettext_noop("项目 %(name)s 状态：%(status)s"),
            {"status": ChoiceLabel.of(project, "status")},
        )  # fmt: skip
    return project


# --- the team ------------------------------------------------------------------------------


@transaction.atomic
def member_add(
    *, actor: Any, project_id: Any, user_id: Any, role: Any = "", allocation: Any = 100
) -> ProjectMember:
    """Add (or update) a member of the project's cross-department team."""
    project = project_lock(actor, project_id)
    user = _user(user_id, "user_id")
    role_text = _text({"role": role}, "role", 50, required=False) or ""
    percent = _int_in(allocation, "allocation", 1, 100)
    member = ProjectMember.objects.filter(project=project, user=user).first()
    if member is None:
        member = ProjectMember.objects.create(
            project=project, user=user, role=role_text, allocation=percent
        )
        audit.audit_create(actor=actor, obj=member, customer_id=project.customer_id)
        return member
    before = audit.snapshot(member)
    member.role, member.allocation = role_text, percent
    member.save()
    audit.audit_update(actor=actor, obj=member, before=before, customer_id=project.customer_id)
    return member


@transaction.atomic
def member_remove(*, actor: Any, project_id: Any, user_id: Any) -> None:
    project = project_lock(actor, project_id)
    member = (
        ProjectMember.objects.filter(project=project, user_id=user_id).first()
        if (isinstance(user_id, int) and 1 <= user_id <= MAX_ID)
        else None
    )
    if member is None:
        raise NotFound(_("该用户不是项目成员。"), field="user_id")
    if member.user_id == project.manager_id:
        raise ValidationFailed({"user_id": _("不能移除项目经理。")})
    audit.audit_delete(actor=actor, obj=member, customer_id=project.customer_id)
    Task.objects.filter(project=project, assignee_id=member.user_id).update(assignee=None)
    member.delete()


# --- deliverables --------------------------------------------------------------------------


@transaction.atomic
def deliverable_create(
    *, actor: Any, project_id: Any, name: Any, due_date: Any = None
) -> Deliverable:
    project = project_lock(actor, project_id)
    text = _text({"name": name}, "name", 200, required=True) or ""
    deliverable = Deliverable.objects.create(
        project=project, name=text, due_date=_date(due_date, "due_date")
    )
    audit.audit_create(actor=actor, obj=deliverable, customer_id=project.customer_id)
    return deliverable


@transaction.atomic
def deliverable_update(
    *, actor: Any, project_id: Any, deliverable_id: Any, done: bool, version: int | None
) -> Deliverable:
    project = project_lock(actor, project_id)
    deliverable = Deliverable.objects.filter(project=project, pk=deliverable_id).first()
    if deliverable is None:
        raise NotFound(_("交付物不存在。"), field="deliverable_id")
    check_version(deliverable, version)
    before = audit.snapshot(deliverable)
    deliverable.done = bool(done)
    if audit.diff(before, audit.snapshot(deliverable, before.keys())):
        deliverable.version += 1
        deliverable.save()
        audit.audit_update(
            actor=actor, obj=deliverable, before=before, customer_id=project.customer_id
        )
    return deliverable


# --- gates ---------------------------------------------------------------------------------


def _gate(project: Project, phase: Any) -> PhaseGate:
    if phase not in Phase.values:
        raise ValidationFailed({"phase": _("无效的选项。")})
    gate = PhaseGate.objects.select_for_update().filter(project=project, phase=phase).first()
    if gate is None:
        gate = PhaseGate.objects.create(project=project, phase=phase)
    return gate


@transaction.atomic
def gate_item_set(*, actor: Any, project_id: Any, item_id: Any, done: Any) -> GateItem:
    """Tick (or untick) one checklist item of a gate not yet passed."""
    project = project_lock(actor, project_id)
    if not isinstance(done, bool):
        raise ValidationFailed({"done": _("必须是 true 或 false。")})
    item = (
        GateItem.objects.select_related("gate").filter(gate__project=project, pk=item_id).first()
        if isinstance(item_id, int) and 1 <= item_id <= MAX_ID
        else None
    )
    if item is None:
        raise NotFound(_("检查项不存在。"), field="item_id")
    if item.gate.passed_at is not None:
        raise ValidationFailed({"item_id": _("该阶段评审已通过，检查项不能再修改。")})
    before = audit.snapshot(item)
    item.done = done
    item.done_at = timezone.now() if done else None
    item.done_by = actor if done else None
    item.save()
    audit.audit_update(actor=actor, obj=item, before=before, customer_id=project.customer_id)
    return item


@transaction.atomic
def gate_item_add(*, actor: Any, project_id: Any, phase: Any, text: Any) -> GateItem:
    project = project_lock(actor, project_id)
    gate = _gate(project, phase)
    if gate.passed_at is not None:
        raise ValidationFailed({"phase": _("该阶段评审已通过，检查项不能再修改。")})
    value = _text({"text": text}, "text", 200, required=True) or ""
    position = gate.items.order_by("-position").values_list("position", flat=True).first() or 0
    item = GateItem.objects.create(gate=gate, position=position + 1, text=value)
    audit.audit_create(actor=actor, obj=item, customer_id=project.customer_id)
    return item


@transaction.atomic
def gate_pass(
    *, actor: Any, project_id: Any, phase: Any, note: Any = "", version: int | None
) -> Project:
    """Pass the gate of the project's current phase: every checklist item done, else
    refused naming the open items (``items``). The project moves to the next phase; the
    last gate closes it and turns the customer's lifecycle to IV 交付后反馈."""
    project = _lock_checked(actor, project_id, version)
    gate = _gate(project, phase)
    if phase != project.phase:
        raise ValidationFailed({"phase": _("只能评审项目当前所处的阶段。")})
    if gate.passed_at is not None:
        raise ValidationFailed({"phase": _("该阶段评审已通过。")})
    note_text = _text({"note": note}, "note", 500, required=False) or ""
    open_items = [_(item.text) for item in gate.items.order_by("position", "id") if not item.done]
    if open_items:
        raise ValidationFailed(
            {"items": _("还有未完成的检查项：%(items)s") % {"items": "、".join(open_items)}}
        )
    gate_before = audit.snapshot(gate)
    gate.passed_at = timezone.now()
    gate.passed_by = actor
    gate.note = note_text
    gate.save()
    audit.audit_update(actor=actor, obj=gate, before=gate_before, customer_id=project.customer_id)
    before = audit.snapshot(project)
    index = PHASE_ORDER.index(project.phase)
    if index + 1 < len(PHASE_ORDER):
        project.phase = PHASE_ORDER[index + 1]
    else:
        project.status = ProjectStatus.CLOSED
        project.lifecycle_stage = LifecycleStage.FEEDBACK
    project.version += 1
    project.save()
    audit.audit_update(actor=actor, obj=project, before=before, customer_id=project.customer_id)
    _timeline(
        project, actor, gettext_noop("项目 %(name)s 通过阶段评审：%(gate)s"),
        {"gate": ChoiceLabel("projects.phasegate", "phase", gate.phase)},
    )  # fmt: skip
    return project


# --- templates -----------------------------------------------------------------------------


@transaction.atomic
def template_create(
    *,
    actor: Any,
    name: str,
    description: str = "",
    tasks: Sequence[Mapping[str, Any]],
    links: Sequence[Mapping[str, Any]] = (),
) -> ProjectTemplate:
    """A plan template. ``tasks`` are dicts with ``key``, ``name``, ``duration_days``,
    ``offset_days``, ``estimate_hours``, ``milestone`` and ``parent`` (another's key);
    ``links`` name tasks by key (``predecessor``, ``successor``, ``type``, ``lag_days``)."""
    if not permissions.can_manage_settings(actor) and actor is not None:
        raise PermissionDenied(_("只有管理员可以维护项目模板。"))
    template = ProjectTemplate.objects.create(name=name, description=description)
    by_key: dict[str, TemplateTask] = {}
    for position, row in enumerate(tasks, start=1):
        milestone = bool(row.get("milestone", False))
        by_key[str(row["key"])] = TemplateTask.objects.create(
            template=template,
            parent=by_key.get(str(row.get("parent"))) if row.get("parent") else None,
            position=position,
            name=str(row["name"])[:200],
            offset_days=min(int(row.get("offset_days", 0)), MAX_DURATION_DAYS),
            duration_days=0
            if milestone
            else min(int(row.get("duration_days", 1)), MAX_DURATION_DAYS),
            estimate_hours=Decimal(str(row.get("estimate_hours", "0"))),
            milestone=milestone,
        )
    for row in links:
        kind = str(row.get("type", "FS"))
        if kind not in LinkType.values:
            raise ValidationFailed({"type": _("无效的选项。")})
        TemplateLink.objects.create(
            template=template,
            predecessor=by_key[str(row["predecessor"])],
            successor=by_key[str(row["successor"])],
            type=kind,
            lag_days=max(-MAX_LAG_DAYS, min(MAX_LAG_DAYS, int(row.get("lag_days", 0)))),
        )
    audit.audit_create(actor=actor, obj=template)
    return template


def today_start() -> dt.date:
    return add_working_days(timezone.localdate(), 0)
