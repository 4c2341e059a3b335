"""Mail in and out of the service desk.

In: ``mail_receive`` keeps the raw message first (``InboundMail``), then reads it: an
auto-reply, a bounce or a loop (our own mail coming back, or a sender flooding the desk)
is recorded and left alone; a message answering a ticket's mail (Message-ID in
In-Reply-To / References, or the signed ``[#id-token]`` in the subject) is added to that
ticket; anything else opens a ticket, its sender matched to a contact or customer by
e-mail (the importer's matcher) or, unmatched, left on the "unknown" queue (its triage:
``services.triage``; mail from a sender triaged as spam is kept, opens nothing). A message
that cannot be read is kept with status ``failed`` and the error: never lost, never a 500.

Out: ``reply_send`` sends an agent's reply through Django's mail backend with the ticket
token in the subject and In-Reply-To / References headers, so the customer's answer
threads back.
"""

from __future__ import annotations

import datetime as dt
import email
import email.errors
import email.header
import email.message
import email.utils
import html
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags

from guanxi.core.errors import DomainError
from guanxi.customers.importers.matching import customer_keys, find_customer_matches
from guanxi.customers.models import Contact
from guanxi.service.models import (
    InboundMail,
    InboundStatus,
    Mailbox,
    MessageKind,
    Ticket,
    TicketChannel,
    TicketMessage,
    TicketStatus,
)
from guanxi.service.services import tickets, triage

log = logging.getLogger("guanxi.service.mail")

# More mail than this from one sender within LOOP_WINDOW is a loop (an autoresponder
# answering our answers), not a customer.
LOOP_LIMIT = 20
LOOP_WINDOW = dt.timedelta(hours=1)
HEADER = "X-Guanxi-Ticket"
_CHARSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}
_MSGID = re.compile(r"<[^<>\s]{1,250}>")
_AUTO_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})


def desk_address() -> str:
    configured = getattr(settings, "GUANXI_SERVICE_EMAIL", "") or settings.DEFAULT_FROM_EMAIL
    return email.utils.parseaddr(configured)[1].lower()


def _domain() -> str:
    return desk_address().rpartition("@")[2] or "guanxi.local"


def new_message_id() -> str:
    return email.utils.make_msgid(domain=_domain())


# --- reading a message -----------------------------------------------------------------


