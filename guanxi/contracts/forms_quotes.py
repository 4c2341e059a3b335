"""The forms of the quote pages. Amounts are taken as text and parsed by the service (one
rule for the page, the API and imports: no rounding, the field named)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.contracts.models import Quote, QuoteLine
from guanxi.core.forms import BootstrapFormMixin, DateInput, optional_text, version_field
from guanxi.core.limits import limit


class QuoteForm(BootstrapFormMixin, forms.Form):
    title = forms.CharField(label=_("标题"), max_length=limit(Quote, "title"))
    valid_until = forms.DateField(label=_("有效期至"), widget=DateInput())
    note = optional_text(_("备注"), limit(Quote, "note"), widget=forms.Textarea({"rows": 2}))


class QuoteEditForm(QuoteForm):
    version = version_field()


class LineForm(BootstrapFormMixin, forms.Form):
    version = version_field()
    product_id = forms.TypedChoiceField(label=_("产品"), coerce=int)
    quantity = forms.CharField(label=_("数量"), max_length=20, initial="1")
    unit_price = forms.CharField(
        label=_("单价"),
        max_length=20,
        required=False,
        widget=forms.TextInput({"placeholder": _("留空则取目录价。")}),
    )
    discount_percent = forms.CharField(label=_("折扣（%）"), max_length=20, initial="0")

    def __init__(self, *args: Any, products: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["product_id"]
        field.choices = [(p.pk, f"{p.code} {p.name}") for p in products]

    def line_data(self) -> dict[str, Any]:
        data = {k: self.cleaned_data[k] for k in ("product_id", "quantity", "discount_percent")}
        if self.cleaned_data["unit_price"]:
            data["unit_price"] = self.cleaned_data["unit_price"]
        return data


class LineEditForm(BootstrapFormMixin, forms.Form):
    version = version_field()
    quantity = forms.CharField(label=_("数量"), max_length=20)
    unit_price = forms.CharField(label=_("单价"), max_length=20)
    discount_percent = forms.CharField(label=_("折扣（%）"), max_length=20)
    description = forms.CharField(
        label=_("名称"), max_length=limit(QuoteLine, "description"), required=False
    )
