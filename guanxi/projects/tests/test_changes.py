"""Change requests (需求变更, issue 15 item 5): the schedule impact computed by the CPM on a
small worked plan, the state machine (hypothesis over random sequences of transitions:
never outside a legal state, never an edge the machine does not have, a refused step
writes nothing), the whole way through the internal review and the customer's decision
to the plan, who may decide for the customer (service and API), and API scope."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import UserFactory
from guanxi.approvals.models import ApprovalRequest
from guanxi.approvals.services import approval_decide
from guanxi.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.notifications.models import Notification
from guanxi.projects import selectors_evm
from guanxi.projects.models import ChangeRequest, ChangeStatus, Project, Task, TaskLink
from guanxi.projects.services import changes
from guanxi.projects.services import projects as project_services
from guanxi.projects.services.plan import CycleRefused
from guanxi.projects.tests.change_helpers import plan_scene_fixture, portal_approver  # noqa: F401
from guanxi.projects.tests.factories import PLAN_START

pytestmark = pytest.mark.django_db
API = "/api/v1/projects"


def _raise(scene: dict[str, Any], **data: Any) -> ChangeRequest:
    return changes.change_request_create(
        actor=scene["pm"],
        project_id=scene["project"].pk,
        data={"title": "增加数据导出模块", **data},
    )


def _impact(
    scene: dict[str, Any], cr: ChangeRequest, task_changes: list[dict[str, Any]], **extra: Any
) -> ChangeRequest:
    return changes.change_request_state_impact(
        actor=scene["pm"],
        project_id=scene["project"].pk,
        change_request_id=cr.pk,
        scope_impact=extra.get("scope", "新增导出"),
        cost_delta=extra.get("cost", "12000.00"),
        quality_impact=extra.get("quality", "需增加测试"),
        task_changes=task_changes,
        version=cr.version,
    )


# --- the schedule impact from the CPM ------------------------------------------------------


def test_a_longer_critical_task_moves_the_finish_by_its_extra_days(plan_scene):
    """A(2) → B(3) → C(1) from Mon 2027-03-01 finishes Mon 03-08; B at 5 days pushes the
    finish two working days to Wed 03-10. Nothing on the plan changes yet."""
    cr = _raise(plan_scene)
    cr = _impact(
        plan_scene, cr, [{"kind": "duration", "task_id": plan_scene["b"].pk, "duration_days": 5}]
    )
    assert cr.status == ChangeStatus.IMPACT_STATED
    assert (cr.finish_before, cr.finish_after) == (dt.date(2027, 3, 8), dt.date(2027, 3, 10))
    assert cr.schedule_delta_days == 2
    assert cr.cost_delta == Decimal("12000.00")
    assert Task.objects.get(pk=plan_scene["b"].pk).duration_days == 3
    assert Project.objects.get(pk=plan_scene["project"].pk).scheduled_finish == dt.date(2027, 3, 8)


def test_a_new_task_beside_the_critical_path_within_its_float_costs_no_days(plan_scene):
    """A new 2-day task after A and before C runs beside B (3 days): no delay. A new
    4-day task after C adds four working days (Mon 03-08 → Fri 03-12)."""
    s = plan_scene
    beside = _impact(
        s,
        _raise(s),
        [
            {
                "kind": "new_task",
                "name": "接口文档",
                "duration_days": 2,
                "predecessor_id": s["a"].pk,
                "successor_id": s["c"].pk,
            }
        ],
    )
    assert beside.schedule_delta_days == 0 and beside.finish_after == dt.date(2027, 3, 8)
    after = _impact(
        s,
        _raise(s),
        [{"kind": "new_task", "name": "验收测试", "duration_days": 4, "predecessor_id": s["c"].pk}],
    )
    assert after.schedule_delta_days == 4 and after.finish_after == dt.date(2027, 3, 12)
    assert Task.objects.filter(project=s["project"]).count() == 3


def test_a_new_link_with_lag_is_scheduled(plan_scene):
    """A new link A → C finish-to-start with a lag of 5 working days: C waits for A's end
    (working day 2) plus 5, so it runs on Wed 03-10 instead of Mon 03-08."""
    s = plan_scene
    cr = _impact(
        s,
        _raise(s),
        [
            {
                "kind": "new_link",
                "predecessor_id": s["a"].pk,
                "successor_id": s["c"].pk,
                "type": "FS",
                "lag_days": 5,
            }
        ],
    )
    assert cr.finish_after == dt.date(2027, 3, 10) and cr.schedule_delta_days == 2


def test_a_proposed_cycle_is_refused_naming_it_and_nothing_changes(plan_scene):
    s = plan_scene
    cr = _raise(s)
    with pytest.raises(CycleRefused) as refused:
        _impact(
            s, cr, [{"kind": "new_link", "predecessor_id": s["c"].pk, "successor_id": s["a"].pk}]
        )
    assert set(refused.value.tasks) >= {s["a"].pk, s["c"].pk}
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.DRAFT and cr.version == 1 and not cr.task_changes.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "duration", "task_id": 999999, "duration_days": 2}, "task_changes.0.task_id"),
        ({"kind": "duration", "duration_days": 2}, "task_changes.0.task_id"),
        ({"kind": "new_task", "name": "", "duration_days": 2}, "task_changes.0.name"),
        ({"kind": "new_task", "name": "x", "duration_days": 99999}, "task_changes.0.duration_days"),
        ({"kind": "teleport"}, "task_changes.0.kind"),
    ],
)
def test_bad_task_changes_are_refused_naming_the_item(plan_scene, change, field):
    cr = _raise(plan_scene)
    with pytest.raises(ValidationFailed) as refused:
        _impact(plan_scene, cr, [change])
    assert field in refused.value.errors
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.DRAFT


def test_another_projects_task_is_not_a_task_of_this_plan(plan_scene, am_a):
    other = project_services.project_create(
        actor=am_a,
        customer_id=plan_scene["customer"].pk,
        data={"name": "别的项目", "start_date": PLAN_START},
    )
    foreign = Task.objects.create(project=other, name="外", duration_days=1)
    with pytest.raises(ValidationFailed) as refused:
        _impact(
            plan_scene,
            _raise(plan_scene),
            [{"kind": "duration", "task_id": foreign.pk, "duration_days": 9}],
        )
    assert "task_changes.0.task_id" in refused.value.errors


# --- the whole way: raised in the customer's name to a new plan ----------------------------


def test_raised_for_the_customer_reviewed_approved_by_the_customer_and_applied(plan_scene):
    s = plan_scene
    with pytest.raises(ValidationFailed) as refused:
        _raise(s, origin="customer")
    assert "raised_for_contact" in refused.value.errors
    cr = _raise(s, origin="customer", raised_for_contact="王经理")
    assert cr.number == 1 and cr.origin == "customer" and cr.raised_for_contact == "王经理"
    cr = _impact(
        s,
        cr,
        [
            {"kind": "duration", "task_id": s["b"].pk, "duration_days": 5},
            {
                "kind": "new_task",
                "name": "导出模块测试",
                "duration_days": 1,
                "predecessor_id": s["c"].pk,
            },
        ],
    )
    assert cr.schedule_delta_days == 3
    cr = changes.change_request_submit(
        actor=s["pm"], project_id=s["project"].pk, change_request_id=cr.pk, version=cr.version
    )
    assert cr.status == ChangeStatus.IN_REVIEW
    request = ApprovalRequest.objects.get(document_type="change_request", object_id=cr.pk)
    approval_decide(
        actor=s["reviewer"], request_id=request.pk, decision="approve", version=request.version
    )
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.AWAITING_CUSTOMER
    # The account manager records the customer's approval on behalf of the contact.
    cr = changes.change_request_decide_on_behalf(
        actor=s["am"],
        project_id=s["project"].pk,
        change_request_id=cr.pk,
        approve=True,
        contact_name="王经理",
        comment="同意",
        version=cr.version,
    )
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.APPLIED and cr.apply_error == ""
    assert cr.decided_on_behalf and cr.customer_contact == "王经理" and cr.decided_by == s["am"]
    assert Task.objects.get(pk=s["b"].pk).duration_days == 5
    # The approval took a new baseline of the changed plan, naming the request.
    baseline = cr.resulting_baseline
    assert baseline is not None and baseline.change_request_ref == cr.pk
    assert baseline.planned_finish == dt.date(2027, 3, 11)
    # … approved at once: the customer's approval makes it the baseline EVM measures against.
    assert baseline.approved and baseline.approved_by == s["am"]
    assert selectors_evm.current_baseline(project=s["project"]) == baseline
    new = Task.objects.get(project=s["project"], name="导出模块测试")
    assert TaskLink.objects.filter(predecessor=s["c"], successor=new).exists()
    assert Project.objects.get(pk=s["project"].pk).scheduled_finish == dt.date(2027, 3, 11)
    # Audit, the customer's timeline, the project manager told.
    assert (
        AuditEntry.objects.filter(model="projects.changerequest", object_id=str(cr.pk)).count() >= 5
    )
    titles = list(
        TimelineEntry.objects.filter(customer=s["customer"], kind="project").values_list(
            "title", flat=True
        )
    )
    assert any("CR-1" in t for t in titles)
    assert Notification.objects.filter(recipient=s["pm"], kind=changes.NOTIFY_KIND).exists()


def test_the_review_rejected_goes_back_to_the_team(plan_scene):
    s = plan_scene
    cr = _impact(s, _raise(s), [])
    cr = changes.change_request_submit(
        actor=s["pm"], project_id=s["project"].pk, change_request_id=cr.pk, version=cr.version
    )
    request = ApprovalRequest.objects.get(document_type="change_request", object_id=cr.pk)
    approval_decide(
        actor=s["reviewer"],
        request_id=request.pk,
        decision="reject",
        version=request.version,
        comment="成本估算不足",
    )
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.IMPACT_STATED and cr.review_note == "成本估算不足"


def test_the_customer_rejects_and_the_plan_stays(plan_scene):
    s = plan_scene
    cr = _impact(s, _raise(s), [{"kind": "duration", "task_id": s["b"].pk, "duration_days": 9}])
    ChangeRequest.objects.filter(pk=cr.pk).update(status=ChangeStatus.AWAITING_CUSTOMER)
    cr.refresh_from_db()
    cr = changes.change_request_decide_on_behalf(
        actor=s["pm"],
        project_id=s["project"].pk,
        change_request_id=cr.pk,
        approve=False,
        contact_name="王经理",
        comment="预算不足",
        version=cr.version,
    )
    assert cr.status == ChangeStatus.REJECTED
    assert Task.objects.get(pk=s["b"].pk).duration_days == 3


def test_an_approval_the_plan_no_longer_allows_stays_approved_with_the_reason(plan_scene):
    """The task the change lengthens was deleted meanwhile: the customer's approval is
    kept, the request waits in ``approved`` naming why it could not be applied."""
    s = plan_scene
    cr = _impact(s, _raise(s), [{"kind": "duration", "task_id": s["b"].pk, "duration_days": 5}])
    ChangeRequest.objects.filter(pk=cr.pk).update(status=ChangeStatus.AWAITING_CUSTOMER)
    Task.objects.filter(pk=s["b"].pk).delete()
    cr.refresh_from_db()
    cr = changes.change_request_decide_on_behalf(
        actor=s["pm"],
        project_id=s["project"].pk,
        change_request_id=cr.pk,
        approve=True,
        contact_name="王经理",
        version=cr.version,
    )
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.APPROVED and cr.apply_error
    with pytest.raises(Conflict):
        changes.change_request_apply(
            actor=s["pm"], project_id=s["project"].pk, change_request_id=cr.pk, version=cr.version
        )


# --- who decides for the customer -----------------------------------------------------------


def _awaiting(scene: dict[str, Any]) -> ChangeRequest:
    cr = _impact(scene, _raise(scene), [])
    ChangeRequest.objects.filter(pk=cr.pk).update(status=ChangeStatus.AWAITING_CUSTOMER)
    cr.refresh_from_db()
    return cr


def test_a_plain_team_member_may_not_decide_for_the_customer(plan_scene):
    s = plan_scene
    cr = _awaiting(s)
    with pytest.raises(PermissionDenied):
        changes.change_request_decide_on_behalf(
            actor=s["member"],
            project_id=s["project"].pk,
            change_request_id=cr.pk,
            approve=True,
            contact_name="王经理",
            version=cr.version,
        )
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.AWAITING_CUSTOMER and cr.decided_at is None


def test_a_portal_account_that_is_not_the_customers_approver_is_refused(plan_scene):
    s = plan_scene
    cr = _awaiting(s)
    stranger = UserFactory(username="portal_x", role=Role.PORTAL)
    approver = UserFactory(username="portal_ok", role=Role.PORTAL, display_name="王经理")
    with pytest.raises(PermissionDenied):  # no portal hooks: nobody approves
        changes.customer_decide(cr, portal_user=approver, approve=True, comment="")
    with portal_approver(approver, s["customer"].pk):
        with pytest.raises(PermissionDenied):
            changes.customer_decide(cr, portal_user=stranger, approve=True, comment="")
        # Staff are not portal approvers either.
        with pytest.raises(PermissionDenied):
            changes.customer_decide(cr, portal_user=s["pm"], approve=True, comment="")
        cr.refresh_from_db()
        assert cr.status == ChangeStatus.AWAITING_CUSTOMER
        changes.customer_decide(cr, portal_user=approver, approve=False, comment="暂不需要")
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.REJECTED and not cr.decided_on_behalf
    assert cr.decided_by == approver and cr.customer_contact == "王经理"


def test_the_customer_raises_a_request_through_the_portal(plan_scene):
    s = plan_scene
    account = UserFactory(username="portal_c", role=Role.PORTAL, display_name="李总")
    with pytest.raises(DomainError):  # not (yet) acting for this customer
        changes.change_request_raise_by_customer(
            portal_user=account, project_id=s["project"].pk, title="增加报表"
        )
    with portal_approver(account, s["customer"].pk):
        cr = changes.change_request_raise_by_customer(
            portal_user=account, project_id=s["project"].pk, title="增加报表"
        )
    assert cr.origin == "customer" and cr.raised_via_portal and cr.raised_for_contact == "李总"


# --- the state machine ----------------------------------------------------------------------

LEGAL_EDGES = {(a, b) for a, targets in changes.TRANSITIONS.items() for b in targets}
ACTIONS = [
    "impact",
    "submit",
    "review_ok",
    "review_no",
    "approve",
    "reject",
    "withdraw",
    "apply",
    "edit",
]


def _act(scene: dict[str, Any], cr: ChangeRequest, action: str) -> None:
    pid, pm = scene["project"].pk, scene["pm"]
    kw = {"actor": pm, "project_id": pid, "change_request_id": cr.pk, "version": cr.version}
    if action == "impact":
        _impact(scene, cr, [{"kind": "duration", "task_id": scene["a"].pk, "duration_days": 3}])
    elif action == "submit":
        changes.change_request_submit(**kw)
    elif action == "review_ok":
        changes.on_review_approved(cr, pm)
    elif action == "review_no":
        changes.on_review_rejected(cr, pm, "再议")
    elif action in ("approve", "reject"):
        changes.change_request_decide_on_behalf(
            approve=action == "approve", contact_name="王经理", **kw
        )
    elif action == "withdraw":
        changes.change_request_withdraw(**kw)
    elif action == "apply":
        changes.change_request_apply(**kw)
    elif action == "edit":
        changes.change_request_update(data={"title": "改名"}, **kw)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=8))
def test_random_transitions_never_leave_the_legal_states(plan_scene, actions):
    cr = _raise(plan_scene)
    for action in actions:
        before = ChangeRequest.objects.get(pk=cr.pk)
        try:
            _act(plan_scene, before, action)
        except DomainError:
            after = ChangeRequest.objects.get(pk=cr.pk)
            assert (after.status, after.version) == (before.status, before.version), action
            continue
        after = ChangeRequest.objects.get(pk=cr.pk)
        assert after.status in ChangeStatus.values
        if action == "approve" and after.status == ChangeStatus.APPLIED:
            # The customer's approval applies the change at once: through "approved".
            assert (before.status, ChangeStatus.APPROVED) in LEGAL_EDGES, action
            assert (ChangeStatus.APPROVED, ChangeStatus.APPLIED) in LEGAL_EDGES, action
        elif after.status != before.status:
            assert (before.status, after.status) in LEGAL_EDGES, action
        if action == "approve":
            assert after.status in (ChangeStatus.APPLIED, ChangeStatus.APPROVED)
        if after.status in (ChangeStatus.REJECTED, ChangeStatus.APPLIED, ChangeStatus.WITHDRAWN):
            assert not changes.TRANSITIONS[after.status]


# --- API ------------------------------------------------------------------------------------


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_api_raises_states_impact_and_records_the_decision(client, plan_scene):
    s = plan_scene
    client.force_login(s["pm"])
    base = f"{API}/{s['project'].pk}/change-requests"
    created = _post(
        client, base, {"title": "增加导出", "origin": "customer", "raised_for_contact": "王经理"}
    )
    assert created.status_code == 201, created.content
    cr = created.json()
    impact = _post(
        client,
        f"{base}/{cr['id']}/impact",
        {
            "version": cr["version"],
            "scope_impact": "导出",
            "cost_delta": "-500.50",
            "task_changes": [{"kind": "duration", "task_id": s["b"].pk, "duration_days": 4}],
        },
    )
    assert impact.status_code == 200, impact.content
    body = impact.json()
    assert body["schedule_delta_days"] == 1 and body["cost_delta"] == "-500.50"
    assert body["task_changes"][0]["task_id"] == s["b"].pk
    listing = client.get(base).json()
    assert listing["count"] == 1 and listing["items"][0]["status"] == "impact_stated"
    preview = client.get(f"{base}/{cr['id']}/schedule-impact").json()
    assert preview["delta_days"] == 1
    # Not awaiting the customer yet: a decision is a 409; a stale version a 409.
    early = _post(
        client,
        f"{base}/{cr['id']}/customer-decision",
        {"version": body["version"], "approve": True, "contact_name": "王经理"},
    )
    assert early.status_code == 409
    stale = _post(client, f"{base}/{cr['id']}/withdraw", {"version": 1})
    assert stale.status_code == 409
    ChangeRequest.objects.filter(pk=cr["id"]).update(status=ChangeStatus.AWAITING_CUSTOMER)
    decided = _post(
        client,
        f"{base}/{cr['id']}/customer-decision",
        {"version": body["version"], "approve": True, "contact_name": "王经理"},
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "applied"


def test_api_refuses_a_decision_by_a_plain_member(client, plan_scene):
    s = plan_scene
    cr = _awaiting(s)
    client.force_login(s["member"])
    response = _post(
        client,
        f"{API}/{s['project'].pk}/change-requests/{cr.pk}/customer-decision",
        {"version": cr.version, "approve": True, "contact_name": "王经理"},
    )
    assert response.status_code == 403
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.AWAITING_CUSTOMER


def test_api_scope_other_departments_ids_are_404(client, plan_scene, am_b):
    s = plan_scene
    cr = _raise(s)
    client.force_login(am_b)
    base = f"{API}/{s['project'].pk}/change-requests"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/{cr.pk}").status_code == 404
    assert _post(client, base, {"title": "闯入"}).status_code == 404
    assert _post(client, f"{base}/{cr.pk}/withdraw", {"version": 1}).status_code == 404
    # Another project's request under this project's id is a 404 too.
    mine = project_services.project_create(
        actor=am_b,
        customer_id=CustomerFactory(owner=am_b, team=am_b.team).pk,
        data={"name": "乙方项目", "start_date": PLAN_START},
    )
    assert client.get(f"{API}/{mine.pk}/change-requests/{cr.pk}").status_code == 404
    assert ChangeRequest.objects.filter(project=s["project"]).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 1, "cost_delta": "1e20"}, "cost_delta"),
        ({"version": 1, "cost_delta": "1.001"}, "cost_delta"),
        ({"version": 1, "task_changes": [{"kind": "duration", "task_id": 10**30}]}, "task_id"),
        ({"version": 1, "task_changes": [{"kind": "x"}]}, "kind"),
        ({"version": 1, "unknown": 1}, "unknown"),
    ],
)
def test_api_bad_impact_input_is_422_naming_the_field(client, plan_scene, body, field):
    s = plan_scene
    cr = _raise(s)
    client.force_login(s["pm"])
    response = _post(client, f"{API}/{s['project'].pk}/change-requests/{cr.pk}/impact", body)
    assert response.status_code == 422, response.content
    assert field in response.content.decode()
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.DRAFT and cr.version == 1


def test_api_refuses_a_null_body(client, plan_scene):
    s = plan_scene
    client.force_login(s["pm"])
    response = client.post(
        f"{API}/{s['project'].pk}/change-requests", data="null", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert not ChangeRequest.objects.exists()


# --- pages ----------------------------------------------------------------------------------


def test_the_changes_tab_and_detail_show_the_impact(
    client, plan_scene, django_assert_max_num_queries
):
    from django.urls import reverse

    s = plan_scene
    cr = _impact(s, _raise(s), [{"kind": "duration", "task_id": s["b"].pk, "duration_days": 5}])
    client.force_login(s["pm"])
    with django_assert_max_num_queries(25):
        page = client.get(reverse("projects:changes", args=[s["project"].pk]))
    assert page.status_code == 200
    assert f'data-change="{cr.pk}"' in page.content.decode()
    detail = client.get(reverse("projects:change_detail", args=[s["project"].pk, cr.pk]))
    text = detail.content.decode()
    assert detail.status_code == 200 and "2027-03-10" in text and 'id="impact-schedule"' in text
    response = client.post(
        reverse("projects:change_transition", args=[s["project"].pk, cr.pk, "withdraw"]),
        {"version": cr.version},
    )
    assert response.status_code == 302
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.WITHDRAWN


def test_the_changes_pages_are_404_out_of_scope(client, plan_scene, am_b):
    from django.urls import reverse

    s = plan_scene
    cr = _raise(s)
    client.force_login(am_b)
    assert client.get(reverse("projects:changes", args=[s["project"].pk])).status_code == 404
    assert (
        client.get(reverse("projects:change_detail", args=[s["project"].pk, cr.pk])).status_code
        == 404
    )
