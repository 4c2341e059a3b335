"""Importing customers' custom fields: suggested from their labels, typed like their
definition, merged into the record on update, audited, and listed by the API."""

from __future__ import annotations

import pytest

from guanxi.core.errors import ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import Customer, CustomFieldDefinition
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.imports.mapping import suggest_mapping, validate_mapping
from guanxi.imports.messages import row_message
from guanxi.imports.models import ImportRowError
from guanxi.imports.registry import kind
from guanxi.imports.tests.support import counts, run_file, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def definitions():
    return [
        CustomFieldDefinition.objects.create(
            key="budget", label="年度预算", label_en="Annual budget", field_type="number"
        ),
        CustomFieldDefinition.objects.create(
            key="grade", label="客户等级", field_type="choice", choices=["A级", "B级", "C级"]
        ),
        CustomFieldDefinition.objects.create(key="signed", label="签约日期", field_type="date"),
        CustomFieldDefinition.objects.create(key="memo", label="内部备注", field_type="text"),
        CustomFieldDefinition.objects.create(
            key="retired", label="停用字段", field_type="text", active=False
        ),
    ]


def test_custom_fields_are_offered_and_suggested_by_label(definitions):
    spec = kind("customers").current_spec()
    names = [f.name for f in spec.fields]
    # after the fixed fields, in the definitions' order (position, then key)
    assert names[-4:] == ["custom.budget", "custom.grade", "custom.memo", "custom.signed"]
    assert "custom.retired" not in names
    headers = ["客户名称", "Annual Budget", "客户等级（必填）", "签约日期", "备注", "memo"]
    # 备注 is the fixed notes field; "memo" is the custom field's key
    assert suggest_mapping("customers", headers) == [
        "name", "custom.budget", "custom.grade", "custom.signed", "notes", "custom.memo",
    ]  # fmt: skip


def test_custom_values_are_cleaned_and_stored_as_the_api_stores_them(tmp_path, definitions):
    path = write_csv(
        tmp_path / "c.csv",
        [
            ["客户名称", "年度预算", "客户等级", "签约日期", "内部备注"],
            ["华为技术有限公司", "¥1,200.50", "a级", "2024年3月5日", "老客户"],
            ["腾讯科技", "-３５", "B级", "", ""],
            ["阿里巴巴", "很多", "A级", "", ""],
            ["京东", "10", "D级", "", ""],
        ],
    )
    run = run_file(path)
    assert counts(run) == (2, 0, 0, 2)
    assert Customer.objects.get(name="华为技术有限公司").custom_fields == {
        "budget": "1200.50",
        "grade": "A级",
        "signed": "2024-03-05",
        "memo": "老客户",
    }
    assert Customer.objects.get(name="腾讯科技").custom_fields == {"budget": "-35", "grade": "B级"}
    errors = {e.row: e for e in ImportRowError.objects.filter(run=run)}
    assert errors[4].column == "年度预算" and errors[4].code == "invalid_number"
    assert row_message(errors[4].code, errors[4].params) == "“很多”不是数字。"
    assert errors[5].column == "客户等级" and errors[5].code == "invalid_choice"
    assert "A级、B级、C级" in row_message(errors[5].code, errors[5].params)


def test_a_duplicate_row_merges_custom_fields_and_the_change_is_audited(tmp_path, definitions):
    customer = CustomerFactory(name="华为技术有限公司", custom_fields={"grade": "C级", "memo": "x"})
    path = write_csv(tmp_path / "c.csv", [["客户名称", "客户等级"], ["华为技术有限公司", "A级"]])
    run = run_file(path, on_duplicate="update")
    assert counts(run) == (0, 1, 0, 0)
    customer.refresh_from_db()
    assert customer.custom_fields == {"grade": "A级", "memo": "x"}
    entry = AuditEntry.objects.get(object_id=str(customer.pk), action="update")
    assert entry.changes["custom_fields"] == [{"grade": "C级", "memo": "x"}, customer.custom_fields]
    # the same file again changes nothing
    again = run_file(path, on_duplicate="update")
    assert again.updated_count == 0
    assert AuditEntry.objects.filter(object_id=str(customer.pk), action="update").count() == 1


def test_a_required_custom_field_must_be_mapped(definitions):
    CustomFieldDefinition.objects.filter(key="grade").update(required=True)
    spec = kind("customers").current_spec()
    with pytest.raises(ValidationFailed) as caught:
        validate_mapping(spec, ["客户名称"], ["name"])
    assert "custom.grade" in caught.value.errors
    validate_mapping(spec, ["客户名称", "等级"], ["name", "custom.grade"])


def test_the_api_lists_custom_fields_for_mapping(client, admin_user, definitions):
    client.force_login(admin_user)
    response = client.get("/api/v1/imports/fields/customers", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    fields = {f["name"]: f for f in response.json()}
    assert fields["custom.budget"]["type"] == "number"
    assert fields["custom.grade"]["type"] == "custom_choice"
    assert "custom.retired" not in fields
