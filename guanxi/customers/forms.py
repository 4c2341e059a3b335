"""Forms of the customer UI. They parse and type-check input only; the rules live in
``customers.services`` and come back as ``ValidationFailed`` errors named by field."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import (
    BLANK,
    BootstrapFormMixin,
    DateInput,
    DateTimeInput,
    optional_text,
    validate_phone,
    version_field,
)
from guanxi.core.limits import limit
from guanxi.customers.models import (
    CUSTOM_TEXT_LENGTH,
    Channel,
    CollaboratorAccess,
    Communication,
    CompanySize,
    Contact,
    Customer,
    CustomerKind,
    CustomerSource,
    CustomerStatus,
    CustomFieldDefinition,
    CustomFieldType,
    Direction,
    Preference,
    PreferenceCategory,
    PreferredChannel,
)

TAG_SEPARATORS = re.compile(r"[,，、;；]+")
CUSTOM_PREFIX = "cf_"


def _text(label: Any, max_length: int, **kwargs: Any) -> forms.CharField:
    return optional_text(label, max_length, **kwargs)


def split_tags(raw: str) -> list[str]:
    return [t.strip() for t in TAG_SEPARATORS.split(raw or "") if t.strip()]


def custom_field_label(definition: CustomFieldDefinition) -> str:
    language = get_language() or ""
    if language.startswith("en") and definition.label_en:
        return definition.label_en
    return definition.label


class CustomerForm(BootstrapFormMixin, forms.Form):
    """Every A1 field, the tags, the owner (for those who may assign one) and one field per
    active custom-field definition, typed by its kind."""

    name = forms.CharField(label=_("名称"), max_length=limit(Customer, "name"))
    kind = forms.ChoiceField(label=_("类型"), choices=CustomerKind.choices)
    status = forms.ChoiceField(label=_("状态"), choices=CustomerStatus.choices)
    industry = _text(_("行业"), 50)
    size = forms.ChoiceField(label=_("规模"), choices=BLANK + CompanySize.choices, required=False)
    source = forms.ChoiceField(
        label=_("来源"), choices=BLANK + CustomerSource.choices, required=False
    )
    credit_code = _text(
        _("统一社会信用代码"), 40, help_text=_("18 位，企业、政府机构等组织填写；系统校验校验位。")
    )
    # Rendered as the GB/T 2260 cascade (``{% region_cascade form=form %}``).
    province = _text(_("省份"), 20)
    city = _text(_("城市"), 30)
    district = _text(_("区县"), 30)
    address = _text(_("地址"), 200)
    phone = _text(
        _("电话"),
        40,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
        validators=[validate_phone],
    )
    email = forms.EmailField(label=_("邮箱"), max_length=limit(Customer, "email"), required=False)
    website = _text(_("网站"), 200)
    since = forms.DateField(label=_("客户起始日期"), required=False, widget=DateInput())
    tags = _text(
        _("标签"),
        500,
        help_text=_("多个标签用逗号或顿号分隔。"),
        widget=forms.TextInput(attrs={"list": "gx-tag-options"}),
    )
    notes = forms.CharField(
        label=_("备注"),
        max_length=limit(Customer, "notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    owner = forms.TypedChoiceField(
        label=_("客户经理"), coerce=int, required=False, empty_value=None
    )
    # Shown with the duplicate warning (查重) only; the service asks for it when it finds
    # likely duplicates. ``hx-preserve``: the warning re-renders while the user types.
    duplicate_reason = _text(
        _("仍要保存的原因"),
        500,
        widget=forms.Textarea(
            attrs={"rows": 2, "hx-preserve": "true", "placeholder": _("如：同名的另一家分公司")}
        ),
    )
    version = version_field()

    MODEL_FIELDS = (
        "name", "kind", "status", "industry", "size", "source", "province", "city", "district",
        "credit_code", "address", "phone", "email", "website", "since", "notes",
    )  # fmt: skip

    def __init__(
        self,
        *args: Any,
        owners: Iterable[Any] | None = None,
        custom_fields: Iterable[CustomFieldDefinition] = (),
        customer: Customer | None = None,
        **kwargs: Any,
    ) -> None:
        if customer is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(customer)
        super().__init__(*args, **kwargs)
        if owners is None:
            del self.fields["owner"]
        else:
            cast(forms.ChoiceField, self.fields["owner"]).choices = [("", "—")] + [
                (u.pk, str(u)) for u in owners
            ]
        if customer is None:
            del self.fields["version"]
        self.custom_definitions = list(custom_fields)
        for definition in self.custom_definitions:
            self.fields[CUSTOM_PREFIX + definition.key] = self._custom_field(definition)
            self.fields[CUSTOM_PREFIX + definition.key].widget.attrs.setdefault(
                "class",
                "form-select"
                if definition.field_type == CustomFieldType.CHOICE
                else "form-control",
            )

    @staticmethod
    def initial_for(customer: Customer) -> dict[str, Any]:
        initial = {name: getattr(customer, name) for name in CustomerForm.MODEL_FIELDS}
        initial["tags"] = "、".join(t.name for t in getattr(customer, "tag_list", []))
        initial["owner"] = customer.owner_id
        initial["version"] = customer.version
        for key, value in (customer.custom_fields or {}).items():
            initial[CUSTOM_PREFIX + key] = value
        return initial

    @staticmethod
    def _custom_field(definition: CustomFieldDefinition) -> forms.Field:
        common: dict[str, Any] = {
            "label": custom_field_label(definition),
            "required": definition.required,
        }
        if definition.field_type == CustomFieldType.NUMBER:
            return forms.DecimalField(max_digits=14, decimal_places=2, **common)
        if definition.field_type == CustomFieldType.DATE:
            return forms.DateField(widget=DateInput(), **common)
        if definition.field_type == CustomFieldType.CHOICE:
            choices = [(str(c), str(c)) for c in definition.choices or []]
            return forms.ChoiceField(choices=BLANK + choices, **common)
        return forms.CharField(max_length=CUSTOM_TEXT_LENGTH, **common)

    @property
    def custom_field_names(self) -> list[str]:
        return [CUSTOM_PREFIX + d.key for d in self.custom_definitions]

    @property
    def standard_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith(CUSTOM_PREFIX)]

    @property
    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.custom_field_names]

    def service_kwargs(self) -> dict[str, Any]:
        """``cleaned_data`` → keyword arguments of ``customer_create``/``customer_update``."""
        data = {name: self.cleaned_data[name] for name in self.MODEL_FIELDS}
        custom: dict[str, Any] = {}
        for definition in self.custom_definitions:
            value = self.cleaned_data.get(CUSTOM_PREFIX + definition.key)
            if value in (None, ""):
                continue
            custom[definition.key] = (
                value.isoformat()
                if hasattr(value, "isoformat")
                else (str(value) if isinstance(value, Decimal) else value)
            )
        data["custom_fields"] = custom
        kwargs: dict[str, Any] = {
            "data": data,
            "tags": split_tags(self.cleaned_data["tags"]),
            "duplicate_reason": self.cleaned_data.get("duplicate_reason") or "",
        }
        if "owner" in self.fields and self.cleaned_data.get("owner") is not None:
            kwargs["owner_id"] = self.cleaned_data["owner"]
        if "version" in self.fields:
            kwargs["version"] = self.cleaned_data["version"]
        return kwargs

    @staticmethod
    def error_field_map(service_field: str) -> str:
        if service_field == "owner_id":
            return "owner"
        if service_field.startswith("custom_fields."):
            return CUSTOM_PREFIX + service_field.removeprefix("custom_fields.")
        return service_field


class ContactForm(BootstrapFormMixin, forms.Form):
    prefix = "contact"  # several forms share the 360 page: keep their ids apart

    name = forms.CharField(label=_("姓名"), max_length=limit(Contact, "name"))
    title = _text(_("职务"), 100)
    mobile = _text(
        _("手机"),
        40,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
        validators=[validate_phone],
    )
    phone = _text(
        _("电话"),
        40,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
        validators=[validate_phone],
    )
    email = forms.EmailField(label=_("邮箱"), max_length=limit(Contact, "email"), required=False)
    wechat = _text(_("微信"), 64)
    birthday = forms.DateField(label=_("生日"), required=False, widget=DateInput())
    preferred_channel = forms.ChoiceField(
        label=_("偏好渠道"), choices=BLANK + PreferredChannel.choices, required=False
    )
    is_primary = forms.BooleanField(label=_("主要联系人"), required=False)
    consent_marketing = forms.BooleanField(label=_("同意营销联系"), required=False)
    # Shown with the duplicate warning (查重) only, as on the customer form.
    duplicate_reason = _text(
        _("仍要保存的原因"),
        500,
        widget=forms.Textarea(
            attrs={"rows": 2, "hx-preserve": "true", "placeholder": _("如：同名的另一个人")}
        ),
    )
    # What the entry check (查重) is asked with while the user types.
    CHECKED_FIELDS = ("name", "mobile", "phone", "email")

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("duplicate_reason", None)
        return data

    def duplicate_reason_value(self) -> str:
        return str(self.cleaned_data.get("duplicate_reason") or "")


class PreferenceForm(BootstrapFormMixin, forms.Form):
    prefix = "pref"  # several forms share the 360 page: keep their ids apart

    category = forms.ChoiceField(label=_("类别"), choices=PreferenceCategory.choices)
    key = forms.CharField(
        label=pgettext_lazy("preference", "项目"),
        max_length=limit(Preference, "key"),
        widget=forms.TextInput(attrs={"placeholder": _("如：茶")}),
    )
    value = forms.CharField(
        label=_("内容"),
        max_length=limit(Preference, "value"),
        widget=forms.TextInput(attrs={"placeholder": _("如：只喝龙井")}),
    )
    note = _text(_("说明"), 500)

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class CommunicationForm(BootstrapFormMixin, forms.Form):
    prefix = "comm"  # several forms share the 360 page: keep their ids apart

    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices)
    direction = forms.ChoiceField(
        label=_("方向"), choices=Direction.choices, initial=Direction.OUTBOUND
    )
    occurred_at = forms.DateTimeField(label=_("时间"), widget=DateTimeInput())
    contact = forms.TypedChoiceField(
        label=_("联系人"), coerce=int, required=False, empty_value=None
    )
    summary = forms.CharField(
        label=_("摘要"),
        max_length=limit(Communication, "summary"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    next_follow_up = forms.DateField(label=_("下次跟进日期"), required=False, widget=DateInput())

    def __init__(self, *args: Any, contacts: Iterable[Contact] = (), **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"occurred_at": timezone.localtime().replace(second=0, microsecond=0)}
        )
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["contact"]).choices = BLANK + [
            (c.pk, str(c)) for c in contacts
        ]

    def clean_occurred_at(self) -> Any:
        # The widget has minute precision; a call logged "now" keeps the exact time so it
        # sorts after the events of the same minute on the timeline.
        value = self.cleaned_data["occurred_at"]
        now = timezone.now()
        if value and value <= now and now - value < dt.timedelta(minutes=1):
            return now
        return value

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["contact_id"] = data.pop("contact")
        return data

    @staticmethod
    def error_field_map(service_field: str) -> str:
        return "contact" if service_field == "contact_id" else service_field


# --- inline edits on the 360 page -----------------------------------------------------------


class EditFormMixin:
    """An add form turned into the in-place edit form of one record: initial values from
    the record, a prefix of its own (several rows can be open at once on one page) and the
    hidden ``version`` the user saw, which the service checks."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def __init__(self, *args: Any, record: Any, **kwargs: Any) -> None:
        self.record = record
        kwargs.setdefault("prefix", f"{getattr(type(self), 'prefix', None) or 'edit'}-{record.pk}")
        kwargs.setdefault("initial", {**self.initial_for(record), "version": record.version})
        super().__init__(*args, **kwargs)
        self.fields["version"] = version_field()

    def initial_for(self, record: Any) -> dict[str, Any]:
        return {name: getattr(record, name) for name in self.fields_of_record()}

    def fields_of_record(self) -> list[str]:
        return [name for name in cast(Any, self).base_fields if name != "version"]

    @property
    def version(self) -> int:
        return int(self.cleaned_data["version"])

    def service_data(self) -> dict[str, Any]:
        data = cast(Any, super()).service_data()
        data.pop("version", None)
        return cast(dict[str, Any], data)


