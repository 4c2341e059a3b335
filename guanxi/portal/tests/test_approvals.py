"""Approvals in the portal: an approver of the company approves or rejects a change request
waiting for it and accepts or rejects a submitted deliverable (with a reason); viewers and
requesters read only; another company's records are 404; the project team's internal
review note never shows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.portal import services
from guanxi.portal.models import PortalRole
from guanxi.portal.tests.conftest import SECRET, make_company
from guanxi.projects.models import ChangeRequest, Deliverable

pytestmark = pytest.mark.django_db


def test_the_change_page_shows_the_impact_plainly_without_the_internal_note(client, company_a):
    client.force_login(company_a.user)

    html = client.get(reverse("portal:change", args=[company_a.change.pk])).content.decode()

    assert "新增月报和季报" in html and "5000.00" in html and 'id="decision-form"' in html
    assert SECRET not in html


def test_an_approver_approves_a_change_request(client, company_a):
    client.force_login(company_a.user)

    response = client.post(
        reverse("portal:change", args=[company_a.change.pk]),
        {"decision": "approve", "comment": "同意，尽快安排"},
    )

    assert response.status_code == 302
    change = ChangeRequest.objects.get(pk=company_a.change.pk)
    assert change.status in ("approved", "applied")
    assert change.decided_by_id == company_a.user.pk and not change.decided_on_behalf
    assert AuditEntry.objects.filter(
        model="projects.changerequest", object_id=str(change.pk), actor=company_a.user
    ).exists()


def test_an_approver_rejects_a_deliverable_with_a_reason(client, company_a):
    client.force_login(company_a.user)
    url = reverse("portal:deliverable", args=[company_a.deliverable.pk])

    refused = client.post(url, {"decision": "reject", "comment": ""})
    assert refused.status_code == 422
    assert Deliverable.objects.get(pk=company_a.deliverable.pk).status == "submitted"

    response = client.post(url, {"decision": "reject", "comment": "缺少季报流程"})

    assert response.status_code == 302
    deliverable = Deliverable.objects.get(pk=company_a.deliverable.pk)
    assert deliverable.status == "rejected" and deliverable.rejection_reason == "缺少季报流程"


@pytest.mark.parametrize("role", [PortalRole.VIEWER, PortalRole.REQUESTER])
def test_only_approvers_decide(role):
    company = make_company(f"戊{role}", role=role)
    with pytest.raises(PermissionDenied):
        services.change_request_decide(
            user=company.user, change_request_id=company.change.pk, approve=True
        )
    with pytest.raises(PermissionDenied):
        services.deliverable_decide(
            user=company.user, deliverable_id=company.deliverable.pk, accept=True
        )
    assert ChangeRequest.objects.get(pk=company.change.pk).status == "awaiting_customer"


def test_another_companys_approvals_are_404(company_a, company_b):
    with pytest.raises(NotFound):
        services.change_request_decide(
            user=company_a.user, change_request_id=company_b.change.pk, approve=True
        )
    with pytest.raises(NotFound):
        services.deliverable_decide(
            user=company_a.user, deliverable_id=company_b.deliverable.pk, accept=True
        )
    assert ChangeRequest.objects.get(pk=company_b.change.pk).status == "awaiting_customer"


def test_a_bad_decision_is_refused_naming_the_field(company_a):
    with pytest.raises(ValidationFailed) as caught:
        services.change_request_decide(
            user=company_a.user, change_request_id=company_a.change.pk, approve="yes"
        )
    assert "approve" in caught.value.errors


def test_the_home_lists_what_waits_for_a_decision(client, company_a):
    client.force_login(company_a.user)
    html = client.get(reverse("portal:home")).content.decode()
    assert "增加两张报表" in html and "需求说明书" in html
