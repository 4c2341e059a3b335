"""Pinned query counts of the approval pages: the inbox of steps waiting for me, the
approve action and a request's page (its steps, history and buttons). Each is measured
with a small and a bigger data set and must be the same: no query per row."""

from __future__ import annotations

import pytest

from guanxi.approvals import services
from guanxi.approvals.tests.conftest import make_expense
from guanxi.approvals.tests.docapp.documents import KEY

pytestmark = pytest.mark.django_db

# session + user = 2 on every page
INBOX_QUERIES = 4  # + my stand-ins (delegations to me), the page of steps with their requests
DETAIL_QUERIES = 8  # + request, steps, their approvers, history, stand-ins, the document
# + (in one transaction, savepoints counted) the request locked, stand-ins, read check,
#   document, steps with approvers, stand-ins again, two step updates, request update,
#   action row, audit row, the next approver, the notification (users, preferences,
#   existing keys, insert), the next approver's stand-ins, the document's hook
DECIDE_QUERIES = 26


def _submitted(org, n: int) -> list:
    requests = []
    for i in range(n):
        expense = make_expense(org["staff"], "600000", title=f"差旅费{i:02d}")
        requests.append(
            services.approval_submit(actor=org["staff"], document_type=KEY, object_id=expense.pk)
        )
    return requests


@pytest.mark.parametrize("n", [2, 12])
def test_inbox_query_count(client, org, two_step_flow, django_assert_num_queries, n):
    _submitted(org, n)
    client.force_login(org["manager"])
    with django_assert_num_queries(INBOX_QUERIES):
        response = client.get("/approvals/")
    assert response.status_code == 200
    assert response.content.decode().count("差旅费") == n


@pytest.mark.parametrize("n", [1, 6])
def test_request_page_query_count(client, org, two_step_flow, django_assert_num_queries, n):
    # n earlier rounds (withdrawn and resubmitted) make the history and the steps longer
    request = _submitted(org, 1)[0]
    for _ in range(n - 1):
        request = services.approval_withdraw(
            actor=org["staff"], request_id=request.pk, version=request.version
        )
        request = services.approval_resubmit(
            actor=org["staff"], request_id=request.pk, version=request.version
        )
    client.force_login(org["manager"])
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(f"/approvals/requests/{request.pk}/")
    assert response.status_code == 200 and 'id="approve-button"' in response.content.decode()


@pytest.mark.parametrize("n", [1, 6])
def test_approve_query_count(client, org, two_step_flow, django_assert_num_queries, n):
    request = _submitted(org, n)[-1]
    client.force_login(org["manager"])
    with django_assert_num_queries(DECIDE_QUERIES):
        response = client.post(
            f"/approvals/requests/{request.pk}/decide/",
            {"decision": "approve", "version": request.version, "comment": "好"},
        )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.steps.get(position=1).state == "approved"
