"""Importing customers: cleaning, duplicates (existing and earlier rows), rejected rows."""

from __future__ import annotations

import datetime as dt

import pytest

from guanxi.core.models import AuditEntry
from guanxi.customers.models import Customer, TimelineEntry
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.imports.models import ImportRowError
from guanxi.imports.tests.support import counts, run_file, write_csv

pytestmark = pytest.mark.django_db

HEADER = ["客户名称", "类型", "省份", "城市", "手机", "邮箱", "客户起始日期", "状态", "标签"]


def test_customers_are_created_with_clean_values_audit_and_timeline(tmp_path, admin_user):
    path = write_csv(
        tmp_path / "c.csv",
        [
            HEADER,
            [
                "  华为技术有限公司 ",
                "企业",
                "广东",
                "深圳",
                "１３８ ００１３ ８０００",
                "HW@Huawei.COM",
                "2024年3月5日",
                "活跃",
                "重点客户、VIP",
            ],
            ["北京市财政局", "政府", "北京", "北京", "010-6552 1234", "", "45356", "潜在", ""],
        ],
    )

    run = run_file(path, actor=admin_user)

    assert counts(run) == (2, 0, 0, 0)
    hw = Customer.objects.get(name="华为技术有限公司")
    assert (hw.kind, hw.phone_key, hw.email, hw.since, hw.status) == (
        "enterprise",
        "13800138000",
        "hw@huawei.com",
        dt.date(2024, 3, 5),
        "active",
    )
    assert hw.name_initials == "hwjsyxgs"
    assert sorted(hw.tags.values_list("name", flat=True)) == ["VIP", "重点客户"]
    assert hw.owner_id == admin_user.pk
    gov = Customer.objects.get(name="北京市财政局")
    assert (gov.kind, gov.phone_key, gov.since) == (
        "government",
        "01065521234",
        dt.date(2024, 3, 5),
    )
    created = AuditEntry.objects.filter(
        model="customers.customer", action="create", source="import"
    )
    assert created.count() == 2
    entry = created.get(object_id=str(hw.pk))
    assert entry.changes["name"] == [None, "华为技术有限公司"]
    assert entry.actor_label == "admin1"
    assert TimelineEntry.objects.filter(customer=hw, kind="customer").count() == 1


def test_invalid_rows_are_rejected_whole_and_reported(tmp_path, admin_user):
    path = write_csv(
        tmp_path / "c.csv",
        [
            HEADER,
            ["", "企业", "", "", "", "", "", "", ""],
            ["甲公司", "企业", "", "", "", "", "2024-02-30", "", ""],
            ["乙公司", "企业", "", "", "", "not-an-email", "", "", ""],
            ["丙公司", "企业", "", "", "12345", "", "", "", ""],
            ["丁公司", "外星人", "", "", "", "", "", "", ""],
            ["戊公司", "企业", "", "", "", "", "", "", ""],
        ],
    )

    run = run_file(path, actor=admin_user)

    assert counts(run) == (1, 0, 0, 5)
    assert list(Customer.objects.values_list("name", flat=True)) == ["戊公司"]
    errors = list(ImportRowError.objects.order_by("row").values_list("row", "column", "code"))
    assert errors == [
        (2, "客户名称", "required"),
        (3, "客户起始日期", "invalid_date"),
        (4, "邮箱", "invalid_email"),
        (5, "手机", "invalid_phone"),
        (6, "类型", "invalid_choice"),
    ]


def test_duplicates_of_existing_customers_and_earlier_rows_are_updated(tmp_path, admin_user):
    existing = CustomerFactory(name="华为技术有限公司", owner=admin_user, city="")
    path = write_csv(
        tmp_path / "c.csv",
        [
            ["公司名称", "城市", "联系电话"],
            ["华为技术", "深圳", ""],
            ["阿里巴巴（中国）有限公司", "杭州", "13900001111"],
            ["阿里巴巴", "", "139-0000-1111"],
        ],
    )

    run = run_file(path, actor=admin_user)

    existing.refresh_from_db()
    assert (existing.name, existing.city, existing.version) == ("华为技术有限公司", "深圳", 2)
    assert counts(run) == (1, 1, 1, 0)
    alibaba = Customer.objects.exclude(pk=existing.pk).get()
    assert (alibaba.name, alibaba.city) == ("阿里巴巴（中国）有限公司", "杭州")


@pytest.mark.parametrize(("mode", "expected"), [("skip", (0, 0, 1, 0)), ("create", (1, 0, 0, 0))])
def test_on_duplicate_skip_and_create(tmp_path, admin_user, mode, expected):
    CustomerFactory(name="华为技术有限公司", owner=admin_user)
    path = write_csv(tmp_path / "c.csv", [["客户名称", "城市"], ["华为技术有限公司", "深圳"]])

    run = run_file(path, actor=admin_user, on_duplicate=mode)

    assert counts(run) == expected


def test_timeline_titles_of_an_import_follow_the_readers_language(tmp_path, admin_user):
    """The importer works in Chinese; a reader in English sees the entries in English."""
    from django.utils import translation

    from guanxi.customers.timeline import display_title

    CustomerFactory(name="华为技术有限公司", status="prospect")
    path = write_csv(
        tmp_path / "c.csv",
        [HEADER, ["深圳腾讯科技有限公司", "企业", "", "", "", "", "", "", ""],
         ["华为技术有限公司", "企业", "", "", "", "", "", "活跃", ""]],
    )  # fmt: skip
    with translation.override("zh-hans"):
        run = run_file(path, actor=admin_user)
    assert counts(run)[:2] == (1, 1)
    created = TimelineEntry.objects.get(customer__name="深圳腾讯科技有限公司", kind="customer")
    changed = TimelineEntry.objects.get(customer__name="华为技术有限公司", kind="change")
    assert created.title == "导入客户 深圳腾讯科技有限公司"  # as stored, for search/export
    with translation.override("en"):
        assert display_title(created) == "Imported customer 深圳腾讯科技有限公司"
        assert display_title(changed) == "Import changed Status"
    with translation.override("zh-hans"):
        assert display_title(changed) == "导入修改了 状态"


def test_a_row_matched_by_another_spelling_of_the_name_keeps_the_stored_name(tmp_path):
    """華為技術有限公司 (traditional) is 华为技术有限公司: matched, and not renamed to it."""
    customer = CustomerFactory(name="华为技术有限公司", kind="enterprise", status="prospect")
    path = write_csv(
        tmp_path / "c.csv",
        [HEADER, ["華為技術有限公司", "企业", "", "", "", "", "", "活跃", ""]],
    )
    run = run_file(path, on_duplicate="update")
    assert counts(run) == (0, 1, 0, 0)
    customer.refresh_from_db()
    assert (customer.name, customer.status) == ("华为技术有限公司", "active")
