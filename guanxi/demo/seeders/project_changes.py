"""The demo's change requests (需求变更) and deliverable acceptance (``projects``, issue 15
items 3, 5). On the active projects: change requests in every state — drafts, assessed,
in internal review, awaiting the customer, rejected by the customer, withdrawn, applied
(with the new baseline the approval took), and one approved request the plan could no
longer take (two requests proposing opposite dependencies: the first applied, the second's
cycle refused) — and on every project's deliverables acceptance criteria, the delivered
ones accepted (some only after a rejection that reopened their work), some submitted and
waiting, one rejected and reopened.

Everything goes through the projects app's services (numbering, CPM impact, approval flow,
audit, timeline, notifications); the internal review is a one-step flow decided by a
department manager. Does nothing when no project exists. Draws only from ``ctx.rng``
after the seeders before it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from guanxi.accounts.models import Role, User
from guanxi.approvals.models import ApproverKind, Flow, FlowStep
from guanxi.approvals.selectors import request_for_document
from guanxi.approvals.services import approval_decide
from guanxi.core.errors import DomainError
from guanxi.demo.context import Context
from guanxi.projects.models import (
    ChangeRequest,
    ChangeStatus,
    Deliverable,
    Project,
    ProjectStatus,
    Task,
)
from guanxi.projects.services import acceptance, changes

MAX_PROJECTS: Final = 12
S = ChangeStatus
TARGETS: Final = (
    S.APPLIED, S.AWAITING_CUSTOMER, S.IN_REVIEW, S.IMPACT_STATED, S.REJECTED, S.DRAFT,
    S.WITHDRAWN,
)  # fmt: skip
REQUESTS: Final = [
    ("增加数据导出功能", "客户希望按月导出全部业务数据（Excel）。", "新增导出模块与权限配置"),
    ("报表增加英文版", "海外总部需要英文版月度报表。", "报表模板双语化"),
    ("接入企业微信通知", "审批与提醒需推送到企业微信。", "新增消息通道与配置页"),
    ("延长试运行期", "客户业务高峰期，试运行延长两周。", "上线计划顺延"),
    ("取消移动端首页改版", "客户决定暂缓移动端改版。", "减少移动端工作量"),
    ("增加单点登录", "统一使用客户现有 SSO 登录。", "新增 SSO 对接与测试"),
    ("数据迁移范围扩大", "历史数据由三年扩大到五年。", "迁移脚本与校验工作量增加"),
]
CRITERIA: Final = [
    "功能与需求说明书一致",
    "通过客户验收测试用例",
    "提供操作手册",
    "性能满足约定指标",
]
REJECTIONS: Final = ["导出文件中文乱码", "缺少操作手册", "性能未达到约定指标", "与需求说明不一致"]


def _approver(ctx: Context) -> User | None:
    return next((u for u in ctx.users.values() if u.role == Role.MANAGER), None)


def _flow(approver: User) -> None:
    if Flow.objects.filter(document_type=changes.DOCUMENT_TYPE, active=True).exists():
        return
    flow = Flow.objects.create(
        document_type=changes.DOCUMENT_TYPE,
        name="需求变更审批",
        description="需求变更的影响（范围、成本、进度、质量）评估后，由部门经理审批，再交客户确认。",
    )
    FlowStep.objects.create(
        flow=flow, position=1, name="部门经理审批", approver_kind=ApproverKind.USER,
        user=approver,
    )  # fmt: skip


def _contact(ctx: Context, project: Project) -> str:
    people = ctx.contacts.get(project.customer_id) or []
    return people[0].name if people else "客户联系人"


def _review(cr: ChangeRequest, approver: User, *, approve: bool = True) -> None:
    request = request_for_document(document_type=changes.DOCUMENT_TYPE, object_id=cr.pk)
    if request is None:
        return
    approval_decide(
        actor=approver, request_id=request.pk, decision="approve" if approve else "reject",
        version=request.version, comment="同意，请与客户确认" if approve else "请补充成本测算",
    )  # fmt: skip


def _fresh(cr: ChangeRequest) -> ChangeRequest:
    return ChangeRequest.objects.get(pk=cr.pk)


def _drive(
    ctx: Context, project: Project, manager: Any, approver: User | None, target: str,
    leaves: list[Task], index: int,
) -> None:  # fmt: skip
    rng = ctx.rng
    title, description, scope = REQUESTS[index % len(REQUESTS)]
    from_customer = rng.random() < 0.6
    contact = _contact(ctx, project)
    cr = changes.change_request_create(
        actor=manager, project_id=project.pk,
        data={"title": title, "description": description,
              "origin": "customer" if from_customer else "team",
              "raised_for_contact": contact if from_customer else ""},
    )  # fmt: skip
    if target == S.DRAFT:
        return
    if target == S.WITHDRAWN and rng.random() < 0.5:
        changes.change_request_withdraw(
            actor=manager, project_id=project.pk, change_request_id=cr.pk, version=cr.version
        )
        return
    task = rng.choice(leaves)
    cr = changes.change_request_state_impact(
        actor=manager, project_id=project.pk, change_request_id=cr.pk, scope_impact=scope,
        cost_delta=Decimal(rng.randrange(-20, 120) * 500),
        quality_impact=rng.choice(["需增加回归测试", "无明显影响", "需客户参与验收测试"]),
        task_changes=[{"kind": "duration", "task_id": task.pk,
                       "duration_days": task.duration_days + rng.randint(1, 5)}],
        version=cr.version,
    )  # fmt: skip
    if target in (S.IMPACT_STATED, S.WITHDRAWN):
        if target == S.WITHDRAWN:
            changes.change_request_withdraw(
                actor=manager, project_id=project.pk, change_request_id=cr.pk, version=cr.version
            )
        return
    if approver is None:
        return
    cr = changes.change_request_submit(
        actor=manager, project_id=project.pk, change_request_id=cr.pk, version=cr.version
    )
    if target == S.IN_REVIEW:
        return
    _review(cr, approver)
    cr = _fresh(cr)
    if target == S.AWAITING_CUSTOMER:
        return
    changes.change_request_decide_on_behalf(
        actor=manager, project_id=project.pk, change_request_id=cr.pk,
        approve=target == S.APPLIED, contact_name=contact,
        comment="同意变更" if target == S.APPLIED else "预算有限，本期不做", version=cr.version,
    )  # fmt: skip


def _independent_pair(project: Project, leaves: list[Task]) -> tuple[Task, Task] | None:
    """Two tasks with no dependency path between them either way (each direction on its
    own schedules), so opposite links are each acceptable alone and a cycle together."""
    for p in reversed(leaves):
        for q in leaves:
            if p.pk == q.pk:
                continue
            try:
                for a, b in ((p, q), (q, p)):
                    changes.schedule_impact(
                        project=project,
                        changes=[changes.ProposedChange(kind="new_link", predecessor_id=a.pk,
                                                        successor_id=b.pk)],
                    )  # fmt: skip
            except DomainError:
                continue
            return p, q
    return None


def _conflicting(
    ctx: Context, project: Project, manager: Any, approver: User, leaves: list[Task]
) -> int:
    """Two requests proposing opposite dependencies between two tasks: both assessed
    on the plan as it was, the first applied; the second, approved by the customer, stays
    approved with the cycle named as why it could not be applied."""
    pair = _independent_pair(project, leaves)
    if pair is None:
        return 0
    p, q = pair
    contact = _contact(ctx, project)
    made = []
    for pred, succ, title in ((p, q, "调整任务先后顺序（方案一）"),
                              (q, p, "调整任务先后顺序（方案二）")):  # fmt: skip
        cr = changes.change_request_create(
            actor=manager, project_id=project.pk, data={"title": title, "origin": "team"}
        )
        cr = changes.change_request_state_impact(
            actor=manager, project_id=project.pk, change_request_id=cr.pk,
            scope_impact="调整任务顺序", cost_delta=Decimal("0"), quality_impact="",
            task_changes=[{"kind": "new_link", "predecessor_id": pred.pk,
                           "successor_id": succ.pk}],
            version=cr.version,
        )  # fmt: skip
        cr = changes.change_request_submit(
            actor=manager, project_id=project.pk, change_request_id=cr.pk, version=cr.version
        )
        _review(cr, approver)
        made.append(cr.pk)
    for pk in made:
        cr = ChangeRequest.objects.get(pk=pk)
        if cr.status != S.AWAITING_CUSTOMER:
            continue
        changes.change_request_decide_on_behalf(
            actor=manager, project_id=project.pk, change_request_id=cr.pk, approve=True,
            contact_name=contact, comment="同意", version=cr.version,
        )  # fmt: skip
    return len(made)


def _acceptance(ctx: Context, project: Project, manager: Any) -> int:
    rng = ctx.rng
    made = 0
    tasks = list(Task.objects.filter(project=project, is_summary=False).order_by("tree_key"))
    for n, deliverable in enumerate(Deliverable.objects.filter(project=project).order_by("id")):
        for text in rng.sample(CRITERIA, k=rng.randint(2, 3)):
            acceptance.criterion_add(
                actor=manager, project_id=project.pk, deliverable_id=deliverable.pk, text=text
            )
        d = Deliverable.objects.get(pk=deliverable.pk)
        if tasks:
            d = acceptance.deliverable_set_tasks(
                actor=manager, project_id=project.pk, deliverable_id=d.pk,
                task_ids=[t.pk for t in rng.sample(tasks, k=min(len(tasks), 2))],
                version=d.version,
            )  # fmt: skip
        made += 1
        if not deliverable.done and n % 3:
            continue  # not delivered yet: criteria only
        d = acceptance.deliverable_submit(
            actor=manager, project_id=project.pk, deliverable_id=d.pk, version=d.version
        )
        if not deliverable.done:
            continue  # submitted, the customer has yet to decide
        kw = {"actor": manager, "project_id": project.pk, "deliverable_id": d.pk,
              "contact_name": _contact(ctx, project)}  # fmt: skip
        rejected_first = rng.random() < 0.25
        if rejected_first:
            d = acceptance.deliverable_decide_on_behalf(
                accept=False, reason=rng.choice(REJECTIONS), version=d.version, **kw
            )
            if rng.random() < 0.3:
                continue  # rejected, its work reopened
            d = acceptance.deliverable_submit(
                actor=manager, project_id=project.pk, deliverable_id=d.pk, version=d.version
            )
        acceptance.deliverable_decide_on_behalf(
            accept=True, reason="验收通过", version=d.version, **kw
        )
    return made


def seed_project_changes(ctx: Context) -> None:
    projects = list(
        Project.objects.filter(manager__isnull=False)
        .exclude(status=ProjectStatus.CANCELLED)
        .select_related("manager", "customer")
        .order_by("pk")[: MAX_PROJECTS * 3]
    )
    if not projects:
        return
    approver = _approver(ctx)
    if approver is not None:
        _flow(approver)
    requests = deliverables = 0
    active = [p for p in projects if p.status == ProjectStatus.ACTIVE][:MAX_PROJECTS]
    for i, project in enumerate(active):
        leaves = list(Task.objects.filter(project=project, is_summary=False).order_by("tree_key"))
        if not leaves:
            continue
        for k in range(2):
            _drive(ctx, project, project.manager, approver, TARGETS[(2 * i + k) % len(TARGETS)],
                   leaves, 2 * i + k)  # fmt: skip
            requests += 1
        if i == 0 and approver is not None and len(leaves) > 1:
            requests += _conflicting(ctx, project, project.manager, approver, leaves)
    for project in projects:
        deliverables += _acceptance(ctx, project, project.manager)
    ctx.counts["project_change_requests"] += requests
    ctx.counts["project_deliverable_acceptance"] += deliverables
    ctx.log(f"需求变更 {requests} 项，交付物验收 {deliverables} 项")
