"""The leads import kind and the leads export: CSV and XLSX files, the assignment rules on
imported leads, the duplicate check (existing leads: update / skip / marked; existing
customers: marked), bad rows reported with their column, the dry run, undo."""

from __future__ import annotations

import openpyxl
import pytest

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.core.models import AuditEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.imports import exporting, registry
from guanxi.imports.messages import row_message
from guanxi.imports.models import ImportRowError
from guanxi.imports.pipeline import import_dry_run
from guanxi.imports.services import import_local_file
from guanxi.imports.tests.support import counts, run_file, write_csv
from guanxi.imports.tests.test_exporting import _csv_rows
from guanxi.imports.undo import import_undo
from guanxi.sales.models import AssignmentRule, Lead, LeadSource, LeadStatus

pytestmark = pytest.mark.django_db

HEADER = ["联系人", "公司名称", "手机", "邮箱", "省份", "备注"]


@pytest.fixture
def team_and_rule():
    team = TeamFactory(name="华东销售部")
    manager = UserFactory(role="manager", team=team)
    sellers = [UserFactory(role="account_manager", team=team) for _i in range(2)]
    AssignmentRule.objects.create(name="轮流", method="round_robin", team=team)
    return manager, sellers


def test_the_kind_and_the_export_are_registered():
    kind = registry.kind("leads")
    assert kind.models == (Lead,)
    assert {"name", "company", "phone", "email", "owner"} <= set(kind.spec.by_name)
    assert registry.export_list("leads").list_url == "sales:leads"


def test_csv_leads_are_assigned_in_turn_audited_and_bad_rows_name_their_column(
    tmp_path, team_and_rule
):
    manager, sellers = team_and_rule
    path = write_csv(
        tmp_path / "leads.csv",
        [
            HEADER,
            ["张伟", "蓝海科技有限公司", "13800138001", "zw@lanhai.cn", "上海", "要报价"],
            ["李娜", "星河贸易", "13800138002", "", "江苏", ""],
            ["王芳", "远山物流", "13800138003", "", "浙江", ""],
            ["", "无名公司", "13800138004", "", "", ""],
            ["赵强", "坏号码公司", "12", "", "", ""],
            ["钱多", "坏邮箱公司", "", "not-an-email", "", ""],
        ],
    )

    run = run_file(path, "leads", actor=manager)

    assert counts(run) == (3, 0, 0, 3)
    leads = list(Lead.objects.order_by("id"))
    assert [lead.name for lead in leads] == ["张伟", "李娜", "王芳"]
    # the rule's team in id order (its manager sells too), in turn
    assert [lead.owner_id for lead in leads] == [manager.pk, sellers[0].pk, sellers[1].pk]
    assert all(lead.team_id == manager.team_id for lead in leads)
    assert {lead.source for lead in leads} == {LeadSource.IMPORT}
    assert {lead.status for lead in leads} == {LeadStatus.NEW}
    assert leads[0].phone_key and leads[0].company_key and leads[0].email == "zw@lanhai.cn"
    assert AssignmentRule.objects.get().last_assigned_id == sellers[1].pk
    assert AuditEntry.objects.filter(model="sales.lead", action="create").count() == 3
    errors = {e.row: e for e in ImportRowError.objects.filter(run=run)}
    assert (errors[5].column, errors[5].code) == ("联系人", "required")
    assert errors[6].column == "手机"
    assert errors[7].column == "邮箱"


