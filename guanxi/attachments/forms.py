from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import BootstrapFormMixin


class AttachmentForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("文件"), allow_empty_file=True)