class ContactEditForm(EditFormMixin, ContactForm):
    def fields_of_record(self) -> list[str]:
        return [name for name in super().fields_of_record() if name != "duplicate_reason"]


class PreferenceEditForm(EditFormMixin, PreferenceForm):
    pass


class CommunicationEditForm(EditFormMixin, CommunicationForm):
    follow_up_done = forms.BooleanField(label=_("跟进已完成"), required=False)

    def initial_for(self, record: Any) -> dict[str, Any]:
        initial = {
            name: getattr(record, name) for name in self.fields_of_record() if name != "contact"
        }
        initial["contact"] = record.contact_id
        initial["occurred_at"] = timezone.localtime(record.occurred_at)
        return initial

    def clean_occurred_at(self) -> Any:
        # The widget has minute precision: an unchanged minute keeps the stored seconds, so
        # saving another field does not also "change" the time.
        value = self.cleaned_data["occurred_at"]
        stored = self.record.occurred_at
        if value and stored and value == stored.replace(second=0, microsecond=0):
            return stored
        return value


class CollaboratorForm(BootstrapFormMixin, forms.Form):
    """Share the customer with a user (团队成员): whom, and read-only or read-write."""

    prefix = "collab"  # several forms share the 360 page: keep their ids apart

    user = forms.TypedChoiceField(label=_("成员"), coerce=int, empty_value=None)
    access = forms.ChoiceField(
        label=_("权限"), choices=CollaboratorAccess.choices, initial=CollaboratorAccess.READ
    )

    def __init__(self, *args: Any, users: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["user"]).choices = BLANK + [
            (u.pk, f"{u} ({u.username})") for u in users
        ]

    def service_data(self) -> dict[str, Any]:
        return {"user_id": self.cleaned_data["user"], "access": self.cleaned_data["access"]}

    @staticmethod
    def error_field_map(service_field: str) -> str:
        return "user" if service_field == "user_id" else service_field
