"""The orders import kind and the order lines export: lines grouped by order number across
chunks (and across a resume), an existing order never changed, undo, and the list."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
)
from guanxi.imports import exporting
from guanxi.imports.models import ImportRowError, ImportStatus
from guanxi.imports.pipeline import import_execute
from guanxi.imports.services import import_local_file
from guanxi.imports.tests.support import counts, run_file, write_csv
from guanxi.imports.tests.test_exporting import _csv_rows
from guanxi.imports.undo import import_undo
from guanxi.orders.importers import OrderWriter
from guanxi.orders.models import Order

pytestmark = pytest.mark.django_db

HEADER = ["订单号", "客户名称", "下单日期", "产品名称", "数量", "单价"]


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


def test_an_order_spanning_chunks_is_completed_after_a_resume(tmp_path, admin_user, monkeypatch):
    """The lines of an order that a resumed run reads after its checkpoint go to the order
    the run created before it stopped (the writer reloads the run's orders)."""
    CustomerFactory(name="甲方科技有限公司", owner=admin_user)
    path = write_csv(
        tmp_path / "o.csv",
        [
            HEADER,
            ["SO-1", "甲方科技", "2024-03-05", "安装", "1", "100"],
            ["SO-1", "甲方科技", "2024-03-05", "培训", "1", "50"],
            ["SO-1", "甲方科技", "2024-03-05", "维护", "2", "25"],
            ["SO-2", "甲方科技", "2024-03-06", "咨询", "1", "10"],
        ],
    )
    real, calls = OrderWriter.write, []

    def write(self, rows):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(self, rows)

    monkeypatch.setattr(OrderWriter, "write", write)
    run, _resumed = import_local_file(actor=admin_user, kind="orders", path=str(path))
    with pytest.raises(RuntimeError):
        import_execute(run=run, actor=admin_user, chunk_rows=2)
    monkeypatch.setattr(OrderWriter, "write", real)
    assert Order.objects.get().total == Decimal("150.00")

    again, resumed = import_local_file(actor=admin_user, kind="orders", path=str(path))
    done = import_execute(run=again, actor=admin_user, chunk_rows=2)

    assert resumed and done.pk == run.pk and done.status == ImportStatus.FINISHED
    so1 = Order.objects.get(number="SO-1")
    assert (so1.total, so1.lines.count()) == (Decimal("200.00"), 3)
    assert Order.objects.get(number="SO-2").total == Decimal("10.00")


def test_an_existing_order_number_is_an_error_when_creating(tmp_path, admin_user):
    customer = CustomerFactory(name="甲方科技有限公司", owner=admin_user)
    OrderFactory(customer=customer, number="SO-1")
    path = write_csv(
        tmp_path / "o.csv", [HEADER, ["SO-1", "甲方科技", "2024-03-05", "x", "1", "1"]]
    )

    run = run_file(path, "orders", actor=admin_user, on_duplicate="create")

    assert counts(run) == (0, 0, 0, 1)
    error = ImportRowError.objects.get()
    from guanxi.imports.messages import row_message

    assert row_message(error.code, error.params) == "订单号“SO-1”已存在。"


def test_undo_removes_the_orders_and_keeps_their_customer(tmp_path, admin_user):
    customer = CustomerFactory(name="甲方科技有限公司", owner=admin_user)
    path = write_csv(
        tmp_path / "o.csv", [HEADER, ["SO-1", "甲方科技", "2024-03-05", "x", "1", "1"]]
    )
    run = run_file(path, "orders", actor=admin_user)

    result = import_undo(run_id=run.pk, actor=admin_user)

    assert result == {"removed": 1, "restored": 0, "kept": 0}
    assert not Order.objects.exists()
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_undo_of_a_customer_import_keeps_customers_that_have_orders_since(tmp_path, admin_user):
    path = write_csv(tmp_path / "c.csv", [["客户名称"], ["甲方"], ["乙方"]])
    run = run_file(path, actor=admin_user)
    OrderFactory(customer=Customer.objects.get(name="甲方"), number="SO-9")

    result = import_undo(run_id=run.pk, actor=admin_user)

    assert result == {"removed": 1, "restored": 0, "kept": 1}
    assert list(Customer.objects.values_list("name", flat=True)) == ["甲方"]


def test_order_lines_export_one_row_per_line(admin_user):
    customer = CustomerFactory(name="甲方", owner=admin_user)
    order = OrderFactory(customer=customer, number="SO-9")
    OrderLineFactory(order=order, description="服务")
    OrderLineFactory(order=order, description="培训")

    rows = _csv_rows(exporting.export_stream(actor=admin_user, kind="orders", fmt="csv", params={}))

    assert rows[0][:2] == ["订单号", "客户名称"]
    assert sorted(r[5] for r in rows[1:]) == ["培训", "服务"]
    assert {r[0] for r in rows[1:]} == {"SO-9"}


def test_every_line_of_an_order_of_an_unknown_customer_is_rejected_naming_it(tmp_path, admin_user):
    path = write_csv(
        tmp_path / "o.csv",
        [
            HEADER,
            ["SO-1", "不存在的公司", "2024-03-05", "安装", "1", "100"],
            ["SO-1", "不存在的公司", "2024-03-05", "培训", "1", "50"],
        ],
    )

    run = run_file(path, "orders", actor=admin_user)

    assert counts(run) == (0, 0, 0, 2)
    from guanxi.imports.messages import row_message

    messages = [row_message(e.code, e.params) for e in ImportRowError.objects.order_by("row")]
    assert messages == ["找不到客户“不存在的公司”。"] * 2


def test_a_file_of_order_totals_without_products_imports_one_line_orders(tmp_path, admin_user):
    customer = CustomerFactory(name="甲方科技有限公司", owner=admin_user)
    path = write_csv(
        tmp_path / "old.csv",
        [
            ["订单号", "客户名称", "下单日期", "订单金额"],
            ["XS-2019-001", "甲方科技", "2019-03-05", "12,800.00"],
            ["XS-2019-002", "甲方科技有限公司", "2019/6/1", "¥3,000"],
            ["XS-2019-003", "甲方科技", "2019-07-01", ""],
        ],
    )

    run = run_file(path, "orders", actor=admin_user)

    assert counts(run) == (2, 0, 0, 1)
    first = Order.objects.get(number="XS-2019-001")
    assert (first.customer, first.total) == (customer, Decimal("12800.00"))
    assert list(first.lines.values_list("description", "quantity", "unit_price", "amount")) == [
        ("订单 XS-2019-001", Decimal("1.00"), Decimal("12800.00"), Decimal("12800.00"))
    ]
    assert Order.objects.get(number="XS-2019-002").total == Decimal("3000.00")
    error = ImportRowError.objects.get(run=run)
    assert (error.row, error.code) == (4, "line_needs_price")


def test_a_file_with_a_product_column_still_needs_a_product_on_each_line(tmp_path, admin_user):
    CustomerFactory(name="甲方科技有限公司", owner=admin_user)
    path = write_csv(
        tmp_path / "o.csv",
        [
            ["订单号", "客户名称", "下单日期", "产品名称", "金额"],
            ["SO-9", "甲方科技", "2024-1-2", "", "5"],
        ],
    )

    run = run_file(path, "orders", actor=admin_user)

    assert counts(run) == (0, 0, 0, 1)
    assert ImportRowError.objects.get(run=run).code == "line_needs_description"
