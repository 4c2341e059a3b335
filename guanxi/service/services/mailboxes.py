"""IMAP polling of the company mailboxes (``guanxi mail-poll``, and the worker's periodic
job every :data:`POLL_EVERY` seconds).

A poll claims the mailbox with a lease (one conditional UPDATE, so any number of workers
may run the job and only one talks to a mailbox at a time), opens the folder read-only,
and takes the messages above the last UID it took, oldest first, each through the same
intake as ``guanxi mail-in`` (``mail.mail_receive``). Messages are fetched with
``BODY.PEEK[]``: the mailbox is left as it was (nothing marked read, nothing deleted), so
people may keep using it.

Idempotent: the position (UIDVALIDITY, last UID) moves after each message is stored, a
message already taken (``MailboxMessage``) is not taken again, and the intake ignores a
Message-ID that already opened a ticket, so a crash mid-poll or a server that resets its
UIDs opens no duplicate ticket. A mailbox that cannot be reached keeps its position and
the error (``last_error``); the next poll tries again.

The settings (``mailbox_create``, ``mailbox_update``: admins) audit old → new. Pointing a
mailbox at another server, account or folder starts its position over (the intake still
recognises the Message-IDs already taken); switching it off stops the polling, nothing
else: the tickets and messages it brought stay.
"""

from __future__ import annotations

import datetime as dt
import imaplib
import logging
import os
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.accounts.models import Team
from guanxi.core import audit
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.writes import check_version, full_clean, reject_unknown
from guanxi.service.models import Mailbox, MailboxMessage, TicketCategory, TicketPriority
from guanxi.service.services import mail

log = logging.getLogger("guanxi.service.imap")

POLL_EVERY = 120.0  # seconds
LEASE = dt.timedelta(minutes=10)
MAX_PER_POLL = 500  # messages per mailbox per poll; the rest next time
TIMEOUT = 60.0  # seconds per socket operation
_UID = re.compile(rb"UID (\d+)")

Connect = Callable[[Mailbox], Any]


class MailboxError(Exception):
    """The server refused or answered something unusable."""


@dataclass
class PollResult:
    mailbox_id: int
    taken: int = 0
    skipped: int = 0
    error: str = ""
    claimed: bool = True


def _password(mailbox: Mailbox) -> str:
    password = os.environ.get(mailbox.password_env, "")
    if not password:
        raise MailboxError(f"environment variable {mailbox.password_env} is not set")
    return password


def connect(mailbox: Mailbox) -> imaplib.IMAP4:
    """A logged-in IMAP connection (TLS verified against the system's CAs when SSL)."""
    client: imaplib.IMAP4
    if mailbox.use_ssl:
        context = ssl.create_default_context()
        client = imaplib.IMAP4_SSL(mailbox.host, mailbox.port, ssl_context=context, timeout=TIMEOUT)
    else:
        client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT)
    try:
        client.login(mailbox.username, _password(mailbox))
    except Exception:
        _close(client)
        raise
    return client


def _close(client: Any) -> None:
    try:
        client.logout()
    except Exception:  # already gone; nothing to keep
        log.debug("logout failed", exc_info=True)


def _claim(mailbox_id: int, now: dt.datetime) -> bool:
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return bool(
        Mailbox.objects.filter(free, pk=mailbox_id, active=True).update(lease_until=now + LEASE)
    )


def _ok(answer: tuple[str, list[Any]], what: str) -> list[Any]:
    status, data = answer
    if status != "OK":
        raise MailboxError(f"{what}: {status} {data!r}"[:500])
    return data


def _uid_validity(client: Any) -> int:
    _status, data = client.response("UIDVALIDITY")
    try:
        return int(data[0])
    except (TypeError, ValueError, IndexError):
        raise MailboxError("the server gave no UIDVALIDITY") from None


def _new_uids(client: Any, after: int) -> list[int]:
    data = _ok(client.uid("SEARCH", "UID", f"{after + 1}:*"), "UID SEARCH")
    uids = sorted({int(u) for chunk in data if chunk for u in chunk.split()})
    # "n:*" answers the last message even when its UID is below n.
    return [u for u in uids if u > after]


def _fetch(client: Any, uid: int) -> bytes | None:
    data = _ok(client.uid("FETCH", str(uid), "(BODY.PEEK[])"), "UID FETCH")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            found = _UID.search(item[0])
            if found is None or int(found.group(1)) == uid:
                return bytes(item[1])
    return None  # expunged meanwhile


def _take(mailbox: Mailbox, validity: int, uid: int, raw: bytes) -> bool:
    if MailboxMessage.objects.filter(mailbox=mailbox, uid_validity=validity, uid=uid).exists():
        return False
    inbound = mail.mail_receive(raw, envelope_from="", mailbox=mailbox)
    try:
        with transaction.atomic():
            MailboxMessage.objects.create(
                mailbox=mailbox, uid_validity=validity, uid=uid, inbound=inbound
            )
    except IntegrityError:  # taken by another poller meanwhile; the intake saw the Message-ID
        return False
    return True


