"""Writes of deliverable acceptance (SPEC E4): acceptance criteria, the tasks whose work a
deliverable is, submit for acceptance, and the customer's decision — by a portal account
that approves for the customer, or recorded by the project's staff on behalf of a named
contact. A rejection needs a reason, reopens the deliverable's tasks (back to 进行中) and
counts against the first-pass acceptance rate (``selectors_changes.first_pass_rate``).

Status flow: draft → submitted → accepted | rejected; rejected → submitted again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.limits import MAX_ID
from guanxi.core.writes import check_version
from guanxi.customers.timeline import TimelineText, timeline_add
from guanxi.notifications.services import notify
from guanxi.projects.models import (
    AcceptanceCriterion,
    Deliverable,
    DeliverableReview,
    DeliverableStatus,
    Project,
    ReviewDecision,
    Task,
    TaskStatus,
)
from guanxi.projects.services import plan
from guanxi.projects.services.changes import (
    _text,
    can_approve_for,
    may_record_customer_decision,
)

__all__ = [
    "NOTIFY_KIND",
    "criterion_add",
    "criterion_delete",
    "criterion_set",
    "deliverable_customer_decide",
    "deliverable_decide_on_behalf",
    "deliverable_set_tasks",
    "deliverable_submit",
]

NOTIFY_KIND: Final = "project_deliverable"
MAX_CRITERIA: Final = 50
D = DeliverableStatus
SUBMITTABLE: Final = frozenset({D.DRAFT, D.REJECTED})
# Tasks a rejection sends back to work.
_REOPENED: Final = (TaskStatus.REVIEW, TaskStatus.DONE)


def _valid_id(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and 1 <= value <= MAX_ID


def _deliverable(project: Project, deliverable_id: Any) -> Deliverable:
    found = (
        Deliverable.objects.select_for_update(of=("self",))
        .filter(project=project, pk=deliverable_id)
        .first()
        if _valid_id(deliverable_id)
        else None
    )
    if found is None:
        raise NotFound(_("交付物不存在。"), field="deliverable_id")
    found.project = project
    return found


def _lock(actor: Any, project_id: Any, deliverable_id: Any) -> tuple[Project, Deliverable]:
    project = plan.project_lock(actor, project_id)
    return project, _deliverable(project, deliverable_id)


def _criterion(project: Project, criterion_id: Any) -> AcceptanceCriterion:
    found = (
        AcceptanceCriterion.objects.select_for_update(of=("self",))
        .select_related("deliverable")
        .filter(deliverable__project=project, pk=criterion_id)
        .first()
        if _valid_id(criterion_id)
        else None
    )
    if found is None:
        raise NotFound(_("验收标准不存在。"), field="criterion_id")
    return found


def _editable(deliverable: Deliverable) -> None:
    if deliverable.status not in SUBMITTABLE:
        raise Conflict(
            _("交付物状态为“%(status)s”，验收标准不能再修改。")
            % {"status": DeliverableStatus(deliverable.status).label},
            field="status",
        )


def _timeline(deliverable: Deliverable, actor: Any, msgid: str, body: str = "") -> None:
    project = deliverable.project
    timeline_add(
        customer_id=project.customer_id,
        kind="project",
        occurred_at=timezone.now(),
        title=TimelineText(msgid, {"name": project.name, "deliverable": deliverable.name}),
        body=body,
        actor=actor,
        subject=deliverable,
        data={"status": deliverable.status, "deliverable": deliverable.pk},
    )


def _notify_manager(deliverable: Deliverable, actor: Any, message: Any) -> None:
    from django.urls import reverse

    manager_id = deliverable.project.manager_id
    if manager_id is None or manager_id == getattr(actor, "pk", None):
        return
    notify(
        recipients=[manager_id],
        kind=NOTIFY_KIND,
        title=format_lazy(message, name=deliverable.name),
        url=reverse("projects:deliverables", args=[deliverable.project_id]),
        subject=deliverable,
        actor=actor,
    )


# --- criteria and tasks ----------------------------------------------------------------------


@transaction.atomic
def criterion_add(
    *, actor: Any, project_id: Any, deliverable_id: Any, text: Any
) -> AcceptanceCriterion:
    project, deliverable = _lock(actor, project_id, deliverable_id)
    _editable(deliverable)
    count = deliverable.criteria.count()
    if count >= MAX_CRITERIA:
        raise ValidationFailed({"text": _("最多 %(max)s 条验收标准。") % {"max": MAX_CRITERIA}})
    criterion = AcceptanceCriterion.objects.create(
        deliverable=deliverable, position=count + 1, text=_text(text, "text", 300, required=True)
    )
    audit.audit_create(actor=actor, obj=criterion, customer_id=project.customer_id)
    return criterion


@transaction.atomic
def criterion_set(
    *, actor: Any, project_id: Any, criterion_id: Any, met: Any = None, text: Any = None
) -> AcceptanceCriterion:
    """Tick a criterion as met (or not), or reword it, while the deliverable may still be
    submitted."""
    project = plan.project_lock(actor, project_id)
    criterion = _criterion(project, criterion_id)
    _editable(criterion.deliverable)
    before = audit.snapshot(criterion, ["text", "met"])
    if met is not None:
        if not isinstance(met, bool):
            raise ValidationFailed({"met": _("必须是 true 或 false。")})
        criterion.met = met
    if text is not None:
        criterion.text = _text(text, "text", 300, required=True)
    if audit.diff(before, audit.snapshot(criterion, before.keys())):
        criterion.save(update_fields=["text", "met"])
        audit.audit_update(
            actor=actor, obj=criterion, before=before, customer_id=project.customer_id
        )
    return criterion


@transaction.atomic
def criterion_delete(*, actor: Any, project_id: Any, criterion_id: Any) -> None:
    project = plan.project_lock(actor, project_id)
    criterion = _criterion(project, criterion_id)
    _editable(criterion.deliverable)
    audit.audit_delete(actor=actor, obj=criterion, customer_id=project.customer_id)
    criterion.delete()


@transaction.atomic
def deliverable_set_tasks(
    *, actor: Any, project_id: Any, deliverable_id: Any, task_ids: Sequence[Any],
    version: int | None,
) -> Deliverable:  # fmt: skip
    """The tasks whose work the deliverable is (a rejection reopens them)."""
    project, deliverable = _lock(actor, project_id, deliverable_id)
    check_version(deliverable, version)
    if not isinstance(task_ids, Sequence) or isinstance(task_ids, str) or len(task_ids) > 500:
        raise ValidationFailed({"task_ids": _("必须是任务编号的列表。")})
    wanted: set[int] = set()
    for value in task_ids:
        if not _valid_id(value):
            raise ValidationFailed({"task_ids": _("必须是任务编号的列表。")})
        wanted.add(value)
    found = set(Task.objects.filter(project=project, pk__in=wanted).values_list("id", flat=True))
    if found != wanted:
        raise ValidationFailed({"task_ids": _("任务不存在。")})
    old = set(deliverable.tasks.values_list("id", flat=True))
    if old != wanted:
        deliverable.tasks.set(sorted(wanted))
        deliverable.version += 1
        deliverable.save(update_fields=["version", "updated_at"])
        audit.record(
            actor=actor, action="update", obj=deliverable,
            changes={"tasks": [sorted(old), sorted(wanted)]}, customer_id=project.customer_id,
        )  # fmt: skip
    return deliverable


# --- submit and decide -----------------------------------------------------------------------


@transaction.atomic
def deliverable_submit(
    *, actor: Any, project_id: Any, deliverable_id: Any, version: int | None
) -> Deliverable:
    """Submit the deliverable for acceptance with its criteria (at least one), as a new
    review round; a rejected one may be submitted again."""
    project, deliverable = _lock(actor, project_id, deliverable_id)
    check_version(deliverable, version)
    if deliverable.status not in SUBMITTABLE:
        raise Conflict(_("该交付物已提交验收或已验收。"), field="status")
    criteria = [{"text": c.text, "met": c.met} for c in deliverable.criteria.all()]
    if not criteria:
        raise ValidationFailed({"criteria": _("提交验收前请先列出验收标准。")})
    before = audit.snapshot(deliverable)
    rounds = deliverable.reviews.count()
    DeliverableReview.objects.create(
        deliverable=deliverable, round=rounds + 1, submitted_by=actor, criteria=criteria
    )
    deliverable.status = D.SUBMITTED
    deliverable.submitted_at, deliverable.submitted_by = timezone.now(), actor
    deliverable.version += 1
    deliverable.save()
    audit.audit_update(actor=actor, obj=deliverable, before=before, customer_id=project.customer_id)
    _timeline(deliverable, actor, gettext_noop("项目 %(name)s 提交交付物验收：%(deliverable)s"))
    return deliverable


def _decide(
    deliverable: Deliverable,
    *,
    actor: Any,
    accept: Any,
    reason: Any,
    on_behalf: bool,
    contact: str,
) -> Deliverable:
    if not isinstance(accept, bool):
        raise ValidationFailed({"accept": _("必须是 true 或 false。")})
    if deliverable.status != D.SUBMITTED:
        raise Conflict(_("该交付物没有待验收的提交。"), field="status")
    text = _text(reason, "reason", 2000, required=not accept)
    project = deliverable.project
    review = (
        DeliverableReview.objects.select_for_update()
        .filter(deliverable=deliverable)
        .order_by("-round")
        .first()
    )
    now = timezone.now()
    before = audit.snapshot(deliverable)
    deliverable.status = D.ACCEPTED if accept else D.REJECTED
    deliverable.done = accept
    deliverable.decided_at, deliverable.decided_by = now, actor
    deliverable.decided_on_behalf, deliverable.customer_contact = on_behalf, contact
    if not accept:
        deliverable.rejection_reason = text
        deliverable.rejection_count += 1
    deliverable.version += 1
    deliverable.save()
    audit.audit_update(actor=actor, obj=deliverable, before=before, customer_id=project.customer_id)
    if review is not None:
        review.decision = ReviewDecision.ACCEPTED if accept else ReviewDecision.REJECTED
        review.decided_at, review.decided_by, review.reason = now, actor, text
        review.decided_on_behalf, review.customer_contact = on_behalf, contact
        review.save()
    from guanxi.projects.services.kpi import kpi_request_refresh

    kpi_request_refresh(project_id=project.pk)  # first-pass acceptance moved
    if accept:
        _timeline(deliverable, actor, gettext_noop("客户验收通过交付物：%(deliverable)s"), text)
        _notify_manager(deliverable, actor, gettext_lazy("交付物“{name}”已通过客户验收"))
    else:
        _reopen_tasks(deliverable, actor)
        _timeline(deliverable, actor, gettext_noop("交付物验收未通过：%(deliverable)s"), text)
        _notify_manager(deliverable, actor, gettext_lazy("交付物“{name}”验收未通过，已重新打开"))
    return deliverable


def _reopen_tasks(deliverable: Deliverable, actor: Any) -> None:
    """The deliverable's finished (or in review) tasks go back to work (进行中)."""
    project = deliverable.project
    tasks = list(
        Task.objects.select_for_update(of=("self",))
        .filter(deliverables=deliverable, status__in=_REOPENED)
        .order_by("id")
    )
    position = plan._next_board_position(project, TaskStatus.DOING)
    rows: list[tuple[Any, str, int | None, dict[str, list[Any]]]] = []
    for task in tasks:
        rows.append((task.pk, str(task), project.customer_id, {"status": [task.status, "doing"]}))
        task.status = TaskStatus.DOING
        task.board_position = position
        task.version += 1
        position += 1
    if tasks:
        Task.objects.bulk_update(tasks, ["status", "board_position", "version"])
        audit.audit_bulk_update(actor=actor, model=Task, rows=rows)


