"""The pages and the REST API over the engine: the main path and the conflict answer."""

from __future__ import annotations

import pytest

from guanxi.approvals import services
from guanxi.approvals.models import RequestState
from guanxi.approvals.tests.conftest import make_expense
from guanxi.approvals.tests.docapp.documents import KEY
from guanxi.customers.tests.test_api_support import Api

pytestmark = pytest.mark.django_db


def _submit(org):
    expense = make_expense(org["staff"], "600000")
    return services.approval_submit(actor=org["staff"], document_type=KEY, object_id=expense.pk)


def test_pages_answer_for_the_approver(client, org, two_step_flow):
    request = _submit(org)
    client.force_login(org["manager"])

    inbox = client.get("/approvals/")
    detail = client.get(f"/approvals/requests/{request.pk}/")

    assert inbox.status_code == 200 and "差旅费" in inbox.content.decode()
    assert detail.status_code == 200 and 'id="approve-button"' in detail.content.decode()
    for url in ("/approvals/requests/?box=all", "/approvals/delegations/", "/approvals/flows/"):
        assert client.get(url).status_code == 200


def test_approve_through_the_page(client, org, two_step_flow):
    request = _submit(org)
    client.force_login(org["manager"])

    response = client.post(
        f"/approvals/requests/{request.pk}/decide/",
        {"decision": "approve", "version": request.version, "comment": "好"},
    )

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.steps.get(position=1).state == "approved"


def test_stale_page_gets_409_with_the_fresh_state(client, org, two_step_flow):
    request = _submit(org)
    stale = request.version
    services.approval_decide(actor=org["manager"], request_id=request.pk, decision="approve",
                             version=stale)  # fmt: skip
    client.force_login(org["staff"])

    response = client.post(f"/approvals/requests/{request.pk}/withdraw/", {"version": stale})

    assert response.status_code == 409
    request.refresh_from_db()
    assert request.state == RequestState.PENDING


def test_outsider_page_is_404(client, org, two_step_flow):
    request = _submit(org)
    client.force_login(org["outsider"])

    assert client.get(f"/approvals/requests/{request.pk}/").status_code == 404


def test_api_pending_act_and_history(org, two_step_flow):
    request = _submit(org)
    api = Api(org["manager"])

    pending = api.get("/approvals/pending").json()
    assert [item["request"]["id"] for item in pending["items"]] == [request.pk]

    acted = api.post(
        f"/approvals/requests/{request.pk}/act",
        {"decision": "approve", "version": request.version, "comment": "ok"},
    )
    assert acted.status_code == 200
    body = acted.json()
    assert [h["kind"] for h in body["history"]] == ["submit", "approve"]

    again = api.post(
        f"/approvals/requests/{request.pk}/act",
        {"decision": "approve", "version": request.version},
    )
    assert again.status_code == 409
    assert again.json()["field"] == "version"


def test_api_reject_without_comment_is_a_field_error(org, two_step_flow):
    request = _submit(org)

    response = Api(org["manager"]).post(
        f"/approvals/requests/{request.pk}/act",
        {"decision": "reject", "version": request.version},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "comment"
