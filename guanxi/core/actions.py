"""Record actions: buttons a higher app adds to a lower app's record page without the
lower app importing it (projects adds "create project" to a won opportunity; sales must
not import projects). The page calls ``render_record_actions(request, obj)`` and prints
the result; each registered action renders its own template for the records it applies
to."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

__all__ = ["RecordAction", "register_record_action", "render_record_actions"]


@dataclass(frozen=True)
class RecordAction:
    key: str
    model: str  # the record's label, lower case: "sales.opportunity"
    template: str
    # ``context(request, record)`` gives the template's context, or ``None`` to hide the
    # action for this actor and record.
    context: Callable[[HttpRequest, Any], Mapping[str, Any] | None]
    order: int = 50


_ACTIONS: dict[str, RecordAction] = {}


def register_record_action(action: RecordAction) -> None:
    _ACTIONS[action.key] = action


def render_record_actions(request: HttpRequest, record: Model) -> SafeString:
    label = record._meta.label_lower
    parts: list[str] = []
    for action in sorted(_ACTIONS.values(), key=lambda a: (a.order, a.key)):
        if action.model != label:
            continue
        context = action.context(request, record)
        if context is None:
            continue
        parts.append(render_to_string(action.template, {"record": record, **context}, request))
    # Each part is a rendered (escaped) template.
    return format_html_join("", "{}", ((mark_safe(p),) for p in parts))
