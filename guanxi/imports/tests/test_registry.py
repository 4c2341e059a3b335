"""A kind registered by anyone — here by the test, for products, which no app imports yet
— is imported, previewed, reported and undone by the engine without a change to it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guanxi.accounts import permissions
from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.tests.factories import CustomerFactory, OrderFactory, OrderLineFactory
from guanxi.imports import registry, services
from guanxi.imports.context import CREATE_ACTION, ChunkResult
from guanxi.imports.fields import AMOUNT, TEXT, FieldSpec, KindSpec
from guanxi.imports.messages import row_message
from guanxi.imports.models import ImportRowError, ImportStatus
from guanxi.imports.rows import CleanRow
from guanxi.imports.tests.support import csv_bytes
from guanxi.imports.undo import import_undo
from guanxi.imports.writers import Writer, write_audit
from guanxi.orders.models import Product

pytestmark = pytest.mark.django_db

PRODUCTS = KindSpec(
    "test_products",
    "产品",
    (
        FieldSpec("code", "编码", TEXT, required=True, max_length=40, aliases=("产品编码",)),
        FieldSpec("name", "名称", TEXT, required=True, max_length=200, aliases=("产品名称",)),
        FieldSpec("unit_price", "单价", AMOUNT, required=True, aliases=("单价",)),
    ),
)


class ProductWriter(Writer):
    def write(self, rows: list[CleanRow]) -> ChunkResult:
        result = ChunkResult()
        codes = [r.values["code"] for r in rows]
        taken = set(Product.objects.filter(code__in=codes).values_list("code", flat=True))
        new = []
        for r in rows:
            if r.values["code"] in taken:
                result.fail(r, self.col("code"), r.values["code"], "test_product_exists")
                continue
            new.append(Product(**{k: r.values[k] for k in ("code", "name", "unit_price")}))
            result.mark(r, "create")
        Product.objects.bulk_create(new)
        result.add_created("orders.product", [p.pk for p in new])
        write_audit(
            [
                self.ctx.audit_row(
                    action=CREATE_ACTION,
                    model="orders.product",
                    object_id=p.pk,
                    object_repr=str(p),
                    customer_id=None,
                    changes={"code": [None, p.code]},
                )
                for p in new
            ]
        )
        return result


@pytest.fixture
def products_kind():
    kind = registry.register_kind(
        registry.ImportKind(
            key="test_products",
            label="产品",
            spec=PRODUCTS,
            writer=ProductWriter,
            models=(Product,),
            may_import=permissions.can_manage_settings,
            messages={"test_product_exists": "产品“%(value)s”已存在。"},
        )
    )
    yield kind
    registry.unregister_kind(kind.key)


ROWS = [
    ["产品编码", "产品名称", "单价"],
    ["P-1", "标准服务", "¥1,200.50"],
    ["P-2", "培训", "300"],
    ["P-0", "已有产品", "1"],
    ["P-3", "", "5"],
]


def _upload(actor, rows=ROWS):
    data = csv_bytes(rows)
    return services.import_upload(
        actor=actor,
        kind="test_products",
        file=SimpleUploadedFile("products.csv", data),
        file_name="products.csv",
    )


def test_a_registered_kind_is_imported_through_the_services(
    products_kind, admin_user, django_capture_on_commit_callbacks
):
    Product.objects.create(code="P-0", name="已有产品", unit_price=Decimal("1"))
    run = _upload(admin_user)
    assert run.mapping == ["code", "name", "unit_price"]  # suggested from its aliases
    preview = services.import_preview(actor=admin_user, run_id=run.pk)
    assert preview.counts == {"created": 2, "updated": 0, "skipped": 0, "failed": 2}
    assert not Product.objects.filter(code="P-1").exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.import_start(actor=admin_user, run_id=run.pk)

    run.refresh_from_db()
    assert run.status == ImportStatus.FINISHED
    assert (run.created_count, run.failed_count) == (2, 2)
    assert Product.objects.get(code="P-1").unit_price == Decimal("1200.50")
    assert AuditEntry.objects.filter(model="orders.product", action="create").count() == 2
    messages = {
        e.code: row_message(e.code, e.params) for e in ImportRowError.objects.filter(run=run)
    }
    assert messages == {"test_product_exists": "产品“P-0”已存在。", "required": "此项必填。"}
    assert str(run) == "产品 · products.csv"


def test_undo_of_a_registered_kind_keeps_what_another_kind_refers_to(
    products_kind, admin_user, django_capture_on_commit_callbacks
):
    run = _upload(admin_user, ROWS[:3])
    with django_capture_on_commit_callbacks(execute=True):
        services.import_start(actor=admin_user, run_id=run.pk)
    # an order line (a record of the orders kind) refers to one of the products since
    line = OrderLineFactory(
        order=OrderFactory(customer=CustomerFactory(owner=admin_user)),
        product=Product.objects.get(code="P-2"),
    )

    result = import_undo(run_id=run.pk, actor=admin_user)

    assert result == {"removed": 1, "restored": 0, "kept": 1}
    assert list(Product.objects.values_list("code", flat=True)) == ["P-2"]
    assert line.product_id == Product.objects.get().pk


def test_the_kinds_rule_says_who_may_import_it(products_kind, manager_a):
    with pytest.raises(PermissionDenied):
        _upload(manager_a)
    assert services.can_import(manager_a, "customers")
    assert not services.can_import(manager_a, "test_products")
    assert services.can_import(None, "test_products")  # the system


def test_an_unregistered_kind_is_refused_naming_the_registered_ones(admin_user):
    with pytest.raises(ValidationFailed) as caught:
        services.import_upload(
            actor=admin_user,
            kind="sheep",
            file=SimpleUploadedFile("x.csv", b"a\n1\n"),
            file_name="x.csv",
        )

    message = caught.value.errors["kind"][0]
    assert all(key in message for key in ("customers", "contacts", "orders", "communications"))


def test_every_app_kind_and_list_is_registered():
    assert [k.key for k in registry.kinds()] == [
        "customers",
        "contacts",
        "orders",
        "communications",
        "leads",
        "tickets",
        "tasks",
        "contracts",
        "instalments",
        "collections",
    ]
    assert [e.key for e in registry.export_lists()] == [
        "customers",
        "contacts",
        "orders",
        "communications",
        "leads",
        "forecast",
        "receivables",
        "overdue_instalments",
    ]


def test_a_key_is_registered_once():
    from django.core.exceptions import ImproperlyConfigured

    other = registry.ImportKind(
        key="customers",
        label="x",
        spec=PRODUCTS,
        writer=ProductWriter,
        models=(Product,),
        may_import=permissions.can_manage_settings,
    )
    with pytest.raises(ImproperlyConfigured):
        registry.register_kind(other)
