"""The approval engine's writes — the only code that changes a request, its steps or its
history. Each runs in one transaction holding the request's row lock, moves the request
through ``approvals.machine``, records the action, audits it (who, when, old → new, with
the customer the document concerns), calls the document type's hooks and notifies the
people concerned. Two approvers acting at once: the second waits for the lock, then finds
the request's ``version`` moved on and gets a 409 naming who acted first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.approvals import machine, selectors
from guanxi.approvals.locks import request_lock
from guanxi.approvals.models import (
    ActionKind,
    ApprovalAction,
    ApprovalRequest,
    ApprovalStep,
    Delegation,
    Flow,
    RequestState,
)
from guanxi.approvals.registry import ApprovalEvent, DocumentType, get_document_type
from guanxi.approvals.resolve import ResolvedStep, resolve_steps
from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.limits import limit
from guanxi.notifications.services import notify

MAX_COMMENT = 2000
MAX_DELEGATION_DAYS = 366
DECISIONS = {"approve": ActionKind.APPROVE, "reject": ActionKind.REJECT}

# Notification kinds (registered in ``apps.py``).
KIND_PENDING = "approval_pending"
KIND_RESULT = "approval_result"
KIND_WITHDRAWN = "approval_withdrawn"


# --- helpers -------------------------------------------------------------------------------


def _document_type(key: str) -> DocumentType:
    found = get_document_type(key)
    if found is None:
        raise ValidationFailed({"document_type": _("未知的单据类型。")})
    return found


def _document(document_type: DocumentType, object_id: int) -> Model:
    found = document_type.model._default_manager.filter(pk=object_id).first()
    if found is None:
        raise NotFound(_("单据不存在。"), field="object_id")
    return found


def _comment(comment: str | None, *, required: bool = False) -> str:
    text = (comment or "").strip()
    if required and not text:
        raise ValidationFailed({"comment": _("驳回时请填写审批意见。")})
    if len(text) > MAX_COMMENT:
        raise ValidationFailed({"comment": _("不能超过 %(n)s 个字符。") % {"n": MAX_COMMENT}})
    return text


def _url(request: ApprovalRequest) -> str:
    return reverse("approvals:detail", args=[request.pk])


def _round_steps(request: ApprovalRequest) -> list[ApprovalStep]:
    return list(
        ApprovalStep.objects.filter(request=request, round=request.round)
        .prefetch_related("approvers")
        .order_by("position")
    )


def _substitutes(approver_ids: Sequence[int], document_type: str, on: dt.date) -> list[int]:
    rows = selectors.active_delegations(
        Delegation.objects.filter(delegator_id__in=list(approver_ids)), on
    ).filter(document_type__in=["", document_type])
    return sorted(set(rows.values_list("substitute_id", flat=True)) - set(approver_ids))


class _Transition:
    """One service call's passage through the machine: it applies actions to the current
    round, persists each, records, audits, notifies and runs the hooks."""

    def __init__(
        self,
        *,
        request: ApprovalRequest,
        document_type: DocumentType,
        document: Model,
        actor: Any,
        now: dt.datetime,
    ) -> None:
        self.request = request
        self.document_type = document_type
        self.document = document
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.now = now
        self.today = timezone.localtime(now).date()
        self.steps: list[ApprovalStep] = []

    # the machine's view of the round
    def _round(self) -> machine.Round:
        return machine.Round(self.request.state, tuple(s.state for s in self.steps))

    def _current(self) -> ApprovalStep | None:
        index = self._round().current
        return self.steps[index] if index is not None else None

    def _save_steps(self, after: machine.Round) -> dict[str, list[Any]]:
        changes: dict[str, list[Any]] = {}
        for step, new_state in zip(self.steps, after.steps, strict=True):
            if step.state != new_state:
                changes[f"step_{step.round}_{step.position}"] = [step.state, new_state]
                step.state = new_state
                step.save(update_fields=["state", "acted_by", "on_behalf_of", "comment",
                                         "acted_at"])  # fmt: skip
        return changes

    def _set_state(self, new_state: str | None) -> None:
        assert new_state is not None
        self.request.state = new_state
        self.request.decided_at = None if new_state == RequestState.PENDING else self.now

    def _record(
        self,
        *,
        kind: str,
        before: dict[str, Any],
        state_before: str,
        changes: dict[str, list[Any]],
        step: ApprovalStep | None = None,
        actor: Any = None,
        on_behalf_of: User | None = None,
        comment: str = "",
    ) -> None:
        self.request.version += 1
        self.request.save()
        ApprovalAction.objects.create(
            request=self.request,
            round=self.request.round,
            step=step,
            kind=kind,
            actor=actor,
            on_behalf_of=on_behalf_of,
            comment=comment,
            state_before=state_before,
            state_after=self.request.state,
        )
        extra: dict[str, list[Any]] = {"action": [None, kind], **changes}
        if comment:
            extra["comment"] = [None, comment]
        if on_behalf_of is not None:
            extra["on_behalf_of"] = [None, on_behalf_of.pk]
        if before:
            audit.audit_update(
                actor=actor,
                obj=self.request,
                before=before,
                customer_id=self.request.customer_id,
                extra=extra,
            )
        self._hooks(kind, actor=actor, step=step, comment=comment, on_behalf_of=on_behalf_of)

    def _hooks(
        self, kind: str, *, actor: Any, step: ApprovalStep | None, comment: str, on_behalf_of: Any
    ) -> None:
        event = ApprovalEvent(
            request=self.request,
            document=self.document,
            action=kind,
            actor=actor,
            comment=comment,
            step_name=step.name if step is not None else "",
            on_behalf_of=on_behalf_of,
        )
        if self.document_type.on_event is not None:
            self.document_type.on_event(event)
        if self.request.state == RequestState.APPROVED and self.document_type.on_approved:
            self.document_type.on_approved(event)
        if kind == ActionKind.REJECT and self.document_type.on_rejected:
            self.document_type.on_rejected(event)

    # actions
    def start_round(self, resolved: list[ResolvedStep], kind: str) -> None:
        """Create the round's steps and make the first one current (the request row of a
        first submission is new; a resubmission's is locked)."""
        state_before = self.request.state if kind == ActionKind.RESUBMIT else None
        after = machine.submit(state_before, len(resolved))
        self.steps = []
        for position, item in enumerate(resolved, start=1):
            step = ApprovalStep.objects.create(
                request=self.request,
                round=self.request.round,
                position=position,
                name=item.name[: limit(ApprovalStep, "name")],
                flow_step=item.flow_step,
                automatic=item.automatic,
                state=after.steps[position - 1],
            )
            if item.approvers:
                step.approvers.set(item.approvers)
            self.steps.append(step)
        self._set_state(after.state)
        self._after_move(kind, state_before or "", actor=self.actor)

    def act(
        self,
        kind: str,
        *,
        actor: Any,
        on_behalf_of: User | None = None,
        comment: str = "",
    ) -> None:
        step = self._current()
        before = audit.snapshot(self.request, ["state", "decided_at", "round"])
        state_before = self.request.state
        after = machine.apply(self._round(), kind)
        if step is not None and kind in (ActionKind.APPROVE, ActionKind.REJECT,
                                         ActionKind.AUTO_APPROVE):  # fmt: skip
            step.acted_by = actor
            step.on_behalf_of = on_behalf_of
            step.comment = comment
            step.acted_at = self.now
        changes = self._save_steps(after)
        self._set_state(after.state)
        self._record(
            kind=kind,
            before=before,
            state_before=state_before,
            changes=changes,
            step=step,
            actor=actor,
            on_behalf_of=on_behalf_of,
            comment=comment,
        )
        self._notify_after(kind, step, actor)
        self._auto_approve()

    def _after_move(self, kind: str, state_before: str, *, actor: Any) -> None:
        before = (
            audit.snapshot(self.request, ["state", "decided_at", "round"])
            if kind == ActionKind.RESUBMIT
            else {}
        )
        if kind == ActionKind.RESUBMIT:
            before["state"] = state_before
        self._record(
            kind=kind,
            before=before,
            state_before=state_before,
            changes={"steps": [None, [s.name for s in self.steps]]},
            actor=actor,
        )
        if kind == ActionKind.SUBMIT:
            audit.audit_create(actor=actor, obj=self.request, customer_id=self.request.customer_id)
        self._notify_after(kind, None, actor)
        self._auto_approve()

    def _auto_approve(self) -> None:
        step = self._current()
        if step is not None and step.automatic:
            self.act(
                ActionKind.AUTO_APPROVE,
                actor=None,
                comment=_("审批人为提交人本人，自动通过。"),
            )

    # notifications
    def _notify_after(self, kind: str, decided: ApprovalStep | None, actor: Any) -> None:
        request = self.request
        title = request.title
        if request.state == RequestState.PENDING:
            current = self._current()
            if current is not None and not current.automatic:
                approver_ids = [u.pk for u in current.approvers.all()]
                notify(
                    recipients=approver_ids,
                    kind=KIND_PENDING,
                    title=format_lazy(gettext_lazy("待你审批：{title}"), title=title),
                    body=format_lazy(
                        gettext_lazy("{submitter} 提交，当前步骤：{step}"),
                        submitter=str(request.submitter),
                        step=current.name,
                    ),
                    url=_url(request),
                    subject=request,
                    dedupe_key=f"approval:{request.pk}:{request.round}:{current.position}",
                    actor=actor,
                )
                substitutes = _substitutes(approver_ids, request.document_type, self.today)
                if substitutes:
                    notify(
                        recipients=substitutes,
                        kind=KIND_PENDING,
                        title=format_lazy(gettext_lazy("待你代为审批：{title}"), title=title),
                        body=format_lazy(
                            gettext_lazy("你是 {approvers} 的审批代理人，当前步骤：{step}"),
                            approvers="、".join(str(u) for u in current.approvers.all()),
                            step=current.name,
                        ),
                        url=_url(request),
                        subject=request,
                        dedupe_key=f"approval:{request.pk}:{request.round}:{current.position}",
                        actor=actor,
                    )
        elif request.state in (RequestState.APPROVED, RequestState.REJECTED):
            message = (
                gettext_lazy("审批已通过：{title}")
                if request.state == RequestState.APPROVED
                else gettext_lazy("审批被驳回：{title}")
            )
            notify(
                recipients=[request.submitter_id],
                kind=KIND_RESULT,
                title=format_lazy(message, title=title),
                body=decided.comment if decided is not None else "",
                url=_url(request),
                subject=request,
                dedupe_key=f"approval:{request.pk}:{request.round}:{request.state}",
                actor=actor,
            )
        elif request.state == RequestState.WITHDRAWN and decided is not None:
            approver_ids = [u.pk for u in decided.approvers.all()]
            if approver_ids:
                notify(
                    recipients=approver_ids,
                    kind=KIND_WITHDRAWN,
                    title=format_lazy(gettext_lazy("审批已撤回：{title}"), title=title),
                    url=_url(request),
                    subject=request,
                    dedupe_key=f"approval:{request.pk}:{request.round}:withdrawn",
                    actor=actor,
                )