def _decode(data: bytes, charset: str | None) -> str:
    name = (charset or "utf-8").lower()
    name = _CHARSETS.get(name, name)
    try:
        return data.decode(name, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def header_text(value: Any) -> str:
    """A header as text: RFC 2047 words (base64 / quoted-printable, GBK, GB2312 read as
    GB18030) decoded, raw 8-bit bytes read as UTF-8 or GB18030, never an exception."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        parts = email.header.decode_header(value)
    else:
        text = str(value)
        try:
            parts = email.header.decode_header(text)
        except (ValueError, email.errors.HeaderParseError):
            return text
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            if charset is None or charset == "unknown-8bit":
                try:
                    out.append(chunk.decode("utf-8"))
                    continue
                except UnicodeDecodeError:
                    charset = "gb18030"
            out.append(_decode(chunk, charset))
        else:
            out.append(chunk)
    # No control characters (PostgreSQL refuses NUL in text; a header is one line).
    return re.sub(r"[\s\x00-\x1f\x7f]+", " ", "".join(out)).strip()


def _message_ids(value: str) -> list[str]:
    return _MSGID.findall(value or "")


def _payload_text(part: email.message.Message) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: keep what is there
        data = None
    if not isinstance(data, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    return _decode(data, part.get_content_charset())


def _html_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", markup)
    return re.sub(r"\n{3,}", "\n\n", html.unescape(strip_tags(markup))).strip()


@dataclass
class Parsed:
    subject: str = ""
    from_name: str = ""
    from_email: str = ""
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    body: str = ""
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    kind: str = ""  # "" | auto_reply | bounce | loop


def _parts(msg: email.message.Message) -> Iterator[email.message.Message]:
    try:
        yield from msg.walk()
    except Exception:  # a malformed tree: what was read so far
        return


def parse(raw: bytes, *, envelope_from: str = "") -> Parsed:
    msg = email.message_from_bytes(raw)
    name, address = email.utils.parseaddr(header_text(msg.get("From")))
    address = address.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        address = ""  # unusable as a requester; the raw message still has it
    parsed = Parsed(
        subject=header_text(msg.get("Subject"))[:200],
        from_name=name[:100],
        from_email=address[:254],
        message_id=(_message_ids(str(msg.get("Message-ID", ""))) or [""])[0],
        in_reply_to=_message_ids(str(msg.get("In-Reply-To", ""))),
        references=_message_ids(str(msg.get("References", ""))),
    )
    plain = markup = ""
    for part in _parts(msg):
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = str(part.get("Content-Disposition", "")).lower()
        if filename or disposition.startswith("attachment"):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                parsed.attachments.append((header_text(filename) or "attachment.bin", data))
            continue
        content_type = part.get_content_type()
        if content_type == "text/plain" and not plain:
            plain = _payload_text(part)
        elif content_type == "text/html" and not markup:
            markup = _payload_text(part)
    parsed.body = (plain.strip() or _html_text(markup)).replace("\x00", "")[: tickets.MAX_BODY]
    parsed.kind = _machine_kind(msg, parsed, envelope_from)
    return parsed


def _machine_kind(msg: email.message.Message, parsed: Parsed, envelope_from: str) -> str:
    local = parsed.from_email.partition("@")[0]
    if (
        msg.get_content_type() == "multipart/report"
        or local in _BOUNCE_SENDERS
        or envelope_from.strip() in ("<>",)
    ):
        return InboundStatus.BOUNCE
    if msg.get(HEADER) is not None or parsed.from_email == desk_address():
        return InboundStatus.LOOP
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if (
        (auto and auto != "no")
        or precedence in _AUTO_PRECEDENCE
        or msg.get("X-Autoreply")
        or (msg.get("X-Autorespond"))
    ):
        return InboundStatus.AUTO_REPLY
    return ""


# --- threading and matching --------------------------------------------------------------


def _thread_ticket(parsed: Parsed) -> int | None:
    ids = [*parsed.in_reply_to, *parsed.references]
    if ids:
        found = (
            TicketMessage.objects.filter(message_id__in=ids)
            .order_by("-created_at")
            .values_list("ticket_id", flat=True)
            .first()
        )
        if found is None:
            found = Ticket.objects.filter(message_id__in=ids).values_list("pk", flat=True).first()
        if found is not None:
            return int(found)
    return tickets.ticket_id_from_subject(parsed.subject)


def match_sender(address: str) -> tuple[int | None, int | None]:
    """(customer id, contact id) of a sender: a contact with that address, else a customer
    with it (``customers.importers.matching``), else nothing (the unknown queue)."""
    if not address:
        return None, None
    contact = (
        Contact.objects.filter(email__in={address, address.lower()})
        .order_by("id")
        .values_list("customer_id", "pk")
        .first()
    )
    if contact is not None:
        return int(contact[0]), int(contact[1])
    matches = find_customer_matches([customer_keys(email=address)])
    if 0 in matches:
        return matches[0].customer_id, None
    return None, None


# --- receiving ---------------------------------------------------------------------------


def mail_receive(
    raw: bytes, *, envelope_from: str = "", mailbox: Mailbox | None = None
) -> InboundMail:
    """Keep ``raw`` and turn it into a ticket or a ticket message (see the module). A new
    ticket from ``mailbox`` (IMAP polling) gets the mailbox's defaults: its department
    (queue), priority (so its SLA policy) and category."""
    inbound = InboundMail.objects.create(
        raw=raw, size=len(raw), envelope_from=str(envelope_from or "")[:320]
    )
    try:
        _process(inbound, raw, envelope_from=str(envelope_from or ""), mailbox=mailbox)
    except Exception as exc:
        log.exception("mail %s could not be processed", inbound.pk)
        InboundMail.objects.filter(pk=inbound.pk).update(
            status=InboundStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        inbound.status = InboundStatus.FAILED
    return inbound


def _flooding(address: str, now: dt.datetime) -> bool:
    if not address:
        return False
    recent = InboundMail.objects.filter(
        from_email=address, received_at__gte=now - LOOP_WINDOW
    ).exclude(status__in=[InboundStatus.RECEIVED, InboundStatus.FAILED])
    return recent.count() >= LOOP_LIMIT


def _seen_ticket(message_id: str) -> int | None:
    """The ticket a customer's message with this Message-ID already opened or joined."""
    if not message_id:
        return None
    found = (
        TicketMessage.objects.filter(message_id=message_id, kind=MessageKind.INCOMING)
        .values_list("ticket_id", flat=True)
        .first()
    )
    return int(found) if found is not None else None


def _defaults(mailbox: Mailbox | None) -> dict[str, str]:
    if mailbox is None:
        return {}
    chosen = {"priority": mailbox.default_priority, "category": mailbox.default_category}
    return {name: value for name, value in chosen.items() if value}


def _process(
    inbound: InboundMail, raw: bytes, *, envelope_from: str, mailbox: Mailbox | None = None
) -> None:
    now = timezone.now()
    parsed = parse(raw, envelope_from=envelope_from)
    inbound.subject, inbound.from_email = parsed.subject, parsed.from_email
    inbound.message_id = parsed.message_id
    ticket_id = _thread_ticket(parsed)
    kind = parsed.kind or (InboundStatus.LOOP if _flooding(parsed.from_email, now) else "")
    seen = _seen_ticket(parsed.message_id) if not kind else None
    if seen is not None:  # delivered twice (SMTP retry, an IMAP poll after SMTP)
        kind, ticket_id = InboundStatus.DUPLICATE, seen
    if kind:
        inbound.status, inbound.ticket_id = kind, ticket_id
        inbound.save(update_fields=["status", "ticket", "subject", "from_email", "message_id"])
        return
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update().filter(pk=ticket_id).first() if ticket_id else None
        )
        if ticket is not None and ticket.status != TicketStatus.CLOSED:
            tickets.incoming_add(
                ticket=ticket, body=parsed.body, from_email=parsed.from_email,
                message_id=parsed.message_id, in_reply_to=" ".join(parsed.in_reply_to),
                references=" ".join(parsed.references), now=now,
            )  # fmt: skip
            inbound.status = InboundStatus.MESSAGE
        else:
            # A new matter, or an answer to a closed ticket: a new ticket.
            customer_id, contact_id = match_sender(parsed.from_email)
            if customer_id is None and triage.sender_is_spam(parsed.from_email):
                # Kept (the raw message is here) but no ticket: the sender is triaged spam.
                inbound.status = InboundStatus.SPAM
                inbound.ticket_id = ticket.pk if ticket is not None else None
                inbound.save(update_fields=["status", "ticket", "subject", "from_email",
                                            "message_id"])  # fmt: skip
                return
            ticket = tickets.ticket_create(
                actor=None,
                data={"subject": parsed.subject or "（无主题）", "channel": TicketChannel.EMAIL,
                      **_defaults(mailbox)},
                customer_id=customer_id, contact_id=contact_id, body=parsed.body,
                requester_email=parsed.from_email, requester_name=parsed.from_name,
                message_id=parsed.message_id,
                team_id=mailbox.default_team_id if mailbox is not None else None, now=now,
            )  # fmt: skip
            inbound.status = InboundStatus.TICKET
        inbound.ticket_id = ticket.pk
        inbound.save(update_fields=["status", "ticket", "subject", "from_email", "message_id"])
    _keep_attachments(ticket, parsed.attachments)


