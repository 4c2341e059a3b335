"""What the customers app plugs into notifications: reminder kinds, the follow-up and
birthday rules, and the follow-up cards of "my day". Registered from ``apps.py``.

Reminders go out on working days (``core.calendar``: Chinese holidays and 调休): a
follow-up or birthday that falls on a weekend or a holiday is announced on the last
working day before it, so nobody learns on Monday of a Saturday appointment. A follow-up
still open ``OVERDUE_AFTER`` working days after its date is reminded once more as overdue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Concat, Substr
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.accounts.models import Role
from guanxi.core.calendar import add_working_days, is_working_day, working_days_between
from guanxi.customers.models import Communication, Contact
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

FOLLOW_UP_DUE = "followup_due"
FOLLOW_UP_OVERDUE = "followup_overdue"
BIRTHDAY = "birthday"
OVERDUE_AFTER = 2  # working days
# How far back the overdue rule looks: a worker down for a while still catches up, and a
# daily sweep does not re-read years of abandoned follow-ups.
OVERDUE_WINDOW = dt.timedelta(days=60)
SUMMARY_CHARS = 200
DUE_TITLE = gettext_noop("跟进提醒：%(customer)s（%(date)s）")
OVERDUE_TITLE = gettext_noop("跟进已逾期：%(customer)s（%(date)s）")
BIRTHDAY_TITLE = gettext_noop("联系人生日：%(contact)s（%(customer)s），%(date)s")

_ONE_DAY = dt.timedelta(days=1)


def announce_span(today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The dates announced on ``today``: from ``today`` to the day before the next
    working day (Friday covers the weekend; the last day before 国庆 covers the whole
    holiday week). ``None`` on a non-working day: its dates were announced before."""
    if not is_working_day(today):
        return None
    return today, add_working_days(today, 1) - _ONE_DAY


def _text(expr: Any) -> Cast:
    return Cast(expr, CharField())


def _customer_url(customer_id: str) -> Concat:
    """``reverse("customers:detail")`` of the row's customer, in SQL."""
    sentinel = 987654321
    prefix, suffix = reverse("customers:detail", args=[sentinel]).split(str(sentinel))
    return Concat(Value(prefix), _text(customer_id), Value(suffix), output_field=CharField())


def _follow_up_query(kind: str, title: str, key: str, rows: QuerySet[Communication]) -> DueQuery:
    return DueQuery(
        kind=kind,
        rows=rows,
        recipient=Coalesce("staff_id", "customer__owner_id"),
        title=title,
        params={"customer": F("customer__name"), "date": _text("next_follow_up")},
        body=Substr("summary", 1, SUMMARY_CHARS),
        url=_customer_url("customer_id"),
        subject_model="customers.communication",
        subject_id=_text("id"),
        dedupe_key=Concat(
            Value(f"{key}:"), _text("id"), Value(":"), _text("next_follow_up"),
            output_field=CharField(),
        ),
    )  # fmt: skip


def follow_up_dues(today: dt.date) -> Iterator[DueQuery]:
    """Open follow-ups due in today's announce span, and those still open ``OVERDUE_AFTER``
    working days after their date (inside ``OVERDUE_WINDOW``): two ``INSERT … SELECT``."""
    open_ = Communication.objects.filter(
        follow_up_done=False, next_follow_up__isnull=False, customer__deleted_at__isnull=True
    )
    span = announce_span(today)
    if span is None:
        return
    yield _follow_up_query(
        FOLLOW_UP_DUE, DUE_TITLE, "followup", open_.filter(next_follow_up__range=span)
    )
    # Overdue by OVERDUE_AFTER working days or more: the window's dates that late (a few
    # dozen, by the holiday calendar) are listed here; the rows are matched in SQL.
    latest = add_working_days(today, -OVERDUE_AFTER)
    day, late = today - OVERDUE_WINDOW, []
    while day <= latest:
        if working_days_between(day, today) >= OVERDUE_AFTER:
            late.append(day)
        day += _ONE_DAY
    if late:
        yield _follow_up_query(
            FOLLOW_UP_OVERDUE,
            OVERDUE_TITLE,
            "followup-overdue",
            open_.filter(next_follow_up__in=late),
        )


def _birthday_days(span: tuple[dt.date, dt.date]) -> list[dt.date]:
    days = []
    day = span[0]
    while day <= span[1]:
        days.append(day)
        day += _ONE_DAY
    return days


