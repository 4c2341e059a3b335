"""``{% region_cascade province city district %}``: the 省份/城市/区县 selects of
``core.regions`` (a form's fields or a list's filters), reloading their choices by htmx."""

from __future__ import annotations

from typing import Any

from django import template

from guanxi.core.regions.views import CASCADE, cascade_context

register = template.Library()


@register.inclusion_tag(CASCADE)
def region_cascade(
    province: Any = "",
    city: Any = "",
    district: Any = "",
    *,
    form: Any = None,
    small: bool = False,
) -> dict[str, Any]:
    """With ``form=``, the values and errors come from the form's ``province``, ``city``
    and ``district`` fields."""
    errors: dict[str, Any] = {}
    if form is not None:
        province, city, district = (form[name].value() for name in ("province", "city", "district"))
        errors = {name: form[name].errors for name in ("province", "city", "district")}
    context = cascade_context(
        str(province or ""), str(city or ""), str(district or ""), small=small
    )
    context["region_errors"] = errors
    return context