def _submission(
    *, actor: Any, document_type: DocumentType, document: Model
) -> tuple[Flow, list[ResolvedStep], dict[str, Any]]:
    if not permissions.is_staff_actor(actor) or not document_type.can_submit(actor, document):
        raise PermissionDenied(_("你不能提交该单据的审批。"))
    flow = Flow.objects.filter(document_type=document_type.key, active=True).first()
    if flow is None:
        raise ValidationFailed({"document_type": _("该单据类型没有启用的审批流程。")})
    values = document_type.values(document)
    submitter = User.objects.select_related("manager").get(pk=actor.pk)
    resolved = resolve_steps(
        flow=flow, document_type=document_type, submitter=submitter, values=values
    )
    return flow, resolved, values


# --- submitting --------------------------------------------------------------------------


@transaction.atomic
def approval_submit(
    *, actor: Any, document_type: str, object_id: int, now: dt.datetime | None = None
) -> ApprovalRequest:
    """Submit a document for approval under its type's active flow. A document whose
    approval was withdrawn, rejected or approved before starts a new round; one that is
    being approved is refused (409)."""
    kind = _document_type(document_type)
    document = _document(kind, object_id)
    existing = (
        ApprovalRequest.objects.select_for_update()
        .filter(document_type=kind.key, object_id=document.pk)
        .first()
    )
    if existing is not None:
        return _resubmit(actor=actor, request=existing, kind=kind, document=document, now=now)
    flow, resolved, values = _submission(actor=actor, document_type=kind, document=document)
    moment = now or timezone.now()
    request = ApprovalRequest(
        document_type=kind.key,
        object_id=document.pk,
        title=kind.title_of(document)[: limit(ApprovalRequest, "title")],
        flow=flow,
        submitter_id=actor.pk,
        customer_id=kind.customer_of(document) if kind.customer_of else None,
        values=values,
        submitted_at=moment,
    )
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:
        raise Conflict(_("该单据刚被他人提交审批，请刷新后查看。"), field="object_id") from None
    transition = _Transition(
        request=request, document_type=kind, document=document, actor=actor, now=moment
    )
    transition.start_round(resolved, ActionKind.SUBMIT)
    return request


