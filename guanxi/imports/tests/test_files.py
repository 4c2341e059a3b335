"""Every encoding, delimiter and format the import reads, messy values, and the mapping
suggestion from Chinese and English headers (with the customers kind as the example)."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from guanxi.customers.models import Customer
from guanxi.imports.mapping import suggest_mapping
from guanxi.imports.models import ImportRowError
from guanxi.imports.tests.support import counts, csv_bytes, run_file, write_csv

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

    from guanxi.imports.messages import row_message

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