def birthday_dues(today: dt.date) -> Iterator[DueQuery]:
    """Contacts whose birthday falls in today's announce span, one set per day (29 February
    is announced on 1 March in a common year), once a year per contact."""
    span = announce_span(today)
    if span is None:
        return
    contacts = Contact.objects.filter(
        birthday__isnull=False, customer__owner__isnull=False, customer__deleted_at__isnull=True
    )
    for day in _birthday_days(span):
        match = Q(birthday__month=day.month, birthday__day=day.day)
        if day.month == 3 and day.day == 1 and not _is_leap(day.year):
            match |= Q(birthday__month=2, birthday__day=29)  # 29 Feb in a common year
        yield DueQuery(
            kind=BIRTHDAY,
            rows=contacts.filter(match),
            recipient=F("customer__owner_id"),
            title=BIRTHDAY_TITLE,
            params={
                "contact": F("name"),
                "customer": F("customer__name"),
                "date": Value(f"{day.month}/{day.day}"),
            },
            url=_customer_url("customer_id"),
            subject_model="customers.contact",
            subject_id=_text("id"),
            dedupe_key=Concat(
                Value("birthday:"), _text("id"), Value(f":{day.year}"), output_field=CharField()
            ),
        )


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# --- my day -------------------------------------------------------------------------------


def _mine(actor: Any) -> Q:
    return Q(staff_id=actor.pk) | Q(staff__isnull=True, customer__owner_id=actor.pk)


def _open_until(actor: Any, today: dt.date) -> QuerySet[Communication]:
    return permissions.scope_by_customer(
        actor,
        Communication.objects.filter(
            follow_up_done=False,
            next_follow_up__isnull=False,
            next_follow_up__lte=today,
            customer__deleted_at__isnull=True,  # not of customers in the recycle bin
        ),
    )


def _item(c: Communication, today: dt.date) -> MyDayItem:
    assert c.next_follow_up is not None
    return MyDayItem(
        title=c.customer.name,
        url=reverse("customers:detail", args=[c.customer_id]),
        when=c.next_follow_up,
        note=c.summary[:80],
        overdue=c.next_follow_up < today,
    )


def my_follow_ups(actor: Any, today: dt.date) -> list[MyDayItem]:
    qs = _open_until(actor, today).filter(_mine(actor)).select_related("customer")
    rows = qs.only("id", "customer_id", "customer__name", "next_follow_up", "summary")
    return [_item(c, today) for c in rows.order_by("next_follow_up", "id")[:10]]


def my_follow_ups_count(actor: Any, today: dt.date) -> int:
    """One query, two index-backed halves: "mine" is an OR across two tables (logged by me,
    or unassigned on a customer I own), which no index serves as a whole, so the planner
    scanned every open follow-up up to today (391 ms at 1M customers). Split, the halves
    are disjoint (``staff`` is me / is empty): follow-ups logged by me seek
    ``comm_open_fu_staff_idx``; the unassigned ones start from my customers
    (``customer_owner_*`` indexes) and seek ``comm_open_fu_customer_idx`` per customer."""
    open_ = _open_until(actor, today).order_by()
    logged_by_me = open_.filter(staff_id=actor.pk).values("id")
    on_my_customers = open_.filter(staff__isnull=True, customer__owner_id=actor.pk).values("id")
    return logged_by_me.union(on_my_customers, all=True).count()


def team_overdue(actor: Any, today: dt.date) -> list[MyDayItem]:
    qs = _open_until(actor, today - _ONE_DAY).exclude(_mine(actor)).select_related("customer")
    rows = qs.only("id", "customer_id", "customer__name", "next_follow_up", "summary")
    return [_item(c, today) for c in rows.order_by("next_follow_up", "id")[:10]]


def team_overdue_count(actor: Any, today: dt.date) -> int:
    return _open_until(actor, today - _ONE_DAY).exclude(_mine(actor)).count()


def _leads(actor: Any) -> bool:
    return bool(getattr(actor, "is_admin", False) or getattr(actor, "role", "") == Role.MANAGER)


def register() -> None:
    inapp_email = frozenset({Channel.INAPP, Channel.EMAIL})
    register_kind(NotificationKind(FOLLOW_UP_DUE, _("跟进到期"), default_channels=inapp_email))
    register_kind(NotificationKind(FOLLOW_UP_OVERDUE, _("跟进逾期"), default_channels=inapp_email))
    register_kind(NotificationKind(BIRTHDAY, _("联系人生日")))
    register_rule(Rule("followups", _("跟进到期与逾期"), follow_up_dues, order=10))
    register_rule(Rule("birthdays", _("联系人生日"), birthday_dues, order=20))
    register_my_day(
        Section(
            key="follow_ups",
            label=_("我的跟进：今天到期与逾期"),
            order=10,
            items=my_follow_ups,
            count=my_follow_ups_count,
        )
    )
    register_my_day(
        Section(
            key="team_overdue",
            label=_("团队逾期跟进"),
            order=20,
            items=team_overdue,
            count=team_overdue_count,
            visible=_leads,
        )
    )