def _resubmit(
    *,
    actor: Any,
    request: ApprovalRequest,
    kind: DocumentType,
    document: Model,
    now: dt.datetime | None,
) -> ApprovalRequest:
    if request.state == RequestState.PENDING:
        raise Conflict(_("该单据正在审批中，请勿重复提交。"), field="state")
    flow, resolved, values = _submission(actor=actor, document_type=kind, document=document)
    moment = now or timezone.now()
    request.round += 1
    request.flow = flow
    request.submitter_id = actor.pk
    request.values = values
    request.title = kind.title_of(document)[: limit(ApprovalRequest, "title")]
    request.submitted_at = moment
    transition = _Transition(
        request=request, document_type=kind, document=document, actor=actor, now=moment
    )
    transition.start_round(resolved, ActionKind.RESUBMIT)
    return request


def _locked(
    actor: Any, request_id: int, version: int, now: dt.datetime | None = None
) -> tuple[ApprovalRequest, DocumentType]:
    """The request, locked, visible to the actor (on the day of ``now``), at the version
    the actor saw."""
    request = request_lock(request_id)
    if request is None:
        raise NotFound(_("审批单不存在。"))
    on = timezone.localtime(now).date() if now is not None else None
    if not selectors.visible_requests(actor=actor, on=on).filter(pk=request.pk).exists():
        request_with_steps = (
            ApprovalRequest.objects.filter(pk=request.pk)
            .prefetch_related("steps__approvers")
            .first()
        )
        if request_with_steps is None or not selectors.can_read_request(
            actor, request_with_steps, on=on
        ):
            raise NotFound(_("审批单不存在。"))
    if request.version != version:
        last = (
            ApprovalAction.objects.filter(request=request)
            .select_related("actor")
            .order_by("-id")
            .first()
        )
        who = str(last.actor) if last is not None and last.actor is not None else _("系统")
        raise Conflict(
            _("该审批单刚被 %(who)s 处理（%(state)s），请刷新后查看最新状态。")
            % {"who": who, "state": request.get_state_display()},
            field="version",
        )
    kind = get_document_type(request.document_type)
    if kind is None:
        raise Conflict(_("该单据类型已停用，无法处理。"), field="document_type")
    return request, kind


