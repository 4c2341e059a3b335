"""The rule runner: once a day across workers, idempotent, all-or-nothing; and the rules
the customers and analytics apps register (follow-ups, birthdays, dormant customers)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from guanxi.customers.tests.factories import CommunicationFactory, ContactFactory, CustomerFactory
from guanxi.notifications import registry
from guanxi.notifications.models import Notification, RuleState
from guanxi.notifications.registry import Due, Rule
from guanxi.notifications.reminders import reminders_run, rule_run
from guanxi.notifications.tests.conftest import TEST_KIND

pytestmark = pytest.mark.django_db

WED = dt.date(2026, 12, 2)  # an ordinary working Wednesday
FRI = dt.date(2026, 12, 4)


def _rule(dues, key="test_rule"):
    return Rule(key, "测试规则", lambda today: iter(dues(today)))


def test_a_rule_runs_once_a_day_and_a_forced_rerun_notifies_nobody_twice(test_kind, am_a):
    calls = []

    def dues(today):
        calls.append(today)
        return [Due(TEST_KIND, [am_a.pk], "t", dedupe_key=f"k:{today}")]

    rule = _rule(dues)
    first = rule_run(rule=rule, today=WED)
    assert (first.ran, first.due, first.created) == (True, 1, 1)
    again = rule_run(rule=rule, today=WED)
    assert (again.ran, again.reason) == (False, "done")
    forced = rule_run(rule=rule, today=WED, force=True)
    assert (forced.ran, forced.due, forced.created) == (True, 1, 0)
    assert len(calls) == 2
    assert Notification.objects.count() == 1
    state = RuleState.objects.get(key="test_rule")
    assert (state.last_day, state.last_due, state.last_created) == (WED, 1, 0)
    nxt = rule_run(rule=rule, today=WED + dt.timedelta(days=1))
    assert (nxt.ran, nxt.created) == (True, 1)


def test_a_failing_rule_rolls_back_and_runs_again_next_sweep(test_kind, am_a):
    def dues(today):
        yield Due(TEST_KIND, [am_a.pk], "t", dedupe_key="a")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        rule_run(rule=_rule(dues), today=WED)
    assert not Notification.objects.exists()
    assert RuleState.objects.get(key="test_rule").last_day is None


def test_rules_run_in_order_and_the_digest_comes_last():
    keys = [r.key for r in registry.rules()]
    assert keys.index("followups") < keys.index("digest")
    assert keys.index("dormant_customers") < keys.index("digest")
    assert keys[-1] == "digest"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_run_a_rule_once(test_kind, am_a):
    """Two threads (two database sessions) sweep at the same moment: one runs the rule,
    the other skips it ("busy" while it is locked, or "done" after)."""
    started = threading.Event()
    release = threading.Event()

    def dues(today):
        started.set()
        release.wait(10)
        return [Due(TEST_KIND, [am_a.pk], "t", dedupe_key="once")]

    rule = _rule(dues, key="race_rule")
    results = []

    def worker():
        try:
            results.append(rule_run(rule=rule, today=WED))
        finally:
            connections.close_all()

    first = threading.Thread(target=worker)
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=worker)
    second.start()
    second.join(10)
    release.set()
    first.join(10)
    assert sorted((r.ran, r.reason) for r in results) == [(False, "busy"), (True, "")]
    assert Notification.objects.filter(dedupe_key="once").count() == 1


# --- follow-ups ---------------------------------------------------------------------------


def _follow_up(owner, day, **kw):
    customer = CustomerFactory(owner=owner, name=kw.pop("name", "杭州云栖科技"))
    return CommunicationFactory(customer=customer, next_follow_up=day, **kw)


def test_follow_up_due_today_is_reminded_to_the_staff_or_else_the_owner(am_a, am_a2):
    mine = _follow_up(am_a, WED, name="甲公司")
    theirs = _follow_up(am_a, WED, name="乙公司", staff=am_a2)
    _follow_up(am_a, WED + dt.timedelta(days=1), name="明天公司")
    _follow_up(am_a, WED, name="已完成公司", follow_up_done=True)
    reminders_run(today=WED, only=["followups"])
    got = sorted(Notification.objects.values_list("recipient_id", "kind", "subject_id", "url"))
    assert got == sorted(
        [
            (am_a.pk, "followup_due", str(mine.pk), f"/customers/{mine.customer_id}/"),
            (am_a2.pk, "followup_due", str(theirs.pk), f"/customers/{theirs.customer_id}/"),
        ]
    )
    title = Notification.objects.get(recipient=am_a).title
    assert title == "跟进提醒：甲公司（2026-12-02）"


def test_friday_announces_the_weekend_and_saturday_announces_nothing(am_a):
    sat = _follow_up(am_a, FRI + dt.timedelta(days=1), name="周六公司")
    sun = _follow_up(am_a, FRI + dt.timedelta(days=2), name="周日公司")
    _follow_up(am_a, FRI + dt.timedelta(days=3), name="周一公司")
    reminders_run(today=FRI, only=["followups"])
    assert set(Notification.objects.values_list("subject_id", flat=True)) == {
        str(sat.pk),
        str(sun.pk),
    }
    reminders_run(today=FRI + dt.timedelta(days=1), only=["followups"])
    assert Notification.objects.count() == 2


def test_the_last_day_before_national_day_announces_the_whole_holiday_week(am_a):
    """2026: 10月1日至7日放假, 9月30日 (Wed) the last working day before it."""
    in_holiday = _follow_up(am_a, dt.date(2026, 10, 5), name="假期中公司")
    after = _follow_up(am_a, dt.date(2026, 10, 8), name="节后公司")
    reminders_run(today=dt.date(2026, 9, 29), only=["followups"])
    assert not Notification.objects.exists()
    reminders_run(today=dt.date(2026, 9, 30), only=["followups"])
    assert list(Notification.objects.values_list("subject_id", flat=True)) == [str(in_holiday.pk)]
    reminders_run(today=dt.date(2026, 10, 8), only=["followups"])
    assert set(Notification.objects.values_list("subject_id", flat=True)) == {
        str(in_holiday.pk),
        str(after.pk),
    }


def test_overdue_counts_working_days_across_the_holiday_week(am_a):
    """Due 9月30日 and still open: 2 working days late on 10月9日, not before (the
    holiday days 10月1日–7日 do not count)."""
    fu = _follow_up(am_a, dt.date(2026, 9, 30), name="逾期公司")
    for day in (dt.date(2026, 10, 6), dt.date(2026, 10, 8)):
        reminders_run(today=day, only=["followups"], force=True)
    assert not Notification.objects.filter(kind="followup_overdue").exists()
    reminders_run(today=dt.date(2026, 10, 9), only=["followups"])
    row = Notification.objects.get(kind="followup_overdue")
    assert row.subject_id == str(fu.pk)
    assert row.title == "跟进已逾期：逾期公司（2026-09-30）"
    reminders_run(today=dt.date(2026, 10, 12), only=["followups"])
    assert Notification.objects.filter(kind="followup_overdue").count() == 1


def test_a_follow_up_moved_to_another_date_is_reminded_again(am_a):
    fu = _follow_up(am_a, WED)
    reminders_run(today=WED, only=["followups"])
    fu.next_follow_up = dt.date(2026, 12, 9)
    fu.save()
    reminders_run(today=dt.date(2026, 12, 9), only=["followups"])
    assert Notification.objects.filter(kind="followup_due").count() == 2


# --- birthdays and dormant customers ------------------------------------------------------


def test_birthdays_go_to_the_owner_once_a_year(am_a):
    customer = CustomerFactory(owner=am_a, name="生日客户")
    today_bd = ContactFactory(customer=customer, name="王芳", birthday=dt.date(1985, 12, 2))
    ContactFactory(customer=customer, name="李雷", birthday=dt.date(1990, 12, 3))
    reminders_run(today=WED, only=["birthdays"])
    row = Notification.objects.get()
    assert (row.recipient_id, row.kind, row.subject_id) == (am_a.pk, "birthday", str(today_bd.pk))
    assert row.title == "联系人生日：王芳（生日客户），12/2"
    reminders_run(today=WED, only=["birthdays"], force=True)
    assert Notification.objects.count() == 1


def test_a_29_february_birthday_is_announced_on_1_march_in_a_common_year(am_a):
    customer = CustomerFactory(owner=am_a)
    leap = ContactFactory(customer=customer, birthday=dt.date(1996, 2, 29))
    reminders_run(today=dt.date(2027, 3, 1), only=["birthdays"])  # a Monday
    assert list(Notification.objects.values_list("subject_id", flat=True)) == [str(leap.pk)]


def test_dormant_customers_are_announced_once_per_dormancy(am_a):
    from guanxi.analytics.models import CustomerValue

    customer = CustomerFactory(owner=am_a, name="沉睡客户")
    value = _value(CustomerValue, customer, dormant=True, last=dt.date(2025, 1, 10))
    CustomerValue.objects.create(**value)
    awake = CustomerFactory(owner=am_a, name="活跃客户")
    CustomerValue.objects.create(**_value(CustomerValue, awake, dormant=False, last=WED))
    reminders_run(today=WED, only=["dormant_customers"])
    row = Notification.objects.get()
    assert (row.kind, row.subject_id, row.dedupe_key) == (
        "dormant_customer",
        str(customer.pk),
        f"dormant:{customer.pk}:2025-01-10",
    )
    reminders_run(today=WED + dt.timedelta(days=1), only=["dormant_customers"])
    assert Notification.objects.count() == 1
    # bought again and fell asleep again: a new dormancy
    CustomerValue.objects.filter(pk=customer.pk).update(last_purchase=dt.date(2026, 3, 1))
    reminders_run(today=WED + dt.timedelta(days=2), only=["dormant_customers"])
    assert Notification.objects.count() == 2


def _value(model, customer, *, dormant, last):
    from django.utils import timezone

    return {
        "customer": customer,
        "orders": 1,
        "purchases": 1,
        "revenue": 100,
        "first_purchase": last,
        "last_purchase": last,
        "average_amount": 100,
        "customer_value": 100,
        "value_class": "silver",
        "rfm_r": 1,
        "rfm_f": 1,
        "rfm_m": 1,
        "rfm_fm": 1,
        "rfm_segment": "lost",
        "revenue_rank": 1,
        "dormant": dormant,
        "cost_to_serve": 0,
        "profit": 100,
        "cohort_month": 2025 * 12,
        "computed_at": timezone.now(),
    }


def test_the_digest_lists_yesterdays_unread_once(test_kind, am_a):
    from guanxi.notifications import services

    services.notify(recipients=[am_a], kind=TEST_KIND, title="第一条")
    services.notify(recipients=[am_a], kind=TEST_KIND, title="第二条")
    reminders_run(today=dt.date.today(), only=["digest"])
    digest = Notification.objects.get(kind="digest")
    assert digest.in_inbox is False
    assert digest.body.splitlines() == ["• 第二条", "• 第一条"]
    assert digest.title == "每日摘要：2 条未读通知"
    reminders_run(today=dt.date.today(), only=["digest"], force=True)
    assert Notification.objects.filter(kind="digest").count() == 1
