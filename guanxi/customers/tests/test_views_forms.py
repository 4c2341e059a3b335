"""Create and edit customer pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.core.models import AuditEntry
from guanxi.customers.models import Customer
from guanxi.customers.services import custom_field_create, customer_create, customer_update

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {"name": "华为技术有限公司", "kind": "enterprise", "status": "prospect"}
    data.update(overrides)
    return data


@pytest.fixture
def custom_fields(admin_user):
    custom_field_create(
        actor=admin_user,
        data={"key": "credit_limit", "label": "授信额度", "label_en": "Credit limit",
              "field_type": "number"},
    )  # fmt: skip
    custom_field_create(
        actor=admin_user,
        data={"key": "contract_end", "label": "合同到期", "field_type": "date"},
    )
    custom_field_create(
        actor=admin_user,
        data={"key": "grade", "label": "等级", "field_type": "choice", "choices": ["A", "B"],
              "required": True},
    )  # fmt: skip
    custom_field_create(
        actor=admin_user, data={"key": "erp_code", "label": "ERP 编码", "field_type": "text"}
    )


def test_create_page_renders_every_a1_field(client, am_a):
    client.force_login(am_a)
    html = client.get(reverse("customers:create")).content.decode()
    for name in ("name", "kind", "status", "industry", "size", "source", "province", "city",
                 "address", "phone", "email", "website", "since", "tags", "notes"):  # fmt: skip
        assert f'name="{name}"' in html, name
    assert 'name="owner"' not in html  # an account manager owns what they create


def test_manager_may_pick_the_owner(client, manager_a, am_a):
    client.force_login(manager_a)
    html = client.get(reverse("customers:create")).content.decode()
    assert 'name="owner"' in html
    response = client.post(reverse("customers:create"), _form(owner=am_a.pk))
    assert response.status_code == 302
    assert Customer.objects.get().owner == am_a


def test_create_customer_with_tags_redirects_to_360(client, am_a):
    client.force_login(am_a)
    response = client.post(
        reverse("customers:create"),
        _form(phone="+86 138-0013-8000", tags="大客户、通信, 华南"),
    )
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.owner == am_a
    assert customer.phone_key == "13800138000"
    assert sorted(customer.tags.values_list("name", flat=True)) == ["华南", "大客户", "通信"]
    page = client.get(response["Location"]).content.decode()
    assert "客户“华为技术有限公司”已创建。" in page


def test_custom_fields_render_by_type_and_save(client, am_a, custom_fields):
    client.force_login(am_a)
    html = client.get(reverse("customers:create")).content.decode()
    assert 'name="cf_credit_limit"' in html and 'type="number"' in html
    assert 'name="cf_contract_end"' in html and 'type="date"' in html
    assert '<select name="cf_grade"' in html
    assert 'name="cf_erp_code"' in html
    response = client.post(
        reverse("customers:create"),
        _form(cf_credit_limit="50000", cf_contract_end="2026-12-31", cf_grade="A",
              cf_erp_code="E-1"),
    )  # fmt: skip
    assert response.status_code == 302
    assert Customer.objects.get().custom_fields == {
        "credit_limit": "50000",
        "contract_end": "2026-12-31",
        "grade": "A",
        "erp_code": "E-1",
    }


def test_custom_field_label_follows_language(client, am_a, custom_fields):
    client.force_login(am_a)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("customers:create")).content.decode()
    assert "Credit limit" in html


def test_required_custom_field_error_is_shown_next_to_it(client, am_a, custom_fields):
    client.force_login(am_a)
    response = client.post(reverse("customers:create"), _form())
    assert response.status_code == 422
    assert response.context["form"].errors["cf_grade"]
    assert not Customer.objects.exists()


def test_service_error_is_shown_next_to_the_named_field(client, am_a):
    client.force_login(am_a)
    response = client.post(reverse("customers:create"), _form(phone="12345"))
    assert response.status_code == 422
    assert "电话号码格式不正确：12345" in response.context["form"].errors["phone"][0]
    assert "is-invalid" in response.content.decode()
    assert not Customer.objects.exists()


def test_form_error_keeps_input(client, am_a):
    client.force_login(am_a)
    response = client.post(reverse("customers:create"), _form(name="", city="深圳"))
    assert response.status_code == 422
    assert 'value="深圳"' in response.content.decode()


def test_edit_changes_status_and_records_history(client, am_a):
    customer = customer_create(actor=am_a, data={"name": "华为技术有限公司"})
    client.force_login(am_a)
    page = client.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    assert 'name="version" value="1"' in page
    response = client.post(
        reverse("customers:edit", args=[customer.pk]),
        _form(status="active", since=customer.since.isoformat(), version=1),
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.status == "active" and customer.version == 2
    update = AuditEntry.objects.get(action="update", model="customers.customer")
    assert update.changes == {"status": ["prospect", "active"]}


def test_stale_version_says_someone_changed_the_record(client, am_a, am_a2):
    customer = customer_create(actor=am_a, data={"name": "华为技术有限公司"})
    customer_update(actor=am_a, customer_id=customer.pk, data={"city": "深圳"}, version=1)
    client.force_login(am_a)
    response = client.post(
        reverse("customers:edit", args=[customer.pk]),
        _form(status="lost", city="深圳", version=1),
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "有人在你编辑期间修改了这条客户记录。" in html
    assert "该记录已被他人修改" in html
    customer.refresh_from_db()
    assert customer.status == "prospect" and customer.version == 2


def test_edit_page_of_read_only_customer_is_forbidden(client, agent, am_a):
    customer = customer_create(actor=am_a, data={"name": "华为技术有限公司"})
    client.force_login(agent)  # service agents read every customer but change none
    assert client.get(reverse("customers:edit", args=[customer.pk])).status_code == 403


def test_service_agent_cannot_create(client, agent):
    client.force_login(agent)
    assert client.get(reverse("customers:create")).status_code == 403
