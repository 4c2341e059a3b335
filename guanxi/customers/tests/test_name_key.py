"""``Customer.name_key``: one key (``keys.stored_name_key``) kept on every path that writes a
name, filled for existing customers by the migration, and what the import matches names by."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from guanxi.core.models import AuditEntry
from guanxi.core.text.keys import NAME_KEY_LENGTH, stored_name_key
from guanxi.customers import services
from guanxi.customers.duplicates import scan
from guanxi.customers.duplicates.models import CustomerMerge
from guanxi.customers.duplicates.services import customer_merge, customer_merge_undo
from guanxi.customers.importers.matching import customer_keys, find_customer_matches
from guanxi.customers.models import Customer
from guanxi.customers.tests.duplicates.support import customer
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.imports.tests.support import counts, run_file, write_csv
from guanxi.imports.undo import import_undo

pytestmark = pytest.mark.django_db

fill = importlib.import_module("guanxi.customers.migrations.0007_fill_customer_name_key")


def _key(pk: int) -> str:
    return Customer.objects.values_list("name_key", flat=True).get(pk=pk)


# --- the key -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["華為技術有限公司", "华为技术 有限公司", "ＨＵＡＷＥＩ Co., Ltd.", "华"]
)
def test_stored_key_is_the_duplicate_scans_key(name):
    assert stored_name_key(name) == scan.name_key(name)


def test_stored_key_fits_the_column():
    assert len(stored_name_key("ß" * 200)) == NAME_KEY_LENGTH == 200


# --- services ----------------------------------------------------------------------------


def test_create_stores_the_key_and_leaves_it_out_of_the_audit(am_a):
    created = services.customer_create(actor=am_a, data={"name": "華為技術有限公司"})

    assert _key(created.pk) == "华为技术"
    entry = AuditEntry.objects.get(object_id=str(created.pk), action="create")
    assert "name_key" not in entry.changes


def test_renaming_updates_the_key_and_audits_only_the_name(am_a):
    created = services.customer_create(actor=am_a, data={"name": "甲方科技有限公司"})

    services.customer_update(
        actor=am_a, customer_id=created.pk, data={"name": "乙方贸易"}, version=1
    )

    assert _key(created.pk) == "乙方贸易"
    entry = AuditEntry.objects.get(object_id=str(created.pk), action="update")
    assert entry.changes == {"name": ["甲方科技有限公司", "乙方贸易"]}


def test_search_key_rebuild_fills_a_missing_or_stale_key(am_a):
    missing = CustomerFactory(owner=am_a, name="华为技术有限公司", name_key="")
    stale = CustomerFactory(owner=am_a, name="乙方贸易", name_key="甲方科技")

    result = services.customer_rebuild_search_keys()

    assert result == {"customers": 2, "changed": 2}
    assert (_key(missing.pk), _key(stale.pk)) == ("华为技术", "乙方贸易")


# --- merge -------------------------------------------------------------------------------


def _merge(actor, survivor, merged, **fields):
    return customer_merge(
        actor=actor,
        survivor_id=survivor.pk,
        merged_id=merged.pk,
        survivor_version=survivor.version,
        merged_version=merged.version,
        fields=fields or None,
    )


def test_merge_gives_the_survivor_the_key_of_the_name_it_keeps_and_undo_restores_both(am_a):
    survivor = customer(am_a, "甲方科技有限公司")
    merged = customer(am_a, "乙方贸易")

    record = _merge(am_a, survivor, merged, name=merged.pk)
    assert _key(survivor.pk) == "乙方贸易"

    customer_merge_undo(actor=am_a, merge_id=record.pk)
    assert (_key(survivor.pk), _key(merged.pk)) == ("甲方科技", "乙方贸易")


def test_undo_of_a_merge_recorded_before_the_column_computes_the_keys(am_a):
    survivor = customer(am_a, "甲方科技有限公司")
    merged = customer(am_a, "乙方贸易")
    record = _merge(am_a, survivor, merged, name=merged.pk)
    for snapshot in (record.merged_snapshot, record.survivor_before):
        del snapshot["name_key"]
    CustomerMerge.objects.filter(pk=record.pk).update(
        merged_snapshot=record.merged_snapshot, survivor_before=record.survivor_before
    )

    customer_merge_undo(actor=am_a, merge_id=record.pk)

    assert (_key(survivor.pk), _key(merged.pk)) == ("甲方科技", "乙方贸易")


# --- import ------------------------------------------------------------------------------


def test_import_stores_the_key_of_every_kind_of_customer(tmp_path, admin_user):
    path = write_csv(
        tmp_path / "c.csv",
        [["客户名称", "类型"], ["華為技術有限公司", "企业"], ["張三", "个人"]],
    )

    run = run_file(path, actor=admin_user)

    assert counts(run) == (2, 0, 0, 0)
    assert dict(Customer.objects.values_list("name", "name_key")) == {
        "華為技術有限公司": "华为技术",
        "張三": "张三",
    }


def test_import_matches_traditional_and_inner_space_spellings_of_a_stored_name(
    tmp_path, admin_user
):
    existing = CustomerFactory(name="华为技术", owner=admin_user)
    path = write_csv(
        tmp_path / "c.csv",
        [["客户名称", "城市"], ["華為技術有限公司", "深圳"], ["华为技术 有限公司", "深圳"]],
    )

    run = run_file(path, actor=admin_user, on_duplicate="skip")

    assert counts(run) == (0, 0, 2, 0)
    assert list(Customer.objects.values_list("pk", flat=True)) == [existing.pk]


def test_import_update_of_a_spelling_match_keeps_one_customer_with_its_key(tmp_path, admin_user):
    CustomerFactory(name="华为技术", owner=admin_user, city="")
    path = write_csv(
        tmp_path / "c.csv",
        [["客户名称", "城市"], ["華為技術有限公司", "深圳"], ["华为技术 有限公司", "深圳"]],
    )

    run = run_file(path, actor=admin_user)

    assert (run.created_count, run.failed_count) == (0, 0)
    updated = Customer.objects.get()
    assert (updated.city, updated.name_key) == ("深圳", "华为技术")


def test_an_individual_row_is_not_matched_by_name(tmp_path, admin_user):
    CustomerFactory(name="张三", owner=admin_user, kind="individual")
    path = write_csv(tmp_path / "c.csv", [["客户名称", "类型"], ["张三", "个人"]])

    run = run_file(path, actor=admin_user, on_duplicate="skip")

    assert counts(run) == (1, 0, 0, 0)


def test_import_rename_by_a_phone_match_updates_the_key_and_undo_restores_it(tmp_path, admin_user):
    existing = customer(admin_user, "甲方科技有限公司", phone="13900001111")
    path = write_csv(
        tmp_path / "c.csv", [["客户名称", "手机"], ["乙方贸易有限公司", "13900001111"]]
    )

    run = run_file(path, actor=admin_user)

    assert counts(run) == (0, 1, 0, 0)
    assert _key(existing.pk) == "乙方贸易"
    import_undo(run_id=run.pk, actor=admin_user)
    assert _key(existing.pk) == "甲方科技"


def test_a_later_row_renaming_a_new_customer_gives_it_the_new_key(tmp_path, admin_user):
    path = write_csv(
        tmp_path / "c.csv",
        [["客户名称", "手机"], ["丙方科技", "13900002222"], ["丁方科技有限公司", "13900002222"]],
    )

    run = run_file(path, actor=admin_user)

    assert counts(run) == (1, 1, 0, 0)
    assert list(Customer.objects.values_list("name", "name_key")) == [
        ("丁方科技有限公司", "丁方科技")
    ]


def test_names_are_matched_with_one_query_on_the_key(admin_user, django_assert_num_queries):
    hw = CustomerFactory(name="华为技术有限公司", owner=admin_user)
    CustomerFactory(name="华", owner=admin_user)  # no key: never matched by name
    rows = [customer_keys(name=n) for n in ["華為技術", "华为技术 有限公司", "华", "中兴通讯"]]

    with django_assert_num_queries(1):
        matches = find_customer_matches(rows)

    assert {i: (m.customer_id, m.by) for i, m in matches.items()} == {
        0: (hw.pk, "name"),
        1: (hw.pk, "name"),
    }


# --- the migration that fills the column -------------------------------------------------


def test_migration_fills_the_keys_of_existing_customers(am_a, monkeypatch):
    monkeypatch.setattr(fill, "BATCH", 2)  # several batches from a handful of rows
    names = ["華為技術有限公司", "华为技术 有限公司", "乙方贸易", "张三", "华"]
    ids = [CustomerFactory(owner=am_a, name=n, name_key="").pk for n in names]
    Customer.objects.filter(pk=ids[2]).update(name_key="stale")

    fill.fill_name_keys(apps, connection.schema_editor())

    keys = dict(Customer.objects.values_list("pk", "name_key"))
    assert [keys[pk] for pk in ids] == ["华为技术", "华为技术", "乙方贸易", "张三", ""]


# --- the demo and bench data -------------------------------------------------------------


def test_bench_generator_fills_every_column_including_the_key():
    from bench.generate import check_columns

    check_columns()  # raises SystemExit when a column is not generated


def test_bench_generator_writes_the_key_of_each_name():
    from bench.common import Scale
    from bench.generate import CUSTOMER_COLS, Generator, PhoneKeys, Plan

    class Loader:
        tz = "+00:00"

        def __init__(self):
            self.written = []

        def write(self, table, columns, rows):
            if table == "customers_customer":
                self.written.extend(dict(zip(columns, row, strict=True)) for row in rows)
            return len(rows)

    scale = Scale("tiny", 20, 30, 10, 20, 10, 5, 5, 5)
    plan = Plan(scale, {"account_managers": [(1, 1), (2, 1)], "managers": [(3, 1)]})
    loader = Loader()

    Generator(scale, loader).customers(plan, PhoneKeys())

    assert len(loader.written) == 20 and set(loader.written[0]) == set(CUSTOMER_COLS)
    assert all(row["name_key"] == stored_name_key(row["name"]) for row in loader.written)


def test_dedup_bench_copies_carry_the_key_of_their_name(am_a):
    from bench.dedup_bench import plant

    for name in ["华为技术有限公司", "重庆银行股份有限公司", "阿里巴巴", "中兴通讯"]:
        customer(am_a, name, phone="13800138000", email="info@example.com")
    last = Customer.objects.order_by("-pk").values_list("pk", flat=True).first()

    pairs = plant(last)

    copies = Customer.objects.filter(pk__in=[copy for _orig, copy, _variant in pairs])
    assert copies.count() == 4
    assert all(c.name_key == stored_name_key(c.name) for c in copies)
