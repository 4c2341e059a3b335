"""Reads of approvals, always for an actor.

A request is visible to its participants — the submitter, every approver of any of its
steps, whoever acted on it (substitutes included) — to admins (``can_manage_settings``),
and to whoever may read the document itself (the document type's ``can_read``). What an
actor may *do* (decide the current step, withdraw, resubmit) is :func:`capacity`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, Model, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.approvals.models import (
    ApprovalAction,
    ApprovalRequest,
    ApprovalStep,
    Delegation,
    Flow,
    FlowStep,
    RequestState,
    StepState,
)
from guanxi.approvals.registry import get_document_type
from guanxi.core.errors import NotFound

BOXES = ("pending", "submitted", "handled", "all")
_Approver = ApprovalStep.approvers.through


def today() -> dt.date:
    """Delegation windows are Beijing dates."""
    return timezone.localdate()


# --- who stands in for whom --------------------------------------------------------------


@dataclass(frozen=True)
class StandIn:
    """An active delegation to the actor: ``delegator``'s steps of ``document_type`` (all
    types when empty) are the actor's to decide today."""

    delegator_id: int
    document_type: str


def active_delegations(qs: QuerySet[Delegation], on: dt.date) -> QuerySet[Delegation]:
    return qs.filter(cancelled_at__isnull=True, starts_on__lte=on, ends_on__gte=on)


def stand_ins(*, actor: Any, on: dt.date | None = None) -> list[StandIn]:
    """Whom the actor substitutes for on ``on`` (today): one query."""
    if not permissions.is_staff_actor(actor):
        return []
    rows = active_delegations(Delegation.objects.filter(substitute_id=actor.pk), on or today())
    return [StandIn(d, t) for d, t in rows.values_list("delegator_id", "document_type")]


def _approver_is(user_ids: list[int]) -> Exists:
    return Exists(_Approver.objects.filter(approvalstep_id=OuterRef("pk"), user_id__in=user_ids))


def _decidable_by(actor: Any, standing_in: list[StandIn]) -> Q:
    """A Q over ApprovalStep: the actor is an approver, or stands in for one."""
    q = Q(_approver_is([actor.pk]))
    every_type = sorted({s.delegator_id for s in standing_in if not s.document_type})
    if every_type:
        q |= Q(_approver_is(every_type))
    for stand_in in standing_in:
        if stand_in.document_type:
            q |= Q(_approver_is([stand_in.delegator_id])) & Q(
                request__document_type=stand_in.document_type
            )
    return q


# --- lists -------------------------------------------------------------------------------


def pending_steps(*, actor: Any, on: dt.date | None = None) -> QuerySet[ApprovalStep]:
    """The current steps the actor may decide today (待我审批), oldest first: two queries
    (the actor's delegations, then the steps with their request and submitter)."""
    if not permissions.is_staff_actor(actor):
        return ApprovalStep.objects.none()
    standing_in = stand_ins(actor=actor, on=on)
    return (
        ApprovalStep.objects.filter(state=StepState.PENDING)
        .filter(_decidable_by(actor, standing_in))
        .select_related("request", "request__submitter")
        .order_by("request__submitted_at", "request_id")
    )


def pending_count(*, actor: Any, on: dt.date | None = None) -> int:
    return pending_steps(actor=actor, on=on).count()


def _participant(actor: Any, standing_in: list[StandIn]) -> Q:
    # A substitute sees the requests of the approvers it stands in for, while it does.
    approver_ids = sorted({actor.pk, *(s.delegator_id for s in standing_in)})
    involved = ApprovalStep.objects.filter(request_id=OuterRef("pk")).filter(
        Q(_approver_is(approver_ids)) | Q(acted_by_id=actor.pk)
    )
    return Q(submitter_id=actor.pk) | Q(Exists(involved))


def visible_requests(*, actor: Any, on: dt.date | None = None) -> QuerySet[ApprovalRequest]:
    """Requests the actor takes part in (admins: all)."""
    if not permissions.is_staff_actor(actor):
        return ApprovalRequest.objects.none()
    qs = ApprovalRequest.objects.all()
    if permissions.can_manage_settings(actor):
        return qs
    return qs.filter(_participant(actor, stand_ins(actor=actor, on=on)))


def request_list(
    *, actor: Any, box: str = "all", state: str | None = None, document_type: str | None = None
) -> QuerySet[ApprovalRequest]:
    """``box``: ``submitted`` (mine), ``handled`` (steps I decided), ``all`` (visible)."""
    qs = visible_requests(actor=actor)
    if box == "submitted":
        qs = qs.filter(submitter_id=actor.pk)
    elif box == "handled":
        qs = qs.filter(Exists(ApprovalStep.objects.filter(request_id=OuterRef("pk"),
                                                          acted_by_id=actor.pk)))  # fmt: skip
    if state:
        qs = qs.filter(state=state)
    if document_type:
        qs = qs.filter(document_type=document_type)
    return qs.select_related("submitter").order_by("-submitted_at", "-id")


# --- one request -------------------------------------------------------------------------


def document_of(request: ApprovalRequest) -> Model | None:
    """The document a request approves (None: its type is unregistered or it is gone)."""
    document_type = get_document_type(request.document_type)
    if document_type is None:
        return None
    return document_type.model._default_manager.filter(pk=request.object_id).first()


