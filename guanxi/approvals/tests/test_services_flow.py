"""The engine's main paths: submit, approve step by step, reject, withdraw and resubmit;
conditions; audit, history, hooks, notifications and the customer's timeline."""

from __future__ import annotations

import pytest

from guanxi.approvals import services
from guanxi.approvals.models import (
    ActionKind,
    ApprovalAction,
    ApprovalRequest,
    ApprovalStep,
    RequestState,
    StepState,
)
from guanxi.approvals.tests.conftest import make_expense, make_flow
from guanxi.approvals.tests.docapp.documents import KEY
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _submit(user, expense):
    return services.approval_submit(actor=user, document_type=KEY, object_id=expense.pk)


def _states(request):
    return [
        s.state
        for s in ApprovalStep.objects.filter(request=request, round=request.round).order_by(
            "position"
        )
    ]


def _decide(user, request, decision="approve", comment=""):
    request.refresh_from_db()
    return services.approval_decide(
        actor=user, request_id=request.pk, decision=decision, comment=comment,
        version=request.version,
    )  # fmt: skip


def test_small_amount_needs_only_the_manager(org, two_step_flow):
    request = _submit(org["staff"], make_expense(org["staff"], "1000"))

    assert request.state == RequestState.PENDING
    steps = list(request.steps.order_by("position"))
    assert [s.name for s in steps] == ["直属上级审批"]
    assert [list(s.approvers.all()) for s in steps] == [[org["manager"]]]

    _decide(org["manager"], request)

    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert request.decided_at is not None


def test_large_amount_adds_the_director_step(org, two_step_flow):
    expense = make_expense(org["staff"], "600000")
    request = _submit(org["staff"], expense)

    assert [s.name for s in request.steps.order_by("position")] == ["直属上级审批", "总监审批"]
    _decide(org["manager"], request)
    request.refresh_from_db()
    assert request.state == RequestState.PENDING
    assert _states(request) == [StepState.APPROVED, StepState.PENDING]

    _decide(org["director"], request, comment="同意")

    request.refresh_from_db()
    expense.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert expense.status == "approved"
    assert expense.hook_calls == ["approved"]


def test_the_director_cannot_act_before_the_manager(org, two_step_flow):
    request = _submit(org["staff"], make_expense(org["staff"], "600000"))

    with pytest.raises(PermissionDenied):
        _decide(org["director"], request)

    assert _states(request) == [StepState.PENDING, StepState.WAITING]


def test_rejection_ends_the_flow_and_needs_a_comment(org, two_step_flow):
    expense = make_expense(org["staff"], "600000")
    request = _submit(org["staff"], expense)

    with pytest.raises(ValidationFailed) as exc:
        _decide(org["manager"], request, "reject", comment="  ")
    assert exc.value.field == "comment"

    _decide(org["manager"], request, "reject", comment="超出预算")

    request.refresh_from_db()
    expense.refresh_from_db()
    assert request.state == RequestState.REJECTED
    assert _states(request) == [StepState.REJECTED, StepState.CANCELLED]
    assert expense.status == "rejected"
    with pytest.raises(Conflict):
        _decide(org["director"], request)


def test_withdraw_then_resubmit_starts_a_fresh_round(org, two_step_flow):
    expense = make_expense(org["staff"], "600000")
    request = _submit(org["staff"], expense)
    _decide(org["manager"], request)
    request.refresh_from_db()

    services.approval_withdraw(
        actor=org["staff"], request_id=request.pk, version=request.version, comment="改金额"
    )
    request.refresh_from_db()
    assert request.state == RequestState.WITHDRAWN
    assert _states(request) == [StepState.APPROVED, StepState.CANCELLED]

    expense.amount = 2000
    expense.save()
    services.approval_resubmit(actor=org["staff"], request_id=request.pk, version=request.version)

    request.refresh_from_db()
    assert (request.state, request.round) == (RequestState.PENDING, 2)
    assert _states(request) == [StepState.PENDING]  # the director's step no longer applies
    assert request.values["amount"] == "2000.00"
    assert ApprovalStep.objects.filter(request=request).count() == 3  # round 1 kept


def test_only_the_submitter_withdraws(org, two_step_flow):
    request = _submit(org["staff"], make_expense(org["staff"]))

    with pytest.raises(PermissionDenied):
        services.approval_withdraw(
            actor=org["manager"], request_id=request.pk, version=request.version
        )


def test_a_pending_document_cannot_be_submitted_twice(org, two_step_flow):
    expense = make_expense(org["staff"])
    _submit(org["staff"], expense)

    with pytest.raises(Conflict):
        _submit(org["staff"], expense)

    assert ApprovalRequest.objects.count() == 1


