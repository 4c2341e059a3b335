"""Showing domain errors on Django forms: the one place service errors meet form fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from guanxi.core.errors import DomainError, ValidationFailed
from guanxi.core.limits import check_date
from guanxi.core.messages import apply_house_messages
from guanxi.core.text.cleaning import EARLIEST_DATE, LATEST_DATE, CleaningError, normalize_phone


def add_domain_errors(
    form: forms.BaseForm, exc: DomainError, rename: Callable[[str], str] | None = None
) -> None:
    """Attach ``exc`` to ``form``: each ``ValidationFailed`` field's messages go next to the
    form field of that name (renamed through ``rename``, e.g. ``owner_id`` → ``owner``);
    errors for names the form lacks or hides (``version``), and other domain errors, become
    non-field errors."""
    items: list[tuple[str | None, list[str]]]
    if isinstance(exc, ValidationFailed):
        items = [(name, msgs) for name, msgs in exc.errors.items()]
    else:
        items = [(exc.field, [exc.message])]
    for name, messages in items:
        target = rename(name) if rename and name else name
        for message in messages:
            if target and target in form.fields and not form.fields[target].widget.is_hidden:
                form.add_error(target, message)
            else:
                form.add_error(None, message)


def _in_date_range(value: dt.date) -> None:
    try:
        check_date(value.date() if isinstance(value, dt.datetime) else value)
    except ValueError as exc:
        raise forms.ValidationError(str(exc), code="date_out_of_range") from None


def validate_phone(value: str) -> None:
    """A phone number field's check, the services' (``normalize_phone``): the form shows it
    beside the other fields' errors instead of after they are fixed."""
    try:
        normalize_phone(value)
    except CleaningError:
        raise forms.ValidationError(
            gettext_lazy("电话号码格式不正确：%(value)s"), code="phone", params={"value": value}
        ) from None


class BootstrapFormMixin:
    """Bootstrap 5 classes on every widget, and ``is-invalid`` on fields with errors, so
    templates render fields with one include and no per-field markup.

    Every date and date-time field also takes the one date range of the house
    (``core.limits.check_date``: the API's and the import's), so no form accepts year 1,
    and the house's own error messages (``core.messages``) instead of Django's."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            apply_house_messages(field)
            if isinstance(field, forms.DateField | forms.DateTimeField):
                field.validators.append(_in_date_range)
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field: str | None, error: object) -> None:
        super().add_error(field, error)  # type: ignore[misc]
        if field and field in self.fields:
            widget = self.fields[field].widget
            classes = widget.attrs.get("class", "")
            if "is-invalid" not in classes:
                widget.attrs["class"] = f"{classes} is-invalid".strip()


BLANK: list[tuple[Any, Any]] = [("", "—")]


class DateInput(forms.DateInput):
    """A date picker limited to the accepted range (the form checks it again)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        bounds = {"min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()}
        super().__init__({**bounds, **(attrs or {})}, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        bounds = {
            "min": f"{EARLIEST_DATE.isoformat()}T00:00",
            "max": f"{LATEST_DATE.isoformat()}T23:59",
        }
        super().__init__({**bounds, **(attrs or {})}, format="%Y-%m-%dT%H:%M")


def optional_text(label: Any, max_length: int, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=False, **kwargs)


def version_field() -> forms.IntegerField:
    """The hidden ``version`` of every form that changes a record: required (a form that
    does not say which version the user saw would overwrite silently); the service
    refuses a stale one (409, the conflict notice)."""
    return forms.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        widget=forms.HiddenInput,
        error_messages={
            "required": gettext_lazy("缺少版本号：请刷新页面后重试。"),
            "invalid": gettext_lazy("版本号无效：请刷新页面后重试。"),
            "min_value": gettext_lazy("版本号无效：请刷新页面后重试。"),
            "max_value": gettext_lazy("版本号无效：请刷新页面后重试。"),
        },
    )


class VersionForm(forms.Form):
    """The one field of a one-click write (delete, cancel, follow-up done): the version of
    the record the user was looking at, so a click on a stale page is refused."""

    version = version_field()
