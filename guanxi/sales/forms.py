"""Forms of the sales pages: opportunity entry, move, win/lose, activities, leads and the
public web-to-lead form."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import BootstrapFormMixin, DateInput, optional_text, version_field
from guanxi.core.limits import limit
from guanxi.customers.models import Customer
from guanxi.sales.models import Activity, ActivityKind, Lead, Opportunity


class OpportunityForm(BootstrapFormMixin, forms.Form):
    customer = forms.IntegerField(label=_("客户编号"), min_value=1, widget=forms.HiddenInput)
    name = forms.CharField(label=_("名称"), max_length=limit(Opportunity, "name"))
    amount = forms.DecimalField(
        label=_("金额"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    expected_close = forms.DateField(label=_("预计成交日期"), widget=DateInput(), required=False)
    pipeline = forms.TypedChoiceField(label=_("销售流程"), coerce=int, required=False)
    next_step = optional_text(_("下一步"), limit(Opportunity, "next_step"))
    next_step_due = forms.DateField(label=_("下一步截止日期"), widget=DateInput(), required=False)

    def __init__(self, *args: Any, pipelines: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].choices = [(p.pk, p.name) for p in pipelines]  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        data = {k: self.cleaned_data[k] for k in ("name", "expected_close", "next_step",
                                                   "next_step_due")}  # fmt: skip
        if self.cleaned_data.get("amount") is not None:
            data["amount"] = self.cleaned_data["amount"]
        return data


class OpportunityEditForm(BootstrapFormMixin, forms.Form):
    """The edit of an opportunity's fields. While it has product lines the amount is their
    sum and the field is shown read-only (the service refuses another amount)."""

    version = version_field()
    name = forms.CharField(label=_("名称"), max_length=limit(Opportunity, "name"))
    amount = forms.DecimalField(
        label=_("金额"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    expected_close = forms.DateField(label=_("预计成交日期"), widget=DateInput(), required=False)
    next_step = optional_text(_("下一步"), limit(Opportunity, "next_step"))
    next_step_due = forms.DateField(label=_("下一步截止日期"), widget=DateInput(), required=False)
    competitors = optional_text(_("竞争对手"), 2000)

    def __init__(self, *args: Any, has_lines: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["competitors"].help_text = _("多个用逗号或顿号分隔。")
        if has_lines:
            self.fields["amount"].disabled = True
            self.fields["amount"].help_text = _("有产品明细时，金额等于明细合计。")

    @classmethod
    def for_opportunity(cls, opportunity: Opportunity, *, has_lines: bool) -> OpportunityEditForm:
        initial = {
            name: getattr(opportunity, name)
            for name in (
                "version",
                "name",
                "amount",
                "expected_close",
                "next_step",
                "next_step_due",
            )
        }
        initial["competitors"] = "、".join(opportunity.competitors or [])
        return cls(initial=initial, has_lines=has_lines)  # fmt: skip

    def service_data(self) -> dict[str, Any]:
        data = {k: self.cleaned_data[k] for k in ("name", "expected_close", "next_step",
                                                   "next_step_due")}  # fmt: skip
        if not self.fields["amount"].disabled:
            data["amount"] = self.cleaned_data.get("amount") or 0
        text = self.cleaned_data.get("competitors") or ""
        data["competitors"] = [v for v in re.split(r"[,，、;；\n]", text) if v.strip()]
        return data


class LineForm(BootstrapFormMixin, forms.Form):
    """A product line added on the opportunity page (the catalogue's price when none)."""

    prefix = "line"
    version = version_field()
    product_id = forms.TypedChoiceField(label=_("产品"), coerce=int)
    quantity = forms.DecimalField(
        label=_("数量"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"), initial=1
    )
    unit_price = forms.DecimalField(
        label=_("单价"), max_digits=12, decimal_places=2, min_value=0, required=False
    )

    def __init__(self, *args: Any, products: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_id"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (p.pk, p.name + gettext("（%(state)s）") % {"state": f"¥{p.unit_price:,.2f}"})
            for p in products
        ]
        self.fields["unit_price"].widget.attrs.update(
            placeholder=_("目录价"), title=_("留空则用产品目录价格。")
        )

    def service_line(self) -> dict[str, Any]:
        line = {"product_id": self.cleaned_data["product_id"],
                "quantity": self.cleaned_data["quantity"]}  # fmt: skip
        if self.cleaned_data.get("unit_price") is not None:
            line["unit_price"] = self.cleaned_data["unit_price"]
        return line


class MoveForm(forms.Form):
    stage = forms.IntegerField(min_value=1)
    index = forms.IntegerField(min_value=0, max_value=1_000_000)
    version = version_field()


class LoseForm(BootstrapFormMixin, forms.Form):
    version = version_field()
    reason = forms.ChoiceField(label=_("原因"))
    note = optional_text(_("原因说明"), limit(Opportunity, "reason_note"))
    invalid = forms.BooleanField(label=_("标记为无效（不是真实商机）"), required=False)

    def __init__(self, *args: Any, reasons: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", "—")] + [(r.code, r.label) for r in reasons]  # type: ignore[attr-defined]


class ActivityForm(BootstrapFormMixin, forms.Form):
    prefix = "activity"
    kind = forms.ChoiceField(label=_("方式"), choices=ActivityKind.choices)
    note = forms.CharField(
        label=_("内容"),
        max_length=limit(Activity, "note"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LeadForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=limit(Lead, "name"))
    company = optional_text(_("公司"), limit(Lead, "company"))
    phone = optional_text(_("电话"), limit(Lead, "phone"))
    email = forms.EmailField(label=_("邮箱"), max_length=limit(Lead, "email"), required=False)
    region = optional_text(_("地区"), limit(Lead, "region"))
    message = optional_text(
        _("留言"), limit(Lead, "message"), widget=forms.Textarea(attrs={"rows": 2})
    )


class WebLeadForm(LeadForm):
    """The public form: a honeypot field people never see, and the signed time the form
    was served (a bot posting at once, or replaying an old form, is refused)."""

    website = forms.CharField(required=False, label=_("网站"))
    token = forms.CharField(widget=forms.HiddenInput, max_length=200)


class ConvertForm(BootstrapFormMixin, forms.Form):
    version = version_field()
    customer = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    opportunity_name = optional_text(_("商机名称"), limit(Opportunity, "name"))
    amount = forms.DecimalField(
        label=_("金额"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    duplicate_reason = optional_text(_("仍要新建的理由"), limit(Customer, "duplicate_note"))
