"""The set-based sweep (``DueQuery``: one ``INSERT … SELECT`` per set): titles in each
recipient's language, channels from preferences, deliveries, dedupe across runs, and a
query count that does not grow with the rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F, Value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.models import Communication
from guanxi.customers.tests.factories import CommunicationFactory, CustomerFactory
from guanxi.notifications.models import Delivery, Notification, Preference, Robot
from guanxi.notifications.registry import Channel, Due, DueQuery, Rule
from guanxi.notifications.reminders import reminders_run, rule_run
from guanxi.notifications.selectors import inbox
from guanxi.notifications.tests.conftest import TEST_KIND

pytestmark = pytest.mark.django_db

WED = dt.date(2026, 12, 2)  # an ordinary working Wednesday


def _follow_up(owner, day, **kw):
    customer = CustomerFactory(owner=owner, name=kw.pop("name", "杭州云栖科技"))
    return CommunicationFactory(customer=customer, next_follow_up=day, **kw)


def test_titles_are_in_each_recipients_language(am_a, am_a2):
    am_a2.language = "en"
    am_a2.save(update_fields=["language"])
    _follow_up(am_a, WED, name="甲公司")
    _follow_up(am_a2, WED, name="乙公司")
    reminders_run(today=WED, only=["followups"])
    titles = dict(Notification.objects.values_list("recipient_id", "title"))
    assert titles == {
        am_a.pk: "跟进提醒：甲公司（2026-12-02）",
        am_a2.pk: "Follow-up: 乙公司 (2026-12-02)",
    }


def test_a_placeholder_in_a_customer_name_stays_literal(am_a):
    _follow_up(am_a, WED, name="%(date)s 公司")
    reminders_run(today=WED, only=["followups"])
    assert Notification.objects.get().title == "跟进提醒：%(date)s 公司（2026-12-02）"


def test_channels_follow_preferences_and_email_goes_out_once(am_a, am_a2, team_a):
    """am_a has an e-mail address (follow-ups: in-app + e-mail by default); am_a2 switched
    the in-app channel off (a row out of the inbox, still e-mailed); a third switched both
    off (no row at all); an inactive owner gets nothing. am_a also chose the IM channel and
    the team has a robot."""
    am_a.email = "am_a@example.cn"
    am_a.save(update_fields=["email"])
    am_a2.email = "am_a2@example.cn"
    am_a2.save(update_fields=["email"])
    Preference.objects.create(user=am_a2, kind="followup_due", channel=Channel.INAPP, enabled=False)
    silent = UserFactory(username="silent", team=team_a)
    for channel in (Channel.INAPP, Channel.EMAIL):
        Preference.objects.create(user=silent, kind="followup_due", channel=channel, enabled=False)
    Robot.objects.create(
        team=team_a, name="华东群", provider="wecom", webhook_url="https://qyapi.weixin.qq.com/x"
    )
    Preference.objects.create(user=am_a, kind="followup_due", channel=Channel.IM, enabled=True)
    gone = UserFactory(username="gone", team=team_a, is_active=False)
    for owner in (am_a, am_a2, silent, gone):
        _follow_up(owner, WED, summary=f"{owner.username} 回访")
    reminders_run(today=WED, only=["followups"])
    rows = {n.recipient_id: n for n in Notification.objects.all()}
    assert set(rows) == {am_a.pk, am_a2.pk}
    assert rows[am_a.pk].in_inbox is True
    assert rows[am_a2.pk].in_inbox is False
    assert rows[am_a.pk].body == "am_a 回访"
    assert rows[am_a.pk].dedupe_key.startswith("followup:")
    deliveries = sorted(
        Delivery.objects.values_list("notification__recipient_id", "channel", "status")
    )
    assert deliveries == [
        (am_a.pk, "email", "pending"),
        (am_a.pk, "im", "pending"),
        (am_a2.pk, "email", "pending"),
    ]
    reminders_run(today=WED, only=["followups"], force=True)
    assert Notification.objects.count() == 2
    assert Delivery.objects.count() == 3


def test_the_sweep_query_count_does_not_grow_with_the_rows(am_a, django_assert_num_queries):
    def run(n, day):
        for i in range(n):
            _follow_up(am_a, day, name=f"客户{day}{i}")
        with django_assert_num_queries(SWEEP_QUERIES):
            (result,) = reminders_run(today=day, only=["followups"])
        assert result.created == n

    reminders_run(today=WED - dt.timedelta(days=1), only=["followups"])  # the rule's state
    run(1, WED)
    run(40, WED + dt.timedelta(days=1))


# the rule's state, savepoint, lock, claim; per set (due, overdue): the recipients'
# languages and the INSERT … SELECT; for the rows written, preferences, users and teams'
# robots (am_a has no e-mail address: no delivery rows); the counts; release
SWEEP_QUERIES = 13


def test_a_rule_may_mix_single_reminders_and_sets(test_kind, am_a, am_a2):
    def dues(today):
        yield Due(TEST_KIND, [am_a.pk], "单条", dedupe_key="single")
        yield DueQuery(
            kind=TEST_KIND,
            rows=Communication.objects.filter(customer__owner=am_a2),
            recipient=F("customer__owner_id"),
            title="集合：%(customer)s",
            params={"customer": F("customer__name")},
            dedupe_key=Value("set"),
        )
        yield Due(TEST_KIND, [am_a2.pk], "再一条", dedupe_key="single-2")

    _follow_up(am_a2, WED, name="丙公司")
    result = rule_run(rule=Rule("mixed", "混合", dues), today=WED)
    assert (result.ran, result.created) == (True, 3)
    assert sorted(Notification.objects.values_list("title", flat=True)) == sorted(
        ["单条", "集合：丙公司", "再一条"]
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    offsets=st.lists(st.integers(min_value=-70, max_value=5), min_size=1, max_size=8),
    runs=st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=4),
)
def test_follow_ups_are_reminded_once_per_key_whatever_the_runs(am_a, offsets, runs):
    """Any follow-up dates, the sweep run on any days (forced, in any order): each follow-up
    gets at most one due and one overdue reminder, and only those the calendar allows."""
    Notification.objects.all().delete()
    Communication.objects.all().delete()
    base = dt.date(2026, 11, 2)
    fus = [_follow_up(am_a, base + dt.timedelta(days=o)) for o in offsets]
    for r in runs:
        reminders_run(today=base + dt.timedelta(days=r), only=["followups"], force=True)
    keys = list(Notification.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys))
    ids = {str(f.pk) for f in fus}
    for subject, kind in Notification.objects.values_list("subject_id", "kind"):
        assert subject in ids
        assert kind in ("followup_due", "followup_overdue")
    after_once = Notification.objects.count()
    for r in runs:
        reminders_run(today=base + dt.timedelta(days=r), only=["followups"], force=True)
    assert Notification.objects.count() == after_once


def test_the_big_rules_write_sets_not_rows():
    """Follow-ups, birthdays and dormant customers go through ``INSERT … SELECT`` (no
    reminder row is built in Python): their rules yield :class:`DueQuery` sets."""
    from guanxi.notifications.registry import get_rule

    for key in ("followups", "birthdays", "dormant_customers"):
        dues = list(get_rule(key).run(WED))
        assert dues, key
        assert all(isinstance(d, DueQuery) for d in dues), key


def test_the_inbox_is_newest_first_by_time_then_id(test_kind, am_a):
    """Ordered by (created_at, id), the order the inbox indexes hold: a row written later
    but dated earlier (a backfilled reminder) sorts by its date, not its id."""
    from django.utils import timezone

    now = timezone.now()
    newer = Notification.objects.create(recipient=am_a, kind=TEST_KIND, title="新", created_at=now)
    older = Notification.objects.create(
        recipient=am_a, kind=TEST_KIND, title="旧", created_at=now - dt.timedelta(hours=1)
    )
    same = Notification.objects.create(recipient=am_a, kind=TEST_KIND, title="同", created_at=now)
    assert [n.pk for n in inbox(actor=am_a)] == [same.pk, newer.pk, older.pk]
    assert [n.pk for n in inbox(actor=am_a, unread=True)] == [same.pk, newer.pk, older.pk]
