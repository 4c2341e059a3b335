"""Hypothesis over step sequences, through the real services and database: a document is
approved only when every required step approved; a rejection ends the flow; withdraw
resets it; only the current approver moves it; substitutes act only within their window.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.approvals import machine, services
from guanxi.approvals.models import (
    ApprovalStep,
    ApproverKind,
    Delegation,
    Flow,
    RequestState,
    StepState,
)
from guanxi.approvals.tests.conftest import make_expense, make_flow
from guanxi.approvals.tests.docapp.documents import KEY
from guanxi.core.errors import Conflict, DomainError, NotFound, PermissionDenied

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def people(db):
    submitter = UserFactory(username="p_submitter", role=Role.ACCOUNT_MANAGER)
    approvers = [UserFactory(username=f"p_approver{i}", role=Role.MANAGER) for i in range(4)]
    outsider = UserFactory(username="p_outsider", role=Role.ACCOUNT_MANAGER)
    return submitter, approvers, outsider


# Each flow step: (approver index, threshold or None). A step with a threshold applies
# only when the amount is above it.
step_specs = st.lists(
    st.tuples(st.integers(0, 3), st.one_of(st.none(), st.sampled_from([100, 1000, 10000]))),
    min_size=1,
    max_size=4,
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("approve"), st.integers(0, 5)),
        st.tuples(st.just("reject"), st.integers(0, 5)),
        st.tuples(st.just("withdraw"), st.just(0)),
        st.tuples(st.just("resubmit"), st.just(0)),
    ),
    max_size=12,
)


def _fresh_flow(specs):
    Flow.objects.filter(active=True).update(active=False)
    steps = []
    for index, threshold in specs:
        step = {"name": f"步骤{len(steps) + 1}", "approver_kind": ApproverKind.USER}
        step["user_index"] = index
        if threshold is not None:
            step.update(condition_field="amount", condition_operator="gt",
                        condition_value=str(threshold))  # fmt: skip
        steps.append(step)
    return steps


def _round(request):
    return list(
        ApprovalStep.objects.filter(request=request, round=request.round)
        .order_by("position")
        .prefetch_related("approvers")
    )


def _check_invariants(request, steps):
    states = [s.state for s in steps]
    assert states.count(StepState.PENDING) <= 1
    if request.state == RequestState.APPROVED:
        assert all(s == StepState.APPROVED for s in states)
    if request.state == RequestState.PENDING:
        current = states.index(StepState.PENDING)
        assert all(s == StepState.APPROVED for s in states[:current])
        assert all(s == StepState.WAITING for s in states[current + 1 :])
    if request.state == RequestState.REJECTED:
        assert states.count(StepState.REJECTED) == 1
        rejected = states.index(StepState.REJECTED)
        assert all(s == StepState.CANCELLED for s in states[rejected + 1 :])
    if request.state == RequestState.WITHDRAWN:
        assert StepState.PENDING not in states and StepState.WAITING not in states
    if all(s == StepState.APPROVED for s in states) and request.state != RequestState.WITHDRAWN:
        assert request.state == RequestState.APPROVED
    for step in steps:
        if step.state in (StepState.APPROVED, StepState.REJECTED):
            assert step.acted_by is not None or step.automatic
        else:
            assert step.acted_by is None


@PROPERTY_SETTINGS
@given(specs=step_specs, amount=st.sampled_from([50, 500, 5000, 50000]), ops=operations)
def test_step_sequences_keep_the_machine_honest(people, specs, amount, ops):
    submitter, approvers, outsider = people
    flow_steps = _fresh_flow(specs)
    make_flow(
        *[
            {k: v for k, v in s.items() if k != "user_index"} | {"user": approvers[s["user_index"]]}
            for s in flow_steps
        ]
    )
    required = [
        approvers[index] for index, threshold in specs if threshold is None or amount > threshold
    ]
    expense = make_expense(submitter, str(amount))
    request = services.approval_submit(actor=submitter, document_type=KEY, object_id=expense.pk)
    approved_at_submit = request.state == RequestState.APPROVED
    actors = [*approvers, outsider, submitter]
    approvals_seen = 0
    for op, who in ops:
        request.refresh_from_db()
        before = (request.state, request.version, [s.state for s in _round(request)])
        steps = _round(request)
        current = next((s for s in steps if s.state == StepState.PENDING), None)
        try:
            if op in ("approve", "reject"):
                actor = actors[who]
                services.approval_decide(
                    actor=actor, request_id=request.pk, decision=op, comment="意见",
                    version=request.version,
                )  # fmt: skip
                # it succeeded: the actor was the current step's approver
                assert current is not None
                assert actor in current.approvers.all()
            elif op == "withdraw":
                services.approval_withdraw(
                    actor=submitter, request_id=request.pk, version=request.version
                )
                assert before[0] == RequestState.PENDING
            else:
                services.approval_resubmit(
                    actor=submitter, request_id=request.pk, version=request.version
                )
                assert before[0] in (RequestState.WITHDRAWN, RequestState.REJECTED)
                request.refresh_from_db()
                fresh = _round(request)
                assert all(s.acted_by is None for s in fresh)
                assert [s.state for s in fresh][:1] in ([StepState.PENDING], [])
        except DomainError as exc:
            # A refused action changes nothing.
            assert isinstance(exc, PermissionDenied | Conflict | NotFound)
            request.refresh_from_db()
            assert (request.state, request.version, [s.state for s in _round(request)]) == before
            if op in ("approve", "reject") and before[0] == RequestState.PENDING:
                assert actors[who] not in current.approvers.all()
        request.refresh_from_db()
        steps = _round(request)
        _check_invariants(request, steps)
        assert [s.approvers.get() for s in steps] == required
        if request.state == RequestState.APPROVED and before[0] != RequestState.APPROVED:
            approvals_seen += 1
    expense.refresh_from_db()
    if not required:
        assert request.state == RequestState.APPROVED
    # on_approved ran once per time the request became approved, never otherwise
    assert expense.hook_calls.count("approved") == approvals_seen + int(approved_at_submit)


# --- the pure machine ------------------------------------------------------------------


@given(
    count=st.integers(0, 5),
    actions=st.lists(st.sampled_from(["approve", "reject", "withdraw"]), max_size=8),
)
def test_pure_machine_approves_only_after_every_step(count, actions):
    current = machine.submit(None, count)
    approved_steps = 0
    for action in actions:
        try:
            current = machine.apply(current, action)
        except machine.IllegalTransition:
            assert current.state != RequestState.PENDING
            continue
        if action == "approve":
            approved_steps += 1
    if current.state == RequestState.APPROVED:
        assert approved_steps == count
        assert all(s == StepState.APPROVED for s in current.steps)
    else:
        assert approved_steps < count or (count == 0 and current.state != RequestState.PENDING)


# --- substitutes -------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(
    starts=st.integers(-5, 5),
    length=st.integers(0, 6),
    acting_day=st.integers(-8, 12),
    cancelled=st.booleans(),
)
def test_substitutes_act_only_within_their_window(people, starts, length, acting_day, cancelled):
    submitter, approvers, outsider = people
    Flow.objects.filter(active=True).update(active=False)
    make_flow({"name": "审批", "approver_kind": ApproverKind.USER, "user": approvers[0]})
    today = timezone.localdate()
    Delegation.objects.all().delete()
    Delegation.objects.create(
        delegator=approvers[0],
        substitute=outsider,
        starts_on=today + dt.timedelta(days=starts),
        ends_on=today + dt.timedelta(days=starts + length),
        cancelled_at=timezone.now() if cancelled else None,
    )
    expense = make_expense(submitter, "100")
    request = services.approval_submit(actor=submitter, document_type=KEY, object_id=expense.pk)
    moment = timezone.now() + dt.timedelta(days=acting_day)
    inside = not cancelled and starts <= acting_day <= starts + length

    try:
        services.approval_decide(
            actor=outsider, request_id=request.pk, decision="approve",
            version=request.version, now=moment,
        )  # fmt: skip
        acted = True
    except DomainError:
        acted = False

    assert acted == inside
    step = request.steps.get()
    if acted:
        assert (step.acted_by, step.on_behalf_of) == (outsider, approvers[0])
    else:
        assert step.state == StepState.PENDING
    assert Decimal(request.values["amount"]) == Decimal("100")
