"""Mail in: threading, sender matching, machine mail, encodings and broken messages."""

import base64
import datetime as dt
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from guanxi.attachments.models import Attachment
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.service.models import InboundMail, InboundStatus, MessageKind, Ticket, TicketMessage
from guanxi.service.services import mail
from guanxi.service.services import tickets as services


def _mail(subject="打印机坏了", body="第三台打印机卡纸", sender="li@example.com", **headers):
    msg = EmailMessage()
    msg["From"] = f"李雷 <{sender}>"
    msg["To"] = "service@desk.example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = headers.pop("message_id", f"<{abs(hash((subject, body)))}@example.com>")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def test_new_mail_from_a_contact_opens_a_ticket_on_its_customer(am_a):
    contact = ContactFactory(customer=CustomerFactory(owner=am_a), email="li@example.com")
    inbound = mail.mail_receive(_mail())
    ticket = Ticket.objects.get()
    assert inbound.status == InboundStatus.TICKET and inbound.ticket_id == ticket.pk
    assert (ticket.customer_id, ticket.contact_id) == (contact.customer_id, contact.pk)
    assert ticket.channel == "email" and ticket.subject == "打印机坏了"
    assert ticket.requester_name == "李雷"
    assert TicketMessage.objects.get(ticket=ticket).body == "第三台打印机卡纸"


def test_sender_matching_falls_back_to_the_customer_address(am_a):
    customer = CustomerFactory(owner=am_a, email="info@acme.cn")
    mail.mail_receive(_mail(sender="info@acme.cn"))
    assert Ticket.objects.get().customer_id == customer.pk


def test_unknown_sender_lands_on_the_unknown_queue():
    mail.mail_receive(_mail(sender="stranger@nowhere.cn"))
    ticket = Ticket.objects.get()
    assert ticket.customer is None and ticket.requester_email == "stranger@nowhere.cn"


def test_a_reply_threads_by_in_reply_to_and_reopens(agent):
    mail.mail_receive(_mail(message_id="<m1@example.com>"))
    ticket = Ticket.objects.get()
    reply = services.ticket_reply(
        actor=agent, ticket_id=ticket.pk, body="请提供序列号", status="waiting"
    )
    inbound = mail.mail_receive(
        _mail(
            subject="Re: 打印机坏了",
            body="序列号 SN123",
            message_id="<m2@example.com>",
            In_Reply_To=reply.message_id,
            References=f"<m1@example.com> {reply.message_id}",
        )
    )
    assert inbound.status == InboundStatus.MESSAGE
    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == "open"
    kinds = list(ticket.messages.values_list("kind", flat=True))
    assert kinds == [MessageKind.INCOMING, MessageKind.REPLY, MessageKind.INCOMING]


def test_a_reply_threads_by_the_subject_token():
    mail.mail_receive(_mail())
    ticket = Ticket.objects.get()
    subject = f"答复: 打印机坏了 {services.ticket_token(ticket.pk)}"
    assert mail.mail_receive(_mail(subject=subject, body="好的")).status == InboundStatus.MESSAGE
    assert Ticket.objects.count() == 1


def test_an_answer_to_a_closed_ticket_opens_a_new_one(agent):
    mail.mail_receive(_mail(message_id="<c1@example.com>"))
    ticket = Ticket.objects.get()
    services.ticket_transition(actor=agent, ticket_id=ticket.pk, status="closed", version=1)
    mail.mail_receive(
        _mail(body="又坏了", message_id="<c2@example.com>", In_Reply_To="<c1@example.com>")
    )
    assert Ticket.objects.count() == 2


@pytest.mark.parametrize(
    ("headers", "sender", "status"),
    [
        ({"Auto_Submitted": "auto-replied"}, "li@example.com", InboundStatus.AUTO_REPLY),
        ({"X_Autoreply": "yes"}, "li@example.com", InboundStatus.AUTO_REPLY),
        ({"Precedence": "bulk"}, "li@example.com", InboundStatus.AUTO_REPLY),
        ({}, "MAILER-DAEMON@mx.example.com", InboundStatus.BOUNCE),
        ({"X_Guanxi_Ticket": "[#1-abcdef12]"}, "li@example.com", InboundStatus.LOOP),
        ({}, "service@desk.example.com", InboundStatus.LOOP),
    ],
)
def test_machine_mail_is_kept_but_opens_nothing(headers, sender, status):
    inbound = mail.mail_receive(_mail(sender=sender, **headers))
    assert inbound.status == status
    assert InboundMail.objects.get().raw
    assert not Ticket.objects.exists()


