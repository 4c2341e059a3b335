"""Closing a project (SPEC E8 结项): the closure record with the summary and the actual
cost as it stands, the lessons learned, the customer's evaluation of the team (the
project's CSAT, 1–5: recorded at closure by staff, or later — by staff on the customer's
behalf or through the portal), the follow-up visit (C4 回访) for the customer's account
manager, and the end on the customer's timeline.

A project closes from its last phase (结束) only, that is after the earlier gates passed;
open tasks are refused, named, unless the closure is forced with a reason (kept on the
record). Closing passes the last gate, sets the project closed and its customer lifecycle
to IV 交付后反馈.

Satisfaction per phase (阶段满意度, E8): once a phase's gate passed, the customer's
satisfaction with that phase (1–5 and a comment) is recorded on the gate — by staff on
behalf of a named contact — once; it is audited and on the customer's timeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.writes import check_version
from guanxi.customers.timeline import ChoiceLabel, TimelineText, timeline_add
from guanxi.notifications.services import notify
from guanxi.projects.models import (
    PHASE_ORDER,
    EvaluationSource,
    LifecycleStage,
    Phase,
    PhaseGate,
    Project,
    ProjectClosure,
    ProjectStatus,
    Task,
    TaskStatus,
)
from guanxi.projects.selectors_actuals import actual_cost_by_task
from guanxi.projects.services.changes import may_record_customer_decision
from guanxi.projects.services.plan import _int_in, _text, project_lock
from guanxi.projects.services.risks import lesson_create
from guanxi.service.models import FollowUp, FollowUpReason
from guanxi.service.services.visits import DEFAULT_DAYS, FOLLOWUP_ASSIGNED

__all__ = [
    "FOLLOWUP_REASON",
    "close_project",
    "closure_evaluate",
    "closure_evaluate_for_customer",
    "followup_days",
    "gate_csat_record",
]

# The visit's reason: the service app's own "after a project" reason once it has one;
# until then the visit after a closed ticket is the nearest (its note names the project).
FOLLOWUP_REASON: str = FollowUpReason.PROJECT_CLOSED
NAMED_OPEN_TASKS = 5


def followup_days() -> int:
    """Days after closure the follow-up visit is due (``GUANXI_PROJECT_FOLLOWUP_DAYS``,
    else the service's ``GUANXI_FOLLOWUP_DAYS``, 14)."""
    days = getattr(
        settings, "GUANXI_PROJECT_FOLLOWUP_DAYS", getattr(settings, "GUANXI_FOLLOWUP_DAYS", 0)
    )
    return max(1, int(days or DEFAULT_DAYS))


def _score(value: Any) -> int:
    if value is None or value == "":
        raise ValidationFailed({"evaluation_score": _("这个字段是必填项。")})
    return _int_in(value, "evaluation_score", 1, 5)


def _comment(value: Any) -> str:
    return (
        _text({"evaluation_comment": value or ""}, "evaluation_comment", 2000, required=False) or ""
    )


def _actual_cost(project: Project) -> Decimal:
    return sum(actual_cost_by_task(project.pk).values(), Decimal("0")).quantize(Decimal("0.01"))


def _open_tasks(project: Project) -> list[str]:
    return list(
        Task.objects.filter(project=project, is_summary=False)
        .exclude(status=TaskStatus.DONE)
        .order_by("tree_key", "id")
        .values_list("name", flat=True)
    )


def _follow_up(project: Project, actor: Any, now: dt.datetime) -> FollowUp:
    customer = project.customer
    due = timezone.localdate(now) + dt.timedelta(days=followup_days())
    follow_up = FollowUp.objects.create(
        reason=FOLLOWUP_REASON, customer=customer, owner_id=customer.owner_id,
        team_id=customer.team_id, due_date=due,
        note=_("项目结项回访：%(name)s") % {"name": project.name},
    )  # fmt: skip
    audit.audit_create(actor=actor, obj=follow_up, customer_id=customer.pk)
    if follow_up.owner_id is not None:
        notify(
            recipients=[follow_up.owner_id], kind=FOLLOWUP_ASSIGNED,
            title=format_lazy(gettext_lazy("项目结项回访：{customer}（{project}，{date} 前）"),
                              customer=customer.name, project=project.name, date=due.isoformat()),
            url=reverse("service:visits") + f"?status=pending&customer={customer.pk}",
            subject=follow_up, dedupe_key=f"project-closure-followup:{project.pk}",
        )  # fmt: skip
    return follow_up


def _evaluate(
    closure: ProjectClosure, *, actor: Any, score: int, comment: str, source: str, now: Any
) -> None:
    if closure.evaluated_at is not None:
        raise Conflict(_("该项目已有客户评价。"), field="evaluation_score")
    before = audit.snapshot(closure)
    closure.evaluation_score = score
    closure.evaluation_comment = comment
    closure.evaluation_source = source
    closure.evaluated_at = now
    closure.evaluated_by = actor if getattr(actor, "is_authenticated", False) else None
    closure.save()
    project = closure.project
    audit.audit_update(actor=actor, obj=closure, before=before, customer_id=project.customer_id)
    timeline_add(
        customer_id=project.customer_id, kind="project", occurred_at=now,
        title=TimelineText(gettext_noop("客户对项目 %(name)s 团队的评价：%(score)s 分"),
                           {"name": project.name, "score": score}),
        body=comment, actor=actor, subject=project,
        data={"evaluation_score": score, "source": source},
    )  # fmt: skip


@transaction.atomic
def close_project(
    *,
    actor: Any,
    project_id: Any,
    summary: Any = "",
    lessons: Sequence[Mapping[str, Any]] = (),
    evaluation: Mapping[str, Any] | None = None,
    force_reason: Any = "",
    version: int | None,
    now: dt.datetime | None = None,
) -> ProjectClosure:
    """Close the project: see the module's docstring. ``lessons`` are dicts of
    ``category``, ``text``, ``tags``; ``evaluation`` a dict of ``score`` and ``comment``."""
    now = now or timezone.now()
    project = project_lock(actor, project_id)
    check_version(project, version)
    if ProjectClosure.objects.filter(project=project).exists():
        raise Conflict(_("该项目已经结项。"), field="project_id")
    if project.status == ProjectStatus.CANCELLED:
        raise ValidationFailed({"status": _("已取消的项目不能结项。")})
    if project.phase != Phase.CLOSE:
        raise ValidationFailed(
            {
                "phase": _(
                    "项目处于“%(phase)s”阶段：须先通过前面各阶段的评审，进入“结束”阶段后才能结项。"
                )
                % {"phase": project.get_phase_display()}
            }
        )
    errors: dict[str, str] = {}
    texts: dict[str, str] = {}
    for name, value, length in (
        ("summary", summary, 8000),
        ("force_reason", force_reason, 500),
    ):
        try:
            texts[name] = _text({name: value or ""}, name, length, required=False) or ""
        except ValidationFailed as exc:
            errors.update({k: v[0] for k, v in exc.errors.items()})
    open_tasks = _open_tasks(project)
    if open_tasks and not errors and not texts["force_reason"]:
        named = "、".join(open_tasks[:NAMED_OPEN_TASKS])
        if len(open_tasks) > NAMED_OPEN_TASKS:
            named += _("等")
        errors["force_reason"] = _(
            "还有 %(count)s 项任务未完成（%(names)s）：完成它们，或填写强制结项的原因。"
        ) % {"count": len(open_tasks), "names": named}
    score: int | None = None
    comment = ""
    if evaluation:
        try:
            score = _score(evaluation.get("score"))
            comment = _comment(evaluation.get("comment", ""))
        except ValidationFailed as exc:
            errors.update({k: v[0] for k, v in exc.errors.items()})
    if not isinstance(lessons, Sequence) or isinstance(lessons, str):
        errors["lessons"] = _("必须是列表。")
        lessons = ()
    if errors:
        raise ValidationFailed(errors)

    gate = PhaseGate.objects.select_for_update().filter(project=project, phase=Phase.CLOSE).first()
    if gate is not None and gate.passed_at is None:
        gate_before = audit.snapshot(gate)
        gate.passed_at, gate.passed_by = now, actor
        gate.note = _("项目结项")
        gate.save()
        audit.audit_update(
            actor=actor, obj=gate, before=gate_before, customer_id=project.customer_id
        )
    before = audit.snapshot(project)
    project.status = ProjectStatus.CLOSED
    project.lifecycle_stage = LifecycleStage.FEEDBACK
    project.version += 1
    project.save()
    audit.audit_update(actor=actor, obj=project, before=before, customer_id=project.customer_id)

    closure = ProjectClosure.objects.create(
        project=project, closed_at=now, closed_by=actor, summary=texts["summary"],
        forced_reason=texts["force_reason"] if open_tasks else "",
        open_tasks=len(open_tasks), actual_cost=_actual_cost(project), budget=project.budget,
        follow_up=_follow_up(project, actor, now),
    )  # fmt: skip
    audit.audit_create(actor=actor, obj=closure, customer_id=project.customer_id)
    for index, row in enumerate(lessons):
        if not isinstance(row, Mapping):
            raise ValidationFailed({f"lessons[{index}]": _("必须是对象。")})
        try:
            lesson_create(
                actor=actor, project=project, category=row.get("category"),
                text=row.get("text"), tags=row.get("tags", ""),
            )  # fmt: skip
        except ValidationFailed as exc:
            raise ValidationFailed(
                {f"lessons[{index}].{k}": v for k, v in exc.errors.items()}
            ) from None
    timeline_add(
        customer_id=project.customer_id, kind="project", occurred_at=now,
        title=TimelineText(gettext_noop("项目 %(name)s 结项（实际成本 ¥%(cost)s）"),
                           {"name": project.name, "cost": f"{closure.actual_cost:,.2f}"}),
        body=closure.summary, actor=actor, subject=project,
        data={"phase": project.phase, "status": project.status,
              "actual_cost": str(closure.actual_cost), "open_tasks": closure.open_tasks},
    )  # fmt: skip
    if score is not None:
        _evaluate(
            closure, actor=actor, score=score, comment=comment,
            source=EvaluationSource.STAFF, now=now,
        )  # fmt: skip
    return closure


def _closure_of(project: Project) -> ProjectClosure:
    closure = (
        ProjectClosure.objects.select_for_update(of=("self",))
        .select_related("project")
        .filter(project=project)
        .first()
    )
    if closure is None:
        raise NotFound(_("该项目尚未结项。"), field="project_id")
    return closure


@transaction.atomic
def closure_evaluate(
    *, actor: Any, project_id: Any, score: Any, comment: Any = "", now: dt.datetime | None = None
) -> ProjectClosure:
    """The customer's evaluation recorded by staff on their behalf, after the closure."""
    project = project_lock(actor, project_id)
    closure = _closure_of(project)
    value, text = _score(score), _comment(comment)
    _evaluate(
        closure, actor=actor, score=value, comment=text, source=EvaluationSource.STAFF,
        now=now or timezone.now(),
    )  # fmt: skip
    return closure


@transaction.atomic
def closure_evaluate_for_customer(
    *,
    actor: Any,
    customer_id: int,
    project_id: Any,
    score: Any,
    comment: Any = "",
    now: dt.datetime | None = None,
) -> ProjectClosure:
    """The evaluation given by the customer (the portal, which resolved ``customer_id``
    from its own account): only a project of that customer, 404 otherwise."""
    project = (
        Project.objects.select_for_update(of=("self",))
        .filter(pk=project_id if isinstance(project_id, int) else 0, customer_id=customer_id)
        .first()
    )
    if project is None:
        raise NotFound(_("项目不存在。"), field="project_id")
    closure = _closure_of(project)
    value, text = _score(score), _comment(comment)
    _evaluate(
        closure, actor=actor, score=value, comment=text, source=EvaluationSource.PORTAL,
        now=now or timezone.now(),
    )  # fmt: skip
    return closure


# --- satisfaction per phase ------------------------------------------------------------------


@transaction.atomic
def gate_csat_record(
    *,
    actor: Any,
    project_id: Any,
    phase: Any,
    score: Any,
    comment: Any = "",
    contact_name: Any = "",
    now: dt.datetime | None = None,
) -> PhaseGate:
    """The customer's satisfaction with one passed phase, recorded by staff on behalf of
    the customer (``contact_name``: who gave it). A gate not yet passed is refused naming
    ``phase``; a second score for the same phase is a conflict."""
    now = now or timezone.now()
    project = project_lock(actor, project_id)
    if not may_record_customer_decision(actor, project):
        raise PermissionDenied(_("只有项目经理或客户经理可以代客户记录满意度。"))
    if phase not in PHASE_ORDER:
        raise ValidationFailed({"phase": _("阶段无效。")})
    errors: dict[str, str] = {}
    value: int | None = None
    try:
        if score is None or score == "":
            raise ValidationFailed({"csat_score": _("这个字段是必填项。")})
        value = _int_in(score, "csat_score", 1, 5)
    except ValidationFailed as exc:
        errors.update({k: v[0] for k, v in exc.errors.items()})
    texts: dict[str, str] = {}
    for name, raw, length in (("csat_comment", comment, 2000), ("contact_name", contact_name, 100)):
        try:
            texts[name] = _text({name: raw or ""}, name, length, required=False) or ""
        except ValidationFailed as exc:
            errors.update({k: v[0] for k, v in exc.errors.items()})
    if errors:
        raise ValidationFailed(errors)
    gate = PhaseGate.objects.select_for_update().filter(project=project, phase=phase).first()
    if gate is None or gate.passed_at is None:
        raise ValidationFailed({"phase": _("该阶段评审尚未通过，不能记录阶段满意度。")})
    if gate.csat_at is not None:
        raise Conflict(_("该阶段已有客户满意度。"), field="csat_score")
    before = audit.snapshot(gate)
    gate.csat_score, gate.csat_comment = value, texts["csat_comment"]
    gate.csat_contact = texts["contact_name"]
    gate.csat_source = EvaluationSource.STAFF
    gate.csat_at = now
    gate.csat_by = actor if getattr(actor, "is_authenticated", False) else None
    gate.save()
    audit.audit_update(actor=actor, obj=gate, before=before, customer_id=project.customer_id)
    timeline_add(
        customer_id=project.customer_id, kind="project", occurred_at=now,
        title=TimelineText(
            gettext_noop("客户对项目 %(name)s “%(phase)s”阶段的满意度：%(score)s 分"),
            {"name": project.name, "phase": ChoiceLabel("projects.phasegate", "phase", phase),
             "score": value},
        ),
        body=gate.csat_comment, actor=actor, subject=project,
        data={"phase": phase, "csat_score": value, "source": EvaluationSource.STAFF},
    )  # fmt: skip
    return gate
