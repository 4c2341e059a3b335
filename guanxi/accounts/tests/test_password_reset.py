"""Password reset by e-mail (Django's views, our templates, both languages), revoking API
tokens on reset and, when asked, on a password change; portal users' password page."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from guanxi.accounts.models import ApiToken
from guanxi.accounts.services import token_authenticate, token_create
from guanxi.accounts.tests.factories import PASSWORD
from guanxi.core.models import AuditEntry, SecurityEvent

pytestmark = pytest.mark.django_db

NEW = "Lq8-新密码-2026"


@pytest.fixture
def mailed_am(am_a):
    am_a.email = "am_a@example.cn"
    am_a.save(update_fields=["email"])
    return am_a


def _reset_link(message: str) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/[^\s]+/[^\s]+/)", message)
    assert match, message
    return match.group(1)


def _request_reset(client, email, **extra):
    return client.post(reverse("accounts:password_reset"), {"email": email}, **extra)


def test_the_login_page_links_to_the_reset(client):
    html = client.get(reverse("accounts:login")).content.decode()

    assert reverse("accounts:password_reset") in html
    assert "忘记密码？" in html


def test_reset_sends_a_link_that_sets_the_new_password(client, mailed_am):
    response = _request_reset(client, "am_a@example.cn")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["am_a@example.cn"]
    assert message.subject == "关系 CRM：重设密码"
    assert "你好，am_a" in message.body
    link = _reset_link(message.body)

    form = client.get(link, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})

    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_complete")
    mailed_am.refresh_from_db()
    assert mailed_am.check_password(NEW)
    assert SecurityEvent.objects.filter(event="password_reset", actor=mailed_am).exists()


def test_reset_link_works_once(client, mailed_am):
    _request_reset(client, "am_a@example.cn")
    link = _reset_link(mail.outbox[0].body)
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW, "new_password2": NEW})

    again = client.get(link, follow=True)

    assert "该重设链接无效" in again.content.decode()


def test_reset_revokes_every_api_token(client, mailed_am):
    _token, raw = token_create(actor=mailed_am, name="ERP 同步")
    _token2, raw2 = token_create(actor=mailed_am, name="报表")
    _request_reset(client, "am_a@example.cn")
    set_url = client.get(_reset_link(mail.outbox[0].body), follow=True).redirect_chain[-1][0]

    client.post(set_url, {"new_password1": NEW, "new_password2": NEW})

    assert token_authenticate(raw) is None
    assert token_authenticate(raw2) is None
    assert not ApiToken.objects.filter(user=mailed_am, revoked_at__isnull=True).exists()
    assert (
        AuditEntry.objects.filter(
            model="accounts.apitoken", action="update", actor=mailed_am
        ).count()
        == 2
    )
    event = SecurityEvent.objects.get(event="tokens_revoke_all")
    assert event.details["reason"] == "password_reset"


def test_a_failed_reset_revokes_nothing(client, mailed_am):
    _token, raw = token_create(actor=mailed_am, name="ERP 同步")
    _request_reset(client, "am_a@example.cn")
    set_url = client.get(_reset_link(mail.outbox[0].body), follow=True).redirect_chain[-1][0]

    response = client.post(set_url, {"new_password1": NEW, "new_password2": "不一样的-2026x"})

    assert response.status_code == 200
    assert token_authenticate(raw) == mailed_am
    mailed_am.refresh_from_db()
    assert mailed_am.check_password(PASSWORD)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, mailed_am):
    response = _request_reset(client, "nobody@example.cn")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_reset_pages_and_mail_in_english(client, mailed_am):
    client.cookies["django_language"] = "en"
    page = client.get(reverse("accounts:password_reset")).content.decode()
    assert "Reset your password" in page
    assert "重设密码" not in page

    _request_reset(client, "am_a@example.cn")
    message = mail.outbox[0]
    assert message.subject == "Guanxi CRM: reset your password"
    assert "Hello, am_a" in message.body
    assert "你好" not in message.body
    sent = client.get(reverse("accounts:password_reset_done")).content.decode()
    assert "Check your e-mail" in sent


def test_password_change_can_revoke_the_api_tokens(client, am_a):
    _token, raw = token_create(actor=am_a, name="ERP 同步")
    client.force_login(am_a)
    page = client.get(reverse("accounts:password_change")).content.decode()
    assert "同时撤销我的全部 API 令牌" in page

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW,
         "revoke_tokens": "on"},
        follow=True,
    )  # fmt: skip

    assert "已撤销 1 个 API 令牌。" in response.content.decode()
    assert token_authenticate(raw) is None
    event = SecurityEvent.objects.get(event="tokens_revoke_all")
    assert event.details["reason"] == "password_change"


def test_password_change_keeps_the_tokens_unless_asked(client, am_a):
    _token, raw = token_create(actor=am_a, name="ERP 同步")
    client.force_login(am_a)

    client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )

    am_a.refresh_from_db()
    assert am_a.check_password(NEW)
    assert token_authenticate(raw) == am_a


def test_no_token_offer_without_tokens(client, am_a):
    client.force_login(am_a)

    assert "revoke_tokens" not in client.get(reverse("accounts:password_change")).content.decode()


def test_portal_users_can_change_their_password(client, portal_user):
    client.force_login(portal_user)

    assert client.get(reverse("accounts:password_change")).status_code == 200
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )

    assert response.status_code == 302
    portal_user.refresh_from_db()
    assert portal_user.check_password(NEW)
