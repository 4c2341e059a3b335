"""The house's own wording of field errors, in the reader's language.

Django's stock messages ("确保该变量包含不超过 200 字符", "This field is required.") and
pydantic's (always English) read like a machine; a field error here says what to do, in
Chinese with its English translation in the catalogue. Forms take them through
``BootstrapFormMixin`` (every field, unless it sets its own), the API's validation answer
through :func:`pydantic_message`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from django import forms
from django.core import validators
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

REQUIRED: Final = _("必须填写。")
MAX_LENGTH: Final = _("最多 %(limit_value)d 个字符（现有 %(show_value)d 个）。")
MIN_LENGTH: Final = _("至少 %(limit_value)d 个字符（现有 %(show_value)d 个）。")
MAX_VALUE: Final = _("不能大于 %(limit_value)s。")
MIN_VALUE: Final = _("不能小于 %(limit_value)s。")
INVALID_CHOICE: Final = _("“%(value)s”不是可选的值。")

# Per form field class: what "invalid" means for it (the first class in the MRO wins).
_INVALID: Final[tuple[tuple[type[forms.Field], Promise], ...]] = (
    (forms.EmailField, _("请输入有效的邮箱地址。")),
    (forms.URLField, _("请输入有效的网址。")),
    (forms.DateTimeField, _("请输入有效的日期和时间。")),
    (forms.DateField, _("请输入有效的日期（YYYY-MM-DD）。")),
    (forms.IntegerField, _("请输入整数。")),
    (forms.DecimalField, _("请输入数字。")),
    (forms.FloatField, _("请输入数字。")),
)
_DECIMAL: Final = {
    "max_digits": _("最多 %(max)s 位数字。"),
    "max_decimal_places": _("最多 %(max)s 位小数。"),
    "max_whole_digits": _("整数部分最多 %(max)s 位。"),
}


def _own_validators(field: forms.Field) -> list[Any]:
    out: list[Any] = []
    for validator in field.validators:
        if isinstance(validator, validators.MaxLengthValidator) and not isinstance(
            validator, validators.MinLengthValidator
        ):
            validator = validators.MaxLengthValidator(validator.limit_value, MAX_LENGTH)
        elif isinstance(validator, validators.MinLengthValidator):
            validator = validators.MinLengthValidator(validator.limit_value, MIN_LENGTH)
        elif isinstance(validator, validators.MaxValueValidator):
            validator = validators.MaxValueValidator(validator.limit_value, MAX_VALUE)
        elif isinstance(validator, validators.MinValueValidator):
            validator = validators.MinValueValidator(validator.limit_value, MIN_VALUE)
        elif isinstance(validator, validators.EmailValidator):
            validator = validators.EmailValidator(cast(Any, _INVALID[0][1]))
        out.append(validator)
    return out


def apply_house_messages(field: forms.Field) -> None:
    """Give ``field`` the house's messages where it still has Django's: a message the
    field was declared with (``error_messages={...}``) is kept."""
    stock = forms.Field.default_error_messages | _stock_messages(type(field))
    own = field.error_messages
    ours: dict[str, Any] = {"required": REQUIRED, "invalid_choice": INVALID_CHOICE}
    for cls, message in _INVALID:
        if isinstance(field, cls):
            ours["invalid"] = message
            break
    if isinstance(field, forms.DecimalField):
        ours.update(_DECIMAL)
    for code, message in ours.items():
        if code in own and str(own[code]) == str(stock.get(code, "")):
            own[code] = message
    field.validators = _own_validators(field)


def _stock_messages(cls: type[forms.Field]) -> dict[str, Any]:
    messages: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        messages.update(getattr(klass, "default_error_messages", {}))
    return messages


# --- the API (pydantic) -----------------------------------------------------------------

_PYDANTIC: Final[Mapping[str, Promise]] = {
    "missing": REQUIRED,
    "string_too_long": _("最多 %(max_length)s 个字符。"),
    "string_too_short": _("至少 %(min_length)s 个字符。"),
    "too_long": _("最多 %(max_length)s 项。"),
    "too_short": _("至少 %(min_length)s 项。"),
    "int_parsing": _("请输入整数。"),
    "int_type": _("请输入整数。"),
    "int_from_float": _("请输入整数。"),
    "decimal_parsing": _("请输入数字。"),
    "decimal_type": _("请输入数字。"),
    "float_parsing": _("请输入数字。"),
    "decimal_max_digits": _("最多 %(max_digits)s 位数字。"),
    "decimal_max_places": _("最多 %(decimal_places)s 位小数。"),
    "decimal_whole_digits": _("整数部分位数过多。"),
    "less_than_equal": _("不能大于 %(le)s。"),
    "less_than": _("必须小于 %(lt)s。"),
    "greater_than_equal": _("不能小于 %(ge)s。"),
    "greater_than": _("必须大于 %(gt)s。"),
    "date_parsing": _("请输入有效的日期（YYYY-MM-DD）。"),
    "date_from_datetime_parsing": _("请输入有效的日期（YYYY-MM-DD）。"),
    "date_type": _("请输入有效的日期（YYYY-MM-DD）。"),
    "datetime_parsing": _("请输入有效的日期和时间。"),
    "datetime_from_date_parsing": _("请输入有效的日期和时间。"),
    "datetime_type": _("请输入有效的日期和时间。"),
    "bool_parsing": _("请输入 true 或 false。"),
    "bool_type": _("请输入 true 或 false。"),
    "string_type": _("请输入文本。"),
    "list_type": _("请输入列表。"),
    "dict_type": _("请输入对象。"),
    "model_type": _("请输入对象。"),
    "model_attributes_type": _("请输入对象。"),
    "literal_error": _("可选：%(expected)s"),
    "enum": _("可选：%(expected)s"),
    "extra_forbidden": _("不认识的字段。"),
    "json_invalid": _("请求体不是有效的 JSON。"),
    "uuid_parsing": _("请输入有效的 UUID。"),
    "url_parsing": _("请输入有效的网址。"),
}


def pydantic_message(error: Mapping[str, Any]) -> str:
    """One pydantic error (``{"type", "msg", "ctx", ...}``) in the active language; a type
    we have no wording for keeps pydantic's message."""
    if error.get("type") == "value_error":
        # a validator of ours raised it with a translated text; pydantic prefixes it
        return str(error.get("msg", "")).removeprefix("Value error, ")
    template = _PYDANTIC.get(str(error.get("type", "")))
    ctx = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    if template is None:
        return str(error.get("msg", ""))
    try:
        return str(template) % ctx if "%(" in str(template) else str(template)
    except (KeyError, ValueError, TypeError):
        return str(error.get("msg", ""))
