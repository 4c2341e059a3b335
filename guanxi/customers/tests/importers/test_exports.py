"""The customer lists' exports: the list page's filters and scope, contacts and
communications."""

from __future__ import annotations

import pytest

from guanxi.customers.tests.factories import CommunicationFactory, ContactFactory, CustomerFactory
from guanxi.imports import exporting
from guanxi.imports.tests.test_exporting import _csv_rows

pytestmark = pytest.mark.django_db


def test_customer_export_uses_the_list_filters_and_scope(manager_a, am_a, am_b):
    CustomerFactory(name="甲", owner=am_a, status="active", city="上海")
    CustomerFactory(name="乙", owner=am_a, status="lost", city="上海")
    CustomerFactory(name="丙", owner=am_b, status="active", city="上海")

    rows = _csv_rows(
        exporting.export_stream(
            actor=manager_a, kind="customers", fmt="csv", params={"status": "active"}
        )
    )

    assert rows[0][:3] == ["编号", "客户名称", "客户类型"]
    assert [r[1] for r in rows[1:]] == ["甲"]


def test_customer_export_lists_each_customers_tags(admin_user):
    customer = CustomerFactory(name="甲方", owner=admin_user)
    customer.tags.create(name="VIP")
    customer.tags.create(name="重点")

    rows = _csv_rows(
        exporting.export_stream(actor=admin_user, kind="customers", fmt="csv", params={})
    )

    assert rows[1][rows[0].index("标签")] == "VIP、重点"


@pytest.mark.parametrize("kind", ["contacts", "communications"])
def test_contact_and_communication_lists_export(admin_user, kind):
    customer = CustomerFactory(name="甲方", owner=admin_user)
    ContactFactory(customer=customer, name="张伟")
    CommunicationFactory(customer=customer, summary='=HYPERLINK("x")')

    rows = _csv_rows(exporting.export_stream(actor=admin_user, kind=kind, fmt="csv", params={}))

    assert len(rows) == 2
    assert rows[1][0] == "甲方"
    if kind == "communications":
        assert rows[1][5] == '\'=HYPERLINK("x")'


def test_a_bad_customer_filter_names_it(admin_user):
    from guanxi.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        exporting.export_stream(
            actor=admin_user, kind="contacts", fmt="csv", params={"customer": "x"}
        )

    assert list(caught.value.errors) == ["customer"]
