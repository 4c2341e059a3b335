"""What contracts plug into notifications: an instalment due in N days (a reminder to its
owner), the daily rule that marks overdue instalments and tells their owners, and the
"overdue receivables" card of "my day"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, cast

from django.conf import settings
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from guanxi.contracts import selectors
from guanxi.contracts.models import Instalment, InstalmentStatus
from guanxi.contracts.services.plans import DUE_SOON_KIND, OVERDUE_KIND, overdue_mark
from guanxi.notifications.registry import (
    Channel,
    DueQuery,
    MyDayItem,
    NotificationKind,
    Rule,
    Section,
    register_kind,
    register_my_day,
    register_rule,
)

LIMIT = 10
DEFAULT_REMIND_DAYS = 7
DUE_SOON_TITLE = gettext_noop("回款计划即将到期：%(number)s 第 %(sequence)s 期（%(date)s）")
OVERDUE_TITLE = gettext_noop("回款已逾期：%(number)s 第 %(sequence)s 期（%(date)s）")


def remind_days() -> int:
    """How many days before its planned date an instalment's owner is reminded
    (``GUANXI_INSTALMENT_REMIND_DAYS``, default 7)."""
    return int(getattr(settings, "GUANXI_INSTALMENT_REMIND_DAYS", DEFAULT_REMIND_DAYS))


def _text(expr: Any) -> Cast:
    return Cast(expr, CharField())


def _url() -> Concat:
    sentinel = 987654321
    prefix, suffix = reverse("contracts:detail", args=[sentinel]).split(str(sentinel))
    return Concat(Value(prefix), _text("contract_id"), Value(suffix), output_field=CharField())


def _due(kind: str, title: str, rows: Any, tag: str) -> DueQuery:
    return DueQuery(
        kind=kind,
        rows=rows,
        recipient=F("owner_id"),
        title=title,
        params={
            "number": F("contract__number"),
            "sequence": _text("sequence"),
            "date": _text("due_date"),
        },
        url=_url(),
        subject_model="contracts.contract",
        subject_id=_text("contract_id"),
        dedupe_key=Concat(
            Value(f"instalment-{tag}:"),
            _text("id"),
            Value(":"),
            _text("due_date"),
            output_field=CharField(),
        ),
    )


def instalment_dues(today: dt.date) -> Iterator[DueQuery]:
    """Mark what fell overdue, then remind owners: instalments due in ``remind_days``
    and those newly overdue (each once, keyed by instalment and date)."""
    overdue_mark(today=today)
    soon = Instalment.objects.filter(
        status__in=[InstalmentStatus.PENDING, InstalmentStatus.PARTLY],
        due_date__range=(today, today + dt.timedelta(days=remind_days())),
        owner__isnull=False,
    )
    yield _due(DUE_SOON_KIND, DUE_SOON_TITLE, soon, "soon")
    overdue = Instalment.objects.filter(
        status=InstalmentStatus.OVERDUE, due_date__lt=today, owner__isnull=False
    )
    yield _due(OVERDUE_KIND, OVERDUE_TITLE, overdue, "overdue")


def _item(instalment: Instalment, today: dt.date) -> MyDayItem:
    return MyDayItem(
        title=_("%(number)s 第 %(sequence)s 期")
        % {"number": instalment.contract.number, "sequence": instalment.sequence},
        url=reverse("contracts:detail", args=[instalment.contract_id]),
        when=instalment.due_date,
        note=_("%(customer)s · 未回款 ¥%(open)s")
        % {"customer": instalment.customer.name, "open": f"{instalment.open_amount:,.2f}"},
        overdue=True,
    )


def my_overdue(actor: Any, today: dt.date) -> list[MyDayItem]:
    return [_item(i, today) for i in selectors.my_overdue(actor=actor, today=today)[:LIMIT]]


def my_overdue_count(actor: Any, today: dt.date) -> int:
    return selectors.my_overdue(actor=actor, today=today).count()


def register() -> None:
    register_kind(
        NotificationKind(
            DUE_SOON_KIND,
            gettext_lazy("回款计划即将到期"),
            default_channels=frozenset({Channel.INAPP, Channel.EMAIL}),
        )
    )
    register_kind(
        NotificationKind(
            OVERDUE_KIND,
            gettext_lazy("回款已逾期"),
            default_channels=frozenset({Channel.INAPP, Channel.EMAIL}),
        )
    )
    register_rule(
        Rule(
            "contracts_instalments",
            gettext_lazy("回款计划提醒与逾期检查"),
            instalment_dues,
            order=70,
        )
    )
    register_my_day(
        Section(
            key="contracts_overdue",
            label=gettext_lazy("逾期回款"),
            order=16,
            items=my_overdue,
            count=my_overdue_count,
            visible=selectors.can_use,
            limit=LIMIT,
            more_url=cast(str, reverse_lazy("contracts:receivables")),
        )
    )
