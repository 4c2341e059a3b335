import datetime as dt
from decimal import Decimal

import pytest

from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers import services
from guanxi.customers.models import (
    Communication,
    Contact,
    Customer,
    CustomFieldDefinition,
    TimelineEntry,
)
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory, ProductFactory
from guanxi.orders import services as order_services
from guanxi.orders.models import Order, OrderLine


def _counts():
    return (
        Customer.objects.count(),
        Contact.objects.count(),
        Order.objects.count(),
        OrderLine.objects.count(),
        AuditEntry.objects.count(),
        TimelineEntry.objects.count(),
    )


def test_create_customer_sets_owner_keys_audit_and_timeline(am_a):
    customer = services.customer_create(
        actor=am_a, data={"name": "华为技术有限公司", "phone": "+86 138-0013-8000"}, tags=["重点"]
    )
    assert customer.owner == am_a and customer.team_id == am_a.team_id
    assert customer.name_initials == "hwjsyxgs"
    assert customer.phone_key == services.normalize_phone("13800138000")
    entry = AuditEntry.objects.get(
        model="customers.customer", object_id=str(customer.pk), action="create"
    )
    assert entry.actor == am_a and entry.changes["name"] == [None, "华为技术有限公司"]
    assert TimelineEntry.objects.filter(customer=customer, kind="customer").count() == 1
    assert list(customer.tags.values_list("name", flat=True)) == ["重点"]


def test_update_records_old_and_new_and_bumps_version(am_a):
    customer = CustomerFactory(owner=am_a, status="prospect")
    services.customer_update(
        actor=am_a, customer_id=customer.pk, data={"status": "active"}, version=1
    )
    customer.refresh_from_db()
    assert customer.version == 2
    entry = AuditEntry.objects.get(object_id=str(customer.pk), action="update")
    assert entry.changes == {"status": ["prospect", "active"]}
    assert TimelineEntry.objects.filter(customer=customer, kind="change").exists()


def test_update_without_changes_writes_nothing(am_a):
    customer = CustomerFactory(owner=am_a, status="active")
    before = _counts()
    services.customer_update(
        actor=am_a, customer_id=customer.pk, data={"status": "active"}, version=1
    )
    assert _counts() == before
    customer.refresh_from_db()
    assert customer.version == 1


def test_stale_version_is_a_conflict_and_changes_nothing(am_a):
    customer = CustomerFactory(owner=am_a, name="旧名", version=3)
    before = _counts()
    with pytest.raises(Conflict) as err:
        services.customer_update(
            actor=am_a, customer_id=customer.pk, data={"name": "新名"}, version=2
        )
    assert err.value.field == "version"
    customer.refresh_from_db()
    assert customer.name == "旧名" and _counts() == before


def test_other_teams_customer_is_not_found(am_a, am_b):
    customer = CustomerFactory(owner=am_b)
    with pytest.raises(NotFound):
        services.customer_update(actor=am_a, customer_id=customer.pk, data={"name": "x"}, version=1)
    with pytest.raises(NotFound):
        services.contact_create(actor=am_a, customer_id=customer.pk, data={"name": "张三"})


def test_portal_user_cannot_create(portal_user):
    with pytest.raises(PermissionDenied):
        services.customer_create(actor=portal_user, data={"name": "某公司"})
    assert Customer.objects.count() == 0


def test_account_manager_cannot_assign_another_owner(am_a, am_a2):
    with pytest.raises(PermissionDenied):
        services.customer_create(actor=am_a, data={"name": "某公司"}, owner_id=am_a2.pk)
    assert Customer.objects.count() == 0


def test_manager_assigns_owner_and_team_follows(manager_a, am_a2):
    customer = services.customer_create(actor=manager_a, data={"name": "某公司"}, owner_id=am_a2.pk)
    assert customer.owner == am_a2 and customer.team_id == am_a2.team_id


def test_manager_cannot_assign_an_owner_of_another_department(manager_a, am_b):
    with pytest.raises(PermissionDenied) as caught:
        services.customer_create(actor=manager_a, data={"name": "某公司"}, owner_id=am_b.pk)
    assert caught.value.field == "owner_id"
    assert not Customer.objects.exists()


