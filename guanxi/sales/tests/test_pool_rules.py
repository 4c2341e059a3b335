"""The pool rules against an oracle: over generated follow-up histories and rule settings, a
customer is returned iff the rule says so, the exemptions hold, and the owner's reminder
comes ``remind_days`` before the return (the rules run day by day, as the worker runs them)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CommunicationFactory, CustomerFactory
from guanxi.notifications.models import Notification
from guanxi.notifications.reminders import bulk_notify, reminders_run
from guanxi.sales.models import Activity, Opportunity
from guanxi.sales.models_pool import PoolCustomer, PoolRule
from guanxi.sales.pool import rules
from guanxi.sales.tests.factories import OpportunityFactory
from guanxi.sales.tests.pool_helpers import make_pool

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 3)
KINDS = ["no_follow_up", "no_open_opportunity", "no_deal"]


def _noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _ago(days: int) -> dt.datetime:
    return _noon(TODAY - dt.timedelta(days=days))


class Rollback(Exception):
    pass


def _isolated(body):
    """Run one example in a transaction rolled back after it."""
    try:
        with transaction.atomic():
            body()
            raise Rollback
    except Rollback:
        pass


opportunity = st.tuples(
    st.integers(0, 90),  # created, days ago
    st.sampled_from(["open", "won", "lost"]),
    st.integers(0, 90),  # closed, days ago (of a closed one)
)
history = st.fixed_dictionaries({
    "created": st.integers(0, 120),
    "follow_ups": st.lists(st.integers(0, 90), max_size=3),
    "activities": st.lists(st.integers(0, 90), max_size=2),
    "opportunities": st.lists(opportunity, max_size=3),
    "locked": st.booleans(),
})  # fmt: skip
rule_settings = st.fixed_dictionaries({
    "kind": st.sampled_from(KINDS),
    "days": st.integers(1, 60),
    "exempt_open_opportunity": st.booleans(),
    "exempt_deal": st.booleans(),
})  # fmt: skip


def expected_return(rule: dict, h: dict) -> bool:
    """The rule in words: nothing it counts on or after day TODAY - days."""
    n = rule["days"]
    if h["locked"] or h["created"] <= n:
        return False
    opps = [(c, s, min(k, c)) for c, s, k in h["opportunities"]]
    has_open = any(s == "open" for _c, s, _k in opps)
    has_won = any(s == "won" for _c, s, _k in opps)
    if rule["kind"] == "no_follow_up":
        if any(k <= n for k in h["follow_ups"] + h["activities"]):
            return False
    elif rule["kind"] == "no_open_opportunity":
        if has_open or any(c <= n or (s != "open" and k <= n) for c, s, k in opps):
            return False
    elif any(s == "won" and k <= n for _c, s, k in opps):
        return False
    if rule["exempt_open_opportunity"] and has_open:
        return False
    return not (rule["exempt_deal"] and has_won)


def _scene(owner, h: dict) -> Customer:
    customer = CustomerFactory(owner=owner)
    Customer.all_objects.filter(pk=customer.pk).update(created_at=_ago(h["created"]))
    for k in h["follow_ups"]:
        CommunicationFactory(customer=customer, occurred_at=_ago(k))
    for k in h["activities"]:
        Activity.objects.create(customer=customer, kind="call", note="电话", at=_ago(k))
    for created, status, closed in h["opportunities"]:
        closed = min(closed, created)
        opp = OpportunityFactory(
            customer=customer, status=status, position=None,
            closed_at=None if status == "open" else _ago(closed),
        )  # fmt: skip
        Opportunity.objects.filter(pk=opp.pk).update(created_at=_ago(created))
    if h["locked"]:
        PoolCustomer.objects.create(customer=customer, locked=True)
    return customer


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(rule=rule_settings, histories=st.lists(history, min_size=1, max_size=4))
def test_a_customer_is_returned_iff_the_rule_says_so(rule, histories):
    def body():
        owner = UserFactory(username="pool_owner", role=Role.ACCOUNT_MANAGER,
                            team=TeamFactory(name="华东"))  # fmt: skip
        pool = make_pool()
        pool_rule = PoolRule.objects.create(pool=pool, remind_days=0, **rule)
        customers = [_scene(owner, h) for h in histories]
        expected = {
            c.pk for c, h in zip(customers, histories, strict=True) if expected_return(rule, h)
        }
        found = set(
            rules.candidates(pool_rule, rules.cutoff(TODAY, rule["days"]), []).values_list(
                "pk", flat=True
            )
        )
        assert found == expected
        assert rules.recycle(today=TODAY) == len(expected)
        unowned = set(Customer.objects.filter(owner__isnull=True).values_list("pk", flat=True))
        assert unowned == expected
        assert (
            set(PoolCustomer.objects.filter(pool=pool).values_list("customer_id", flat=True))
            == expected
        )

    _isolated(body)


def _run_rules(today: dt.date) -> None:
    """What the two scheduled rules do on ``today`` (``rule_run`` minus its once-a-day
    state, whose durable transaction cannot nest in an example's)."""
    for query in rules.reminders(today):
        bulk_notify(query, now=timezone.now())
    rules.recycle(today=today)


def oracle(
    days: int, remind: int, follow_ups: set[int], horizon: int
) -> tuple[int | None, list[int]]:
    """Day by day from a claim at noon of day 0: the rules run at the start of each day,
    before its follow-ups. Returns the day of the return and the days of reminders."""
    last = 0
    reminded_for: set[int] = set()
    reminder_days = []
    for day in range(horizon):
        if remind and day > last + days - remind and last not in reminded_for:
            reminded_for.add(last)
            reminder_days.append(day)
        if day > last + days:
            return day, reminder_days
        if day in follow_ups:
            last = day
    return None, reminder_days


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(
    days=st.integers(1, 12),
    remind=st.integers(0, 11),
    follow_ups=st.sets(st.integers(0, 30), max_size=6),
)
def test_the_reminder_comes_remind_days_before_the_return(days, remind, follow_ups):
    remind = min(remind, days - 1)
    horizon = 32

    def body():
        owner = UserFactory(username="pool_owner2", role=Role.ACCOUNT_MANAGER)
        pool = make_pool()
        PoolRule.objects.create(pool=pool, kind="no_follow_up", days=days, remind_days=remind)
        customer = CustomerFactory(owner=owner)
        Customer.all_objects.filter(pk=customer.pk).update(created_at=_ago(400))
        PoolCustomer.objects.create(customer=customer, owner_since=_noon(TODAY))
        returned_on, reminded_on = None, []
        for day in range(horizon):
            today = TODAY + dt.timedelta(days=day)
            before = Notification.objects.filter(subject_id=str(customer.pk)).count()
            _run_rules(today)
            if Notification.objects.filter(subject_id=str(customer.pk)).count() > before:
                reminded_on.append(day)
            if PoolCustomer.objects.filter(customer=customer, pool=pool).exists():
                returned_on = day
                break
            if day in follow_ups:
                CommunicationFactory(customer=customer, occurred_at=_noon(today))
        want_return, want_reminders = oracle(days, remind, follow_ups, horizon)
        assert returned_on == want_return
        assert reminded_on == want_reminders
        if returned_on is not None and remind:
            assert reminded_on[-1] == returned_on - remind  # the reminder precedes the return

    _isolated(body)


def test_the_reminder_names_the_customer_and_the_pool_and_links_to_it(am_a):
    pool = make_pool(name="华东公海")
    PoolRule.objects.create(pool=pool, kind="no_follow_up", days=30, remind_days=3)
    customer = CustomerFactory(owner=am_a, name="沉睡公司")
    Customer.all_objects.filter(pk=customer.pk).update(created_at=_ago(28))
    reminders_run(today=TODAY, only=["sales_pool_reminders"], force=True)
    note = Notification.objects.get(recipient=am_a)
    assert note.title == "沉睡公司 将在 3 天内退回公海“华东公海”，请及时跟进"
    assert note.url == f"/customers/{customer.pk}/"
    reminders_run(today=TODAY + dt.timedelta(days=1), only=["sales_pool_reminders"], force=True)
    assert Notification.objects.filter(recipient=am_a).count() == 1  # once per stretch
