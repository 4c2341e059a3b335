"""Login throttling (django-axes): ten wrong passwords lock the account at that address —
not the address, which an office NAT or a reverse proxy shares between every user."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from guanxi.accounts.tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_axes_on")]

LIMIT = 10


@pytest.fixture
def _axes_on():
    with override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=LIMIT):
        yield


def _login(client, username, password, *, ip="10.1.2.3", lang=None):
    extra = {"REMOTE_ADDR": ip}
    if lang:
        extra["HTTP_ACCEPT_LANGUAGE"] = lang
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, **extra
    )


def _fail(client, username, times, **kw):
    for _ in range(times):
        response = _login(client, username, "wrong-password", **kw)
    return response


def test_ten_wrong_passwords_lock_that_account(client, am_a):
    _fail(client, "am_a", LIMIT)

    response = _login(client, "am_a", PASSWORD)

    assert response.status_code == 429
    assert "已被暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_locked_account_does_not_lock_another_user_behind_the_same_address(client, am_a, am_b):
    _fail(client, "am_a", LIMIT)

    response = _login(client, "am_b", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(am_b.pk)


def test_the_same_account_from_another_address_is_not_locked(client, am_a):
    _fail(client, "am_a", LIMIT, ip="10.1.2.3")

    response = _login(client, "am_a", PASSWORD, ip="10.9.9.9")

    assert response.status_code == 302


def test_nine_failures_do_not_lock(client, am_a):
    _fail(client, "am_a", LIMIT - 1)

    assert _login(client, "am_a", PASSWORD).status_code == 302


def test_the_lockout_message_is_in_the_users_language(client, am_a):
    _fail(client, "am_a", LIMIT)
    client.cookies["django_language"] = "en"

    response = _login(client, "am_a", PASSWORD)

    html = response.content.decode()
    assert response.status_code == 429
    assert "temporarily locked" in html
    assert "15 minutes" in html
    assert "已被暂时锁定" not in html


def test_the_lockout_message_in_chinese_names_the_wait(client, am_a):
    _fail(client, "am_a", LIMIT)

    html = _login(client, "am_a", PASSWORD).content.decode()

    assert "连续输错密码 10 次" in html
    assert "请 15 分钟后再试" in html
