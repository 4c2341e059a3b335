"""Triage of the unknown queue: link an unknown sender's ticket to a customer (with a
contact, or one made from the sender), or mark it spam; through the services, the page and
the API."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.models import Contact, TimelineEntry
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.service.models import InboundMail, InboundStatus, Survey, Ticket
from guanxi.service.services import mail, triage
from guanxi.service.services import tickets as services
from guanxi.service.tests.factories import SlaPolicyFactory
from guanxi.service.tests.test_sla import _value

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 30, 10, tzinfo=SH)
API = "/api/v1/service/tickets"


def _mail(sender="stranger@nowhere.cn", subject="咨询报价", n=0):
    msg = EmailMessage()
    msg["From"] = f"王芳 <{sender}>"
    msg["To"] = "service@desk.example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<triage-{n}-{sender}>"
    msg.set_content("请问贵司的报价。")
    return msg.as_bytes()


def _unknown(n=0, sender="stranger@nowhere.cn"):
    inbound = mail.mail_receive(_mail(sender=sender, n=n))
    ticket = Ticket.objects.get(pk=inbound.ticket_id)
    assert ticket.customer_id is None
    return ticket


def test_link_with_a_new_contact_from_the_sender_matches_the_next_mail(agent, am_a):
    customer = CustomerFactory(owner=am_a)
    ticket = _unknown()
    linked = triage.ticket_link_customer(
        actor=agent, ticket_id=ticket.pk, version=ticket.version, customer_id=customer.pk,
        create_contact=True,
    )  # fmt: skip
    contact = Contact.objects.get(customer=customer)
    assert (contact.name, contact.email) == ("王芳", "stranger@nowhere.cn")
    assert (linked.customer_id, linked.contact_id) == (customer.pk, contact.pk)
    assert linked.version == ticket.version + 1
    entry = AuditEntry.objects.get(model="service.ticket", object_id=str(ticket.pk),
                                   action="update")  # fmt: skip
    assert entry.changes["customer_id"][1] == customer.pk and entry.customer_id == customer.pk
    assert AuditEntry.objects.filter(model="customers.contact", action="create").count() == 1
    kinds = set(TimelineEntry.objects.filter(customer=customer).values_list("kind", flat=True))
    assert kinds == {"ticket", "contact"}
    # The sender is known now: the next mail opens a ticket on the customer.
    inbound = mail.mail_receive(_mail(n=1, subject="又一个问题"))
    assert Ticket.objects.get(pk=inbound.ticket_id).contact_id == contact.pk


def test_link_to_an_existing_contact_reuses_a_contact_with_the_address(agent, am_a):
    customer = CustomerFactory(owner=am_a)
    other = ContactFactory(customer=customer, email="boss@acme.cn")
    ticket = _unknown()
    linked = triage.ticket_link_customer(
        actor=agent, ticket_id=ticket.pk, version=ticket.version, customer_id=customer.pk,
        contact_id=other.pk,
    )  # fmt: skip
    assert linked.contact_id == other.pk
    # A contact with the sender's address added meanwhile is reused, not duplicated.
    second = _unknown(n=2, sender="new@nowhere.cn")
    same = ContactFactory(customer=customer, email="new@nowhere.cn")
    Ticket.objects.filter(pk=second.pk).update(customer=None)  # as if it came before
    linked = triage.ticket_link_customer(
        actor=agent, ticket_id=second.pk, version=second.version, customer_id=customer.pk,
        create_contact=True,
    )  # fmt: skip
    assert linked.contact_id == same.pk
    assert Contact.objects.filter(email="new@nowhere.cn").count() == 1


def test_linking_picks_the_customer_sla_counted_from_the_mail(agent, am_a):
    SlaPolicyFactory(name="默认", first_response_minutes=240, resolution_minutes=2400)
    SlaPolicyFactory(name="铂金", value_class="platinum", first_response_minutes=30,
                     resolution_minutes=120)  # fmt: skip
    customer = CustomerFactory(owner=am_a)
    _value(customer, "platinum")
    ticket = services.ticket_create(
        actor=None, data={"subject": "来信", "channel": "email"}, body="x",
        requester_email="a@b.cn", now=MONDAY_10,
    )  # fmt: skip
    assert ticket.sla_policy.name == "默认"
    Ticket.objects.filter(pk=ticket.pk).update(created_at=MONDAY_10)  # the mail came then
    linked = triage.ticket_link_customer(
        actor=agent, ticket_id=ticket.pk, version=ticket.version, customer_id=customer.pk,
        now=MONDAY_10 + dt.timedelta(minutes=10),
    )  # fmt: skip
    linked.refresh_from_db()
    assert linked.sla_policy.name == "铂金"
    assert linked.first_response_due == MONDAY_10 + dt.timedelta(minutes=30)
    assert linked.resolution_due == MONDAY_10 + dt.timedelta(minutes=120)


def test_link_errors_name_the_field(agent, am_a, am_b):
    customer = CustomerFactory(owner=am_a)
    ticket = _unknown()
    with pytest.raises(Conflict):
        triage.ticket_link_customer(actor=agent, ticket_id=ticket.pk, version=99,
                                    customer_id=customer.pk)  # fmt: skip
    with pytest.raises(NotFound) as missing:
        triage.ticket_link_customer(actor=agent, ticket_id=ticket.pk, version=ticket.version,
                                    customer_id=10**9)  # fmt: skip
    assert missing.value.field == "customer_id"
    other = ContactFactory(customer=CustomerFactory(owner=am_b))
    with pytest.raises(ValidationFailed) as wrong:
        triage.ticket_link_customer(actor=agent, ticket_id=ticket.pk, version=ticket.version,
                                    customer_id=customer.pk, contact_id=other.pk)  # fmt: skip
    assert "contact_id" in wrong.value.errors
    with pytest.raises(ValidationFailed) as both:
        triage.ticket_link_customer(
            actor=agent, ticket_id=ticket.pk, version=ticket.version, customer_id=customer.pk,
            contact_id=other.pk, create_contact=True,
        )  # fmt: skip
    assert "contact_id" in both.value.errors
    done = triage.ticket_link_customer(actor=agent, ticket_id=ticket.pk,
                                       version=ticket.version, customer_id=customer.pk)  # fmt: skip
    with pytest.raises(ValidationFailed) as again:
        triage.ticket_link_customer(actor=agent, ticket_id=ticket.pk, version=done.version,
                                    customer_id=customer.pk)  # fmt: skip
    assert "customer_id" in again.value.errors


def test_an_account_manager_cannot_triage_the_unknown_queue(am_a):
    ticket = _unknown()
    customer = CustomerFactory(owner=am_a)
    with pytest.raises(NotFound):  # the unknown queue is not in their scope at all
        triage.ticket_link_customer(actor=am_a, ticket_id=ticket.pk, version=ticket.version,
                                    customer_id=customer.pk)  # fmt: skip
    with pytest.raises(NotFound):
        triage.ticket_mark_spam(actor=am_a, ticket_id=ticket.pk, version=ticket.version)


def test_the_agent_links_only_to_a_customer_they_may_log_on(agent, admin_user, am_a):
    from guanxi.accounts.models import Role
    from guanxi.accounts.tests.factories import UserFactory

    ticket = _unknown()
    reader = UserFactory(username="viewer", role=Role.MANAGER)  # reads all; may log on own
    customer = CustomerFactory(owner=am_a)
    try:
        triage.ticket_link_customer(actor=reader, ticket_id=ticket.pk, version=ticket.version,
                                    customer_id=customer.pk)  # fmt: skip
    except (PermissionDenied, NotFound):
        assert Ticket.objects.get(pk=ticket.pk).customer_id is None
    else:
        assert Ticket.objects.get(pk=ticket.pk).customer_id == customer.pk


def test_spam_closes_without_survey_and_later_mail_opens_no_ticket(agent):
    ticket = _unknown()
    done = triage.ticket_mark_spam(actor=agent, ticket_id=ticket.pk, version=ticket.version)
    done.refresh_from_db()
    assert done.status == "closed" and done.spam_at is not None and done.closed_at
    assert not Survey.objects.exists()
    again = mail.mail_receive(_mail(n=5, subject="再来一封"))
    assert again.status == InboundStatus.SPAM and again.ticket_id is None
    assert InboundMail.objects.get(pk=again.pk).raw  # kept, not lost
    assert Ticket.objects.count() == 1
    # Another unknown sender is not affected.
    assert mail.mail_receive(_mail(sender="else@nowhere.cn", n=6)).status == "ticket"
    with pytest.raises(ValidationFailed) as twice:
        triage.ticket_mark_spam(actor=agent, ticket_id=ticket.pk, version=done.version)
    assert "customer_id" in twice.value.errors
    # Reopening clears the mark: the sender's mail opens tickets again.
    reopened = services.ticket_transition(actor=agent, ticket_id=ticket.pk, status="open",
                                          version=done.version)  # fmt: skip
    assert reopened.spam_at is None
    assert mail.mail_receive(_mail(n=7, subject="第三封")).status == "ticket"


def test_spam_is_only_for_unknown_senders(agent, am_a):
    known = services.ticket_create(actor=agent, customer_id=CustomerFactory(owner=am_a).pk,
                                   data={"subject": "已知"})  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        triage.ticket_mark_spam(actor=agent, ticket_id=known.pk, version=known.version)
    assert "customer_id" in refused.value.errors


def test_page_triage_and_spam(client, agent, am_a, django_assert_max_num_queries):
    customer = CustomerFactory(owner=am_a)
    ticket = _unknown()
    client.force_login(agent)
    url = reverse("service:detail", args=[ticket.pk])
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert b'id="triage-form"' in page.content and b'id="triage-spam"' in page.content
    bad = client.post(reverse("service:triage", args=[ticket.pk]),
                      {"version": ticket.version, "customer": 10**9})  # fmt: skip
    assert bad.status_code == 422
    assert "客户不存在" in bad.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).customer_id is None
    ok = client.post(reverse("service:triage", args=[ticket.pk]),
                     {"version": ticket.version, "customer": customer.pk,
                      "create_contact": "on"})  # fmt: skip
    assert ok.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).customer_id == customer.pk
    assert b'id="triage-form"' not in client.get(url).content
    other = _unknown(n=3, sender="spam@junk.cn")
    stale = client.post(reverse("service:spam", args=[other.pk]), {"version": 99})
    assert stale.status_code == 302 and Ticket.objects.get(pk=other.pk).spam_at is None
    client.post(reverse("service:spam", args=[other.pk]), {"version": other.version})
    assert Ticket.objects.get(pk=other.pk).spam_at is not None
    assert b'id="ticket-spam"' in client.get(reverse("service:detail", args=[other.pk])).content


def test_api_triage_and_spam(client, agent, am_a):
    customer = CustomerFactory(owner=am_a)
    ticket = _unknown()
    client.force_login(agent)
    response = client.post(f"{API}/{ticket.pk}/link-customer",
                           {"version": ticket.version, "customer_id": customer.pk,
                            "create_contact": True}, content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["customer_id"] == customer.pk and body["contact_id"] is not None
    assert body["spam_at"] is None
    again = client.post(f"{API}/{ticket.pk}/link-customer",
                        {"version": body["version"], "customer_id": customer.pk},
                        content_type="application/json")  # fmt: skip
    assert again.status_code == 422 and "customer_id" in again.content.decode()
    other = _unknown(n=4, sender="spam@junk.cn")
    spam = client.post(f"{API}/{other.pk}/spam", {"version": other.version},
                       content_type="application/json")  # fmt: skip
    assert spam.status_code == 200 and spam.json()["spam_at"] and spam.json()["status"] == "closed"
    stale = client.post(f"{API}/{other.pk}/spam", {"version": other.version},
                        content_type="application/json")  # fmt: skip
    assert stale.status_code in (409, 422)
    missing = client.post(f"{API}/{10**9}/spam", {"version": 1}, content_type="application/json")
    assert missing.status_code == 404


def test_api_triage_refused_to_those_who_do_not_serve(client, portal_user):
    ticket = _unknown()
    client.force_login(portal_user)
    for path, payload in (("link-customer", {"version": 1, "customer_id": 1}),
                          ("spam", {"version": 1})):  # fmt: skip
        response = client.post(f"{API}/{ticket.pk}/{path}", payload,
                               content_type="application/json")  # fmt: skip
        assert response.status_code in (401, 403)
    assert Ticket.objects.get(pk=ticket.pk).customer_id is None


def test_the_customer_search_offers_only_customers_in_scope(
    client, am_a, am_b, team_a, django_assert_num_queries
):
    from guanxi.accounts.models import Role, RoleScope, ScopeLevel
    from guanxi.accounts.tests.factories import UserFactory

    RoleScope.objects.update_or_create(
        role=Role.SERVICE_AGENT,
        defaults={"read_level": ScopeLevel.DEPARTMENT, "write_level": ScopeLevel.DEPARTMENT},
    )
    desk = UserFactory(role=Role.SERVICE_AGENT, team=team_a)
    mine = CustomerFactory(owner=am_a, name="瀚海科技有限公司")
    CustomerFactory(owner=am_b, name="瀚海物流有限公司")
    ticket = _unknown()
    ticket.assignee = desk
    ticket.save()
    client.force_login(desk)
    url = reverse("service:triage_customers", args=[ticket.pk])

    # a fixed number: no query per customer offered
    with django_assert_num_queries(8):
        found = client.get(url, {"customer_q": "瀚海"}, HTTP_HX_REQUEST="true")

    html = found.content.decode()
    assert found.status_code == 200 and 'id="triage-customers"' in html
    assert f'value="{mine.pk}"' in html and "瀚海物流" not in html
    assert "<html" not in html
    none = client.get(url, {"customer_q": "不存在的客户"}).content.decode()
    assert 'id="triage-none"' in none


def test_the_picked_customer_stays_when_searching_again_or_on_an_error(client, agent, am_a):
    picked = CustomerFactory(owner=am_a, name="瀚海科技有限公司")
    CustomerFactory(owner=am_a, name="长江贸易有限公司")
    ticket = _unknown()
    client.force_login(agent)

    again = client.get(reverse("service:triage_customers", args=[ticket.pk]),
                       {"customer_q": "长江", "customer": picked.pk}).content.decode()  # fmt: skip
    assert f'value="{picked.pk}" id="triage-customer-{picked.pk}" checked' in again
    assert "长江贸易" in again

    # Enter in the search box sends the form without a pick: the matches come back.
    typed = client.post(reverse("service:triage", args=[ticket.pk]),
                        {"version": ticket.version, "customer_q": "长江"})  # fmt: skip
    assert typed.status_code == 422
    assert "长江贸易" in typed.content.decode() and 'name="customer"' in typed.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).customer_id is None


def test_the_customer_search_of_a_ticket_out_of_reach_is_404(client, am_a):
    ticket = _unknown()
    client.force_login(am_a)

    response = client.get(reverse("service:triage_customers", args=[ticket.pk]),
                          {"customer_q": "瀚海"})  # fmt: skip

    assert response.status_code == 404
