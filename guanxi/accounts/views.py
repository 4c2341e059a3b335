"""Sign-in, password change and personal API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm as BasePasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.accounts import selectors, services
from guanxi.accounts.decorators import staff_required
from guanxi.accounts.forms import (
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    TokenCreateForm,
)
from guanxi.core.errors import Conflict, ValidationFailed
from guanxi.core.forms import add_domain_errors


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    """Every signed-in user's (portal users too); offers revoking the user's API tokens."""

    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("accounts:password_change")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["live_tokens"] = selectors.live_token_count(actor=self.request.user)
        return kwargs

    def form_valid(self, form: BasePasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        services.security_log(
            actor=self.request.user,
            event="password_change",
            ip=self.request.META.get("REMOTE_ADDR"),
        )
        messages.success(self.request, _("密码已修改。"))
        if form.cleaned_data.get("revoke_tokens"):
            revoked = services.tokens_revoke_all(
                actor=self.request.user, user=self.request.user, reason="password_change"
            )
            messages.success(self.request, _("已撤销 %(count)s 个 API 令牌。") % {"count": revoked})
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by e-mail. The answer is the same whether or not the address
    belongs to an account, so the page tells nobody who has one."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    form_class = PasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        services.security_log(
            actor=None,
            event="password_reset_request",
            ip=self.request.META.get("REMOTE_ADDR"),
        )
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set the new password from the e-mailed link; the user's API tokens are revoked (the
    one who could not sign in may not be the only one holding the old password)."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        services.security_log(
            actor=user, event="password_reset", ip=self.request.META.get("REMOTE_ADDR")
        )
        services.tokens_revoke_all(actor=user, user=user, reason="password_reset")
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


login_view = LoginView.as_view()
logout_view = LogoutView.as_view()
password_change_view = login_required(PasswordChangeView.as_view())
password_reset_view = PasswordResetView.as_view()
password_reset_done_view = PasswordResetDoneView.as_view()
password_reset_confirm_view = PasswordResetConfirmView.as_view()
password_reset_complete_view = PasswordResetCompleteView.as_view()


def _tokens_page(
    request: HttpRequest, form: TokenCreateForm, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "form": form,
        "tokens": selectors.tokens_of(actor=request.user),
        "now": timezone.now(),
        **extra,
    }
    return render(request, "accounts/tokens.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def tokens(request: HttpRequest) -> HttpResponse:
    """List the user's tokens; POST creates one and shows its secret on this response only."""
    if request.method != "POST":
        return _tokens_page(request, TokenCreateForm())
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        try:
            token, raw = services.token_create(
                actor=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except (ValidationFailed, Conflict) as exc:
            add_domain_errors(form, exc)
        else:
            return _tokens_page(request, TokenCreateForm(), created=token, secret=raw)
    return _tokens_page(request, form, status=422)


@require_POST
@staff_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = services.token_revoke(actor=request.user, token_id=token_id)
    messages.success(request, _("令牌 %(name)s 已撤销。") % {"name": token.name})
    return redirect("accounts:tokens")
