from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordChangeForm as BasePasswordChangeForm
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import BootstrapFormMixin


class PasswordChangeForm(BootstrapFormMixin, BasePasswordChangeForm):
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
