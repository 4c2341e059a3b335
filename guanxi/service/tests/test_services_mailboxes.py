"""IMAP polling against a fake IMAP server on 127.0.0.1: mail becomes tickets once, however
often the mailbox is polled; the mailbox is only read; failures keep the position."""

import datetime as dt
from email.message import EmailMessage

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from guanxi.core.periodic import periodic_jobs
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.service.models import InboundMail, InboundStatus, Mailbox, MailboxMessage, Ticket
from guanxi.service.services import mailboxes
from guanxi.service.tests.imap_fake import FakeMailbox, imap_server

PASSWORD_ENV = "GUANXI_TEST_MAILBOX_PASSWORD"


def _raw(n: int, sender: str = "li@example.com") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"李雷 <{sender}>"
    msg["To"] = "desk@example.com"
    msg["Subject"] = f"第{n}个问题"
    msg["Message-ID"] = f"<imap-{n}@example.com>"
    msg.set_content(f"问题描述 {n}")
    return msg.as_bytes()


@pytest.fixture
def box():
    fake = FakeMailbox()
    for n in (1, 2, 3):
        fake.add(_raw(n))
    return fake


@pytest.fixture
def server(box, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, box.password)
    with imap_server(box) as address:
        yield address


@pytest.fixture
def mailbox(server, box):
    host, port = server
    return Mailbox.objects.create(
        name="客服邮箱", host=host, port=port, use_ssl=False, username=box.user,
        password_env=PASSWORD_ENV,
    )  # fmt: skip


def _poll(mailbox):
    return mailboxes.mailbox_poll(mailbox_id=mailbox.pk)


def test_new_mail_becomes_tickets_on_the_matched_customer(mailbox, am_a):
    contact = ContactFactory(customer=CustomerFactory(owner=am_a), email="li@example.com")
    result = _poll(mailbox)
    assert (result.taken, result.skipped, result.error) == (3, 0, "")
    tickets = Ticket.objects.order_by("id")
    assert [t.subject for t in tickets] == ["第1个问题", "第2个问题", "第3个问题"]
    assert {t.contact_id for t in tickets} == {contact.pk}
    assert {t.channel for t in tickets} == {"email"}
    mailbox.refresh_from_db()
    assert (mailbox.uid_validity, mailbox.last_uid, mailbox.last_error) == (7, 3, "")
    assert mailbox.lease_until is None and mailbox.last_polled_at is not None


def test_polling_twice_opens_no_duplicate(mailbox, box):
    _poll(mailbox)
    again = _poll(mailbox)
    assert (again.taken, again.skipped) == (0, 0)
    assert Ticket.objects.count() == 3
    assert InboundMail.objects.count() == 3
    box.add(_raw(4))
    assert _poll(mailbox).taken == 1
    assert Ticket.objects.count() == 4


def test_the_mailbox_is_only_read(mailbox, box):
    _poll(mailbox)
    verbs = [c.split()[0].upper() for c in box.commands]
    assert "EXAMINE" in verbs and "SELECT" not in verbs
    fetches = [c for c in box.commands if c.upper().startswith("UID FETCH")]
    assert fetches and all("BODY.PEEK[]" in c for c in fetches)
    assert not any(c.upper().startswith(("UID STORE", "STORE", "EXPUNGE")) for c in box.commands)


def test_a_uidvalidity_reset_opens_no_duplicate_tickets(mailbox, box):
    _poll(mailbox)
    box.uid_validity = 8  # the server renumbered the folder
    result = _poll(mailbox)
    assert result.taken == 3  # taken again under the new numbering ...
    assert Ticket.objects.count() == 3  # ... but recognised by Message-ID
    assert InboundMail.objects.filter(status=InboundStatus.DUPLICATE).count() == 3
    assert MailboxMessage.objects.filter(mailbox=mailbox, uid_validity=8).count() == 3


def test_a_message_taken_before_is_not_taken_again_after_a_crash(mailbox):
    # A crash after storing message 1 but before moving the position past it.
    _poll(mailbox)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=0)
    result = _poll(mailbox)
    assert (result.taken, result.skipped) == (0, 3)
    assert InboundMail.objects.count() == 3


def test_a_wrong_password_is_recorded_and_keeps_the_position(mailbox, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    result = _poll(mailbox)
    assert "AUTHENTICATIONFAILED" in result.error
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 0 and "AUTHENTICATIONFAILED" in mailbox.last_error
    assert mailbox.lease_until is None
    assert not InboundMail.objects.exists()
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    assert _poll(mailbox).taken == 3
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


def test_a_missing_password_variable_is_named(mailbox, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV)
    assert PASSWORD_ENV in _poll(mailbox).error


def test_an_unreachable_server_is_an_error_not_an_exception(db, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "x")
    from guanxi.notifications.tests.receivers import _free_port

    mailbox = Mailbox.objects.create(
        name="关掉的", host="127.0.0.1", port=_free_port(), use_ssl=False, username="u",
        password_env=PASSWORD_ENV,
    )  # fmt: skip
    result = _poll(mailbox)
    assert result.error and result.taken == 0


def test_a_mailbox_held_by_another_poller_is_left_alone(mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(
        lease_until=timezone.now() + dt.timedelta(minutes=5)
    )
    result = _poll(mailbox)
    assert not result.claimed and not InboundMail.objects.exists()


def test_an_expired_lease_is_taken_over(mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert _poll(mailbox).taken == 3


def test_an_inactive_mailbox_is_not_polled(mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(active=False)
    assert mailboxes.mailboxes_poll() == []
    assert not _poll(mailbox).claimed


def test_broken_mail_in_the_mailbox_is_kept_and_passed(mailbox, box):
    box.add(b"\xff\xfe\x00 not a mail at all")
    box.add(_raw(5))
    result = _poll(mailbox)
    assert result.taken == 5 and not result.error
    assert bytes(InboundMail.objects.order_by("id")[3].raw) == b"\xff\xfe\x00 not a mail at all"
    assert Ticket.objects.filter(subject="第5个问题").exists()


def test_machine_mail_from_the_mailbox_opens_nothing(mailbox, box):
    msg = EmailMessage()
    msg["From"] = "li@example.com"
    msg["Subject"] = "自动回复：我正在休假"
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content("我 10 月 8 日回来。")
    box.add(msg.as_bytes())
    _poll(mailbox)
    assert InboundMail.objects.filter(status=InboundStatus.AUTO_REPLY).count() == 1
    assert Ticket.objects.count() == 3


def test_the_command_polls_every_active_mailbox(mailbox, capsys):
    call_command("mail-poll")
    assert "3 new" in capsys.readouterr().out
    assert Ticket.objects.count() == 3
    with pytest.raises(CommandError):
        call_command("mail-poll", "--mailbox", "999999")


def test_the_command_fails_loudly_when_a_mailbox_fails(mailbox, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    with pytest.raises(CommandError):
        call_command("mail-poll")


def test_the_worker_polls_periodically(mailbox):
    job = {j.key: j for j in periodic_jobs()}["service_mail_poll"]
    assert job.every == mailboxes.POLL_EVERY
    job.run()
    assert Ticket.objects.count() == 3