def test_a_bounce_report_is_recognised():
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = "postmaster@mx.example.com"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report.attach(MIMEText("delivery failed", "plain", "utf-8"))
    assert mail.mail_receive(report.as_bytes()).status == InboundStatus.BOUNCE


def test_a_flood_from_one_sender_is_a_loop():
    for i in range(mail.LOOP_LIMIT):
        mail.mail_receive(_mail(body=f"第{i}封"))
    assert mail.mail_receive(_mail(body="再一封")).status == InboundStatus.LOOP
    assert Ticket.objects.count() == mail.LOOP_LIMIT


def test_gbk_body_and_encoded_subjects():
    subject_b64 = "=?gb2312?B?" + base64.b64encode("网络故障".encode("gb2312")).decode() + "?="
    body = "您好，鍩樾中断了".encode("gbk")
    raw = (
        b"From: =?GBK?Q?=C0=EE=C0=D7?= <li@example.com>\r\n"
        b"Subject: " + subject_b64.encode() + b"\r\n"
        b"Message-ID: <gbk@example.com>\r\n"
        b"Content-Type: text/plain; charset=gb2312\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    )
    mail.mail_receive(raw)
    ticket = Ticket.objects.get()
    assert ticket.subject == "网络故障"
    assert ticket.requester_name == "李雷"
    assert ticket.messages.get().body == "您好，鍩樾中断了"


def test_quoted_printable_utf8_subject():
    raw = (
        b"From: li@example.com\r\nSubject: =?utf-8?Q?=E5=8F=91=E7=A5=A8?=\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nhello"
    )
    mail.mail_receive(raw)
    assert Ticket.objects.get().subject == "发票"


def test_html_only_mail_keeps_its_text():
    msg = MIMEText(
        "<html><body><p>设备<b>无法</b>开机</p><script>x()</script></body></html>", "html", "utf-8"
    )
    msg["From"] = "li@example.com"
    msg["Subject"] = "HTML"
    mail.mail_receive(msg.as_bytes())
    body = Ticket.objects.get().messages.get().body
    assert "设备无法开机" in body and "x()" not in body


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff\xfe\x00garbage without headers",
        b'From: li@example.com\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain; charset=no-such-charset\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n!!!not base64!!!\r\n",  # no closing boundary
        b"Subject: =?unknown?Q?=ZZ?=\r\nFrom: <>\r\n\r\nbody",
        b"Subject: =?utf-8?B?AAB4?=\r\nFrom: not an address\r\n\r\nNUL \x00 inside",
    ],
)
def test_malformed_mail_is_kept_and_handled(raw):
    inbound = mail.mail_receive(raw)
    stored = InboundMail.objects.get(pk=inbound.pk)
    assert bytes(stored.raw) == raw
    assert stored.status in (InboundStatus.TICKET, InboundStatus.BOUNCE), stored.error


def test_attachments_are_kept_on_the_ticket():
    msg = EmailMessage()
    msg["From"] = "li@example.com"
    msg["Subject"] = "截图"
    msg.set_content("见附件")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    msg.add_attachment(png, maintype="image", subtype="png", filename="屏幕.png")
    msg.add_attachment(
        b"MZ\x90\x00", maintype="application", subtype="octet-stream", filename="virus.exe"
    )
    mail.mail_receive(msg.as_bytes())
    ticket = Ticket.objects.get()
    assert list(
        Attachment.objects.filter(
            target_model="service.ticket", target_id=str(ticket.pk)
        ).values_list("name", flat=True)
    ) == ["屏幕.png"]
    note = ticket.messages.get(kind=MessageKind.NOTE)
    assert "virus.exe" in note.body


def test_the_first_response_clock_runs_for_mail(agent):
    from guanxi.service.tests.factories import SlaPolicyFactory

    SlaPolicyFactory(channel="email", first_response_minutes=30)
    mail.mail_receive(_mail())
    ticket = Ticket.objects.get()
    assert ticket.sla_policy is not None and ticket.first_response_due is not None
    assert ticket.first_response_due > ticket.created_at - dt.timedelta(seconds=1)
