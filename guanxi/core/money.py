"""Money: ``Decimal`` with two places, CNY by default. Every amount column is a
``DecimalField(max_digits=14, decimal_places=2)`` or narrower, so one limit holds for
amounts everywhere; :func:`decimal_field_max` derives a column's own limit from the model
(forms, API schemas and imports read limits from there, never restate them)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Final

from django.db import models
from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed

CENT: Final = Decimal("0.01")
AMOUNT_DIGITS: Final = 14  # the widest amount column (order totals)


def decimal_field_max(field: models.Field[Any, Any]) -> Decimal:
    """The largest value ``field`` (a ``DecimalField``) stores: 14 digits, 2 places →
    999999999999.99."""
    assert isinstance(field, models.DecimalField)
    places = field.decimal_places or 0
    return Decimal(10) ** (int(field.max_digits or 0) - places) - Decimal(1).scaleb(-places)


MAX_AMOUNT: Final = Decimal(10) ** (AMOUNT_DIGITS - 2) - CENT


class MoneyField(models.DecimalField):  # type: ignore[type-arg]
    """An amount of money (CNY, two places): a ``DecimalField`` the displays know is money
    (history rows show ``¥341,350.00``, not ``341350.00``). Deconstructs as a plain
    ``DecimalField``: the column and the migrations are exactly those of one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


def parse_money(value: Any, field: str, *, positive: bool = False) -> Decimal:
    """``value`` as an amount of money rounded to cents, or ``ValidationFailed`` naming
    ``field``: not a number, negative (zero too when ``positive``), or above MAX_AMOUNT."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed({field: _("必须是数字。")}) from None
    if isinstance(value, bool) or not number.is_finite():
        raise ValidationFailed({field: _("必须是数字。")})
    if number < 0 or (positive and number == 0):
        raise ValidationFailed({field: _("必须大于 0。") if positive else _("不能为负数。")})
    if number > MAX_AMOUNT:
        raise ValidationFailed({field: _("数值过大。")})
    return number.quantize(CENT)
