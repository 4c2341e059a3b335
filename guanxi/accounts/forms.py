from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordChangeForm as BasePasswordChangeForm
from django.contrib.auth.forms import PasswordResetForm as BasePasswordResetForm
from django.contrib.auth.forms import SetPasswordForm as BaseSetPasswordForm
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import BootstrapFormMixin


class PasswordChangeForm(BootstrapFormMixin, BasePasswordChangeForm):
    """The password change, offering to revoke the user's API tokens at the same time
    (shown only to users who have live ones: ``live_tokens``)."""

    revoke_tokens = forms.BooleanField(
        label=_("同时撤销我的全部 API 令牌"),
        required=False,
        help_text=_("如果怀疑旧密码已泄露，令牌也可能已被他人创建或复制。"),
    )

    def __init__(self, user: object, *args: object, live_tokens: int = 0, **kwargs: object):
        super().__init__(user, *args, **kwargs)
        self.live_tokens = live_tokens
        if not live_tokens:
            del self.fields["revoke_tokens"]


class PasswordResetForm(BootstrapFormMixin, BasePasswordResetForm):
    pass


class SetPasswordForm(BootstrapFormMixin, BaseSetPasswordForm):  # type: ignore[type-arg]
    pass


class TokenCreateForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(
        label=_("名称"),
        max_length=100,
        help_text=_("用途，例如“ERP 同步”。"),
    )
    days = forms.IntegerField(
        label=_("有效期（天）"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=_("留空表示永不过期。"),
    )
