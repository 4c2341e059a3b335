"""Filters of the customer list that other apps contribute (analytics: value class and
value-matrix cell). The customers app does not import the apps built on it: each registers
its query parameters here in its ``AppConfig.ready()``; ``selectors.validate_filters``
checks them and ``selectors.customer_queryset`` applies them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True)
class ListFilter:
    param: str  # the query-string parameter
    # The error message for an invalid value (translated), or None when it is valid.
    error: Callable[[str], str | None]
    apply: Callable[[QuerySet[Any], str], QuerySet[Any]]
    max_length: int = 50


_FILTERS: dict[str, ListFilter] = {}


def register_list_filter(list_filter: ListFilter) -> None:
    _FILTERS[list_filter.param] = list_filter


def list_filters() -> list[ListFilter]:
    return list(_FILTERS.values())
