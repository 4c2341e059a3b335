"""Sign-in, sign-out, password change and the API token page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from guanxi.accounts.models import ApiToken
from guanxi.accounts.services import token_authenticate, token_create
from guanxi.accounts.tests.factories import PASSWORD
from guanxi.core.models import SecurityEvent

pytestmark = pytest.mark.django_db


def test_login_page_and_sign_in(client, am_a):
    page = client.get(reverse("accounts:login"))
    assert page.status_code == 200
    assert "登录关系 CRM" in page.content.decode()
    response = client.post(reverse("accounts:login"), {"username": "am_a", "password": PASSWORD})
    assert response.status_code == 302
    # /home/ sends each role to its landing page (staff: "my day").
    assert response["Location"] == "/home/"
    assert client.get("/home/")["Location"] == reverse("notifications:my_day")


def test_wrong_password_says_so(client, am_a):
    response = client.post(reverse("accounts:login"), {"username": "am_a", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码不正确，请重试。" in response.content.decode()


def test_login_redirects_to_next(client, am_a):
    url = reverse("customers:create")
    response = client.post(
        reverse("accounts:login"), {"username": "am_a", "password": PASSWORD, "next": url}
    )
    assert response["Location"] == url


def test_logout_is_a_post(client, am_a):
    client.force_login(am_a)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert client.get(reverse("customers:list")).status_code == 302


def test_password_change(client, am_a):
    client.force_login(am_a)
    assert client.get(reverse("accounts:password_change")).status_code == 200
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Lq8-新密码-2026",
            "new_password2": "Lq8-新密码-2026",
        },
        follow=True,
    )
    assert "密码已修改。" in response.content.decode()
    am_a.refresh_from_db()
    assert am_a.check_password("Lq8-新密码-2026")
    assert SecurityEvent.objects.filter(event="password_change", actor=am_a).exists()


def test_password_change_with_wrong_old_password(client, am_a):
    client.force_login(am_a)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "wrong", "new_password1": "Lq8-x-2026aa", "new_password2": "Lq8-x-2026aa"},
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    am_a.refresh_from_db()
    assert am_a.check_password(PASSWORD)


def test_create_token_shows_the_secret_once(client, am_a):
    client.force_login(am_a)
    response = client.post(reverse("accounts:tokens"), {"name": "ERP 同步", "days": "30"})
    html = response.content.decode()
    assert response.status_code == 200
    secret = re.search(r'id="token-secret" value="(gx_[^"]+)"', html).group(1)
    assert token_authenticate(secret) == am_a
    assert "此令牌只显示这一次" in html
    again = client.get(reverse("accounts:tokens")).content.decode()
    assert secret not in again
    assert "ERP 同步" in again and secret[:10] in again


def test_create_token_with_bad_input(client, am_a):
    client.force_login(am_a)
    response = client.post(reverse("accounts:tokens"), {"name": "", "days": "99999"})
    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_revoke_token(client, am_a):
    token, raw = token_create(actor=am_a, name="旧令牌")
    client.force_login(am_a)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]), follow=True)
    assert "令牌 旧令牌 已撤销。" in response.content.decode()
    assert token_authenticate(raw) is None


def test_cannot_revoke_someone_elses_token(client, am_a, am_b):
    token, raw = token_create(actor=am_b, name="别人的")
    client.force_login(am_a)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    assert token_authenticate(raw) == am_b


def test_token_page_lists_only_own_tokens(client, am_a, am_b):
    token_create(actor=am_b, name="别人的令牌")
    client.force_login(am_a)
    assert "别人的令牌" not in client.get(reverse("accounts:tokens")).content.decode()


def test_portal_user_has_no_staff_account_pages(client, portal_user):
    client.force_login(portal_user)
    assert client.get(reverse("accounts:tokens")).status_code == 403
    assert client.post(reverse("accounts:tokens"), {"name": "x"}).status_code == 403


def test_anonymous_is_sent_to_login(client):
    for name in ("accounts:tokens", "accounts:password_change"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
