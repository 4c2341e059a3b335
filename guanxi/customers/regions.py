"""The 区县 filter of the customer list (registered in ``CustomersConfig.ready()``): a
district is only meaningful below the province and city filters, which the list has."""

from __future__ import annotations

import functools
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.core import regions
from guanxi.customers.list_filters import ListFilter, register_list_filter


@functools.cache
def _district_names() -> frozenset[str]:
    return frozenset(d.short for p in regions.provinces() for c in p.children for d in c.children)


def _district_error(value: str) -> str | None:
    if value in _district_names():
        return None
    return _("未知的区县：%(value)s") % {"value": value}


def _by_district(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
    return qs.filter(district=value)


def register() -> None:
    register_list_filter(
        ListFilter(param="district", error=_district_error, apply=_by_district, max_length=30)
    )
