"""Withdrawing asks first through htmx (`hx-confirm` on a boosted form), in the reader's
language, and a boosted withdraw still withdraws."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from guanxi.approvals import services
from guanxi.approvals.models import RequestState
from guanxi.approvals.tests.conftest import make_expense
from guanxi.approvals.tests.docapp.documents import KEY

pytestmark = pytest.mark.django_db

FORM = re.compile(r'<form[^>]*id="withdraw-form"[^>]*>')


def _submit(org):
    expense = make_expense(org["staff"], "600000")
    return services.approval_submit(actor=org["staff"], document_type=KEY, object_id=expense.pk)


@pytest.mark.parametrize(
    ("language", "question"),
    [("zh-hans", "确定撤回该审批？"), ("en", "Withdraw this approval request?")],
)
def test_the_withdraw_form_asks_through_hx_confirm(client, org, two_step_flow, language, question):
    request = _submit(org)
    client.force_login(org["staff"])

    with translation.override(language):
        page = client.get(f"/approvals/requests/{request.pk}/", HTTP_ACCEPT_LANGUAGE=language)

    form = FORM.search(page.content.decode())
    assert form is not None
    assert 'hx-boost="true"' in form.group(0)
    assert f'hx-confirm="{question}"' in form.group(0)


def test_a_boosted_withdraw_withdraws(client, org, two_step_flow):
    request = _submit(org)
    client.force_login(org["staff"])

    response = client.post(
        f"/approvals/requests/{request.pk}/withdraw/",
        {"version": request.version, "comment": "写错了"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_BOOSTED="true",
    )

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == RequestState.WITHDRAWN
