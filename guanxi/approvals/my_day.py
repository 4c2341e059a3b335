"""The "待我审批" section of the my-day home page (``notifications.registry``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.accounts import permissions
from guanxi.approvals import selectors
from guanxi.notifications.registry import MyDayItem, Section, register_my_day

LIMIT = 10


def items(actor: Any, today: dt.date) -> Sequence[MyDayItem]:
    steps = selectors.pending_steps(actor=actor, on=today)[:LIMIT]
    return [
        MyDayItem(
            title=step.request.title,
            url=reverse("approvals:detail", args=[step.request_id]),
            when=step.request.submitted_at,
            note=_("%(step)s · %(submitter)s 提交")
            % {"step": step.name, "submitter": step.request.submitter},
        )
        for step in steps
    ]


def count(actor: Any, today: dt.date) -> int:
    return selectors.pending_count(actor=actor, on=today)


def register() -> None:
    register_my_day(
        Section(
            key="approvals",
            label=gettext_lazy("待我审批"),
            order=15,
            items=items,
            count=count,
            visible=permissions.is_staff_actor,
            limit=LIMIT,
            more_url=cast(str, reverse_lazy("approvals:inbox")),
        )
    )
