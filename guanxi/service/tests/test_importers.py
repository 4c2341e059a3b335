"""The historic tickets import kind: customers matched by the importer's matcher, status,
dates, category, priority and channel read in Chinese, bad dates named by column,
duplicates recognised, undo that keeps worked tickets, the permission to import."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.imports import registry
from guanxi.imports.models import ImportRowError
from guanxi.imports.services import can_import
from guanxi.imports.tests.support import counts, run_file, write_csv
from guanxi.imports.undo import import_undo
from guanxi.service.models import Ticket, TicketMessage
from guanxi.service.services import tickets as services
from guanxi.service.tests.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
HEADER = ["客户名称", "工单标题", "受理时间", "处理状态", "工单类型", "紧急程度", "受理渠道",
          "完成时间", "结案时间", "客服", "问题详情"]  # fmt: skip


@pytest.fixture
def customers(am_a):
    return (
        CustomerFactory(name="蓝海科技有限公司", owner=am_a),
        CustomerFactory(name="星河贸易有限公司", owner=am_a),
    )


def _rows(agent):
    return [
        HEADER,
        ["蓝海科技有限公司", "打印机卡纸", "2025-03-01 09:30", "已结案", "报修", "一般", "电话",
         "2025-03-02 10:00", "2025-03-05 18:00", agent.username, "三楼打印机卡纸"],
        ["星河贸易", "发票抬头错误", "2025/04/10 14:00", "已解决", "咨询", "紧急", "邮件",
         "2025/04/10 16:00", "", "", ""],
        ["蓝海科技有限公司", "送货延迟", "2025-05-01 08:00", "", "客诉", "高", "微信",
         "", "2025-05-03 12:00", "", "延迟三天"],
        ["蓝海科技有限公司", "网络经常中断", "2025-06-01 08:00", "处理中", "故障", "", "",
         "", "", agent.username, ""],
        ["不存在的公司", "无主工单", "2025-06-01 08:00", "已关闭", "", "", "", "", "", "", ""],
        ["蓝海科技有限公司", "时间倒流", "2025-06-02 08:00", "已解决", "", "", "",
         "2025-06-01 08:00", "", "", ""],
        ["蓝海科技有限公司", "未结却有结案时间", "2025-06-02 08:00", "处理中", "", "", "",
         "", "2025-06-03 08:00", "", ""],
    ]  # fmt: skip


def test_the_kind_is_registered():
    kind = registry.kind("tickets")
    assert kind.models == (TicketMessage, Ticket)
    assert {"customer", "subject", "created_at", "status", "category", "priority"} <= set(
        kind.spec.by_name
    )


def test_historic_tickets_keep_their_status_dates_and_classification(
    tmp_path, customers, agent, admin_user
):
    blue, star = customers
    run = run_file(write_csv(tmp_path / "t.csv", _rows(agent)), "tickets", actor=admin_user)
    assert counts(run) == (4, 0, 0, 3)
    closed, resolved, inferred, live = Ticket.objects.order_by("id")
    assert (closed.customer, closed.status, closed.category, closed.priority, closed.channel) == (
        blue,
        "closed",
        "repair",
        "normal",
        "phone",
    )
    assert closed.created_at == dt.datetime(2025, 3, 1, 9, 30, tzinfo=SH)
    assert closed.resolved_at == dt.datetime(2025, 3, 2, 10, 0, tzinfo=SH)
    assert closed.closed_at == dt.datetime(2025, 3, 5, 18, 0, tzinfo=SH)
    assert (closed.assignee, closed.sla_policy, closed.resolution_due) == (agent, None, None)
    assert closed.messages.get().body == "三楼打印机卡纸"
    # the customer by a shorter name (the matcher), "紧急" and "邮件" read
    assert (resolved.customer, resolved.status, resolved.priority, resolved.channel) == (
        star,
        "resolved",
        "urgent",
        "email",
    )
    assert resolved.closed_at is None and not resolved.messages.exists()
    # no status column value: closed because it has a closing time; resolved = closed
    assert (inferred.status, inferred.category, inferred.channel) == (
        "closed",
        "complaint",
        "wechat",
    )
    assert inferred.resolved_at == inferred.closed_at == dt.datetime(2025, 5, 3, 12, tzinfo=SH)
    assert (live.status, live.category, live.resolved_at) == ("open", "repair", None)
    assert AuditEntry.objects.filter(model="service.ticket", action="create").count() == 4
    entries = TimelineEntry.objects.filter(kind="ticket", customer=blue).order_by("occurred_at")
    assert entries[0].occurred_at == closed.created_at
    errors = {e.row: (e.column, e.code) for e in ImportRowError.objects.filter(run=run)}
    assert errors == {
        6: ("客户名称", "customer_not_found"),
        7: ("完成时间", "ticket_resolved_at_invalid"),
        8: ("结案时间", "ticket_closed_at_invalid"),
    }


def test_an_open_historic_ticket_gets_its_sla_clocks_from_the_import(
    tmp_path, customers, agent, admin_user
):
    SlaPolicyFactory(first_response_minutes=60, resolution_minutes=480)
    rows = [HEADER, ["蓝海科技有限公司", "网络经常中断", "2025-06-01 08:00", "处理中", "", "", "",
                     "", "", "", ""]]  # fmt: skip
    run_file(write_csv(tmp_path / "t.csv", rows), "tickets", actor=admin_user)
    ticket = Ticket.objects.get()
    assert ticket.sla_policy is not None and ticket.resolution_target == 480 * 60
    assert ticket.clock_started_at > dt.datetime(2025, 7, 1, tzinfo=SH)  # now, not June
    assert ticket.resolution_due > ticket.clock_started_at
    assert ticket.first_responded_at is not None  # answered in the old system


def test_importing_the_same_tickets_again_creates_no_duplicate(
    tmp_path, customers, agent, admin_user
):
    rows = _rows(agent)
    run_file(write_csv(tmp_path / "a.csv", rows), "tickets", actor=admin_user)
    # The same rows in another export of the old system, with one ticket more.
    more = [*rows, ["星河贸易", "新的一张", "2025-07-01 08:00", "已关闭", "", "", "", "", "", "",
                    ""]]  # fmt: skip
    again = run_file(write_csv(tmp_path / "b.csv", more), "tickets", actor=admin_user,
                     on_duplicate="skip")  # fmt: skip
    assert counts(again) == (1, 0, 4, 3)
    assert Ticket.objects.count() == 5


def test_update_mode_fixes_a_classification_but_never_reopens(
    tmp_path, customers, agent, admin_user
):
    run_file(write_csv(tmp_path / "a.csv", _rows(agent)[:3]), "tickets", actor=admin_user)
    fixed = [HEADER,
             ["蓝海科技有限公司", "打印机卡纸", "2025-03-01 09:30", "已结案", "投诉", "高", "电话",
              "2025-03-02 10:00", "2025-03-05 18:00", "", ""],
             ["星河贸易", "发票抬头错误", "2025/04/10 14:00", "处理中", "", "", "", "", "", "",
              ""]]  # fmt: skip
    run = run_file(write_csv(tmp_path / "b.csv", fixed), "tickets", actor=admin_user,
                   on_duplicate="update")  # fmt: skip
    assert counts(run) == (0, 1, 0, 1)
    first, second = Ticket.objects.order_by("id")
    assert (first.category, first.priority, first.version) == ("complaint", "high", 2)
    assert (second.status, second.version) == ("resolved", 1)
    error = ImportRowError.objects.get(run=run)
    assert (error.column, error.code) == ("处理状态", "ticket_status_change")


def test_undo_removes_the_imported_tickets_but_keeps_one_worked_on(
    tmp_path, customers, agent, admin_user
):
    run = run_file(write_csv(tmp_path / "t.csv", _rows(agent)), "tickets", actor=admin_user)
    live = Ticket.objects.get(subject="网络经常中断")
    services.ticket_reply(actor=agent, ticket_id=live.pk, body="内部备注", internal=True)
    import_undo(run_id=run.pk, actor=admin_user)
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["网络经常中断"]
    assert list(TicketMessage.objects.values_list("body", flat=True)) == ["内部备注"]
    assert AuditEntry.objects.filter(model="service.ticket", action="delete").count() == 3


def test_who_may_import_tickets(agent, am_a, admin_user, portal_user):
    assert can_import(admin_user, "tickets") and can_import(agent, "tickets")
    assert can_import(am_a, "tickets")  # their own customers (rows of others fail)
    assert not can_import(portal_user, "tickets")


def test_an_account_manager_cannot_import_onto_another_teams_customer(tmp_path, am_a, am_b):
    CustomerFactory(name="别人的客户", owner=am_b)
    rows = [HEADER, ["别人的客户", "x", "2025-01-01", "已关闭", "", "", "", "", "", "", ""]]
    run = run_file(write_csv(tmp_path / "t.csv", rows), "tickets", actor=am_a)
    assert counts(run) == (0, 0, 0, 1) and not Ticket.objects.exists()
    assert ImportRowError.objects.get(run=run).code == "customer_not_found"
