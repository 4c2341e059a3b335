"""Per-mailbox defaults for new tickets (department queue, priority, category): set through
the service, the API and the settings page (audited, bad input named, nothing written), and
applied to the tickets that mail polled from that mailbox opens."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.urls import reverse

from guanxi.accounts.tests.factories import TeamFactory
from guanxi.core.errors import ValidationFailed
from guanxi.core.models import AuditEntry
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.customers.tests.test_api_support import Api, error_fields
from guanxi.service.models import Mailbox, Ticket
from guanxi.service.services import mail, mailboxes
from guanxi.service.tests.factories import SlaPolicyFactory
from guanxi.webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db
API = "/service/mailboxes"
DATA = {
    "name": "客服邮箱", "host": "imap.example.com", "port": 993, "use_ssl": True,
    "username": "service@example.com", "password_env": "GUANXI_MAILBOX_PASSWORD",
    "folder": "INBOX", "active": True,
}  # fmt: skip


def _rows():
    return list(Mailbox.objects.order_by("pk").values())


def _raw(n: int = 1, sender: str = "li@example.com") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"李雷 <{sender}>"
    msg["To"] = "desk@example.com"
    msg["Subject"] = f"维修请求 {n}"
    msg["Message-ID"] = f"<defaults-{n}@example.com>"
    msg.set_content("设备坏了")
    return msg.as_bytes()


# --- the service -------------------------------------------------------------------------


def test_defaults_are_kept_and_audited(admin_user):
    team = TeamFactory(name="售后服务部")
    data = {**DATA, "default_team_id": team.pk, "default_priority": "high",
            "default_category": "repair"}  # fmt: skip

    mailbox = mailboxes.mailbox_create(actor=admin_user, data=data)

    stored = Mailbox.objects.get(pk=mailbox.pk)
    assert (stored.default_team_id, stored.default_priority, stored.default_category) == (
        team.pk, "high", "repair",
    )  # fmt: skip
    entry = AuditEntry.objects.get(object_id=str(mailbox.pk), action="create")
    assert entry.changes["default_team_id"] == [None, team.pk]
    assert entry.changes["default_priority"] == [None, "high"]

    other = TeamFactory(name="技术支持部")
    mailboxes.mailbox_update(actor=admin_user, mailbox_id=mailbox.pk,
                             data={"default_team_id": other.pk, "default_priority": ""},
                             version=stored.version)  # fmt: skip
    update = AuditEntry.objects.get(object_id=str(mailbox.pk), action="update")
    assert update.changes == {"default_team_id": [team.pk, other.pk],
                              "default_priority": ["high", ""]}  # fmt: skip
    # Clearing the team is allowed (the desk's default queue again).
    mailboxes.mailbox_update(actor=admin_user, mailbox_id=mailbox.pk,
                             data={"default_team_id": None},
                             version=stored.version + 1)  # fmt: skip
    assert Mailbox.objects.get(pk=mailbox.pk).default_team_id is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"default_team_id": 10**9}, "default_team_id"),
        ({"default_team_id": "1"}, "default_team_id"),
        ({"default_team_id": True}, "default_team_id"),
        ({"default_priority": "asap"}, "default_priority"),
        ({"default_priority": 3}, "default_priority"),
        ({"default_category": "gossip"}, "default_category"),
    ],
)
def test_bad_defaults_name_the_field_and_write_nothing(admin_user, change, field):
    mailbox = Mailbox.objects.create(**DATA)
    before = _rows()

    with pytest.raises(ValidationFailed) as exc:
        mailboxes.mailbox_update(actor=admin_user, mailbox_id=mailbox.pk, data=change,
                                 version=mailbox.version)  # fmt: skip
    assert list(exc.value.errors) == [field]
    with pytest.raises(ValidationFailed) as exc:
        mailboxes.mailbox_create(actor=admin_user, data={**DATA, "name": "新邮箱", **change})
    assert list(exc.value.errors) == [field]
    assert _rows() == before


# --- the mail-in path --------------------------------------------------------------------


def test_a_new_ticket_from_the_mailbox_gets_its_defaults(am_a):
    team = TeamFactory(name="售后服务部")
    SlaPolicyFactory(name="普通", first_response_minutes=240, resolution_minutes=960)
    urgent = SlaPolicyFactory(name="紧急", priority="urgent", first_response_minutes=30,
                              resolution_minutes=240)  # fmt: skip
    ContactFactory(customer=CustomerFactory(owner=am_a), email="li@example.com")
    mailbox = Mailbox.objects.create(**DATA, default_team=team, default_priority="urgent",
                                     default_category="repair")  # fmt: skip

    inbound = mail.mail_receive(_raw(), mailbox=mailbox)

    ticket = Ticket.objects.get(pk=inbound.ticket_id)
    assert (ticket.team_id, ticket.priority, ticket.category) == (team.pk, "urgent", "repair")
    assert ticket.sla_policy_id == urgent.pk  # the policy is picked by the default priority
    assert ticket.first_response_target == 30 * 60
    # Created on the queue in one write: the creation's audit entry has the team, and the
    # ticket.created webhook too; no second (update) entry.
    entries = AuditEntry.objects.filter(model="service.ticket", object_id=str(ticket.pk))
    assert [e.action for e in entries] == ["create"]
    assert entries[0].changes["team_id"] == [None, team.pk]
    assert entries[0].customer_id == ticket.customer_id
    event = OutboxEvent.objects.filter(event="ticket.created").latest("pk")
    assert event.payload["ticket"]["team_id"] == team.pk


def test_mail_without_a_mailbox_or_without_defaults_keeps_the_desk_defaults(am_a):
    SlaPolicyFactory(name="普通", first_response_minutes=240, resolution_minutes=960)
    plain_box = Mailbox.objects.create(**DATA)

    by_smtp = Ticket.objects.get(pk=mail.mail_receive(_raw(1)).ticket_id)
    by_box = Ticket.objects.get(pk=mail.mail_receive(_raw(2), mailbox=plain_box).ticket_id)

    for ticket in (by_smtp, by_box):
        assert (ticket.team_id, ticket.priority, ticket.category) == (None, "normal", "inquiry")
        assert not AuditEntry.objects.filter(
            model="service.ticket", object_id=str(ticket.pk), action="update"
        ).exists()


def test_a_reply_to_an_open_ticket_keeps_the_ticket_as_it_is(am_a):
    team = TeamFactory(name="售后服务部")
    mailbox = Mailbox.objects.create(**DATA, default_team=team, default_priority="urgent")
    first = Ticket.objects.get(pk=mail.mail_receive(_raw(1)).ticket_id)  # by SMTP: no defaults
    reply = EmailMessage()
    reply["From"] = "李雷 <li@example.com>"
    reply["To"] = "desk@example.com"
    reply["Subject"] = f"Re: 维修请求 {first.pk}"
    reply["Message-ID"] = "<defaults-reply@example.com>"
    reply["In-Reply-To"] = "<defaults-1@example.com>"
    reply.set_content("补充说明")

    inbound = mail.mail_receive(reply.as_bytes(), mailbox=mailbox)

    assert inbound.ticket_id == first.pk
    first.refresh_from_db()
    assert (first.team_id, first.priority) == (None, "normal")


# --- the API -----------------------------------------------------------------------------


def test_api_sets_and_answers_the_defaults(admin_user):
    team = TeamFactory(name="售后服务部")
    api = Api(admin_user)

    created = api.post(API, {**DATA, "default_team_id": team.pk, "default_category": "repair"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["default_team_id"], body["default_priority"], body["default_category"]) == (
        team.pk, "", "repair",
    )  # fmt: skip
    patched = api.patch(f"{API}/{body['id']}",
                        {"version": body["version"], "default_priority": "high",
                         "default_team_id": None})  # fmt: skip
    assert patched.status_code == 200, patched.content
    assert (patched.json()["default_priority"], patched.json()["default_team_id"]) == ("high", None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"default_team_id": 10**9}, "default_team_id"),
        ({"default_priority": "asap"}, "default_priority"),
        ({"default_category": 5}, "default_category"),
    ],
)
def test_api_bad_defaults_are_422_naming_the_field(admin_user, change, field):
    mailbox = Mailbox.objects.create(**DATA)
    before = _rows()
    api = Api(admin_user)

    patched = api.patch(f"{API}/{mailbox.pk}", {"version": mailbox.version, **change})
    created = api.post(API, {**DATA, "name": "新邮箱", **change})

    for response in (patched, created):
        assert response.status_code == 422, response.content
        assert error_fields(response) == [field]
    assert _rows() == before


# --- the settings page -------------------------------------------------------------------


def _form(**kw):
    data = {**DATA, "use_ssl": "on", "active": "on", **kw}
    return {k: v for k, v in data.items() if v != ""}


def test_page_offers_and_saves_the_defaults(client, admin_user):
    team = TeamFactory(name="售后服务部")
    mailbox = Mailbox.objects.create(**DATA)
    client.force_login(admin_user)
    url = reverse("service:mailbox_edit", args=[mailbox.pk])

    page = client.get(url).content.decode()
    assert 'name="default_team_id"' in page and "售后服务部" in page
    saved = client.post(url, {**_form(default_team_id=team.pk, default_priority="high",
                                      default_category="complaint"), "version": 1})  # fmt: skip
    assert saved.status_code == 302
    stored = Mailbox.objects.get(pk=mailbox.pk)
    assert (stored.default_team_id, stored.default_priority, stored.default_category) == (
        team.pk, "high", "complaint",
    )  # fmt: skip


def test_page_refuses_an_unknown_team_and_writes_nothing(client, admin_user):
    TeamFactory(name="售后服务部")
    client.force_login(admin_user)

    response = client.post(reverse("service:mailboxes"), _form(default_team_id=10**9))

    assert response.status_code == 422
    assert _rows() == []
