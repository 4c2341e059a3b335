"""The sales admin: every model registered and audited (source admin, old → new, on the
customer where there is one); the fields the services keep consistent are read-only."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from guanxi.core.admin import AuditedAdmin
from guanxi.core.models import AuditEntry, AuditSource
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.customers.tests.test_admin_audit import _post_data
from guanxi.sales.models import Lead, Opportunity
from guanxi.sales.tests.factories import LostReasonFactory, OpportunityFactory, board

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_every_sales_model_is_in_the_admin_and_audited():
    for model in apps.get_app_config("sales").get_models():
        assert isinstance(admin.site._registry.get(model), AuditedAdmin), model.__name__


def test_every_sales_admin_page_renders(admin_client, am_a):
    _pipeline, stages = board()
    LostReasonFactory()
    OpportunityFactory(customer=CustomerFactory(owner=am_a), stage=stages[0])
    Lead.objects.create(source="manual", name="访客", owner=am_a)
    for model in apps.get_app_config("sales").get_models():
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert admin_client.get(changelist).status_code == 200, changelist
        row = model.objects.first()
        if row is not None:
            change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk])
            assert admin_client.get(change).status_code == 200, change


def test_an_opportunity_changed_in_the_admin_is_audited_on_its_customer(
    admin_client, admin_user, am_a
):
    _pipeline, stages = board()
    opp = OpportunityFactory(customer=CustomerFactory(owner=am_a), stage=stages[0], name="旧名")
    data = _post_data(Opportunity, opp, admin_user, name="新名", stage=stages[2].pk,
                      status="won")  # fmt: skip
    url = reverse("admin:sales_opportunity_change", args=[opp.pk])
    assert admin_client.post(url, data).status_code == 302
    opp.refresh_from_db()
    # the name changed; stage and status are read-only in the admin (services move and close)
    assert (opp.name, opp.stage_id, opp.status, opp.version) == ("新名", stages[0].pk, "open", 2)
    entry = AuditEntry.objects.get(model="sales.opportunity", source=AuditSource.ADMIN)
    assert entry.changes["name"] == ["旧名", "新名"] and entry.customer_id == opp.customer_id
    assert entry.actor == admin_user


def test_a_lead_saved_in_the_admin_gets_its_search_keys(admin_client, admin_user, am_a):
    lead = Lead.objects.create(source="manual", name="陈先生", owner=am_a)
    data = _post_data(Lead, lead, admin_user, company="深圳华信科技有限公司",
                      phone="138 0013 8000")  # fmt: skip
    url = reverse("admin:sales_lead_change", args=[lead.pk])
    assert admin_client.post(url, data).status_code == 302
    lead.refresh_from_db()
    assert lead.phone_key == "13800138000" and lead.company_key
    assert AuditEntry.objects.filter(model="sales.lead", source=AuditSource.ADMIN).count() == 1