def _takes_part(actor: Any, request: ApprovalRequest, on: dt.date | None = None) -> bool:
    """From the prefetched steps: the actor submitted, approves (or stands in for an
    approver of) or acted on ``request``."""
    if request.submitter_id == actor.pk:
        return True
    steps = list(request.steps.all())
    if any(
        step.acted_by_id == actor.pk or any(u.pk == actor.pk for u in step.approvers.all())
        for step in steps
    ):
        return True
    standing_in = stand_ins(actor=actor, on=on) if steps else []
    return any(step_capacity(actor, step, request.document_type, standing_in)[0] for step in steps)


def can_read_request(actor: Any, request: ApprovalRequest, on: dt.date | None = None) -> bool:
    """``request`` with its steps prefetched (``request_get`` loads it so)."""
    if not permissions.is_staff_actor(actor):
        return False
    if permissions.can_manage_settings(actor) or _takes_part(actor, request, on):
        return True
    document_type = get_document_type(request.document_type)
    document = document_of(request)
    return bool(document_type and document is not None and document_type.can_read(actor, document))


def request_get(*, actor: Any, request_id: int) -> ApprovalRequest:
    """A request with every round's steps (their approvers, who acted, for whom) and its
    history: four queries. 404 when not visible — the same as when it does not exist."""
    if not permissions.is_staff_actor(actor):
        raise NotFound(_("审批单不存在。"))
    found = (
        ApprovalRequest.objects.select_related("submitter", "flow")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=ApprovalStep.objects.select_related("acted_by", "on_behalf_of")
                .prefetch_related(Prefetch("approvers", queryset=User.objects.order_by("id")))
                .order_by("-round", "position"),
            ),
            Prefetch(
                "actions",
                queryset=ApprovalAction.objects.select_related(
                    "actor", "on_behalf_of", "step"
                ).order_by("id"),
            ),
        )
        .filter(pk=request_id)
        .first()
    )
    if found is None or not can_read_request(actor, found):
        raise NotFound(_("审批单不存在。"))
    return found


def request_for_document(*, document_type: str, object_id: int) -> ApprovalRequest | None:
    """The request of a document, for the app that owns it (which scoped the document)."""
    return (
        ApprovalRequest.objects.filter(document_type=document_type, object_id=object_id)
        .select_related("submitter")
        .first()
    )


def current_step(request: ApprovalRequest) -> ApprovalStep | None:
    """The step waiting for a decision (from the prefetched steps when there are any)."""
    for step in request.steps.all():
        if step.state == StepState.PENDING:
            return step
    return None


def round_steps(request: ApprovalRequest, round_number: int | None = None) -> list[ApprovalStep]:
    number = request.round if round_number is None else round_number
    return sorted((s for s in request.steps.all() if s.round == number), key=lambda s: s.position)


@dataclass(frozen=True)
class Capacity:
    """What the actor may do on a request now. ``on_behalf_of``: the approver the actor
    would decide for (a substitute), None when the actor is an approver themselves."""

    decide: bool = False
    on_behalf_of: User | None = None
    withdraw: bool = False
    resubmit: bool = False


def step_capacity(
    actor: Any, step: ApprovalStep, document_type: str, standing_in: list[StandIn]
) -> tuple[bool, User | None]:
    """Whether ``actor`` may decide ``step`` and for whom (uses prefetched approvers)."""
    approvers = list(step.approvers.all())
    if any(u.pk == actor.pk for u in approvers):
        return True, None
    for user in approvers:
        for stand_in in standing_in:
            if stand_in.delegator_id == user.pk and stand_in.document_type in ("", document_type):
                return True, user
    return False, None


def capacity(*, actor: Any, request: ApprovalRequest, on: dt.date | None = None) -> Capacity:
    if not permissions.is_staff_actor(actor):
        return Capacity()
    is_submitter = request.submitter_id == actor.pk
    if request.state != RequestState.PENDING:
        return Capacity(
            resubmit=is_submitter
            and request.state in (RequestState.WITHDRAWN, RequestState.REJECTED)
        )
    step = current_step(request)
    decide, behalf = (
        step_capacity(actor, step, request.document_type, stand_ins(actor=actor, on=on))
        if step is not None
        else (False, None)
    )
    return Capacity(decide=decide, on_behalf_of=behalf, withdraw=is_submitter)


# --- delegations and flows ---------------------------------------------------------------


def delegations(*, actor: Any) -> QuerySet[Delegation]:
    """The delegations the actor gave or received (admins: all), newest first."""
    if not permissions.is_staff_actor(actor):
        return Delegation.objects.none()
    qs = Delegation.objects.select_related("delegator", "substitute")
    if not permissions.can_manage_settings(actor):
        qs = qs.filter(Q(delegator_id=actor.pk) | Q(substitute_id=actor.pk))
    return qs.order_by("-starts_on", "-id")


def flows(*, actor: Any) -> QuerySet[Flow]:
    """The flow definitions, readable by all staff (who approves what is no secret)."""
    if not permissions.is_staff_actor(actor):
        return Flow.objects.none()
    return Flow.objects.prefetch_related(
        Prefetch("steps", queryset=FlowStep.objects.select_related("user").order_by("position"))
    ).order_by("document_type", "-active", "name")