def test_stale_version_is_a_conflict_naming_who_acted(org, two_step_flow):
    request = _submit(org["staff"], make_expense(org["staff"], "600000"))
    seen = request.version
    _decide(org["manager"], request)

    with pytest.raises(Conflict) as exc:
        services.approval_withdraw(actor=org["staff"], request_id=request.pk, version=seen)

    assert "经理" in exc.value.message
    assert exc.value.field == "version"


def test_outsider_gets_not_found(org, two_step_flow):
    request = _submit(org["staff"], make_expense(org["staff"]))

    with pytest.raises(NotFound):
        _decide(org["outsider"], request)


def test_no_active_flow_is_a_field_error(org):
    with pytest.raises(ValidationFailed) as exc:
        _submit(org["staff"], make_expense(org["staff"]))

    assert exc.value.field == "document_type"
    assert ApprovalRequest.objects.count() == 0


def test_only_the_owner_may_submit(org, two_step_flow):
    with pytest.raises(PermissionDenied):
        _submit(org["manager"], make_expense(org["staff"]))


def test_no_steps_apply_approves_at_once(org):
    make_flow(
        {"name": "大额", "approver_kind": "manager", "condition_field": "amount",
         "condition_operator": "gte", "condition_value": "100000"},
    )  # fmt: skip
    expense = make_expense(org["staff"], "10")

    request = _submit(org["staff"], expense)

    expense.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert expense.status == "approved"


def test_text_condition(org):
    make_flow(
        {"name": "招待费", "approver_kind": "manager", "condition_field": "category",
         "condition_operator": "eq", "condition_value": "entertainment"},
    )  # fmt: skip

    travel = _submit(org["staff"], make_expense(org["staff"], category="travel"))
    treat = _submit(org["staff"], make_expense(org["staff"], category="entertainment"))

    assert travel.state == RequestState.APPROVED
    assert treat.state == RequestState.PENDING


def test_submitter_as_only_approver_is_approved_automatically(org):
    make_flow({"name": "经理审批", "approver_kind": "user", "user": org["manager"]})

    request = _submit(org["manager"], make_expense(org["manager"]))

    step = request.steps.get()
    assert request.state == RequestState.APPROVED
    assert (step.state, step.automatic, step.acted_by) == (StepState.APPROVED, True, None)
    assert list(request.actions.values_list("kind", flat=True)) == [
        ActionKind.SUBMIT, ActionKind.AUTO_APPROVE,
    ]  # fmt: skip


def test_every_action_is_recorded_and_audited(org, two_step_flow):
    customer = CustomerFactory(owner=org["staff"])
    expense = make_expense(org["staff"], "600000", customer=customer)
    request = _submit(org["staff"], expense)
    _decide(org["manager"], request, comment="可以")
    _decide(org["director"], request, comment="同意")

    kinds = list(ApprovalAction.objects.filter(request=request).values_list("kind", "actor"))
    assert kinds == [
        (ActionKind.SUBMIT, org["staff"].pk),
        (ActionKind.APPROVE, org["manager"].pk),
        (ActionKind.APPROVE, org["director"].pk),
    ]
    entries = AuditEntry.objects.filter(
        model="approvals.approvalrequest", object_id=str(request.pk)
    ).order_by("id")
    assert [e.action for e in entries] == ["create", "update", "update"]
    assert all(e.customer_id == customer.pk for e in entries)
    last = entries.last()
    assert last.actor == org["director"]
    assert last.changes["state"] == ["pending", "approved"]
    assert last.changes["comment"] == [None, "同意"]
    timeline = list(TimelineEntry.objects.filter(customer=customer, kind="approval").order_by("id"))
    assert len(timeline) == 3
    assert "差旅费" in timeline[0].title


def test_each_step_notifies_its_approvers_and_the_result_the_submitter(org, two_step_flow):
    request = _submit(org["staff"], make_expense(org["staff"], "600000"))
    assert list(Notification.objects.values_list("recipient__username", "kind")) == [
        ("manager", "approval_pending")
    ]
    _decide(org["manager"], request)
    _decide(org["director"], request)

    rows = list(Notification.objects.order_by("id").values_list("recipient__username", "kind"))
    assert rows == [
        ("manager", "approval_pending"),
        ("director", "approval_pending"),
        ("staff", "approval_result"),
    ]


def test_notification_title_is_in_the_recipients_language(org, two_step_flow):
    org["manager"].language = "en"
    org["manager"].save()

    _submit(org["staff"], make_expense(org["staff"]))

    note = Notification.objects.get(recipient=org["manager"])
    assert note.title.startswith("Awaiting your approval")
