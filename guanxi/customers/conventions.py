"""Chinese data conventions on a customer: the 统一社会信用代码 of an organisation and its
region (省份/城市/区县 from GB/T 2260 data, ``core.regions``). Called by the customer
services — so the form, the API and the import all check the same way — before
``full_clean``."""

from __future__ import annotations

from collections.abc import Collection

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from guanxi.core import regions
from guanxi.core.errors import ValidationFailed
from guanxi.core.writes import collect_errors
from guanxi.customers.models import Customer, CustomerKind

REGION_FIELDS = ("province", "city", "district")


CREDIT_CODE_MESSAGES = {
    "individual": gettext_lazy("个人客户没有统一社会信用代码。"),
    "length": gettext_lazy("统一社会信用代码应为 18 位。"),
    "checksum": gettext_lazy("统一社会信用代码的校验位不正确，请核对。"),
    "format": gettext_lazy("统一社会信用代码格式不正确。"),
}


def compact_credit_code(value: str) -> str:
    return str(uscc.compact(str(value))) if value else ""


def credit_code_problem(code: str, *, kind: str) -> str | None:
    """What is wrong with a compacted code (a key of ``CREDIT_CODE_MESSAGES``), or None."""
    if not code:
        return None
    if kind == CustomerKind.INDIVIDUAL:
        return "individual"
    try:
        uscc.validate(code)
    except InvalidLength:
        return "length"
    except InvalidChecksum:
        return "checksum"
    except ValidationError:
        return "format"
    return None


def clean_credit_code(value: str, *, kind: str) -> str:
    """The code in its stored form (18 characters, upper case), or ValidationFailed on
    ``credit_code`` saying what is wrong with it (python-stdnum checks the check digit)."""
    code = compact_credit_code(value)
    problem = credit_code_problem(code, kind=kind)
    if problem is not None:
        raise ValidationFailed({"credit_code": str(CREDIT_CODE_MESSAGES[problem])})
    return code


def clean_region(province: str, city: str, district: str) -> dict[str, str]:
    """``{province, city, district}`` in their stored names, or ValidationFailed naming the
    first level that is unknown or does not belong to the level above."""
    province, city, district = (str(v or "").strip() for v in (province, city, district))
    found_province = regions.find_province(province) if province else None
    if province and found_province is None:
        raise ValidationFailed({"province": _("未知的省份：%(value)s") % {"value": province}})
    found_city = None
    if city:
        found_city = regions.find_city(city, found_province)
        if found_city is None:
            message = (
                _("%(province)s没有城市“%(value)s”。") % {"province": province, "value": city}
                if found_province
                else _("未知的城市：%(value)s（或重名，请先选择省份）") % {"value": city}
            )
            raise ValidationFailed({"city": message})
    if district:
        if found_city is None:
            raise ValidationFailed({"district": _("请先选择城市。")})
        found_district = regions.find_district(district, found_city)
        if found_district is None:
            raise ValidationFailed(
                {"district": _("%(city)s没有区县“%(value)s”。") % {"city": city, "value": district}}
            )
        district = found_district.short
    return {
        "province": found_province.short if found_province else "",
        "city": found_city.short if found_city else "",
        "district": district,
    }


def apply_conventions(customer: Customer, changed: Collection[str]) -> None:
    """Check and normalise what was just set on ``customer`` (``changed``: the names of
    the fields sent). Untouched legacy values are left as they are."""

    def credit_code() -> None:
        if "credit_code" in changed or ("kind" in changed and customer.credit_code):
            customer.credit_code = clean_credit_code(customer.credit_code, kind=customer.kind)

    def region() -> None:
        if any(name in changed for name in REGION_FIELDS):
            clean = clean_region(customer.province, customer.city, customer.district)
            for name, value in clean.items():
                setattr(customer, name, value)

    collect_errors(credit_code, region)  # both fields' errors at once