@transaction.atomic
def approval_resubmit(
    *, actor: Any, request_id: int, version: int, now: dt.datetime | None = None
) -> ApprovalRequest:
    """The submitter submits a withdrawn or rejected request again: a new round."""
    request, kind = _locked(actor, request_id, version)
    if request.submitter_id != actor.pk:
        raise PermissionDenied(_("只有提交人可以重新提交。"))
    if request.state not in (RequestState.WITHDRAWN, RequestState.REJECTED):
        raise machine.IllegalTransition(machine.refusal(request.state), field="state")
    document = _document(kind, request.object_id)
    return _resubmit(actor=actor, request=request, kind=kind, document=document, now=now)


# --- deciding ----------------------------------------------------------------------------


@transaction.atomic
def approval_decide(
    *,
    actor: Any,
    request_id: int,
    decision: str,
    version: int,
    comment: str = "",
    now: dt.datetime | None = None,
) -> ApprovalRequest:
    """Approve or reject the current step, as one of its approvers or as the substitute
    of one (within the delegation's dates). A rejection needs a comment."""
    action = DECISIONS.get(decision)
    if action is None:
        raise ValidationFailed({"decision": _("必须是 approve 或 reject。")})
    text = _comment(comment, required=action == ActionKind.REJECT)
    request, kind = _locked(actor, request_id, version, now)
    if request.state != RequestState.PENDING:
        raise machine.IllegalTransition(machine.refusal(request.state), field="state")
    moment = now or timezone.now()
    transition = _Transition(
        request=request,
        document_type=kind,
        document=_document(kind, request.object_id),
        actor=actor,
        now=moment,
    )
    transition.steps = _round_steps(request)
    step = transition._current()
    if step is None:
        raise machine.IllegalTransition(machine.refusal(request.state), field="state")
    on = timezone.localtime(moment).date()
    allowed, behalf = selectors.step_capacity(
        actor, step, request.document_type, selectors.stand_ins(actor=actor, on=on)
    )
    if not allowed:
        raise PermissionDenied(_("你不是当前步骤“%(step)s”的审批人。") % {"step": step.name})
    transition.act(action, actor=actor, on_behalf_of=behalf, comment=text)
    return request


def approval_approve(**kwargs: Any) -> ApprovalRequest:
    return approval_decide(decision="approve", **kwargs)


def approval_reject(**kwargs: Any) -> ApprovalRequest:
    return approval_decide(decision="reject", **kwargs)


