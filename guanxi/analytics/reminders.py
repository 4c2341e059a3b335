"""The dormant-customer reminder: analytics' rule in the notifications registry.

A customer the last value recompute marked dormant (no purchase for ``dormant_factor``
times their usual cycle) is announced to its account manager once per dormancy: the key
carries the last purchase date, so a customer that buys again and falls asleep again is
announced again. Customers already announced are filtered out in SQL (a probe of the
notification's unique index), so the daily sweep writes only the new ones, in one
``INSERT … SELECT`` (a :class:`DueQuery`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import CharField, Exists, F, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from guanxi.analytics.models import CustomerValue
from guanxi.notifications.models import Notification
from guanxi.notifications.registry import (
    DueQuery,
    NotificationKind,
    Rule,
    register_kind,
    register_rule,
)

DORMANT = "dormant_customer"


TITLE = gettext_noop("客户进入休眠：%(customer)s（最近购买 %(date)s）")


def dormant_dues(today: dt.date) -> Iterator[DueQuery]:
    """Every dormant customer not yet announced for its current dormancy: one
    ``INSERT … SELECT``."""
    key = Concat(
        Value("dormant:"),
        Cast("customer_id", CharField()),
        Value(":"),
        Cast("last_purchase", CharField()),
        output_field=CharField(),
    )
    announced = Notification.objects.filter(
        recipient_id=OuterRef("customer__owner_id"), dedupe_key=OuterRef("key")
    )
    sentinel = 987654321
    prefix, suffix = reverse("customers:detail", args=[sentinel]).split(str(sentinel))
    yield DueQuery(
        kind=DORMANT,
        rows=CustomerValue.objects.filter(dormant=True, customer__owner__isnull=False)
        .annotate(key=key)
        .filter(~Exists(announced)),
        recipient=F("customer__owner_id"),
        title=TITLE,
        params={"customer": F("customer__name"), "date": Cast("last_purchase", CharField())},
        url=Concat(
            Value(prefix), Cast("customer_id", CharField()), Value(suffix),
            output_field=CharField(),
        ),
        subject_model="customers.customer",
        subject_id=Cast("customer_id", CharField()),
        dedupe_key=F("key"),
    )  # fmt: skip


def register() -> None:
    register_kind(NotificationKind(DORMANT, _("客户休眠")))
    register_rule(Rule("dormant_customers", _("休眠客户"), dormant_dues, order=30))