def test_xlsx_rows_marked_as_duplicates_of_customers_and_leads(tmp_path, team_and_rule):
    manager, sellers = team_and_rule
    CustomerFactory(name="蓝海科技有限公司", owner=sellers[0], team=manager.team)
    Lead.objects.create(name="老线索", company="星河贸易", company_key="星河贸易",
                        source="manual", owner=sellers[1], team=manager.team)  # fmt: skip
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "公司", "电话", "负责人", "状态"])
    sheet.append(["张伟", "蓝海科技", "13800138001", sellers[1].username, "跟进中"])
    sheet.append(["李娜", "星河贸易", "13800138002", "", ""])
    sheet.append(["王芳", "远山物流", "13800138003", "", "已转化"])
    sheet.append(["王芳", "远山物流", "13800138003", "nobody-here", ""])
    path = tmp_path / "leads.xlsx"
    book.save(path)

    run = run_file(path, "leads", actor=manager, on_duplicate="create")

    assert counts(run) == (2, 0, 0, 2)
    zhang = Lead.objects.get(name="张伟")
    assert zhang.owner_id == sellers[1].pk and zhang.status == LeadStatus.WORKING
    assert zhang.duplicate_note == "疑似已有客户：蓝海科技有限公司"
    assert Lead.objects.get(name="李娜").duplicate_note == "与已有线索重复"
    by_row = {e.row: e for e in ImportRowError.objects.filter(run=run)}
    assert by_row[4].column == "状态"
    assert row_message(by_row[4].code, by_row[4].params) == "导入的线索不能是“已转化”状态。"
    assert (by_row[5].column, by_row[5].code) == ("负责人", "user_not_found")


def test_update_mode_updates_the_existing_lead_and_undo_restores_it(tmp_path, team_and_rule):
    manager, sellers = team_and_rule
    old = Lead.objects.create(name="张伟", phone="13800138001", phone_key="13800138001",
                              source="manual", region="上海", owner=sellers[0],
                              team=manager.team)  # fmt: skip
    path = write_csv(
        tmp_path / "leads.csv",
        [
            HEADER,
            ["张伟", "", "13800138001", "", "江苏", "新需求"],
            ["李娜", "星河", "", "", "", ""],
        ],
    )

    run = run_file(path, "leads", actor=manager)

    assert counts(run) == (1, 1, 0, 0)
    old.refresh_from_db()
    assert (old.region, old.message, old.version) == ("江苏", "新需求", 2)
    skipped = run_file(path, "leads", actor=manager, on_duplicate="skip")
    assert counts(skipped) == (0, 0, 2, 0)

    result = import_undo(run_id=run.pk, actor=manager)

    assert result
    old.refresh_from_db()
    assert (old.region, old.message) == ("上海", "")
    assert not Lead.objects.filter(name="李娜").exists()


def test_a_dry_run_writes_nothing_and_moves_no_turn(tmp_path, team_and_rule):
    manager, _sellers = team_and_rule
    path = write_csv(tmp_path / "leads.csv", [HEADER, ["张伟", "蓝海", "", "", "", ""]])
    run, _resumed = import_local_file(actor=manager, kind="leads", path=str(path))

    preview = import_dry_run(run=run, actor=manager, limit=None)

    assert preview.counts["created"] == 1
    assert not Lead.objects.exists()
    assert AssignmentRule.objects.get().last_assigned_id is None


def test_a_seller_cannot_import_leads_for_another_department(tmp_path, team_and_rule):
    _manager, sellers = team_and_rule
    stranger = UserFactory(role="account_manager", team=TeamFactory(name="华南销售部"))
    path = write_csv(tmp_path / "leads.csv", [["姓名", "负责人"], ["张伟", stranger.username]])

    run = run_file(path, "leads", actor=sellers[0])

    assert counts(run) == (0, 0, 0, 1)
    assert not Lead.objects.exists()


def test_the_leads_export_is_scoped_to_the_reader(team_and_rule):
    manager, sellers = team_and_rule
    other = UserFactory(role="manager", team=TeamFactory(name="华南销售部"))
    Lead.objects.create(name="我的", company="甲", source="manual", owner=sellers[0],
                        team=manager.team)  # fmt: skip
    Lead.objects.create(name="别人的", source="manual", owner=sellers[1], team=manager.team)

    theirs = _csv_rows(exporting.export_stream(actor=other, kind="leads", fmt="csv",
                                               params={}))  # fmt: skip
    everyone = _csv_rows(exporting.export_stream(actor=manager, kind="leads", fmt="csv",
                                                 params={}))  # fmt: skip

    assert theirs[0][:3] == ["姓名", "公司", "电话"]
    assert theirs[1:] == []  # another department's manager sees none of them
    assert sorted(r[0] for r in everyone[1:]) == ["别人的", "我的"]