@transaction.atomic
def approval_withdraw(
    *,
    actor: Any,
    request_id: int,
    version: int,
    comment: str = "",
    now: dt.datetime | None = None,
) -> ApprovalRequest:
    """The submitter takes a pending request back; its undecided steps are cancelled."""
    text = _comment(comment)
    request, kind = _locked(actor, request_id, version)
    if request.submitter_id != actor.pk:
        raise PermissionDenied(_("只有提交人可以撤回。"))
    if request.state != RequestState.PENDING:
        raise machine.IllegalTransition(machine.refusal(request.state), field="state")
    transition = _Transition(
        request=request,
        document_type=kind,
        document=_document(kind, request.object_id),
        actor=actor,
        now=now or timezone.now(),
    )
    transition.steps = _round_steps(request)
    transition.act(ActionKind.WITHDRAW, actor=actor, comment=text)
    return request


# --- delegations -------------------------------------------------------------------------


@transaction.atomic
def delegation_create(
    *,
    actor: Any,
    substitute_id: int,
    starts_on: dt.date,
    ends_on: dt.date,
    delegator_id: int | None = None,
    document_type: str = "",
    reason: str = "",
) -> Delegation:
    """Name a substitute for the actor's approvals (admins: for anyone's) while away.
    Periods of one delegator may not overlap for the same document types."""
    if not permissions.is_staff_actor(actor):
        raise PermissionDenied(_("你不能设置审批代理。"))
    delegator_pk = actor.pk if delegator_id is None else delegator_id
    if delegator_pk != actor.pk and not permissions.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以为他人设置审批代理。"))
    people = permissions.users_visible_to(actor, User.objects.all())
    delegator = people.filter(pk=delegator_pk).first()
    if delegator is None:
        raise ValidationFailed({"delegator_id": _("用户不存在或已停用。")})
    substitute = people.filter(pk=substitute_id).first()
    if substitute is None:
        raise ValidationFailed({"substitute_id": _("用户不存在或已停用。")})
    if substitute.pk == delegator.pk:
        raise ValidationFailed({"substitute_id": _("不能委托给自己。")})
    if document_type and get_document_type(document_type) is None:
        raise ValidationFailed({"document_type": _("未知的单据类型。")})
    if ends_on < starts_on:
        raise ValidationFailed({"ends_on": _("结束日期不能早于开始日期。")})
    if ends_on < selectors.today():
        raise ValidationFailed({"ends_on": _("结束日期不能早于今天。")})
    if (ends_on - starts_on).days >= MAX_DELEGATION_DAYS:
        raise ValidationFailed({"ends_on": _("代理期限不能超过一年。")})
    reason = (reason or "").strip()
    if len(reason) > limit(Delegation, "reason"):
        raise ValidationFailed(
            {"reason": _("不能超过 %(n)s 个字符。") % {"n": limit(Delegation, "reason")}}
        )
    # Serialise one delegator's changes so two overlapping periods cannot both pass.
    User.objects.select_for_update().filter(pk=delegator.pk).first()
    overlapping = Delegation.objects.filter(
        delegator=delegator,
        cancelled_at__isnull=True,
        starts_on__lte=ends_on,
        ends_on__gte=starts_on,
    )
    if document_type:
        overlapping = overlapping.filter(document_type__in=["", document_type])
    if overlapping.exists():
        raise Conflict(_("该期间已有审批代理，请先取消原代理。"), field="starts_on")
    delegation = Delegation.objects.create(
        delegator=delegator,
        substitute=substitute,
        document_type=document_type,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
    )
    audit.audit_create(actor=actor, obj=delegation)
    return delegation


@transaction.atomic
def delegation_cancel(*, actor: Any, delegation_id: int) -> Delegation:
    """The delegator (or an admin) ends a delegation; cancelling twice changes nothing."""
    delegation = (
        selectors.delegations(actor=actor).select_for_update(of=("self",))
        .filter(pk=delegation_id).first()
    )  # fmt: skip
    if delegation is None:
        raise NotFound(_("审批代理不存在。"))
    if delegation.delegator_id != actor.pk and not permissions.can_manage_settings(actor):
        raise PermissionDenied(_("只有委托人可以取消审批代理。"))
    if delegation.cancelled_at is not None:
        return delegation
    before = audit.snapshot(delegation)
    delegation.cancelled_at = timezone.now()
    delegation.save(update_fields=["cancelled_at", "updated_at"])
    audit.audit_update(actor=actor, obj=delegation, before=before)
    return delegation
