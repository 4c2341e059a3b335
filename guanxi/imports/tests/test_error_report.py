"""The error report carries each rejected row whole, and the corrected report imports
again (issue 10, item 21); a 地区 column fills province and city."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.utils import translation

from guanxi.customers.models import Customer
from guanxi.imports import registry
from guanxi.imports.mapping import suggest_mapping
from guanxi.imports.models import ImportRowError
from guanxi.imports.report import report_csv, report_xlsx, whole_row_headers
from guanxi.imports.tests.support import counts, run_file, write_csv

pytestmark = pytest.mark.django_db

HEADER = ["客户名称", "地区", "手机", "邮箱", "行业"]
ROWS = [
    ["杭州西湖茶业有限公司", "浙江 杭州", "13800138000", "tea@xihu.cn", "农业"],
    ["宁波东海渔业有限公司", "浙江省宁波市", "+86 123", "sea@dh.cn", "渔业"],  # bad phone
    ["温州瓯江鞋业有限公司", "浙江/温州", "13900139000", "not-an-email", "=SUM(A1)"],
    ["台州海门塑料有限公司", "火星 奥林匹斯", "13700137000", "", "制造"],  # no such region
]


def _report(run) -> list[list[str]]:
    text = b"".join(report_csv(run)).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_region_column_fills_province_and_city_whatever_its_separator(tmp_path, admin_user):
    path = write_csv(
        tmp_path / "c.csv",
        [
            ["客户名称", "地区"],
            ["甲公司", "浙江 杭州"],
            ["乙公司", "浙江省杭州市"],
            ["丙公司", "浙江/杭州"],
            ["丁公司", "浙江省杭州市西湖区"],
        ],
    )

    run = run_file(path, actor=admin_user)

    assert counts(run) == (4, 0, 0, 0)
    regions = dict(Customer.objects.values_list("name", "province"))
    cities = dict(Customer.objects.values_list("name", "city"))
    assert len(set(regions.values())) == 1 and "浙江" in regions["甲公司"]
    assert len(set(cities.values())) == 1 and "杭州" in cities["甲公司"]
    assert Customer.objects.get(name="丁公司").district.startswith("西湖")


def test_the_report_holds_every_original_column_of_each_rejected_row(tmp_path, admin_user):
    run = run_file(write_csv(tmp_path / "c.csv", [HEADER, *ROWS]), actor=admin_user)
    assert counts(run) == (1, 0, 0, 3)

    report = _report(run)

    assert report[0] == [*HEADER, "未导入原因", "原文件行号"]
    assert [r[:5] for r in report[1:]] == [
        ["宁波东海渔业有限公司", "浙江省宁波市", "'+86 123", "sea@dh.cn", "渔业"],
        ["温州瓯江鞋业有限公司", "浙江/温州", "13900139000", "not-an-email", "'=SUM(A1)"],
        ["台州海门塑料有限公司", "火星 奥林匹斯", "13700137000", "", "制造"],
    ]
    assert [r[6] for r in report[1:]] == ["3", "4", "5"]
    assert report[1][5].startswith("手机：") and report[2][5].startswith("邮箱：")
    assert "火星 奥林匹斯" in report[3][5]
    book = openpyxl.load_workbook(_xlsx(run, tmp_path))
    sheet = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert sheet[0] == report[0]
    assert [r[:5] for r in sheet[1:]] == [[c or None for c in r[:5]] for r in report[1:]]


def _xlsx(run, tmp_path):
    path = tmp_path / "report.xlsx"
    report_xlsx(run, str(path))
    return path


def test_the_corrected_report_imports_again(tmp_path, admin_user):
    run = run_file(write_csv(tmp_path / "c.csv", [HEADER, *ROWS]), actor=admin_user)
    report = _report(run)
    fixed = [report[0]]
    corrections = {
        "3": (2, "+86 138 0013 1234"),
        "4": (3, "shoes@oujiang.cn"),
        "5": (1, "浙江 台州"),
    }
    for row in report[1:]:
        column, value = corrections[row[6]]
        row = list(row)
        row[column] = value
        fixed.append(row)

    again = run_file(write_csv(tmp_path / "fixed.csv", fixed), actor=admin_user)

    assert counts(again) == (3, 0, 0, 0)
    sea = Customer.objects.get(name="宁波东海渔业有限公司")
    assert (sea.phone_key, sea.industry) == ("13800131234", "渔业")
    assert "宁波" in sea.city
    shoes = Customer.objects.get(name="温州瓯江鞋业有限公司")
    assert (shoes.email, shoes.industry) == ("shoes@oujiang.cn", "=SUM(A1)")
    assert "台州" in Customer.objects.get(name="台州海门塑料有限公司").city
    assert not ImportRowError.objects.filter(run=again).exists()
    assert set(Customer.objects.values_list("notes", flat=True)) == {""}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("kind", ["customers", "contacts", "orders", "communications"])
def test_the_reports_own_columns_are_never_mapped(kind, language, admin_user, tmp_path):
    run = run_file(write_csv(tmp_path / "c.csv", [HEADER, *ROWS]), actor=admin_user)
    with translation.override(language):
        extra = whole_row_headers(run)[-2:]
    assert registry.kind(kind)
    assert suggest_mapping(kind, extra) == ["", ""]