def test_admin_assigns_any_account_manager(admin_user, am_b):
    customer = services.customer_create(actor=admin_user, data={"name": "某公司"}, owner_id=am_b.pk)
    assert customer.owner == am_b


def test_nobody_assigns_a_customer_to_a_service_agent(admin_user, agent):
    with pytest.raises(PermissionDenied):
        services.customer_create(actor=admin_user, data={"name": "某公司"}, owner_id=agent.pk)


def test_a_write_without_a_version_is_refused(am_a):
    customer = services.customer_create(actor=am_a, data={"name": "某公司"})
    with pytest.raises(ValidationFailed) as caught:
        services.customer_update(
            actor=am_a,
            customer_id=customer.pk,
            data={"notes": "改"},
            version=None,  # type: ignore[arg-type]
        )
    assert caught.value.field == "version"
    customer.refresh_from_db()
    assert customer.notes == ""


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "某公司", "kind": "alien"}, "kind"),
        ({"name": "某公司", "email": "not-an-email"}, "email"),
        ({"name": "某公司", "phone": "12"}, "phone"),
        ({"name": "某公司", "shoe_size": 42}, "shoe_size"),
        ({"name": "某公司", "custom_fields": {"nope": 1}}, "custom_fields.nope"),
    ],
)
def test_invalid_customer_input_names_the_field(am_a, data, field):
    with pytest.raises(ValidationFailed) as err:
        services.customer_create(actor=am_a, data=data)
    assert field in err.value.errors
    assert _counts() == (0, 0, 0, 0, 0, 0)


def test_custom_fields_validated_by_type(am_a, admin_user):
    services.custom_field_create(
        actor=admin_user, data={"key": "employees", "label": "员工数", "field_type": "number"}
    )
    services.custom_field_create(
        actor=admin_user,
        data={
            "key": "grade",
            "label": "等级",
            "field_type": "choice",
            "choices": ["A", "B"],
            "required": True,
        },
    )
    with pytest.raises(ValidationFailed) as err:
        services.customer_create(
            actor=am_a, data={"name": "甲", "custom_fields": {"employees": "many", "grade": "A"}}
        )
    assert "custom_fields.employees" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        services.customer_create(actor=am_a, data={"name": "甲", "custom_fields": {"employees": 5}})
    assert "custom_fields.grade" in err.value.errors
    customer = services.customer_create(
        actor=am_a, data={"name": "甲", "custom_fields": {"employees": 5, "grade": "B"}}
    )
    assert customer.custom_fields == {"employees": "5", "grade": "B"}
    assert CustomFieldDefinition.objects.count() == 2


def test_contact_phone_keys_normalised(am_a):
    customer = CustomerFactory(owner=am_a)
    contact = services.contact_create(
        actor=am_a,
        customer_id=customer.pk,
        data={"name": "张三", "mobile": "138 0013 8000", "email": "ZS@Example.COM"},
    )
    assert contact.mobile_key == services.normalize_phone("+86-13800138000")
    assert contact.email == "zs@example.com"


def test_communication_with_follow_up_goes_on_timeline(am_a):
    customer = CustomerFactory(owner=am_a)
    comm = services.communication_create(
        actor=am_a,
        customer_id=customer.pk,
        data={"channel": "phone", "summary": "确认需求", "next_follow_up": dt.date(2099, 12, 1)},
    )
    entry = TimelineEntry.objects.get(customer=customer, kind="communication")
    assert entry.body == "确认需求" and entry.subject_id == str(comm.pk)
    assert comm.staff == am_a


def test_communication_rejects_contact_of_other_customer(am_a):
    customer = CustomerFactory(owner=am_a)
    foreign = ContactFactory(customer=CustomerFactory(owner=am_a))
    with pytest.raises(ValidationFailed) as err:
        services.communication_create(
            actor=am_a,
            customer_id=customer.pk,
            data={"channel": "phone", "summary": "x", "contact_id": foreign.pk},
        )
    assert "contact_id" in err.value.errors
    assert Communication.objects.count() == 0


