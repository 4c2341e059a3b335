"""Forms of the approval pages: thin input parsing, the rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.approvals.models import Delegation, RequestState
from guanxi.approvals.registry import document_type_choices
from guanxi.approvals.services import MAX_COMMENT
from guanxi.core.forms import BootstrapFormMixin, DateInput, VersionForm
from guanxi.core.limits import limit


class DecisionForm(BootstrapFormMixin, VersionForm):
    decision = forms.ChoiceField(
        choices=[("approve", _("同意")), ("reject", _("驳回"))], widget=forms.HiddenInput
    )
    comment = forms.CharField(
        label=_("审批意见"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class WithdrawForm(BootstrapFormMixin, VersionForm):
    comment = forms.CharField(
        label=_("撤回原因"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ListFilterForm(forms.Form):
    box = forms.ChoiceField(
        choices=[("submitted", _("我发起的")), ("handled", _("我处理过的")), ("all", _("全部"))],
        required=False,
    )
    state = forms.ChoiceField(choices=[("", _("全部状态")), *RequestState.choices], required=False)
    page = forms.IntegerField(min_value=1, max_value=10_000, required=False)


class DelegationForm(BootstrapFormMixin, forms.Form):
    substitute: forms.ModelChoiceField = forms.ModelChoiceField(  # type: ignore[type-arg]
        label=_("代理人"), queryset=None
    )
    starts_on = forms.DateField(label=_("开始日期"), widget=DateInput())
    ends_on = forms.DateField(label=_("结束日期"), widget=DateInput())
    document_type = forms.ChoiceField(label=_("单据类型"), required=False)
    reason = forms.CharField(
        label=_("原因"), required=False, max_length=limit(Delegation, "reason")
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        substitute: Any = self.fields["substitute"]
        substitute.queryset = people
        kinds: Any = self.fields["document_type"]
        kinds.choices = [("", _("全部单据类型")), *document_type_choices()]
