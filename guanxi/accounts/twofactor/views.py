"""Two-factor pages: set-up (enrol with a QR code, recovery codes, switch off) and the
code page of sign-in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from guanxi.accounts import permissions
from guanxi.accounts.twofactor import services
from guanxi.accounts.twofactor.forms import CodeForm
from guanxi.accounts.twofactor.middleware import mark_done
from guanxi.accounts.twofactor.qr import qr_svg
from guanxi.core.errors import Conflict, ValidationFailed
from guanxi.core.forms import add_domain_errors

SETUP = "accounts/twofactor/setup.html"
CODES = "accounts/twofactor/recovery_codes.html"
VERIFY = "accounts/twofactor/verify.html"


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return str(settings.LOGIN_REDIRECT_URL)


def _setup_page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    user = request.user
    pending = None if services.has_two_factor(user) else services.pending_device(user)
    context: dict[str, Any] = {
        "enabled": services.has_two_factor(user),
        "required": permissions.two_factor_required(user),
        "pending": pending,
        "codes_left": services.recovery_codes_left(user),
        "next": _next(request) if request.GET.get("next") or request.POST.get("next") else "",
        "confirm_form": extra.pop("confirm_form", CodeForm()),
        "disable_form": extra.pop("disable_form", CodeForm(prefix="disable")),
        **extra,
    }
    if pending is not None:
        context["qr"] = qr_svg(pending.config_url, title=str(user.get_username()))
        context["secret"] = _base32(pending.bin_key)
    return render(request, SETUP, context, status=status)


def _base32(key: bytes) -> str:
    from base64 import b32encode

    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@require_http_methods(["GET"])
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    return _setup_page(request)


@require_POST
@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    try:
        services.enrolment_start(actor=request.user, ip=_ip(request))
    except Conflict as exc:
        return _setup_page(request, status=409, error=exc.message)
    return _setup_page(request)


@require_POST
@login_required
def confirm(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            device, codes = services.enrolment_confirm(
                actor=request.user, code=form.cleaned_data["code"], ip=_ip(request)
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            otp_login(request, device)
            mark_done(request)
            return render(request, CODES, {"codes": codes, "next": _next(request)})
    return _setup_page(request, status=422, confirm_form=form)


@require_POST
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    if not request.user.is_verified():  # type: ignore[union-attr]
        return redirect("twofactor:verify")
    try:
        codes = services.recovery_codes_renew(actor=request.user, ip=_ip(request))
    except Conflict as exc:
        return _setup_page(request, status=409, error=exc.message)
    return render(request, CODES, {"codes": codes, "next": ""})


@require_POST
@login_required
def disable(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST, prefix="disable")
    if form.is_valid():
        try:
            services.two_factor_disable(
                actor=request.user, code=form.cleaned_data["code"], ip=_ip(request)
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        except Conflict as exc:
            return _setup_page(request, status=409, error=exc.message)
        else:
            return redirect("twofactor:setup")
    return _setup_page(request, status=422, disable_form=form)


@require_http_methods(["GET", "POST"])
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of sign-in: a code from the authenticator or a recovery code."""
    if request.user.is_verified() or not services.has_two_factor(request.user):  # type: ignore[union-attr]
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.verify(
                user=request.user, code=form.cleaned_data["code"], ip=_ip(request)
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        else:
            otp_login(request, device)
            mark_done(request)
            return redirect(_next(request))
    status = 422 if request.method == "POST" else 200
    return render(request, VERIFY, {"form": form, "next": _next(request)}, status=status)
