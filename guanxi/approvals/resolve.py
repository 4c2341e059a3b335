"""From a flow definition to the steps of one submission: which steps apply (their
conditions on the document's values) and who decides each (named user, direct manager,
role, manager chain, department heads). Read-only; ``approvals.services`` persists it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from guanxi.accounts.models import Role, Team, User
from guanxi.approvals.models import ApproverKind, Flow, FlowStep, Operator
from guanxi.approvals.registry import DocumentType, FieldKind
from guanxi.core.errors import ValidationFailed

NUMBER_OPERATORS = frozenset(Operator.values)
TEXT_OPERATORS = frozenset({Operator.EQ, Operator.NE})
MAX_TREE_DEPTH = 50  # a guard against a cycle slipped into User.manager / Team.parent


@dataclass
class ResolvedStep:
    name: str
    flow_step: FlowStep | None
    approvers: list[User] = field(default_factory=list)
    # The only possible approver is the submitter: decided without anyone acting.
    automatic: bool = False


def compare(left: Decimal | str | None, operator: str, right: Decimal | str | None) -> bool:
    """``left <operator> right``; a missing value satisfies only "not equal"."""
    if left is None or right is None:
        return operator == Operator.NE and left != right
    if operator == Operator.EQ:
        return left == right
    if operator == Operator.NE:
        return left != right
    if not isinstance(left, Decimal) or not isinstance(right, Decimal):
        return False
    return {
        Operator.GT: left > right,
        Operator.GTE: left >= right,
        Operator.LT: left < right,
        Operator.LTE: left <= right,
    }.get(Operator(operator), False)


def condition_errors(
    document_type: DocumentType | None, field_name: str, operator: str, value: str
) -> dict[str, str]:
    """What is wrong with a step's condition (field name → message); empty when valid.
    The admin form and the submission both ask, so a broken flow is caught when edited."""
    if not field_name:
        return {}
    if document_type is None:
        return {"condition_field": _("单据类型未注册，无法设置条件。")}
    found = document_type.condition_field(field_name)
    if found is None:
        names = "、".join(f.name for f in document_type.all_fields) or "—"
        return {
            "condition_field": _("单据类型不支持此条件字段（可用：%(names)s）。") % {"names": names}
        }
    if not operator:
        return {"condition_operator": _("请选择条件运算。")}
    allowed = NUMBER_OPERATORS if found.kind == FieldKind.NUMBER else TEXT_OPERATORS
    if operator not in allowed:
        return {"condition_operator": _("文本字段只能比较“等于”或“不等于”。")}
    if found.kind == FieldKind.NUMBER and found.parse(value) is None:
        return {"condition_value": _("必须是数字。")}
    return {}


def condition_holds(step: FlowStep, document_type: DocumentType, values: Mapping[str, Any]) -> bool:
    if not step.condition_field:
        return True
    errors = condition_errors(
        document_type, step.condition_field, step.condition_operator, step.condition_value
    )
    if errors:
        raise ValidationFailed(
            {
                "flow": _("审批流程配置有误（步骤“%(step)s”：%(error)s），请联系管理员。")
                % {"step": step.name, "error": next(iter(errors.values()))}
            }
        )
    found = document_type.condition_field(step.condition_field)
    assert found is not None
    return compare(
        found.parse(values.get(step.condition_field)),
        step.condition_operator,
        found.parse(step.condition_value),
    )


def _usable(users: Iterable[User]) -> list[User]:
    return [u for u in users if u.is_active and (u.is_superuser or u.role != Role.PORTAL)]


def _no_approver(step: FlowStep, why: str) -> ValidationFailed:
    return ValidationFailed(
        {"flow": _("步骤“%(step)s”找不到审批人：%(why)s") % {"step": step.name, "why": why}}
    )


def _single(step: FlowStep, name: str, users: list[User], submitter: User) -> ResolvedStep:
    """A step decided by any one of ``users``; only the submitter → automatic."""
    others = [u for u in users if u.pk != submitter.pk]
    if not others:
        return ResolvedStep(name=name, flow_step=step, approvers=[], automatic=True)
    return ResolvedStep(name=name, flow_step=step, approvers=others)


def _team_chain(team_id: int | None) -> list[Team]:
    chain: list[Team] = []
    seen: set[int] = set()
    while team_id is not None and team_id not in seen and len(chain) < MAX_TREE_DEPTH:
        seen.add(team_id)
        team = Team.objects.filter(pk=team_id).first()
        if team is None:
            break
        chain.append(team)
        team_id = team.parent_id
    return chain


def _users_with_role(role: str, team_ids: Iterable[int] | None = None) -> list[User]:
    qs = User.objects.filter(role=role, is_active=True).order_by("id")
    if team_ids is not None:
        qs = qs.filter(team_id__in=list(team_ids))
    return list(qs)


def _level_name(step: FlowStep, level: int) -> str:
    if step.levels <= 1:
        return step.name
    return _("%(name)s（第 %(level)s 级）") % {"name": step.name, "level": level}


def _resolve_one(step: FlowStep, submitter: User) -> list[ResolvedStep]:
    kind = step.approver_kind
    if kind == ApproverKind.USER:
        users = _usable([step.user]) if step.user is not None else []
        if not users:
            raise _no_approver(step, _("指定成员已停用。"))
        return [_single(step, step.name, users, submitter)]
    if kind == ApproverKind.MANAGER:
        manager = submitter.manager
        users = _usable([manager]) if manager is not None else []
        if not users:
            raise _no_approver(step, _("提交人没有直属上级。"))
        return [_single(step, step.name, users, submitter)]
    if kind == ApproverKind.MANAGER_CHAIN:
        # Up to ``levels`` managers, one step each, stopping at the top of the chain.
        resolved: list[ResolvedStep] = []
        seen = {submitter.pk}
        current = submitter.manager
        while current is not None and len(resolved) < step.levels and current.pk not in seen:
            seen.add(current.pk)
            if _usable([current]):
                resolved.append(
                    _single(step, _level_name(step, len(resolved) + 1), [current], submitter)
                )
            current = current.manager
        if not resolved:
            raise _no_approver(step, _("提交人没有直属上级。"))
        return resolved
    if kind == ApproverKind.DEPARTMENT_HEADS:
        # The managers (role 经理) of the submitter's department, then of its parent, … —
        # one step per level; departments without a manager are passed over.
        resolved = []
        for team in _team_chain(submitter.team_id):
            if len(resolved) >= step.levels:
                break
            heads = _users_with_role(Role.MANAGER, [team.pk])
            if heads:
                name = _level_name(step, len(resolved) + 1)
                resolved.append(_single(step, name, heads, submitter))
        if not resolved:
            raise _no_approver(step, _("提交人所在部门及上级部门都没有经理。"))
        return resolved
    if kind == ApproverKind.ROLE:
        if step.role_in_department:
            for team in _team_chain(submitter.team_id):
                holders = _users_with_role(step.role, [team.pk])
                if holders:
                    return [_single(step, step.name, holders, submitter)]
            raise _no_approver(step, _("提交人所在部门及上级部门都没有该角色的成员。"))
        holders = _users_with_role(step.role)
        if not holders:
            raise _no_approver(step, _("没有该角色的在职成员。"))
        return [_single(step, step.name, holders, submitter)]
    raise _no_approver(step, _("未知的审批人类型。"))


def resolve_steps(
    *, flow: Flow, document_type: DocumentType, submitter: User, values: Mapping[str, Any]
) -> list[ResolvedStep]:
    """The steps of a new round, in order: the flow's steps whose condition holds, each
    expanded to its approvers (manager chains and department heads to one step a level)."""
    resolved: list[ResolvedStep] = []
    for step in flow.steps.select_related("user").order_by("position"):
        if condition_holds(step, document_type, values):
            resolved.extend(_resolve_one(step, submitter))
    return resolved