def test_service_agent_logs_communication_but_cannot_edit(am_a, agent):
    customer = CustomerFactory(owner=am_a)
    services.communication_create(
        actor=agent, customer_id=customer.pk, data={"channel": "phone", "summary": "来电咨询"}
    )
    with pytest.raises(PermissionDenied):
        services.customer_update(
            actor=agent, customer_id=customer.pk, data={"name": "x"}, version=1
        )


def test_order_total_is_sum_of_lines(am_a):
    customer = CustomerFactory(owner=am_a)
    product = ProductFactory(unit_price=Decimal("99.90"))
    order = order_services.order_create(
        actor=am_a,
        customer_id=customer.pk,
        order_date=dt.date(2026, 3, 5),
        lines=[
            {"product_id": product.pk, "quantity": "3"},
            {"description": "安装费", "quantity": 1, "unit_price": "200.5"},
        ],
    )
    assert order.total == Decimal("500.20")
    assert order.number.startswith("SO20260305-")
    assert order.lines.count() == 2
    assert TimelineEntry.objects.filter(kind="order", customer=customer).count() == 1


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"description": "x", "quantity": 1, "unit_price": "-5"}, "lines[0].unit_price"),
        ({"description": "x", "quantity": -1, "unit_price": "5"}, "lines[0].quantity"),
        ({"description": "x", "quantity": 0, "unit_price": "5"}, "lines[0].quantity"),
        ({"description": "x", "quantity": 1, "unit_price": "1e20"}, "lines[0].unit_price"),
        ({"description": "x", "quantity": 1, "unit_price": "abc"}, "lines[0].unit_price"),
        ({"description": "x", "quantity": 1}, "lines[0].unit_price"),
        ({"product_id": 999999, "quantity": 1}, "lines[0].product_id"),
    ],
)
def test_bad_order_lines_rejected_whole(am_a, line, field):
    customer = CustomerFactory(owner=am_a)
    before = _counts()
    with pytest.raises(ValidationFailed) as err:
        order_services.order_create(
            actor=am_a,
            customer_id=customer.pk,
            order_date=dt.date(2026, 1, 1),
            lines=[line],
        )
    assert field in err.value.errors
    assert _counts() == before


def test_customer_with_orders_cannot_be_deleted(am_a):
    customer = CustomerFactory(owner=am_a)
    order_services.order_create(
        actor=am_a,
        customer_id=customer.pk,
        order_date=dt.date(2026, 1, 1),
        lines=[{"description": "x", "quantity": 1, "unit_price": "1"}],
    )
    with pytest.raises(Conflict):
        services.customer_delete(actor=am_a, customer_id=customer.pk, version=1)
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_delete_customer_is_audited(am_a):
    customer = CustomerFactory(owner=am_a)
    services.customer_delete(actor=am_a, customer_id=customer.pk, version=1)
    assert not Customer.objects.exists()
    entry = AuditEntry.objects.get(action="update", object_id=str(customer.pk))
    assert entry.actor == am_a and entry.changes["deleted_by_id"] == [None, am_a.pk]


def test_preference_duplicate_key_conflicts(am_a):
    customer = CustomerFactory(owner=am_a)
    services.preference_create(
        actor=am_a, customer_id=customer.pk, data={"category": "diet", "key": "茶", "value": "普洱"}
    )
    with pytest.raises(Conflict):
        services.preference_create(
            actor=am_a,
            customer_id=customer.pk,
            data={"category": "diet", "key": "茶", "value": "龙井"},
        )


def test_rebuild_search_keys_job_reports_progress(
    admin_user, am_a, django_capture_on_commit_callbacks
):
    from guanxi.core.models import Job

    c = CustomerFactory(owner=am_a, name="华为", name_initials="", name_pinyin="", search_text="")
    with django_capture_on_commit_callbacks(execute=True):
        job = services.search_keys_rebuild_start(actor=admin_user)
    job = Job.objects.get(pk=job.pk)
    assert job.status == "succeeded" and job.progress == 100
    assert job.result == {"customers": 1, "changed": 1}
    c.refresh_from_db()
    assert c.name_initials == "hw"


def test_rebuild_search_keys_is_admin_only(am_a):
    with pytest.raises(PermissionDenied):
        services.search_keys_rebuild_start(actor=am_a)