def mailbox_poll(*, mailbox_id: int, connector: Connect | None = None) -> PollResult:
    """Take the new messages of mailbox ``mailbox_id`` into the desk (see the module)."""
    now = timezone.now()
    result = PollResult(mailbox_id=mailbox_id)
    if not _claim(mailbox_id, now):
        result.claimed = False
        return result
    mailbox = Mailbox.objects.get(pk=mailbox_id)
    client = None
    try:
        client = (connector or connect)(mailbox)
        _ok(client.select(_quoted(mailbox.folder), readonly=True), "EXAMINE")
        validity = _uid_validity(client)
        if validity != mailbox.uid_validity:
            # New folder or UIDs reset by the server: start over; taken Message-IDs are
            # still recognised by the intake.
            mailbox.uid_validity, mailbox.last_uid = validity, 0
            Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=validity, last_uid=0)
        for uid in _new_uids(client, mailbox.last_uid)[:MAX_PER_POLL]:
            raw = _fetch(client, uid)
            if raw is not None and _take(mailbox, validity, uid, raw):
                result.taken += 1
            else:
                result.skipped += 1
            mailbox.last_uid = uid
            Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=uid)
    except (OSError, imaplib.IMAP4.error, MailboxError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("mailbox %s: %s", mailbox.pk, result.error)
    finally:
        if client is not None:
            _close(client)
        Mailbox.objects.filter(pk=mailbox.pk).update(
            lease_until=None, last_polled_at=timezone.now(), last_error=result.error
        )
    return result


def _quoted(folder: str) -> str:
    escaped = folder.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def mailboxes_poll() -> list[PollResult]:
    """Every active mailbox once (the periodic job and ``guanxi mail-poll``)."""
    ids = list(Mailbox.objects.filter(active=True).order_by("id").values_list("pk", flat=True))
    return [mailbox_poll(mailbox_id=pk) for pk in ids]


# --- settings (admins) -------------------------------------------------------------------

SETTINGS_FIELDS = ("name", "host", "port", "use_ssl", "username", "password_env", "folder",
                   "active", "default_team_id", "default_priority", "default_category")  # fmt: skip
# Changing one of these points the mailbox elsewhere: the old position means nothing there.
_WHERE = frozenset({"host", "port", "username", "folder"})
_TEXT = frozenset({"name", "host", "username", "password_env", "folder"})
_CHOICES: dict[str, Any] = {"default_priority": TicketPriority, "default_category": TicketCategory}


def _may_manage(actor: Any) -> None:
    if not permissions.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以设置收件邮箱。"))


def _apply(mailbox: Mailbox, data: Mapping[str, Any]) -> None:
    reject_unknown(data, SETTINGS_FIELDS)
    errors: dict[str, str] = {}
    for name, value in data.items():
        if name in _TEXT:
            if not isinstance(value, str):
                errors[name] = _("必须是文字。")
                continue
            value = value.replace("\x00", "").strip()
        elif name in ("use_ssl", "active"):
            if not isinstance(value, bool):
                errors[name] = _("无效的选项。")
                continue
        elif name == "port" and (isinstance(value, bool) or not isinstance(value, int)):
            errors[name] = _("必须是 1 到 65535 之间的整数。")
            continue
        elif name == "default_team_id":
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not Team.objects.filter(pk=value).exists()
            ):
                errors[name] = _("该部门不存在。")
                continue
        elif name in _CHOICES:
            if value is None:
                value = ""
            if not isinstance(value, str) or (value and value not in _CHOICES[name].values):
                errors[name] = _("无效的选项。")
                continue
        setattr(mailbox, name, value)
    if errors:
        raise ValidationFailed(errors)
    full_clean(mailbox)
    clash = Mailbox.objects.filter(name=mailbox.name)
    if mailbox.pk is not None:
        clash = clash.exclude(pk=mailbox.pk)
    if clash.exists():
        raise ValidationFailed({"name": _("已有同名的收件邮箱。")})


def _save(mailbox: Mailbox) -> None:
    try:
        with transaction.atomic():
            mailbox.save()
    except IntegrityError:  # a concurrent twin passed the check above
        raise ValidationFailed({"name": _("已有同名的收件邮箱。")}) from None


@transaction.atomic
def mailbox_create(*, actor: Any, data: Mapping[str, Any]) -> Mailbox:
    _may_manage(actor)
    missing = [n for n in ("name", "host", "username", "password_env") if n not in data]
    if missing:
        raise ValidationFailed(dict.fromkeys(missing, _("这个字段是必填项。")))
    mailbox = Mailbox()
    _apply(mailbox, data)
    _save(mailbox)
    audit.audit_create(actor=actor, obj=mailbox)
    return mailbox


@transaction.atomic
def mailbox_update(
    *, actor: Any, mailbox_id: int, data: Mapping[str, Any], version: int | None
) -> Mailbox:
    """Edit a mailbox or switch it off (``active``); see the module for the position."""
    _may_manage(actor)
    mailbox = Mailbox.objects.select_for_update().filter(pk=mailbox_id).first()
    if mailbox is None:
        raise NotFound(_("收件邮箱不存在。"))
    check_version(mailbox, version)
    before = audit.snapshot(mailbox, SETTINGS_FIELDS)
    _apply(mailbox, data)
    changed = audit.diff(before, audit.snapshot(mailbox, SETTINGS_FIELDS))
    if not changed:
        return mailbox
    if _WHERE & changed.keys():
        mailbox.uid_validity, mailbox.last_uid, mailbox.last_error = None, 0, ""
    mailbox.version += 1
    _save(mailbox)
    audit.audit_update(actor=actor, obj=mailbox, before=before)
    return mailbox
