"""After a wrong code django-otp refuses every code for a while (1, 2, 4 … seconds, doubling
with each failure in a row) without checking it. The message must say that — and when to
try again — instead of "the code is not correct" for a code that may well be right."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import given
from hypothesis import strategies as st

from guanxi.accounts.tests.factories import UserFactory
from guanxi.accounts.tests.test_twofactor import PASSWORD, _enrolled, _sign_in, code_for
from guanxi.accounts.twofactor import services
from guanxi.core.errors import ValidationFailed
from guanxi.core.models import SecurityEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(db):
    u = UserFactory(username="zhang", role="account_manager")
    u.set_password(PASSWORD)
    u.save()
    return u


def _lock(user, *, failures: int, ago_seconds: float = 0) -> None:
    """Every device of the user as django-otp leaves it after ``failures`` wrong codes."""
    stamp = timezone.now() - dt.timedelta(seconds=ago_seconds)
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(
            throttling_failure_count=failures, throttling_failure_timestamp=stamp
        )


def _message(excinfo) -> str:
    error = excinfo.value.errors["code"]
    return str(error[0] if isinstance(error, list) else error)


def test_a_right_code_during_the_lock_is_reported_as_not_checked_with_the_time(user):
    device, _codes = _enrolled(user)
    _lock(user, failures=5)  # 16 s

    with pytest.raises(ValidationFailed) as caught:
        services.verify(user=user, code=code_for(device, 1))

    message = _message(caught)
    assert "验证码不正确" not in message
    assert "已连续 5 次输入错误" in message and "没有被检查" in message
    wait = int(re.search(r"请在 (\d+) 秒后", message).group(1))
    assert 15 <= wait <= 16
    assert re.search(r"（\d\d:\d\d:\d\d 之后）", message)
    event = SecurityEvent.objects.filter(actor=user, event="2fa_failed").latest("id")
    assert event.details["checked"] is False
    # Nothing was counted: the lock is as it was.
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 5


def test_the_same_code_is_accepted_once_the_lock_has_passed(user):
    device, _codes = _enrolled(user)
    _lock(user, failures=3, ago_seconds=5)  # locked for 4 s, 5 s ago

    assert services.verify(user=user, code=code_for(device, 1)) == device


def test_a_wrong_code_says_so_and_when_the_next_one_is_checked(user):
    device, _codes = _enrolled(user)
    wrong = f"{(int(code_for(device, 1)) + 1) % 1_000_000:06d}"

    with pytest.raises(ValidationFailed) as caught:
        services.verify(user=user, code=wrong)

    message = _message(caught)
    assert message.startswith("验证码不正确。")
    assert re.search(r"请在 1 秒后（\d\d:\d\d:\d\d 之后）再输入下一个验证码", message)
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 1


def test_long_locks_are_told_in_minutes_and_hours(user):
    _enrolled(user)
    _lock(user, failures=8)  # 128 s
    with pytest.raises(ValidationFailed) as minutes:
        services.verify(user=user, code="123456")
    _lock(user, failures=14)  # 8192 s
    with pytest.raises(ValidationFailed) as hours:
        services.verify(user=user, code="123456")

    assert "请在 3 分钟后" in _message(minutes)
    assert "请在 3 小时后" in _message(hours)


def test_without_throttling_the_message_is_the_plain_one(user, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    _enrolled(user)

    with pytest.raises(ValidationFailed) as caught:
        services.verify(user=user, code="123456x")

    assert _message(caught) == "验证码不正确。"


def test_the_message_is_english_for_english_readers(user):
    device, _codes = _enrolled(user)
    _lock(user, failures=2)

    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        services.verify(user=user, code=code_for(device, 1))

    message = _message(caught)
    assert re.fullmatch(
        r"Too many tries: 2 wrong codes in a row, so the code you entered was not checked\. "
        r"Try again in 2 seconds \(after \d\d:\d\d:\d\d\)\.",
        message,
    ), message


def test_the_sign_in_page_shows_the_throttle_message(client, user):
    device, _codes = _enrolled(user)
    _sign_in(client)
    _lock(user, failures=4)

    response = client.post(reverse("twofactor:verify"), {"code": code_for(device, 1)})

    assert response.status_code == 422
    page = response.content.decode()
    assert "尝试过于频繁" in page and "没有被检查" in page
    assert client.get("/customers/").status_code == 302


def test_a_refused_enrolment_code_is_logged_and_counted(user):
    device = services.enrolment_start(actor=user)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    with pytest.raises(ValidationFailed) as first:
        services.enrolment_confirm(actor=user, code=wrong)
    with pytest.raises(ValidationFailed) as second:
        services.enrolment_confirm(actor=user, code=code_for(device))

    assert "为防止猜测" in _message(first)
    assert "没有被检查" in _message(second)
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 1
    assert SecurityEvent.objects.filter(actor=user, event="2fa_enrolment_failed").count() == 2
    assert not services.has_two_factor(user)


def test_a_refused_code_when_switching_off_is_logged_and_counted(user):
    device, _codes = _enrolled(user)

    with pytest.raises(ValidationFailed):
        services.two_factor_disable(actor=user, code="000000x")

    assert services.has_two_factor(user)
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 1
    assert SecurityEvent.objects.filter(actor=user, event="2fa_failed").exists()


@given(st.floats(min_value=0.001, max_value=10**7))
def test_a_wait_is_never_told_shorter_than_it_is(seconds):
    text = services._wait_text(seconds)
    number, unit = re.fullmatch(r"(\d+) (秒|分钟|小时)", text).groups()
    size = {"秒": 1, "分钟": 60, "小时": 3600}[unit]
    assert int(number) * size >= seconds
    assert int(number) * size < seconds + size  # rounded up by less than one unit
