"""Importing contacts: each row is matched to the customer it names."""

from __future__ import annotations

import pytest

from guanxi.customers.models import Contact
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.imports.models import ImportRowError
from guanxi.imports.tests.support import counts, run_file, write_csv

pytestmark = pytest.mark.django_db


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
