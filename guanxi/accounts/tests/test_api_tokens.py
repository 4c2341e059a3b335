"""API tokens: create (secret shown once), list, revoke; and who gets a 401."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from guanxi.accounts.models import ApiToken
from guanxi.accounts.services import hash_token, token_create, token_revoke
from guanxi.core.models import AuditEntry

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/accounts/tokens"
ME = "/api/v1/accounts/me"


def _bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _post(client: Client, path: str, body: object) -> object:
    return client.post(path, json.dumps(body), content_type="application/json")


@pytest.fixture
def am_client(client, am_a):
    client.force_login(am_a)
    return client


# --- create ----------------------------------------------------------------------------


def test_create_shows_the_secret_once(am_client):
    response = _post(am_client, TOKENS, {"name": "脚本", "days": 30})

    assert response.status_code == 201
    raw = response.json()["token"]
    token = ApiToken.objects.get()
    assert raw.startswith("gx_")
    assert token.key_hash == hash_token(raw)
    assert raw not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert "token" not in am_client.get(TOKENS).json()[0]


def test_created_token_authenticates(am_client, am_a):
    raw = _post(am_client, TOKENS, {"name": "脚本"}).json()["token"]

    response = _bearer(raw).get(ME)

    assert (response.status_code, response.json()["id"]) == (200, am_a.pk)


def test_create_sets_the_expiry_from_days(am_client):
    _post(am_client, TOKENS, {"name": "脚本", "days": 7})

    expires = ApiToken.objects.get().expires_at
    assert abs(expires - (timezone.now() + dt.timedelta(days=7))) < dt.timedelta(minutes=1)


def test_create_is_audited_with_source_api(am_client, am_a):
    _post(am_client, TOKENS, {"name": "脚本"})

    entry = AuditEntry.objects.get(model="accounts.apitoken")
    assert (entry.actor, entry.action, entry.source) == (am_a, "create", "api")


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": ""}, "name"), ({"name": "x" * 101}, "name"), ({"name": "a", "days": 0}, "days")],
)
def test_create_with_bad_input_is_422_and_writes_nothing(am_client, body, field):
    response = _post(am_client, TOKENS, body)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not ApiToken.objects.exists()


def test_portal_user_may_not_create_a_token(client, portal_user):
    client.force_login(portal_user)

    response = _post(client, TOKENS, {"name": "门户"})

    assert response.status_code == 403
    assert not ApiToken.objects.exists()


# --- list ------------------------------------------------------------------------------


def test_list_shows_only_my_tokens(am_client, am_a, am_b):
    mine, _ = token_create(actor=am_a, name="我的")
    token_create(actor=am_b, name="别人的")

    body = am_client.get(TOKENS).json()

    assert [(t["id"], t["name"]) for t in body] == [(mine.pk, "我的")]


# --- revoke ----------------------------------------------------------------------------


def test_revoke_sets_revoked_at(am_client, am_a):
    token, _ = token_create(actor=am_a, name="脚本")

    response = am_client.delete(f"{TOKENS}/{token.pk}")

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert response.json()["revoked_at"] is not None


def test_revoked_token_is_401(am_client, am_a):
    token, raw = token_create(actor=am_a, name="脚本")
    am_client.delete(f"{TOKENS}/{token.pk}")

    assert _bearer(raw).get(ME).status_code == 401


def test_revoke_of_another_users_token_is_404_and_changes_nothing(am_client, am_b):
    token, raw = token_create(actor=am_b, name="别人的")

    response = am_client.delete(f"{TOKENS}/{token.pk}")

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert _bearer(raw).get(ME).status_code == 200


# --- 401 -------------------------------------------------------------------------------


def test_no_credentials_is_401(client, db):
    response = client.get("/api/v1/customers")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "header",
    ["Bearer gx_not-a-real-token", "Bearer ", "Bearer gx_" + "a" * 200, "Basic YTpi", "gx_x"],
    ids=["unknown", "empty", "too-long", "basic", "no-scheme"],
)
def test_invalid_token_is_401(db, header):
    response = Client(headers={"Authorization": header}).get("/api/v1/customers")

    assert response.status_code == 401


def test_expired_token_is_401(am_a):
    token, raw = token_create(actor=am_a, name="脚本", days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert _bearer(raw).get(ME).status_code == 401


def test_token_of_deactivated_user_is_401(am_a):
    _, raw = token_create(actor=am_a, name="脚本")
    am_a.is_active = False
    am_a.save()

    assert _bearer(raw).get(ME).status_code == 401


def test_write_with_revoked_token_is_401_even_with_csrf_checks(am_a):
    token, raw = token_create(actor=am_a, name="脚本")
    token_revoke(actor=am_a, token_id=token.pk)
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})

    response = _post(client, "/api/v1/customers", {"name": "甲"})

    assert response.status_code == 401


def test_write_with_valid_token_needs_no_csrf(am_a):
    _, raw = token_create(actor=am_a, name="脚本")
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})

    response = _post(client, "/api/v1/customers", {"name": "甲"})

    assert response.status_code == 201


# --- session ---------------------------------------------------------------------------


def test_session_auth_works(am_client, am_a):
    response = am_client.get(ME)

    assert (response.status_code, response.json()["username"]) == (200, "am_a")


def test_session_write_without_csrf_token_is_refused(am_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(am_a)

    response = _post(client, TOKENS, {"name": "脚本"})

    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_session_write_with_csrf_token_is_accepted(am_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(am_a)
    csrf = "a" * 32
    client.cookies["csrftoken"] = csrf

    response = client.post(
        TOKENS,
        json.dumps({"name": "脚本"}),
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )

    assert response.status_code == 201
