"""Mail robustness (issue 12 acceptance): large attachments, Chinese encodings in every
transfer encoding, HTML-only mail, machine mail and loops, duplicates — none may fail the
intake or lose the message, and none of the machine mail is answered."""

import base64
import os
import quopri
import smtplib
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from django.core import mail as outbox

from guanxi.attachments.models import Attachment
from guanxi.service.models import InboundMail, InboundStatus, MessageKind, Ticket, TicketMessage
from guanxi.service.services import mail
from guanxi.service.services import tickets as services

MB = 1024 * 1024


def _headers(subject: bytes, ctype: bytes, cte: bytes, msgid: bytes = b"<r@example.com>") -> bytes:
    return (
        b"From: li@example.com\r\nTo: service@desk.example.com\r\n"
        b"Subject: " + subject + b"\r\nMessage-ID: " + msgid + b"\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: " + ctype + b"\r\n"
        b"Content-Transfer-Encoding: " + cte + b"\r\n\r\n"
    )


def _big_mail(size: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = "li@example.com"
    msg["To"] = "service@desk.example.com"
    msg["Subject"] = "设备日志"
    msg["Message-ID"] = "<big@example.com>"
    msg.set_content("日志见附件。")
    msg.add_attachment(b"%PDF-1.4\n" + os.urandom(size - 9), maintype="application",
                       subtype="pdf", filename="日志.pdf")  # fmt: skip
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))  # as on the wire


def _ticket_attachments(ticket):
    return Attachment.objects.filter(target_model="service.ticket", target_id=str(ticket.pk))


def test_a_20_mb_attachment_is_kept_on_the_ticket():
    raw = _big_mail(20 * MB)
    inbound = mail.mail_receive(raw)
    assert inbound.status == InboundStatus.TICKET
    stored = InboundMail.objects.get()
    assert stored.size == len(raw) > 26 * MB  # base64 on the wire
    attachment = _ticket_attachments(Ticket.objects.get()).get()
    assert attachment.name == "日志.pdf" and attachment.size == 20 * MB


def test_an_attachment_over_the_limit_is_noted_and_the_raw_mail_kept(settings):
    settings.GUANXI_ATTACHMENT_MAX_BYTES = 1 * MB
    raw = _big_mail(2 * MB)
    assert mail.mail_receive(raw).status == InboundStatus.TICKET
    ticket = Ticket.objects.get()
    assert not _ticket_attachments(ticket).exists()
    assert "日志.pdf" in ticket.messages.get(kind=MessageKind.NOTE).body
    assert bytes(InboundMail.objects.get().raw) == raw


@pytest.mark.django_db(transaction=True)
def test_a_20_mb_mail_through_the_smtp_receiver():
    from guanxi.notifications.tests.receivers import _free_port
    from guanxi.service.smtp import controller

    port = _free_port()
    server = controller("127.0.0.1", port)
    server.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
            refused = client.sendmail("li@example.com", ["service@desk.example.com"],
                                      _big_mail(20 * MB))  # fmt: skip
    finally:
        server.stop()
    assert refused == {}
    assert _ticket_attachments(Ticket.objects.get()).get().size == 20 * MB


@pytest.mark.parametrize("charset", ["gbk", "gb2312", "gb18030"])
def test_chinese_subject_and_body_in_base64(charset):
    subject = f"=?{charset}?B?{base64.b64encode('退货申请'.encode(charset)).decode()}?="
    body = base64.encodebytes("我要退货，订单号 A001。".encode(charset))
    raw = _headers(subject.encode(), f"text/plain; charset={charset}".encode(), b"base64") + body
    mail.mail_receive(raw)
    ticket = Ticket.objects.get()
    assert ticket.subject == "退货申请"
    assert ticket.messages.get().body == "我要退货，订单号 A001。"


@pytest.mark.parametrize("charset", ["gbk", "gb2312"])
def test_chinese_subject_and_body_in_quoted_printable(charset):
    word = quopri.encodestring("维修进度".encode(charset), header=True).decode()
    subject = f"=?{charset}?Q?{word}?="
    body = quopri.encodestring("师傅什么时候上门？".encode(charset))
    raw = _headers(subject.encode(), f"text/plain; charset={charset}".encode(),
                   b"quoted-printable") + body  # fmt: skip
    mail.mail_receive(raw)
    ticket = Ticket.objects.get()
    assert ticket.subject == "维修进度"
    assert ticket.messages.get().body == "师傅什么时候上门？"


def test_a_subject_folded_over_several_encoded_words():
    part = lambda t: "=?utf-8?B?" + base64.b64encode(t.encode()).decode() + "?="  # noqa: E731
    subject = f"{part('发票')}\r\n {part('抬头')}\r\n {part('错误')}".encode()
    mail.mail_receive(_headers(subject, b"text/plain; charset=utf-8", b"8bit") + b"x")
    assert Ticket.objects.get().subject == "发票抬头错误"


def test_an_unlabelled_gbk_subject_is_read():
    raw = _headers("空调漏水".encode("gbk"), b"text/plain; charset=gbk", b"8bit")
    mail.mail_receive(raw + "漏水严重".encode("gbk"))
    ticket = Ticket.objects.get()
    assert ticket.subject == "空调漏水" and ticket.messages.get().body == "漏水严重"


