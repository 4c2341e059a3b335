"""lead_create (assignment rules), lead_duplicates, lead_convert, web_lead_submit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.accounts.tests.factories import UserFactory
from guanxi.core.errors import ValidationFailed
from guanxi.core.text.cleaning import normalize_phone
from guanxi.customers.models import Contact, Customer
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.sales.models import AssignmentRule, Lead, Opportunity
from guanxi.sales.services import leads
from guanxi.sales.tests.factories import board

pytestmark = pytest.mark.django_db


def test_round_robin_takes_turns(manager_a, team_a):
    a1, a2 = (UserFactory(role="account_manager", team=team_a) for _ in range(2))
    AssignmentRule.objects.create(name="轮流", method="round_robin", team=team_a)
    owners = [leads.lead_create(actor=manager_a, data={"name": f"客户{i}"}).owner for i in range(4)]
    members = sorted([manager_a, a1, a2], key=lambda u: u.pk)
    assert owners == [members[0], members[1], members[2], members[0]]


def test_region_rule_matches_only_its_region(am_a, team_a, team_b):
    south = UserFactory(role="account_manager", team=team_b)
    AssignmentRule.objects.create(name="华南", method="region", team=team_b,
                                  regions=["广东省"], order=0)  # fmt: skip
    assert leads.lead_create(actor=am_a, data={"name": "甲", "region": "广东省"}).owner == south
    assert leads.lead_create(actor=am_a, data={"name": "乙", "region": "上海市"}).owner == am_a


def test_load_rule_picks_least_loaded(am_a, am_a2, team_a):
    Lead.objects.create(name="x", source="manual", owner=am_a, team=team_a)
    AssignmentRule.objects.create(name="负荷", method="load", team=team_a)
    assert leads.lead_create(actor=am_a, data={"name": "新"}).owner == am_a2


def test_duplicates_find_customer_by_contact_phone_and_leads_by_email(am_a):
    customer = CustomerFactory(owner=am_a, name="华为技术有限公司")
    ContactFactory(
        customer=customer, mobile="13800138000", mobile_key=normalize_phone("13800138000")
    )
    Lead.objects.create(name="张三", source="manual", email="z@x.cn", owner=am_a)
    hits = leads.lead_duplicates(actor=am_a, name="李四", phone="138-0013-8000", email="Z@x.cn")
    assert [(h.kind, h.by, h.visible) for h in hits] == [
        ("customer", "phone", True),
        ("lead", "email", True),
    ]


def test_duplicate_out_of_scope_is_not_named(am_a, am_b):
    CustomerFactory(owner=am_b, name="华为技术有限公司")
    [hit] = leads.lead_duplicates(actor=am_a, company="華為技術")
    assert hit.kind == "customer" and hit.by == "name" and hit.visible is False


def test_convert_links_existing_customer_and_creates_opportunity(am_a):
    board()
    customer = CustomerFactory(owner=am_a, name="华为技术有限公司")
    lead = leads.lead_create(actor=am_a, data={"name": "王五", "company": "华为技术",
                                               "phone": "13900139000"})  # fmt: skip
    lead = leads.lead_convert(actor=am_a, lead_id=lead.pk, version=lead.version,
                              customer_id=customer.pk, opportunity={"amount": "9000"})  # fmt: skip
    assert lead.status == "converted" and lead.converted_customer == customer
    assert Customer.objects.count() == 1
    assert Contact.objects.get(customer=customer).name == "王五"
    assert Opportunity.objects.get(customer=customer).pk == lead.converted_opportunity_id


def test_convert_creates_customer_when_none_found(am_a):
    board()
    lead = leads.lead_create(actor=am_a, data={"name": "赵六", "company": "新公司"})
    lead = leads.lead_convert(actor=am_a, lead_id=lead.pk, version=1, opportunity=None)
    assert lead.converted_customer.name == "新公司" and lead.converted_opportunity is None


def test_convert_into_a_look_alike_needs_a_reason_and_writes_nothing_without(am_a):
    board()
    CustomerFactory(owner=am_a, name="深圳华信科技有限公司", phone="13900139000")
    lead = leads.lead_create(actor=am_a, data={"name": "赵六", "company": "深圳华信科技有限公司"})
    with pytest.raises(ValidationFailed) as caught:
        leads.lead_convert(actor=am_a, lead_id=lead.pk, version=lead.version, opportunity=None)
    assert "duplicate_reason" in caught.value.errors
    assert Customer.objects.count() == 1 and Lead.objects.get().status != "converted"
    lead = leads.lead_convert(actor=am_a, lead_id=lead.pk, version=lead.version,
                              opportunity=None, duplicate_reason="同名的另一家分公司")  # fmt: skip
    assert Customer.objects.count() == 2
    assert lead.converted_customer.duplicate_note == "同名的另一家分公司"


def _token(seconds_ago: int) -> str:
    return leads.web_form_token(timezone.now() - dt.timedelta(seconds=seconds_ago))


def test_web_form_spam_rules(db):
    data = {"name": "访客"}
    with pytest.raises(leads.Spam):
        leads.web_lead_submit(data=data, token=_token(60), honeypot="http://x", address="1.2.3.4")
    with pytest.raises(leads.Spam):
        leads.web_lead_submit(data=data, token=_token(0), honeypot="", address="1.2.3.4")
    with pytest.raises(leads.Spam):
        leads.web_lead_submit(data=data, token=_token(60) + "x", honeypot="", address="1.2.3.4")
    assert not Lead.objects.exists()
    for _ in range(leads.WEB_LEADS_PER_IP_PER_HOUR):
        leads.web_lead_submit(data=data, token=_token(60), honeypot="", address="1.2.3.4")
    with pytest.raises(leads.RateLimited):
        leads.web_lead_submit(data=data, token=_token(60), honeypot="", address="1.2.3.4")
    leads.web_lead_submit(data=data, token=_token(60), honeypot="", address="5.6.7.8")
    assert Lead.objects.filter(source="web").count() == leads.WEB_LEADS_PER_IP_PER_HOUR + 1


def test_public_form_page_needs_no_login(client):
    response = client.get("/sales/form/")
    assert response.status_code == 200 and 'name="website"' in response.content.decode()
    post = client.post("/sales/form/", {"name": "访客", "token": _token(60), "website": ""})
    assert post.status_code == 200 and Lead.objects.filter(source="web").count() == 1


def test_the_minimum_fill_time_is_a_setting(db, settings):
    data = {"name": "访客"}
    settings.SALES_WEB_FORM_MIN_SECONDS = 30
    with pytest.raises(leads.Spam):
        leads.web_lead_submit(data=data, token=_token(10), honeypot="", address="1.2.3.4")
    settings.SALES_WEB_FORM_MIN_SECONDS = 0
    leads.web_lead_submit(data=data, token=_token(0), honeypot="", address="1.2.3.4")
    assert Lead.objects.filter(source="web").count() == 1
