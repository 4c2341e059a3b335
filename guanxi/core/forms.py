"""Showing domain errors on Django forms: the one place service errors meet form fields."""

from __future__ import annotations

from collections.abc import Callable

from django import forms

from guanxi.core.errors import DomainError, ValidationFailed


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


class BootstrapFormMixin:
    """Bootstrap 5 classes on every widget, and ``is-invalid`` on fields with errors, so
    templates render fields with one include and no per-field markup."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
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
