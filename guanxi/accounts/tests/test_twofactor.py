"""Two-factor sign-in: enrolment with a QR code, the code page at sign-in, recovery codes,
the administrators' requirement, and the API for a session that still owes its code."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from guanxi.accounts.tests.factories import UserFactory
from guanxi.accounts.twofactor import services
from guanxi.core.errors import Conflict, ValidationFailed
from guanxi.core.models import SecurityEvent

pytestmark = pytest.mark.django_db
PASSWORD = "Guanxi-2fa-测试"


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def user(db):
    u = UserFactory(username="zhang", role="account_manager")
    u.set_password(PASSWORD)
    u.save()
    return u


def _enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = services.enrolment_start(actor=user)
    return services.enrolment_confirm(actor=user, code=code_for(device))


def _sign_in(client, username="zhang", next_url="/customers/"):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": PASSWORD, "next": next_url}
    )


# --- services ----------------------------------------------------------------------------


def test_enrolment_is_pending_until_a_code_confirms_it(user):
    device = services.enrolment_start(actor=user)

    assert not device.confirmed
    assert not services.has_two_factor(user)

    confirmed, codes = services.enrolment_confirm(actor=user, code=code_for(device))

    assert confirmed.confirmed
    assert services.has_two_factor(user)
    assert len(codes) == services.RECOVERY_CODES == len(set(codes))
    assert SecurityEvent.objects.filter(actor=user, event="2fa_enabled").exists()


def test_a_wrong_code_does_not_confirm(user):
    device = services.enrolment_start(actor=user)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    with pytest.raises(ValidationFailed) as caught:
        services.enrolment_confirm(actor=user, code=wrong)

    assert list(caught.value.errors) == ["code"]
    assert not services.has_two_factor(user)


def test_starting_again_replaces_an_unfinished_enrolment(user):
    first = services.enrolment_start(actor=user)
    second = services.enrolment_start(actor=user)

    assert list(TOTPDevice.objects.filter(user=user)) == [second]
    assert first.key != second.key


def test_enrolling_twice_is_a_conflict(user):
    _enrolled(user)
    with pytest.raises(Conflict):
        services.enrolment_start(actor=user)


def test_a_recovery_code_works_once(user):
    _device, codes = _enrolled(user)

    services.verify(user=user, code=codes[0].upper())
    with pytest.raises(ValidationFailed):
        services.verify(user=user, code=codes[0])
    assert services.recovery_codes_left(user) == services.RECOVERY_CODES - 1


def test_renewed_recovery_codes_replace_the_old_ones(user):
    _device, old = _enrolled(user)

    new = services.recovery_codes_renew(actor=user)

    assert not set(old) & set(new)
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)


def test_disabling_needs_a_current_code(user, settings):
    # The refused code counts against the throttle (test_twofactor_throttle.py); here the
    # right code follows at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0
    device, _codes = _enrolled(user)

    with pytest.raises(ValidationFailed):
        services.two_factor_disable(actor=user, code="000000x")
    assert services.has_two_factor(user)

    services.two_factor_disable(actor=user, code=code_for(device, offset_steps=1))
    assert not services.has_two_factor(user)
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_administrators_may_not_disable_when_it_is_required(settings, admin_user):
    settings.GUANXI_2FA_REQUIRED_FOR_ADMINS = True
    device, _codes = _enrolled(admin_user)

    with pytest.raises(Conflict):
        services.two_factor_disable(actor=admin_user, code=code_for(device, offset_steps=1))


# --- pages -------------------------------------------------------------------------------


def test_the_setup_page_shows_an_inline_svg_qr_code_and_the_secret(client, user):
    client.force_login(user)

    response = client.post(reverse("twofactor:enrol"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in page
    assert 'id="twofactor-secret"' in page
    assert "http" not in page.split('id="twofactor-qr"')[1].split("</div>")[0].replace(
        "http://www.w3.org/2000/svg", ""
    )  # the QR code is drawn here, not loaded from anywhere


def test_confirming_on_the_page_shows_the_recovery_codes(client, user):
    client.force_login(user)
    client.post(reverse("twofactor:enrol"))
    device = TOTPDevice.objects.get(user=user)

    response = client.post(reverse("twofactor:confirm"), {"code": code_for(device)})

    assert response.status_code == 200
    assert response.content.decode().count("<li>") >= services.RECOVERY_CODES


def test_a_wrong_code_on_the_page_is_a_field_error(client, user):
    client.force_login(user)
    client.post(reverse("twofactor:enrol"))

    response = client.post(reverse("twofactor:confirm"), {"code": "12"})

    assert response.status_code == 422
    assert "验证码不正确" in response.content.decode()


def test_sign_in_with_2fa_asks_for_the_code_before_any_page(client, user):
    device, _codes = _enrolled(user)

    response = _sign_in(client)
    assert response.status_code == 302
    page = client.get("/customers/")
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("twofactor:verify"))

    response = client.post(
        reverse("twofactor:verify"), {"code": code_for(device, 1), "next": "/customers/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/customers/"
    assert client.get("/customers/").status_code == 200
    assert SecurityEvent.objects.filter(actor=user, event="2fa_verified").exists()


def test_the_code_page_shows_no_menu_bell_or_account_links_until_the_code(client, user):
    device, _codes = _enrolled(user)
    _sign_in(client)

    owing = client.get(reverse("twofactor:verify")).content.decode()
    for mark in ('id="nav-customers"', 'id="gx-bell"', reverse("accounts:password_change")):
        assert mark not in owing, mark
    assert reverse("accounts:logout") in owing  # signing out stays possible

    client.post(reverse("twofactor:verify"), {"code": code_for(device, 1), "next": "/customers/"})
    signed_in = client.get("/customers/").content.decode()
    for mark in ('id="nav-customers"', 'id="gx-bell"', reverse("accounts:password_change")):
        assert mark in signed_in, mark


def test_a_wrong_code_at_sign_in_keeps_the_user_out(client, user):
    _enrolled(user)
    _sign_in(client)

    response = client.post(reverse("twofactor:verify"), {"code": "999999x"})

    assert response.status_code == 422
    assert client.get("/customers/").status_code == 302
    assert SecurityEvent.objects.filter(actor=user, event="2fa_failed").exists()


def test_a_recovery_code_signs_in(client, user):
    _device, codes = _enrolled(user)
    _sign_in(client)

    response = client.post(reverse("twofactor:verify"), {"code": codes[3]})

    assert response.status_code == 302
    assert client.get("/customers/").status_code == 200


def test_an_htmx_fragment_of_a_session_that_owes_its_code_is_refused_not_redirected(client, user):
    # The bell on the code page loads by htmx: a redirect to the code page would swap that
    # page (and its own bell, loading again) into the bell, for ever.
    _enrolled(user)
    _sign_in(client)

    fragment = client.get(reverse("notifications:bell"), headers={"HX-Request": "true"})
    boosted = client.get("/customers/", headers={"HX-Request": "true", "HX-Boosted": "true"})

    assert (fragment.status_code, fragment.content) == (403, b"")
    assert boosted.status_code == 302
    assert boosted["Location"].startswith(reverse("twofactor:verify"))


def test_the_api_answers_403_to_a_session_that_owes_its_code(client, user):
    _enrolled(user)
    _sign_in(client)

    response = client.get("/api/v1/accounts/me")

    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_required"


def test_an_open_redirect_is_refused_after_the_code(client, user):
    device, _codes = _enrolled(user)
    _sign_in(client)

    response = client.post(
        reverse("twofactor:verify"), {"code": code_for(device, 1), "next": "https://evil.example/"}
    )

    assert response["Location"] != "https://evil.example/"


def test_users_without_2fa_sign_in_as_before(client, user):
    _sign_in(client)
    assert client.get("/customers/").status_code == 200


def test_admins_must_enrol_when_required(client, settings):
    settings.GUANXI_2FA_REQUIRED_FOR_ADMINS = True
    admin = UserFactory(username="boss", role="admin", is_superuser=True, is_staff=True)
    admin.set_password(PASSWORD)
    admin.save()

    _sign_in(client, "boss")
    response = client.get("/customers/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("twofactor:setup"))
    assert client.get(reverse("twofactor:setup")).status_code == 200
    client.post(reverse("twofactor:enrol"))
    device = TOTPDevice.objects.get(user=admin)
    client.post(reverse("twofactor:confirm"), {"code": code_for(device)})
    assert client.get("/customers/").status_code == 200


def test_the_setup_page_is_in_english_for_english_readers(client, user):
    client.force_login(user)
    response = client.get(reverse("twofactor:setup"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Two-factor" in response.content.decode()
