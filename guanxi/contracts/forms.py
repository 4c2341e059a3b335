"""The web forms of contracts, plans, collections and invoices: they parse and bound the
input; the services check the business rules (their errors come back on the fields)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.contracts.models import InvoiceKind, InvoiceTitleKind, PaymentMethod
from guanxi.core.forms import BootstrapFormMixin, DateInput
from guanxi.core.money import MAX_AMOUNT

# A date picker within the house's range, its value as YYYY-MM-DD (what type=date reads).
DATE = DateInput()


def _money(label: Any, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_value=MAX_AMOUNT,
        max_digits=14,
        decimal_places=2,
        required=required,
    )


class ContractForm(BootstrapFormMixin, forms.Form):
    customer = forms.IntegerField(label=_("客户编号"), min_value=1, max_value=2**63 - 1)
    title = forms.CharField(label=_("合同名称"), max_length=200)
    amount = _money(_("合同金额"))
    start_date = forms.DateField(label=_("开始日期"), widget=DATE)
    end_date = forms.DateField(label=_("结束日期"), widget=DATE)
    signed_on = forms.DateField(label=_("签订日期"), widget=DATE, required=False)
    notes = forms.CharField(
        label=_("备注"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("customer")
        return data


class ContractEditForm(ContractForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    customer = None  # type: ignore[assignment]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version")
        return data


class AmendmentForm(BootstrapFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    title = forms.CharField(label=_("合同名称"), max_length=200)
    amount = _money(_("合同金额"))
    start_date = forms.DateField(label=_("开始日期"), widget=DATE)
    end_date = forms.DateField(label=_("结束日期"), widget=DATE)
    reason = forms.CharField(label=_("变更原因"), max_length=500)


class PlanSplitForm(BootstrapFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    count = forms.IntegerField(label=_("期数"), min_value=1, max_value=120, initial=3)
    first_due = forms.DateField(label=_("首期日期"), widget=DATE)
    every_months = forms.IntegerField(label=_("间隔（月）"), min_value=1, max_value=24, initial=1)
    method = forms.ChoiceField(label=_("回款方式"), choices=PaymentMethod.choices)


class CollectionForm(BootstrapFormMixin, forms.Form):
    received_on = forms.DateField(label=_("回款日期"), widget=DATE)
    amount = _money(_("回款金额"))
    method = forms.ChoiceField(label=_("回款方式"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("流水号/票据号"), max_length=100, required=False)
    prepayment = forms.BooleanField(label=_("预收款（允许超过应收）"), required=False)


class InvoiceTitleForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("抬头类型"), choices=InvoiceTitleKind.choices)
    name = forms.CharField(label=_("发票抬头"), max_length=200)
    tax_id = forms.CharField(label=_("纳税人识别号"), max_length=20, required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    phone = forms.CharField(label=_("电话"), max_length=40, required=False)
    bank = forms.CharField(label=_("开户行"), max_length=100, required=False)
    account = forms.CharField(label=_("银行账号"), max_length=40, required=False)


class InvoiceRequestForm(BootstrapFormMixin, forms.Form):
    title = forms.IntegerField(label=_("发票抬头"), min_value=1, max_value=2**63 - 1)
    kind = forms.ChoiceField(label=_("发票类型"), choices=InvoiceKind.choices)
    amount = _money(_("开票金额"))
    tax_rate = forms.DecimalField(
        label=_("税率（%）"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        initial=Decimal("13"),
    )


class IssueForm(BootstrapFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    invoice_number = forms.CharField(label=_("发票号码"), max_length=40)


class MailForm(BootstrapFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    tracking_number = forms.CharField(label=_("快递单号"), max_length=60)
