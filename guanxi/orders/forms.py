"""Forms of the order entry on the customer 360 page: the order and its lines."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import BLANK, BootstrapFormMixin, DateInput, optional_text
from guanxi.core.limits import limit
from guanxi.orders.models import Order, OrderLine, Product
from guanxi.orders.services import MAX_LINES


class OrderForm(BootstrapFormMixin, forms.Form):
    prefix = "order"  # several forms share the 360 page: keep their ids apart

    order_date = forms.DateField(label=_("下单日期"), widget=DateInput())
    number = optional_text(_("订单号"), limit(Order, "number"), help_text=_("留空自动编号。"))
    note = optional_text(_("备注"), limit(Order, "note"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"order_date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class OrderLineForm(BootstrapFormMixin, forms.Form):
    product = forms.TypedChoiceField(label=_("产品"), coerce=int, required=False, empty_value=None)
    description = optional_text(_("描述"), limit(OrderLine, "description"))
    quantity = forms.DecimalField(
        label=_("数量"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"), initial=1
    )
    unit_price = forms.DecimalField(
        label=_("单价"), max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False
    )

    def __init__(self, *args: Any, products: Iterable[Product] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.products = list(products)
        cast(forms.ChoiceField, self.fields["product"]).choices = BLANK + [
            (p.pk, str(p)) for p in self.products
        ]
        self.fields["product"].widget.attrs["data-gx-product"] = ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("product") and not data.get("description"):
            self.add_error("description", _("请选择产品或填写描述。"))
        return data

    def service_line(self) -> dict[str, Any]:
        line: dict[str, Any] = {"quantity": self.cleaned_data["quantity"]}
        for name, key in (("product", "product_id"), ("description", "description"),
                          ("unit_price", "unit_price")):  # fmt: skip
            if self.cleaned_data.get(name) not in (None, ""):
                line[key] = self.cleaned_data[name]
        return line


class BaseOrderLineFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def __init__(self, *args: Any, products: Iterable[Product] = (), **kwargs: Any) -> None:
        self.products = list(products)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"products": self.products}

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.filled_forms():
            raise forms.ValidationError(_("订单至少需要一行明细。"))

    def filled_forms(self) -> list[OrderLineForm]:
        return [
            f
            for f in self.forms
            if f.has_changed() and f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]


OrderLineFormSet = cast(
    type[BaseOrderLineFormSet],
    forms.formset_factory(
        OrderLineForm,
        formset=BaseOrderLineFormSet,
        extra=2,
        max_num=MAX_LINES,
        validate_max=True,
        absolute_max=MAX_LINES,
    ),
)
