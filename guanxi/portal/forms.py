"""The portal's forms: input shape only; the rules are in ``services``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.forms import PasswordResetForm
from guanxi.accounts.models import Role
from guanxi.core.forms import BootstrapFormMixin
from guanxi.portal.models import PortalRole
from guanxi.service.selectors_portal import TicketCategory


class PortalPasswordResetForm(PasswordResetForm):
    """Reset links from the portal go to portal logins only: a staff address typed here
    gets no mail (the page says the same either way)."""

    def get_users(self, email: str) -> Iterator[Any]:
        for user in super().get_users(email):
            if user.role == Role.PORTAL and user.is_active:
                yield user


class AcceptForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("您的姓名"), max_length=100, required=False)
    password1 = forms.CharField(label=_("密码"), widget=forms.PasswordInput, max_length=128)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput, max_length=128)


class TicketForm(BootstrapFormMixin, forms.Form):
    category = forms.ChoiceField(label=_("类别"), choices=TicketCategory.choices)
    subject = forms.CharField(label=_("主题"), max_length=200)
    description = forms.CharField(
        label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 5}), max_length=100_000
    )
    file = forms.FileField(label=_("附件"), required=False, allow_empty_file=True)


class ReplyForm(BootstrapFormMixin, forms.Form):
    body = forms.CharField(
        label=_("回复"), widget=forms.Textarea(attrs={"rows": 3}), max_length=100_000
    )


class AttachForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("附件"), allow_empty_file=True)


class SurveyForm(BootstrapFormMixin, forms.Form):
    score = forms.TypedChoiceField(label=_("评分"), coerce=int, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("意见（选填）"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
        max_length=2000,
    )  # fmt: skip

    def __init__(self, *args: Any, low: int, high: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["score"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(n, str(n)) for n in range(low, high + 1)]


class InviteForm(BootstrapFormMixin, forms.Form):
    email = forms.EmailField(label=_("邮箱"), max_length=150)
    role = forms.ChoiceField(label=_("门户角色"), choices=PortalRole.choices)
    contact = forms.TypedChoiceField(
        label=_("联系人"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, contacts: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["contact"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—"), *contacts]


class DecisionForm(BootstrapFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("决定"), choices=[("approve", _("同意")), ("reject", _("不同意"))],
        widget=forms.RadioSelect,
    )  # fmt: skip
    comment = forms.CharField(
        label=_("意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )


class TokenForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
