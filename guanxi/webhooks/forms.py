"""The subscription form of the staff pages; the service validates again (URL, events)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import BootstrapFormMixin
from guanxi.core.limits import limit
from guanxi.webhooks.events import all_events
from guanxi.webhooks.models import DeliveryStatus, Subscription


class SubscriptionForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("名称"), max_length=limit(Subscription, "name"))
    url = forms.CharField(
        label=_("接收地址"),
        max_length=limit(Subscription, "url"),
        help_text=_("接收 POST 请求的 http(s) 地址，必须是公网地址。"),
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/guanxi"}),
    )
    events = forms.MultipleChoiceField(
        label=_("事件"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    secret = forms.CharField(
        label=_("签名密钥"),
        max_length=limit(Subscription, "secret"),
        required=False,
        help_text=_("至少 16 个字符；留空则自动生成。"),
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        events_field: Any = self.fields["events"]
        events_field.choices = [
            (e.key, _("%(label)s（%(key)s）") % {"label": e.label, "key": e.key})
            for e in all_events()
        ]
        self.fields["events"].widget.attrs["class"] = "form-check-input"
        if editing:
            self.fields["secret"].help_text = _("留空则保持当前密钥不变。")
            self.fields["version"].required = True

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        return data

    @classmethod
    def for_subscription(cls, subscription: Subscription) -> SubscriptionForm:
        return cls(
            editing=True,
            initial={
                "name": subscription.name,
                "url": subscription.url,
                "events": subscription.events,
                "is_active": subscription.is_active,
                "version": subscription.version,
            },
        )


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), *DeliveryStatus.choices],
    )
