"""Two-factor sign-in in a real browser: enrol from the user menu (QR code and key shown),
confirm with a code the test computes from the key (RFC 6238 TOTP, as an authenticator app
does), sign out, and sign in again — password, then a wrong code refused, then the right
one — to land on "my day"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "zh-hans": {"switch": "中文", "my_day": "我的一天", "enabled": "两步验证已启用。",
                "wrong": "验证码不正确。", "two_factor": "两步验证"},
    "en": {"switch": "English", "my_day": "My day", "enabled": "Two-factor sign-in is on.",
           "wrong": "The code is not correct.", "two_factor": "Two-factor sign-in"},
}  # fmt: skip


def totp(secret: str, at: float, *, step: int = 30, digits: int = 6) -> str:
    """The code an authenticator shows at ``at`` for the base32 ``secret`` (RFC 6238 over
    RFC 4226's HOTP with SHA-1: django-otp's TOTP defaults)."""
    key = "".join(secret.split()).upper()
    raw = base64.b32decode(key + "=" * (-len(key) % 8))
    mac = hmac.new(raw, struct.pack(">Q", int(at // step)), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{number:0{digits}d}"


def _password_step(page: Any, live_server: Any, switch: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("form.gx-lang button", has_text=switch).click()
    page.wait_for_load_state()
    page.fill("#id_username", "li")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_enrol_then_sign_in_with_a_code(
    live_server: Any, page: Any, screenshot: Any, settings: Any, lang: str
) -> None:
    t = TEXT[lang]
    # django-otp refuses every code for a second after a wrong one (doubling with each
    # failure); the test types the right code straight after a wrong one.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = UserFactory(username="li", display_name="李经理", role=Role.ACCOUNT_MANAGER,
                       language=lang)  # fmt: skip

    _password_step(page, live_server, t["switch"])
    page.wait_for_url(f"{live_server.url}/")

    # Enrol from the user menu: a QR code and the key for typing in.
    page.click("#gx-user-menu")
    page.get_by_role("link", name=t["two_factor"]).click()
    page.wait_for_url("**/accounts/2fa/")
    page.click("#start-2fa")
    page.locator("#twofactor-qr svg").wait_for()
    secret = page.inner_text("#twofactor-secret")
    screenshot(f"{lang}-2fa-enrol")
    page.fill("#id_code", totp(secret, time.time()))
    page.click("#confirm-2fa")
    page.locator("#recovery-codes li").first.wait_for()
    assert t["enabled"] in page.inner_text("main")
    assert page.locator("#recovery-codes li").count() == 10
    assert TOTPDevice.objects.get(user=user).confirmed

    # Sign out, and in again: the password alone is not enough.
    page.click("#gx-user-menu")
    page.locator("form[action$='/accounts/logout/'] button").first.click()
    page.wait_for_load_state()
    _password_step(page, live_server, t["switch"])
    page.wait_for_url("**/accounts/2fa/verify/**")
    page.goto(f"{live_server.url}/customers/")  # every page asks for the code first
    page.wait_for_url("**/accounts/2fa/verify/**")

    page.fill("#id_code", "000000" if totp(secret, time.time()) != "000000" else "111111")
    page.click("#verify-2fa")
    page.locator("main", has_text=t["wrong"]).wait_for()
    screenshot(f"{lang}-2fa-wrong-code")

    # The code of the next 30-second step: the one of the step used to enrol is spent, and
    # django-otp accepts one step of clock drift.
    page.fill("#id_code", totp(secret, time.time() + 30))
    page.click("#verify-2fa")
    page.wait_for_url("**/customers/")
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == t["my_day"]
