"""Changes made in the Django admin are audited old → new, many-to-many relations (tags)
included: the admin saves those after ``save_model``, so they need their own handling."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.models import User
from guanxi.core.models import AuditEntry, AuditSource
from guanxi.customers.models import Customer, Tag
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _post_data(model: type[Any], obj: Any, admin_user: User, **changes: Any) -> dict[str, Any]:
    """What the admin's change form would post for ``obj`` unchanged, plus ``changes``."""
    request = RequestFactory().get("/")
    request.user = admin_user
    model_admin = admin.site._registry[model]
    form = model_admin.get_form(request, obj)(instance=obj)
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, list | tuple) or hasattr(value, "all"):
            items = value.all() if hasattr(value, "all") else value
            data[name] = [getattr(v, "pk", v) for v in items]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = getattr(value, "pk", value)
    data.update(changes)
    return data


def _entries(obj: Any) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            model=obj._meta.label_lower, object_id=str(obj.pk), source=AuditSource.ADMIN
        ).order_by("id")
    )


def test_tag_change_in_the_admin_is_audited_old_to_new(admin_client, admin_user, am_a):
    vip, key = Tag.objects.create(name="VIP"), Tag.objects.create(name="重点")
    customer = CustomerFactory(owner=am_a, name="华信科技有限公司")
    customer.tags.set([vip])
    url = reverse("admin:customers_customer_change", args=[customer.pk])

    response = admin_client.post(url, _post_data(Customer, customer, admin_user, tags=[key.pk]))

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(customer.tags.values_list("name", flat=True)) == ["重点"]
    [entry] = _entries(customer)
    assert entry.action == "update"
    assert entry.actor == admin_user
    assert entry.customer_id == customer.pk
    assert entry.changes == {"tags": [["VIP"], ["重点"]]}


def test_fields_and_tags_changed_together_make_one_entry(admin_client, admin_user, am_a):
    vip = Tag.objects.create(name="VIP")
    customer = CustomerFactory(owner=am_a, name="华信科技有限公司", industry="制造")
    url = reverse("admin:customers_customer_change", args=[customer.pk])

    admin_client.post(
        url, _post_data(Customer, customer, admin_user, industry="软件", tags=[vip.pk])
    )

    [entry] = _entries(customer)
    assert entry.changes == {"industry": ["制造", "软件"], "tags": [[], ["VIP"]]}


def test_an_unchanged_save_writes_no_tag_change(admin_client, admin_user, am_a):
    vip = Tag.objects.create(name="VIP")
    customer = CustomerFactory(owner=am_a, name="华信科技有限公司")
    customer.tags.set([vip])
    url = reverse("admin:customers_customer_change", args=[customer.pk])

    admin_client.post(url, _post_data(Customer, customer, admin_user))

    assert all("tags" not in e.changes for e in _entries(customer))


def test_user_groups_changed_in_the_admin_are_audited(admin_client, admin_user, am_a):
    group = Group.objects.create(name="客服组")
    url = reverse("admin:accounts_user_change", args=[am_a.pk])

    User.objects.filter(pk=am_a.pk).update(date_joined=am_a.date_joined.replace(microsecond=0))
    am_a.refresh_from_db()
    joined = timezone.localtime(am_a.date_joined)
    data = _post_data(User, am_a, admin_user, groups=[group.pk])
    data.pop("date_joined", None)
    data |= {
        "date_joined_0": joined.date().isoformat(),
        "date_joined_1": joined.strftime("%H:%M:%S"),
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    [entry] = _entries(am_a)
    assert entry.changes == {"groups": [[], ["客服组"]]}
