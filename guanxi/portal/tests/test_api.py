"""The portal API (``/api/v1/portal/``): portal tokens and portal sessions only; every
operation, walked from the router itself, answers 404 for another company's ids and never
returns a staff-internal field; the schema components are all ``Portal…``."""

from __future__ import annotations

import importlib
import json
import re

import pytest
from django.utils import timezone

from guanxi.accounts.models import ApiToken
from guanxi.portal.api import router
from guanxi.portal.models import PortalToken
from guanxi.portal.tests.conftest import SECRET

pytestmark = pytest.mark.django_db

BASE = "/api/v1/portal"
# A valid body for every write, so the answer is about the ids, not the body.
BODIES = {
    ("POST", "/tickets"): {"subject": "接口报修", "category": "repair", "description": "打印机"},
    ("POST", "/tickets/{ticket_id}/replies"): {"body": "补充说明"},
    ("POST", "/tickets/{ticket_id}/close"): {},
    ("POST", "/surveys/{survey_id}/answer"): {"score": 5},
}


def _operations() -> list[tuple[str, str]]:
    ops = []
    for path, view in router.path_operations.items():
        for operation in view.operations:
            for method in operation.methods:
                ops.append((method, path))
    return ops


def _url(path: str, ids: dict[str, int]) -> str:
    return BASE + re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


def _call(client, method, path, ids, token):
    headers = {"Authorization": f"Bearer {token}"}
    url = _url(path, ids)
    if method == "GET":
        return client.get(url, headers=headers)
    return client.post(
        url, json.dumps(BODIES[(method, path)]), content_type="application/json", headers=headers
    )


def test_every_write_has_a_body_in_the_matrix():
    writes = {(m, p) for m, p in _operations() if m != "GET"}
    assert writes == set(BODIES)
    assert len(_operations()) >= 9


def test_another_companys_ids_answer_404_on_every_operation(client, company_a, company_b):
    theirs = company_b.ids()
    checked = 0
    for method, path in _operations():
        if "{" not in path:
            continue
        response = _call(client, method, path, theirs, company_a.token)
        assert response.status_code == 404, (method, path, response.status_code, response.content)
        checked += 1
    assert checked >= 5
    company_b.ticket.refresh_from_db()
    assert company_b.ticket.status == "waiting" and company_b.ticket.messages.count() == 3


def test_own_answers_never_carry_internal_fields(client, company_a, company_b):
    mine = company_a.ids()
    for method, path in _operations():
        if method != "GET":
            continue
        response = _call(client, method, path, mine, company_a.token)
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode(errors="replace")  # a download is bytes
        assert SECRET not in text and "客户难缠" not in text, path
        assert company_b.customer.name not in text and company_b.ticket.subject not in text, path


def test_the_ticket_answer_has_public_messages_and_the_promise(client, company_a):
    response = client.get(
        f"{BASE}/tickets/{company_a.ticket.pk}",
        headers={"Authorization": f"Bearer {company_a.token}"},
    )
    body = response.json()
    assert [m["kind"] for m in body["messages"]] == ["incoming", "reply"]
    assert body["promise"]


def test_writes_through_the_api(client, company_a):
    auth = {"Authorization": f"Bearer {company_a.token}"}
    created = client.post(
        f"{BASE}/tickets", BODIES[("POST", "/tickets")], content_type="application/json",
        headers=auth,
    )  # fmt: skip
    assert created.status_code == 201 and created.json()["status"] == "new"
    answer = client.post(
        f"{BASE}/surveys/{company_a.survey.pk}/answer", {"score": 4},
        content_type="application/json", headers=auth,
    )  # fmt: skip
    assert answer.status_code == 200 and answer.json()["score"] == 4


def test_bad_input_is_422_naming_the_field(client, company_a):
    auth = {"Authorization": f"Bearer {company_a.token}"}
    for body, field in [
        ({"subject": "", "description": "x"}, "subject"),
        ({"subject": "a", "description": "x", "category": "boss"}, "category"),
        ({"subject": "a", "description": "x", "extra": 1}, "extra"),
    ]:
        response = client.post(
            f"{BASE}/tickets", body, content_type="application/json", headers=auth
        )
        assert response.status_code == 422, body
        assert field in response.content.decode()
    huge = client.post(
        f"{BASE}/surveys/{company_a.survey.pk}/answer", {"score": 10**30},
        content_type="application/json", headers=auth,
    )  # fmt: skip
    assert huge.status_code == 422 and "score" in huge.content.decode()
    null = client.post(f"{BASE}/tickets", "null", content_type="application/json", headers=auth)
    assert null.status_code in (400, 422)
    assert client.get(f"{BASE}/tickets/99999999999999999999", headers=auth).status_code in (
        404,
        422,
    )


def test_staff_credentials_do_not_open_the_portal_api(client, am_a, company_a):
    # Imported by name: the portal (tests included) imports no accounts service.
    hash_token = importlib.import_module("guanxi.accounts.services").hash_token
    raw = "gx_" + "s" * 40
    ApiToken.objects.create(user=am_a, name="t", prefix=raw[:8], key_hash=hash_token(raw))
    assert client.get(f"{BASE}/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    client.force_login(am_a)
    assert client.get(f"{BASE}/me").status_code == 403


def test_a_portal_token_opens_no_staff_operation(client, company_a):
    auth = {"Authorization": f"Bearer {company_a.token}"}
    assert client.get("/api/v1/customers", headers=auth).status_code == 401
    assert client.get(f"{BASE}/me", headers=auth).json()["company"] == company_a.customer.name


def test_revoked_tokens_and_deactivated_accounts_are_refused(client, company_a):
    auth = {"Authorization": f"Bearer {company_a.token}"}
    PortalToken.objects.filter(account=company_a.account).update(revoked_at=timezone.now())
    assert client.get(f"{BASE}/me", headers=auth).status_code == 401


def test_the_portal_session_works_for_reads(client, company_a):
    client.force_login(company_a.user)
    assert client.get(f"{BASE}/tickets").status_code == 200


def test_every_portal_schema_component_is_prefixed():
    schema = importlib.import_module("config.api").api.get_openapi_schema()
    names = set()
    for path, item in schema["paths"].items():
        if not path.startswith(BASE):
            continue
        for operation in item.values():
            for answer in operation["responses"].values():
                text = json.dumps(answer)
                names |= set(re.findall(r"#/components/schemas/(\w+)", text))
            names |= set(
                re.findall(
                    r"#/components/schemas/(\w+)", json.dumps(operation.get("requestBody", {}))
                )
            )
    own = {n for n in names if n not in {"ErrorOut", "ValidationErrorOut"} and "Error" not in n}
    assert own and all("Portal" in n for n in own), own
