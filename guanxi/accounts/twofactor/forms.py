from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.twofactor.services import CODE_MAX_LENGTH
from guanxi.core.forms import BootstrapFormMixin


class CodeForm(BootstrapFormMixin, forms.Form):
    code = forms.CharField(
        label=_("验证码"),
        max_length=CODE_MAX_LENGTH + 8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
