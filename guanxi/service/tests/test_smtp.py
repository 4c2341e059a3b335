"""The SMTP receiver end to end on 127.0.0.1: smtplib → ``guanxi mail-in``'s controller →
a ticket; the agent's reply → a real SMTP sink with threading headers; the customer's
answer → the same ticket."""

import smtplib
import time
from email.message import EmailMessage

import pytest

from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.notifications.tests.receivers import _free_port, smtp_server
from guanxi.service.models import InboundMail, Ticket
from guanxi.service.services import tickets as services
from guanxi.service.smtp import controller

DEADLINE = 30.0


def _wait_for(predicate):
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("condition not met before the deadline")


@pytest.fixture
def desk():
    port = _free_port()
    server = controller("127.0.0.1", port)
    server.start()
    try:
        yield port
    finally:
        server.stop()


def _send(port, msg):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(msg)


@pytest.mark.django_db(transaction=True)
def test_mail_becomes_ticket_reply_threads_back(desk, agent, am_a, settings):
    contact = ContactFactory(customer=CustomerFactory(owner=am_a), email="wang@example.com")
    msg = EmailMessage()
    msg["From"] = "王芳 <wang@example.com>"
    msg["To"] = "service@desk.example.com"
    msg["Subject"] = "服务器宕机"
    msg["Message-ID"] = "<q1@example.com>"
    msg.set_content("生产服务器无法访问")
    _send(desk, msg)
    ticket = _wait_for(lambda: Ticket.objects.filter(message_id="<q1@example.com>").first())
    assert ticket.contact_id == contact.pk and ticket.subject == "服务器宕机"

    with smtp_server() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = sink.host, sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        reply = services.ticket_reply(
            actor=agent, ticket_id=ticket.pk, body="正在处理", status="waiting"
        )
        sent = _wait_for(lambda: sink.messages[:1])[0]
    assert sent["In-Reply-To"] == "<q1@example.com>"
    assert sent["Message-ID"] == reply.message_id
    assert services.ticket_token(ticket.pk) in sent["Subject"]
    assert sink.envelopes[0][1] == ["wang@example.com"]

    answer = EmailMessage()
    answer["From"] = "wang@example.com"
    answer["To"] = "service@desk.example.com"
    answer["Subject"] = f"Re: {sent['Subject']}"
    answer["Message-ID"] = "<q2@example.com>"
    answer["In-Reply-To"] = sent["Message-ID"]
    answer["References"] = f"<q1@example.com> {sent['Message-ID']}"
    answer.set_content("恢复了，谢谢")
    _send(desk, answer)
    _wait_for(
        lambda: InboundMail.objects.filter(message_id="<q2@example.com>", status="message").exists()
    )
    ticket.refresh_from_db()
    assert Ticket.objects.count() == 1
    assert ticket.status == "open"  # the customer answered: the clock runs again
    assert ticket.messages.count() == 3
