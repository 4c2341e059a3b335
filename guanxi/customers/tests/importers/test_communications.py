"""Importing communications: channel words, contacts of the customer, follow-ups; who
may import them."""

from __future__ import annotations

import datetime as dt

import pytest

from guanxi.customers.models import Communication
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.imports.models import ImportRowError
from guanxi.imports.services import can_import
from guanxi.imports.tests.support import counts, run_file, write_csv

pytestmark = pytest.mark.django_db


def test_communications_with_channel_synonyms_and_follow_ups(tmp_path, admin_user):
    customer = CustomerFactory(name="甲方科技有限公司", owner=admin_user)
    ContactFactory(customer=customer, name="张伟")
    path = write_csv(
        tmp_path / "m.csv",
        [
            ["客户名称", "联系人", "沟通方式", "时间", "内容", "下次跟进日期"],
            ["甲方科技有限公司", "张伟", "微信", "2024-03-05 14:30", "询价", "2024/3/12"],
            ["甲方科技有限公司", "", "上门", "2024年3月6日", "拜访", ""],
            ["甲方科技有限公司", "不认识", "电话", "2024-03-07", "x", ""],
            ["甲方科技有限公司", "", "飞鸽传书", "2024-03-07", "x", ""],
        ],
    )

    run = run_file(path, "communications", actor=admin_user)

    assert counts(run) == (2, 0, 0, 2)
    wechat = Communication.objects.get(channel="wechat")
    assert wechat.contact.name == "张伟"
    assert wechat.next_follow_up == dt.date(2024, 3, 12)
    assert wechat.occurred_at == dt.datetime(2024, 3, 5, 6, 30, tzinfo=dt.UTC)
    assert wechat.staff == admin_user
    assert sorted(ImportRowError.objects.values_list("code", flat=True)) == [
        "contact_not_found",
        "invalid_choice",
    ]


def test_service_agents_may_import_communications_only(agent, am_a, portal_user):
    assert can_import(agent, "communications")
    assert not can_import(agent, "customers")
    assert not can_import(agent, "contacts")
    assert can_import(am_a, "communications") and can_import(am_a, "customers")
    assert not can_import(portal_user, "communications")
