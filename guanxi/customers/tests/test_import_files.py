"""Every encoding, delimiter and format the import reads, messy values, and the mapping
suggestion from Chinese and English headers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest

from guanxi.customers.importing.mapping import suggest_mapping
from guanxi.customers.models import Communication, Contact, Customer, ImportRowError, Order
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory, ProductFactory
from guanxi.customers.tests.import_support import counts, csv_bytes, run_file, write_csv

pytestmark = pytest.mark.django_db

ROWS = [
    ["客户名称", "城市", "客户类型", "客户起始日期", "邮箱"],
    ["上海华信科技有限公司", "上海", "企业", "2024/3/5", "a@example.com"],
    ["龘靐齉科技有限公司", "北京", "政府机构", "2024年3月5日", ""],
]


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_each_csv_encoding_is_detected(tmp_path, admin_user, encoding, expected):
    rows = ROWS if encoding != "gbk" else [r[:] for r in ROWS[:2]]
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes(rows, encoding=encoding))

    run = run_file(path, actor=admin_user)

    assert run.encoding == expected
    assert counts(run) == (len(rows) - 1, 0, 0, 0)
    assert Customer.objects.filter(name="上海华信科技有限公司", since=dt.date(2024, 3, 5)).exists()


def test_encoding_can_be_overridden(tmp_path, admin_user):
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes(ROWS[:2], encoding="gbk"))

    run = run_file(path, actor=admin_user, encoding="gbk")

    assert run.encoding == "gb18030"
    assert Customer.objects.get().city == "上海"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_detected(tmp_path, admin_user, delimiter):
    path = write_csv(tmp_path / "c.csv", ROWS, delimiter=delimiter)

    run = run_file(path, actor=admin_user)

    assert run.delimiter == delimiter
    assert counts(run) == (2, 0, 0, 0)


def _xlsx(path, sheets):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_xlsx_first_sheet_with_typed_cells(tmp_path, admin_user):
    path = _xlsx(
        tmp_path / "c.xlsx",
        {
            "客户": [
                ["客户名称", "客户起始日期", "手机", "备注"],
                ["华为技术有限公司", dt.date(2024, 3, 5), 13800138000, "=1+1"],
                ["中兴通讯股份有限公司", 45356, "＋86 139 0000 1111", None],
            ],
            "其他": [["x"], ["y"]],
        },
    )

    run = run_file(path, actor=admin_user)

    assert (run.file_format, run.sheet) == ("xlsx", "客户")
    assert counts(run) == (2, 0, 0, 0)
    hw = Customer.objects.get(name="华为技术有限公司")
    # openpyxl saves "=1+1" as a formula without a cached value: never evaluated, so empty
    assert (hw.since, hw.phone_key, hw.notes) == (dt.date(2024, 3, 5), "13800138000", "")
    zte = Customer.objects.get(name="中兴通讯股份有限公司")
    assert (zte.since, zte.phone_key) == (dt.date(2024, 3, 5), "13900001111")


def test_xlsx_chosen_sheet(tmp_path, admin_user):
    path = _xlsx(
        tmp_path / "c.xlsx",
        {"说明": [["说明"], ["请看第二页"]], "名单": [["公司名称"], ["甲公司"]]},
    )

    run = run_file(path, actor=admin_user, sheet="名单")

    assert run.sheet == "名单"
    assert list(Customer.objects.values_list("name", flat=True)) == ["甲公司"]


def test_fullwidth_spaces_and_choice_synonyms(tmp_path, admin_user):
    path = write_csv(
        tmp_path / "c.csv",
        [
            ["Company Name", "Type", "Status", "Mobile", "E-mail"],
            [
                "  ＡＢＣ　 Trading  Co.  ",
                "bank",
                "Active",
                "１３８-００１３-８０００",
                "ＡＢＣ＠ＱＱ．ＣＯＭ",
            ],
            ["某某投资基金", "基金", "合作中", "", ""],
            ["某市政府办公室", "政府", "休眠", "", ""],
            ["张三", "个人", "潜在客户", "", ""],
        ],
    )

    run = run_file(path, actor=admin_user)

    assert counts(run) == (4, 0, 0, 0)
    abc = Customer.objects.get(email="abc@qq.com")
    assert (abc.name, abc.kind, abc.status, abc.phone_key) == (
        "ABC Trading Co.",
        "investor",
        "active",
        "13800138000",
    )
    kinds = dict(Customer.objects.values_list("name", "kind"))
    assert kinds["某某投资基金"] == "investor"
    assert kinds["某市政府办公室"] == "government"
    assert kinds["张三"] == "individual"


def test_unknown_choice_names_the_allowed_values(tmp_path, admin_user):
    path = write_csv(tmp_path / "c.csv", [["客户名称", "客户类型"], ["甲", "外星"]])

    run_file(path, actor=admin_user)

    from guanxi.customers.importing.messages import row_message

    error = ImportRowError.objects.get()
    assert row_message(error.code, error.params) == (
        "“外星”不是可选值。可选值：企业、政府机构、资金提供方、项目发起方、个人。"
    )


def test_mapping_suggestions_from_chinese_and_english_headers():
    headers = [
        "公司名称",
        "联系电话",
        "邮箱",
        "省份",
        "城市",
        "客户经理",
        "Industry",
        "备注（选填）",
        "随便一列",
    ]
    assert suggest_mapping("customers", headers) == [
        "name",
        "phone",
        "email",
        "province",
        "city",
        "owner",
        "industry",
        "notes",
        "",
    ]
    assert suggest_mapping("contacts", ["客户名称", "联系人", "手机", "座机", "职位"]) == [
        "customer",
        "name",
        "mobile",
        "phone",
        "title",
    ]


def test_owner_column_matches_username_or_display_name(tmp_path, admin_user, am_a):
    path = write_csv(
        tmp_path / "c.csv",
        [
            ["客户名称", "客户经理"],
            ["甲公司", "am_a"],
            ["乙公司", am_a.display_name],
            ["丙公司", "无此人"],
        ],
    )

    run = run_file(path, actor=admin_user)

    assert counts(run) == (2, 0, 0, 1)
    assert set(Customer.objects.values_list("owner_id", flat=True)) == {am_a.pk}
    assert ImportRowError.objects.get().code == "user_not_found"


# --- contacts, orders, communications ---------------------------------------------------


def test_contacts_are_matched_to_their_customer_by_name_or_phone(tmp_path, admin_user):
    hw = CustomerFactory(
        name="华为技术有限公司", owner=admin_user, phone="0755-28780808", phone_key="075528780808"
    )
    ContactFactory(customer=hw, name="李娜", mobile="13800000001", mobile_key="13800000001")
    path = write_csv(
        tmp_path / "c.csv",
        [
            ["客户名称", "客户电话", "姓名", "手机", "职务", "生日"],
            ["华为技术", "", "张伟", "13800000002", "采购经理", "1980-05-06"],
            ["", "0755 2878 0808", "王芳", "", "", ""],
            ["华为技术有限公司", "", "李娜", "138 0000 0001", "总监", ""],
            ["不存在的公司", "", "赵六", "", "", ""],
        ],
    )

    run = run_file(path, "contacts", actor=admin_user)

    assert counts(run) == (2, 1, 0, 1)
    assert sorted(Contact.objects.filter(customer=hw).values_list("name", "title")) == [
        ("张伟", "采购经理"),
        ("李娜", "总监"),
        ("王芳", ""),
    ]
    assert ImportRowError.objects.get().code == "customer_not_found"


def test_orders_group_lines_by_number_across_chunks(tmp_path, admin_user):
    customer = CustomerFactory(name="甲方科技有限公司", owner=admin_user)
    product = ProductFactory(code="P-1", name="标准服务", unit_price=Decimal("100.00"))
    path = write_csv(
        tmp_path / "o.csv",
        [
            ["订单号", "客户名称", "下单日期", "产品编码", "产品名称", "数量", "单价", "金额"],
            ["SO-1", "甲方科技", "2024/3/5", "P-1", "", "2", "", ""],
            ["SO-1", "甲方科技", "2024/3/5", "", "安装", "1", "¥1,200.50", ""],
            ["SO-1", "甲方科技", "2024/3/5", "", "培训", "", "", "￥300"],
            ["SO-2", "甲方科技", "2024年4月1日", "", "咨询", "1", "1万", ""],
            ["SO-3", "甲方科技", "2024-02-30", "", "坏日期", "1", "1", ""],
        ],
    )

    run = run_file(path, "orders", actor=admin_user, chunk_rows=2)

    assert counts(run) == (4, 0, 0, 1)
    so1 = Order.objects.get(number="SO-1")
    assert so1.customer == customer
    assert so1.total == Decimal("1700.50")
    assert sorted(so1.lines.values_list("description", "amount")) == [
        ("培训", Decimal("300.00")),
        ("安装", Decimal("1200.50")),
        ("标准服务", Decimal("200.00")),
    ]
    assert so1.lines.get(description="标准服务").product == product
    assert Order.objects.get(number="SO-2").total == Decimal("10000.00")
    assert not Order.objects.filter(number="SO-3").exists()

    again = run_file(path, "orders", actor=admin_user)
    assert counts(again) == (0, 0, 5, 0)
    assert Order.objects.get(number="SO-1").lines.count() == 3


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
