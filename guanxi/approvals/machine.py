"""The approval request's state machine, as plain data: no database, no users.

A round is a sequence of steps decided one after another. The request is

- ``pending`` while some step waits; exactly one step is then ``pending`` (the current
  one), those before it ``approved``, those after it ``waiting``;
- ``approved`` once every step of the round is approved (a round with no steps — every
  condition false — is approved at once);
- ``rejected`` when a step is rejected: the flow ends there, the later steps are cancelled;
- ``withdrawn`` when the submitter takes it back: the undecided steps are cancelled.

A closed request may be submitted again (``resubmit``): a new round, with steps resolved
afresh. ``approvals.services`` is the only caller; it persists what :func:`apply` returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.approvals.models import ActionKind, RequestState, StepState
from guanxi.core.errors import Conflict

# (state before, action) → states the action may lead to. Anything else is refused.
TRANSITIONS: dict[tuple[str | None, str], frozenset[str]] = {
    (None, ActionKind.SUBMIT): frozenset({RequestState.PENDING, RequestState.APPROVED}),
    (RequestState.PENDING, ActionKind.APPROVE): frozenset(
        {RequestState.PENDING, RequestState.APPROVED}
    ),
    (RequestState.PENDING, ActionKind.AUTO_APPROVE): frozenset(
        {RequestState.PENDING, RequestState.APPROVED}
    ),
    (RequestState.PENDING, ActionKind.REJECT): frozenset({RequestState.REJECTED}),
    (RequestState.PENDING, ActionKind.WITHDRAW): frozenset({RequestState.WITHDRAWN}),
    **{
        (closed, ActionKind.RESUBMIT): frozenset({RequestState.PENDING, RequestState.APPROVED})
        for closed in (RequestState.WITHDRAWN, RequestState.REJECTED, RequestState.APPROVED)
    },
}
CLOSED = frozenset({RequestState.APPROVED, RequestState.REJECTED, RequestState.WITHDRAWN})


class IllegalTransition(Conflict):
    code = "illegal_transition"


@dataclass(frozen=True)
class Round:
    """The state of a request and of its current round's steps, in order."""

    state: str | None
    steps: tuple[str, ...] = ()

    @property
    def current(self) -> int | None:
        """The index of the step waiting for a decision."""
        for index, step in enumerate(self.steps):
            if step == StepState.PENDING:
                return index
        return None


_REFUSALS: dict[str, str] = {
    RequestState.APPROVED: gettext_noop("该审批单已通过，不能再处理。"),
    RequestState.REJECTED: gettext_noop("该审批单已被驳回，不能再处理。"),
    RequestState.WITHDRAWN: gettext_noop("该审批单已撤回，不能再处理。"),
    RequestState.PENDING: gettext_noop("该审批单正在审批中。"),
}


def refusal(state: str | None) -> str:
    """Why an action is not possible in ``state``, in the active language."""
    message = _REFUSALS.get(state or "")
    return _(message) if message else _("该审批单当前状态不允许此操作。")


def _check(state: str | None, action: str) -> frozenset[str]:
    allowed = TRANSITIONS.get((state, action))
    if allowed is None:
        raise IllegalTransition(refusal(state), field="state")
    return allowed


def _advance(steps: list[str]) -> str:
    """Make the first waiting step current; the round is approved when none is left."""
    for index, step in enumerate(steps):
        if step == StepState.WAITING:
            steps[index] = StepState.PENDING
            return RequestState.PENDING
        if step != StepState.APPROVED:
            raise ValueError(f"step {index} is {step} before the current one")
    return RequestState.APPROVED


def submit(state: str | None, step_count: int) -> Round:
    """A first submission (``state`` None) or a resubmission of a closed request."""
    action = ActionKind.SUBMIT if state is None else ActionKind.RESUBMIT
    allowed = _check(state, action)
    steps: list[str] = [StepState.WAITING] * step_count
    new_state = _advance(steps)
    assert new_state in allowed
    return Round(new_state, tuple(steps))


def apply(current: Round, action: str) -> Round:
    """The round after ``action`` (approve, auto_approve, reject, withdraw) on its current
    step; resubmissions go through :func:`submit`."""
    allowed = _check(current.state, action)
    index = current.current
    if index is None:  # a pending request always has a current step
        raise ValueError("pending round without a current step")
    steps = list(current.steps)
    if action in (ActionKind.APPROVE, ActionKind.AUTO_APPROVE):
        steps[index] = StepState.APPROVED
        new_state = _advance(steps)
    elif action == ActionKind.REJECT:
        steps[index] = StepState.REJECTED
        steps[index + 1 :] = [StepState.CANCELLED] * (len(steps) - index - 1)
        new_state = RequestState.REJECTED
    else:  # withdraw
        steps[index:] = [StepState.CANCELLED] * (len(steps) - index)
        new_state = RequestState.WITHDRAWN
    assert new_state in allowed
    return Round(new_state, tuple(steps))
