"""The "next step due" reminder rule (idempotent, working-day aware) and the "my
opportunities" card of "my day" (``sales.reminders``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.customers.tests.factories import CustomerFactory
from guanxi.notifications.models import Notification
from guanxi.notifications.registry import get_rule, my_day_sections
from guanxi.notifications.reminders import rule_run
from guanxi.sales import reminders
from guanxi.sales.tests.factories import OpportunityFactory, board

pytestmark = pytest.mark.django_db

WED = dt.date(2026, 12, 2)  # an ordinary working Wednesday
FRI = dt.date(2026, 12, 4)
SAT = dt.date(2026, 12, 5)


def _opp(owner, stage, **fields):
    return OpportunityFactory(customer=CustomerFactory(owner=owner), stage=stage, **fields)


def test_next_steps_due_remind_their_owners_once(am_a, am_b):
    _pipeline, stages = board()
    due = _opp(am_a, stages[0], name="ERP 项目", next_step="发送报价", next_step_due=WED)
    _opp(am_b, stages[0], next_step_due=WED + dt.timedelta(days=3))  # not yet
    _opp(am_b, stages[3], next_step_due=WED, status="won", closed_at=timezone.now(),
         position=None)  # closed: never  # fmt: skip
    rule = get_rule("sales_next_steps")
    first = rule_run(rule=rule, today=WED)
    assert (first.ran, first.created) == (True, 1)
    note = Notification.objects.get()
    assert note.recipient == am_a and note.kind == reminders.NEXT_STEP_DUE
    assert "ERP 项目" in note.title and "2026-12-02" in note.title
    assert note.body == "发送报价" and note.url == f"/sales/opportunities/{due.pk}/"
    again = rule_run(rule=rule, today=WED, force=True)
    assert (again.ran, again.created) == (True, 0)
    assert Notification.objects.count() == 1
    # a new due date is a new reminder
    due.next_step_due = WED + dt.timedelta(days=1)
    due.save()
    rule_run(rule=rule, today=WED + dt.timedelta(days=1))
    assert Notification.objects.count() == 2


def test_a_weekend_next_step_is_announced_on_friday(am_a):
    _pipeline, stages = board()
    _opp(am_a, stages[0], next_step_due=SAT)
    rule = get_rule("sales_next_steps")
    assert rule_run(rule=rule, today=FRI).created == 1
    assert rule_run(rule=rule, today=SAT).created == 0


def test_my_day_lists_my_urgent_opportunities_most_urgent_first(am_a, am_b):
    _pipeline, stages = board()
    today = WED
    overdue = _opp(
        am_a, stages[0], name="逾期", next_step="回电", next_step_due=today - dt.timedelta(days=2)
    )
    closing = _opp(am_a, stages[1], name="即将成交", expected_close=today + dt.timedelta(days=5))
    _opp(am_a, stages[1], name="还早", expected_close=today + dt.timedelta(days=40),
         next_step_due=today + dt.timedelta(days=3))  # fmt: skip
    _opp(am_b, stages[0], name="别人的", next_step_due=today)
    items = reminders.my_opportunities(am_a, today)
    assert [i.title for i in items] == ["逾期", "即将成交"]
    assert items[0].overdue and items[0].when == overdue.next_step_due and "回电" in items[0].note
    assert not items[1].overdue and items[1].when == closing.expected_close
    assert reminders.my_opportunities_count(am_a, today) == 2
    section = next(s for s in my_day_sections() if s.key == "sales_opportunities")
    assert section.visible(am_a)


def test_my_day_page_shows_the_card(client, am_a):
    _pipeline, stages = board()
    _opp(am_a, stages[0], name="今天要打电话", next_step="回电", next_step_due=timezone.localdate())
    client.force_login(am_a)
    html = client.get("/").content.decode()
    assert "我的商机：下一步到期与即将成交" in html and "今天要打电话" in html
