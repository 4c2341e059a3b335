"""Enrolment, verification and removal of a user's second factor.

A user has at most one TOTP device (an authenticator app) and one static device holding
single-use recovery codes. Enrolment creates an *unconfirmed* TOTP device; it takes part
in sign-in only once the user proved it works by entering a code from it. Every change is
written to the security log (who, when, from where), in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from guanxi.accounts import permissions
from guanxi.accounts.services import security_log
from guanxi.core.errors import Conflict, ValidationFailed

DEVICE_NAME = "authenticator"
RECOVERY_NAME = "recovery"
RECOVERY_CODES = 10
CODE_MAX_LENGTH = 16


def has_two_factor(user: Any) -> bool:
    """Whether the user signs in with a second factor (a confirmed authenticator)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


@transaction.atomic
def enrolment_start(*, actor: Any, ip: str | None = None) -> TOTPDevice:
    """A fresh unconfirmed authenticator for the actor (an earlier unfinished one is
    replaced: its secret may have been seen)."""
    if has_two_factor(actor):
        raise Conflict(_("已启用两步验证。"))
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=actor, name=DEVICE_NAME, confirmed=False)
    security_log(actor=actor, event="2fa_enrolment_started", ip=ip)
    return device


def _clean_code(code: str) -> str:
    return "".join(str(code or "").split()).replace("-", "").lower()[:CODE_MAX_LENGTH]


def enrolment_confirm(
    *, actor: Any, code: str, ip: str | None = None
) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a code from it; returns the device and the
    new recovery codes (shown to the user this once). A refused code raises after the
    transaction committed, so the failure stays in the security log and django-otp's
    throttle counts it."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=actor, confirmed=False)
            .order_by("-id")
            .first()
        )
        if device is None:
            raise ValidationFailed({"code": _("请先开始启用两步验证。")})
        checked = _allowed_now([device])
        if checked and device.verify_token(_clean_code(code)):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_recovery_codes(actor)
            security_log(actor=actor, event="2fa_enabled", ip=ip, device_id=device.pk)
            return device, codes
        security_log(actor=actor, event="2fa_enrolment_failed", ip=ip, checked=bool(checked))
    raise ValidationFailed(
        {
            "code": _refusal(
                [device],
                checked=bool(checked),
                wrong=_("验证码不正确或已过期，请输入验证器应用中的当前验证码。"),
            )
        }
    )


@dataclass(frozen=True)
class _Lock:
    until: dt.datetime | None
    failures: int


def _lock(device: Device) -> _Lock | None:
    """django-otp's throttle on ``device`` now (None: a code would be checked)."""
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    data = data or {}
    return _Lock(until=data.get("locked_until"), failures=int(data.get("failure_count") or 0))


def _allowed_now(devices: Iterable[Device]) -> list[Device]:
    return [device for device in devices if _lock(device) is None]


def _wait_text(seconds: float) -> str:
    """A wait as a person reads it: seconds, minutes or hours, rounded up."""
    if seconds < 60:
        n = max(1, math.ceil(seconds))
        return ngettext("%(count)d 秒", "%(count)d 秒", n) % {"count": n}
    if seconds < 3600:
        n = math.ceil(seconds / 60)
        return ngettext("%(count)d 分钟", "%(count)d 分钟", n) % {"count": n}
    n = math.ceil(seconds / 3600)
    return ngettext("%(count)d 小时", "%(count)d 小时", n) % {"count": n}


def _refusal(devices: list[Device], *, checked: bool, wrong: str) -> str:
    """The message for a refused code that says what happened and when to try again.

    After a wrong code django-otp refuses *every* code, right ones included, for 1, 2, 4, 8 …
    seconds (doubling with each failure in a row) without checking it. "The code is not
    correct" for such an attempt sends people to retype a right code again and again."""
    locks = [lock for lock in map(_lock, devices) if lock is not None]
    if not locks:
        return wrong
    until = max((lock.until for lock in locks if lock.until is not None), default=None)
    failures = max(lock.failures for lock in locks)
    if until is None:
        return wrong
    seconds = (until - timezone.now()).total_seconds()
    if seconds <= 0:
        return wrong
    local = timezone.localtime(until)
    same_day = local.date() == timezone.localdate()
    at = formats.date_format(local, "H:i:s" if same_day else "Y-m-d H:i")
    values = {"wait": _wait_text(seconds), "time": at, "failures": failures}
    if not checked:
        return (
            ngettext(
                "尝试过于频繁：已连续 %(failures)d 次输入错误，这次输入的验证码没有被检查。"
                "请在 %(wait)s后（%(time)s 之后）再试。",
                "尝试过于频繁：已连续 %(failures)d 次输入错误，这次输入的验证码没有被检查。"
                "请在 %(wait)s后（%(time)s 之后）再试。",
                failures,
            )
            % values
        )
    return _("%(wrong)s为防止猜测，请在 %(wait)s后（%(time)s 之后）再输入下一个验证码。") % {
        **values,
        "wrong": wrong,
    }


def _new_recovery_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


@transaction.atomic
def recovery_codes_renew(*, actor: Any, ip: str | None = None) -> list[str]:
    """Replace the recovery codes (the old ones stop working)."""
    if not has_two_factor(actor):
        raise Conflict(_("尚未启用两步验证。"))
    codes = _new_recovery_codes(actor)
    security_log(actor=actor, event="2fa_recovery_codes_renewed", ip=ip)
    return codes


def verify(*, user: Any, code: str, ip: str | None = None) -> Device:
    """The device that accepts ``code`` (a current authenticator code or an unused
    recovery code, which is used up), or ValidationFailed on ``code``. Devices throttle
    repeated failures themselves (django-otp); the message then says so, and when the next
    code will be checked."""
    clean = _clean_code(code)
    matched: Device | None = None
    devices: list[Device] = []
    checked = False
    if clean:
        with transaction.atomic():
            devices = list(devices_for_user(user, confirmed=True, for_verify=True))
            allowed = _allowed_now(devices)
            checked = bool(allowed)
            for device in allowed:
                if device.verify_token(clean):
                    matched = device
                    break
    if matched is None:
        security_log(actor=user, event="2fa_failed", ip=ip, checked=checked or not clean)
        raise ValidationFailed(
            {"code": _refusal(devices, checked=checked or not clean, wrong=_("验证码不正确。"))}
        )
    security_log(
        actor=user,
        event="2fa_verified",
        ip=ip,
        method="recovery_code" if isinstance(matched, StaticDevice) else "totp",
    )
    return matched


def two_factor_disable(*, actor: Any, code: str, ip: str | None = None) -> None:
    """Remove the actor's second factor; needs a current code, and is refused where the
    setting requires it (administrators). The code is checked outside the removal's
    transaction so a refused one stays logged and counted by the throttle."""
    if permissions.two_factor_required(actor):
        raise Conflict(_("管理员必须使用两步验证，不能关闭。"))
    verify(user=actor, code=code, ip=ip)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor).delete()
        StaticDevice.objects.filter(user=actor).delete()
        security_log(actor=actor, event="2fa_disabled", ip=ip)


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user).count()