def test_html_only_mail_in_gbk_with_entities():
    markup = (
        "<html><head><style>p{color:red}</style></head><body>"
        "<p>价格&nbsp;&lt;100&gt;&amp;含税</p><div>第二行<img src=x onerror=alert(1)></div>"
        "<script>document.cookie</script></body></html>"
    )
    msg = MIMEText(markup, "html", "gbk")
    msg["From"] = "li@example.com"
    msg["Subject"] = "询价"
    mail.mail_receive(msg.as_bytes())
    body = Ticket.objects.get().messages.get().body
    assert "价格\xa0<100>&含税" in body and "第二行" in body
    assert "<" not in body.replace("<100>", "")
    assert "cookie" not in body and "color" not in body and "alert" not in body


@pytest.mark.parametrize(
    "raw",
    [
        # a multipart without its boundary parameter
        b"From: li@example.com\r\nSubject: x\r\nContent-Type: multipart/mixed\r\n\r\nbody",
        # a header line with no colon, then a body
        b"From: li@example.com\r\nthis is not a header\r\nSubject: y\r\n\r\nbody",
        # a base64 body with a broken padding and a non-text charset
        _headers(b"z", b'text/plain; charset=""', b"base64") + b"5oiR6KaB=A===",
        # nested multiparts 60 levels deep
        b"From: li@example.com\r\nSubject: deep\r\n"
        + b"".join(
            f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
            for i in range(60)
        )
        + b"Content-Type: text/plain\r\n\r\ninner\r\n",
        # only a Message-ID
        b"Message-ID: <lonely@example.com>\r\n\r\n",
    ],
)
def test_malformed_mime_is_kept_and_never_raises(raw):
    inbound = mail.mail_receive(raw)
    stored = InboundMail.objects.get(pk=inbound.pk)
    assert bytes(stored.raw) == raw
    assert stored.status in (InboundStatus.TICKET, InboundStatus.FAILED)


def test_a_mail_the_parser_chokes_on_is_flagged_for_triage(monkeypatch):
    def explode(*args, **kwargs):
        raise UnicodeError("boom")

    monkeypatch.setattr(mail, "parse", explode)
    raw = b"From: li@example.com\r\nSubject: x\r\n\r\nbody"
    inbound = mail.mail_receive(raw)
    stored = InboundMail.objects.get(pk=inbound.pk)
    assert stored.status == InboundStatus.FAILED and "boom" in stored.error
    assert bytes(stored.raw) == raw and not Ticket.objects.exists()


def test_a_dsn_with_an_empty_envelope_sender_is_a_bounce():
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = "Mail Delivery System <mailer@mx.example.com>"
    report["Subject"] = "Delivery Status Notification (Failure)"
    report.attach(MIMEText("550 user unknown", "plain", "utf-8"))
    inbound = mail.mail_receive(report.as_bytes(), envelope_from="<>")
    assert inbound.status == InboundStatus.BOUNCE and not Ticket.objects.exists()


def _answered_ticket(agent):
    mail.mail_receive(_headers(b"help", b"text/plain", b"8bit", b"<first@example.com>") + b"x")
    ticket = Ticket.objects.get()
    reply = services.ticket_reply(actor=agent, ticket_id=ticket.pk, body="好的", status="waiting")
    return ticket, reply


@pytest.mark.django_db(transaction=True)
def test_our_own_reply_coming_back_does_not_loop(agent):
    ticket, _reply = _answered_ticket(agent)
    sent = outbox.outbox[-1].message().as_bytes()
    outbox.outbox.clear()
    inbound = mail.mail_receive(sent)  # e.g. the customer's server forwarded it back
    assert inbound.status == InboundStatus.LOOP
    assert ticket.messages.count() == 2 and outbox.outbox == []


@pytest.mark.django_db(transaction=True)
def test_an_autoreply_to_our_reply_is_not_added_nor_answered(agent):
    ticket, reply = _answered_ticket(agent)
    outbox.outbox.clear()
    msg = EmailMessage()
    msg["From"] = "li@example.com"
    msg["Subject"] = "Out of office"
    msg["In-Reply-To"] = reply.message_id
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content("I am away")
    inbound = mail.mail_receive(msg.as_bytes())
    assert inbound.status == InboundStatus.AUTO_REPLY and inbound.ticket_id == ticket.pk
    ticket.refresh_from_db()
    assert ticket.status == "waiting"  # an autoresponder does not restart the clock
    assert ticket.messages.count() == 2 and outbox.outbox == []


def test_the_same_message_delivered_twice_opens_one_ticket():
    raw = _headers(b"twice", b"text/plain", b"8bit", b"<twice@example.com>") + b"x"
    first = mail.mail_receive(raw)
    second = mail.mail_receive(raw)
    assert first.status == InboundStatus.TICKET
    assert second.status == InboundStatus.DUPLICATE and second.ticket_id == first.ticket_id
    assert Ticket.objects.count() == 1 and TicketMessage.objects.count() == 1
    assert InboundMail.objects.count() == 2  # both kept
