"""What the approval pages and the API show, in the reader's language: a request's rounds,
values and history, and a flow's steps in words. No queries beyond what was prefetched."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from guanxi.accounts.models import Role
from guanxi.approvals.models import (
    ApprovalAction,
    ApprovalRequest,
    ApprovalStep,
    ApproverKind,
    Flow,
    FlowStep,
    Operator,
)
from guanxi.approvals.registry import get_document_type


@dataclass
class RoundView:
    number: int
    steps: list[ApprovalStep]
    current: bool


@dataclass
class RequestPage:
    document_label: Any
    document_url: str
    values: list[tuple[Any, Any]]
    rounds: list[RoundView]
    history: list[ApprovalAction]


def request_page(approval: ApprovalRequest) -> RequestPage:
    kind = get_document_type(approval.document_type)
    values: list[tuple[Any, Any]] = []
    for name, value in (approval.values or {}).items():
        found = kind.condition_field(name) if kind is not None else None
        values.append((found.label if found is not None else name, value))
    by_round: dict[int, list[ApprovalStep]] = {}
    for step in approval.steps.all():
        by_round.setdefault(step.round, []).append(step)
    rounds = [
        RoundView(number, sorted(steps, key=lambda s: s.position), number == approval.round)
        for number, steps in sorted(by_round.items(), reverse=True)
    ]
    url = ""
    if kind is not None and kind.url_of is not None:
        document = kind.model._default_manager.filter(pk=approval.object_id).first()
        url = kind.url_of(document) if document is not None else ""
    return RequestPage(
        document_label=kind.label if kind is not None else approval.document_type,
        document_url=url,
        values=values,
        rounds=rounds,
        history=list(approval.actions.all()),
    )


def approver_text(step: FlowStep) -> str:
    kind = step.approver_kind
    if kind == ApproverKind.USER:
        return _("指定成员：%(user)s") % {"user": step.user or "—"}
    if kind == ApproverKind.MANAGER:
        return _("提交人的直属上级")
    if kind == ApproverKind.MANAGER_CHAIN:
        return _("提交人的上级，逐级向上最多 %(n)s 级") % {"n": step.levels}
    if kind == ApproverKind.DEPARTMENT_HEADS:
        return _("提交人所在部门起逐级部门经理，最多 %(n)s 级") % {"n": step.levels}
    role = Role(step.role).label if step.role in Role.values else step.role
    if step.role_in_department:
        return _("角色“%(role)s”（从提交人所在部门逐级向上查找，任一人审批）") % {"role": role}
    return _("角色“%(role)s”（任一人审批）") % {"role": role}


def condition_text(flow: Flow, step: FlowStep) -> str:
    if not step.condition_field:
        return ""
    kind = get_document_type(flow.document_type)
    found = kind.condition_field(step.condition_field) if kind is not None else None
    label = found.label if found is not None else step.condition_field
    operator = (
        Operator(step.condition_operator).label
        if step.condition_operator in Operator.values
        else step.condition_operator
    )
    return _("当 %(field)s %(operator)s %(value)s 时") % {
        "field": label,
        "operator": operator,
        "value": step.condition_value,
    }


@dataclass
class FlowRow:
    flow: Flow
    document_label: Any
    steps: list[tuple[FlowStep, str, str]] = field(default_factory=list)


def flow_rows(flows: list[Flow]) -> list[FlowRow]:
    rows = []
    for flow in flows:
        kind = get_document_type(flow.document_type)
        row = FlowRow(flow, kind.label if kind is not None else flow.document_type)
        for step in flow.steps.all():
            row.steps.append((step, approver_text(step), condition_text(flow, step)))
        rows.append(row)
    return rows