@transaction.atomic
def deliverable_decide_on_behalf(
    *,
    actor: Any,
    project_id: Any,
    deliverable_id: Any,
    accept: Any,
    reason: Any = "",
    contact_name: Any,
    version: int | None,
) -> Deliverable:
    """Staff record the customer's acceptance (or rejection, with a reason) in the name
    of the customer's contact (``contact_name``); only those who answer for the project
    to the customer, 403 for anyone else."""
    project, deliverable = _lock(actor, project_id, deliverable_id)
    check_version(deliverable, version)
    if not may_record_customer_decision(actor, project):
        raise PermissionDenied(_("只有项目经理或客户经理可以代客户验收。"))
    contact = _text(contact_name, "contact_name", 100, required=True)
    return _decide(
        deliverable, actor=actor, accept=accept, reason=reason, on_behalf=True, contact=contact
    )


@transaction.atomic
def deliverable_customer_decide(
    deliverable: Deliverable, *, portal_user: Any, accept: Any, reason: Any = ""
) -> Deliverable:
    """The customer's own decision through the portal (called by the portal): only a
    portal account that approves for the project's customer."""
    locked = (
        Deliverable.objects.select_for_update(of=("self",))
        .select_related("project", "project__customer")
        .get(pk=deliverable.pk)
    )
    if not can_approve_for(portal_user, locked.project.customer_id):
        raise PermissionDenied(_("只有客户的审批人可以验收交付物。"))
    name = str(getattr(portal_user, "display_name", "") or portal_user)[:100]
    result = _decide(
        locked, actor=portal_user, accept=accept, reason=reason, on_behalf=False, contact=name
    )
    deliverable.status, deliverable.version = result.status, result.version
    return result