def _keep_attachments(ticket: Ticket, files: list[tuple[str, bytes]]) -> None:
    from guanxi.attachments.services import attachment_add

    for name, data in files:
        try:
            attachment_add(actor=None, kind="ticket", record_id=ticket.pk,
                           stream=io.BytesIO(data), name=name)  # fmt: skip
        except DomainError as exc:
            # Refused (type, size): the raw message still holds it; say so on the ticket.
            TicketMessage.objects.create(
                ticket=ticket, kind=MessageKind.NOTE,
                body=f"附件“{name[:100]}”未保存：{exc.message}",
            )  # fmt: skip


# --- sending -----------------------------------------------------------------------------


def reply_send(*, message_id: int) -> bool:
    """Send reply ``message_id`` to the ticket's requester (after commit). Failures are
    logged, the reply stays on the ticket."""
    message = (
        TicketMessage.objects.select_related("ticket", "ticket__contact", "author")
        .filter(pk=message_id, kind=MessageKind.REPLY)
        .first()
    )
    if message is None:
        return False
    ticket = message.ticket
    to = ticket.requester_email or (ticket.contact.email if ticket.contact else "")
    if not to:
        return False
    token = tickets.ticket_token(ticket.pk)
    subject = (
        ticket.subject if ticket.subject.lower().startswith("re:") else f"Re: {ticket.subject}"
    )
    headers = {"Message-ID": message.message_id, HEADER: token}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    mail = EmailMessage(
        subject=f"{subject} {token}", body=message.body,
        from_email=getattr(settings, "GUANXI_SERVICE_EMAIL", "") or settings.DEFAULT_FROM_EMAIL,
        to=[to], headers=headers,
    )  # fmt: skip
    try:
        mail.send(fail_silently=False)
    except Exception:
        log.exception("reply %s to ticket %s was not sent", message.pk, ticket.pk)
        return False
    return True
