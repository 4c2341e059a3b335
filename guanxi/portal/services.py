"""Writes of the portal: invitations and accounts (staff side), and what a customer's
portal user does — raise, answer and close tickets, attach files, answer surveys, keep
API tokens.

Every portal action is audited with the portal user as actor, once, by the app that
owns the row: the service desk and attachments take the portal user as ``created_by`` /
``author`` / ``uploaded_by`` / ``actor`` of their writes (the system resolves the record;
staff scope does not apply to a customer), and this module imports no other app's models.

Invitation links carry ``secrets.token_urlsafe(32)``; only the SHA-256 is stored. A link
opens once, until it expires (``GUANXI_PORTAL_INVITATION_DAYS``, 7 by default).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.accounts.models import Role, User
from guanxi.attachments.selectors import Attachment
from guanxi.attachments.services import attachment_add, attachment_download_log, check_upload
from guanxi.core import audit
from guanxi.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.tokens import token_digest
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.timeline import TimelineText, timeline_add
from guanxi.portal import selectors
from guanxi.portal.models import PortalAccount, PortalInvitation, PortalRole, PortalToken
from guanxi.projects.selectors_portal import ChangeRequest, Deliverable
from guanxi.projects.services import acceptance, changes
from guanxi.service.selectors_portal import (
    Survey,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketMessage,
    TicketStatus,
)
from guanxi.service.services import satisfaction, tickets

log = logging.getLogger("guanxi.portal")

TOKEN_BYTES = 32
DEFAULT_INVITATION_DAYS = 7
API_TOKEN_PREFIX = "gxp_"  # noqa: S105 - a prefix, not a secret
MAX_SUBJECT = 200


class InvitationExpired(DomainError):
    status = 410


class InvitationUsed(DomainError):
    status = 410


# --- tokens ---------------------------------------------------------------------------------


def invitation_ttl() -> dt.timedelta:
    days = int(getattr(settings, "GUANXI_PORTAL_INVITATION_DAYS", DEFAULT_INVITATION_DAYS))
    return dt.timedelta(days=max(1, days))


def invitation_url(token: str) -> str:
    base = str(getattr(settings, "GUANXI_BASE_URL", "")).rstrip("/")
    return f"{base}{reverse('portal:accept', args=[token])}"


# --- the portal user ------------------------------------------------------------------------


def require_account(user: Any, *, tickets_role: bool = False) -> PortalAccount:
    """The acting portal account; 403 for anyone else, and, with ``tickets_role``, for a
    viewer (who reads but raises nothing)."""
    account = selectors.account_of(user)
    if account is None:
        raise PermissionDenied(_("只有客户门户用户可以这样做。"))
    if tickets_role and not account.may_raise_tickets:
        raise PermissionDenied(_("您的门户角色只能查看，不能提交或回复工单。"))
    return account


# --- invitations (staff side) ---------------------------------------------------------------


def _customer_for_change(actor: Any, customer_id: Any) -> Any:
    if not permissions.is_staff_actor(actor):
        raise PermissionDenied(_("只有员工可以管理门户账号。"))
    customer = customer_selectors.customer_get(actor=actor, customer_id=customer_id)
    if not permissions.can_change_customer(actor, customer):
        raise PermissionDenied(_("你没有修改该客户的权限。"))
    return customer


def _clean_email(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed({"email": _("这个字段是必填项。")})
    email = value.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed({"email": _("请输入有效的邮箱地址。")}) from None
    if len(email) > 150:
        raise ValidationFailed({"email": _("邮箱地址太长。")})
    return email


def _clean_role(value: Any) -> str:
    if value not in PortalRole.values:
        raise ValidationFailed({"role": _("无效的选项。")})
    return str(value)


def _invitation_mail(invitation: PortalInvitation, token: str) -> EmailMessage:
    def text() -> tuple[str, str]:
        subject = _("邀请您使用%(company)s的客户门户") % {"company": invitation.customer.name}
        expires = timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d")
        body = "\n\n".join([
            _("您好！我们邀请您使用客户门户：查看项目进度、提交和跟进服务请求、填写满意度调查。"),
            _("请打开下面的链接设置密码："), invitation_url(token),
            _("链接在 %(date)s 前有效，只能使用一次。") % {"date": expires},
        ])  # fmt: skip
        return subject, body

    with translation.override(settings.LANGUAGE_CODE):
        subject, body = text()
    with translation.override("en"):
        subject_en, body_en = text()
    return EmailMessage(
        subject=f"{subject} / {subject_en}"[:250],
        body=f"{body}\n\n——\n\n{body_en}",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
    )


def invitation_send(*, invitation_id: int, token: str) -> bool:
    """Mail an invitation's link (after commit); a failure is logged, the invitation stays
    and can be sent again."""
    invitation = (
        PortalInvitation.objects.select_related("customer").filter(pk=invitation_id).first()
    )
    if invitation is None:
        return False
    try:
        return bool(_invitation_mail(invitation, token).send())
    except Exception:
        log.exception("portal invitation %s was not mailed", invitation_id)
        return False


@transaction.atomic
def invitation_create(
    *,
    actor: Any,
    customer_id: Any,
    email: Any,
    role: Any = PortalRole.VIEWER,
    contact_id: Any = None,
    now: dt.datetime | None = None,
) -> tuple[PortalInvitation, str]:
    """Invite a person of the customer to the portal (by the account manager or whoever may
    change the customer); the link is mailed after commit. Returns the invitation and the
    raw token (shown nowhere else)."""
    now = now or timezone.now()
    customer = _customer_for_change(actor, customer_id)
    address, portal_role = _clean_email(email), _clean_role(role)
    contact = None
    if contact_id not in (None, ""):
        try:
            contact = customer_selectors.contact_get(customer=customer, contact_id=contact_id)
        except NotFound:
            raise ValidationFailed({"contact_id": _("该客户没有这个联系人。")}) from None
    if User.objects.filter(username__iexact=address).exists():
        raise ValidationFailed({"email": _("该邮箱已有账号。")})
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = PortalInvitation.objects.create(
        customer=customer, contact=contact, email=address, role=portal_role,
        token_hash=token_digest(token), expires_at=now + invitation_ttl(), invited_by=actor,
    )  # fmt: skip
    audit.audit_create(actor=actor, obj=invitation, customer_id=customer.pk)
    timeline_add(
        customer_id=customer.pk, kind="portal", occurred_at=now, actor=actor, subject=invitation,
        title=TimelineText(gettext_noop("邀请 %(email)s 使用客户门户"), {"email": address}),
    )  # fmt: skip
    pk = invitation.pk
    transaction.on_commit(lambda: invitation_send(invitation_id=pk, token=token))
    return invitation, token


def invitation_by_token(*, token: Any, now: dt.datetime | None = None) -> PortalInvitation:
    """The open invitation of a link; 404 for an unknown token, 410 for one used or
    expired."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise NotFound(_("邀请不存在。"))
    invitation = (
        PortalInvitation.objects.select_related("customer")
        .filter(token_hash=token_digest(token))
        .first()
    )
    if invitation is None:
        raise NotFound(_("邀请不存在。"))
    if invitation.accepted_at is not None:
        raise InvitationUsed(_("该邀请已经使用过了，请直接登录。"), field="token")
    if invitation.expires_at <= (now or timezone.now()):
        raise InvitationExpired(_("该邀请已过期，请联系您的客户经理重新邀请。"), field="token")
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: Any, password1: Any, password2: Any, name: Any = "", now: dt.datetime | None = None
) -> PortalAccount:
    """Open the invitation: the person's login (user name = the invited address) with the
    password they chose (Django's password validators), and their portal account."""
    now = now or timezone.now()
    found = invitation_by_token(token=token, now=now)
    invitation = PortalInvitation.objects.select_for_update(of=("self",)).get(pk=found.pk)
    if invitation.accepted_at is not None:
        raise InvitationUsed(_("该邀请已经使用过了，请直接登录。"), field="token")
    if not isinstance(password1, str) or not password1:
        raise ValidationFailed({"password1": _("这个字段是必填项。")})
    if password1 != password2:
        raise ValidationFailed({"password2": _("两次输入的密码不一致。")})
    display = name.strip()[:100] if isinstance(name, str) else ""
    if User.objects.filter(username__iexact=invitation.email).exists():
        raise ValidationFailed({"email": _("该邮箱已有账号。")})
    user = User(
        username=invitation.email, email=invitation.email, role=Role.PORTAL,
        display_name=display or (invitation.contact.name if invitation.contact else ""),
    )  # fmt: skip
    try:
        password_validation.validate_password(password1, user)
    except ValidationError as exc:
        raise ValidationFailed({"password1": list(exc.messages)}) from None
    user.set_password(password1)
    user.save()
    account = PortalAccount.objects.create(
        user=user, customer_id=invitation.customer_id, contact_id=invitation.contact_id,
        contact_bound=invitation.contact_id is not None, role=invitation.role,
        invited_by_id=invitation.invited_by_id,
    )  # fmt: skip
    before = audit.snapshot(invitation, ["accepted_at", "account"])
    invitation.accepted_at, invitation.account = now, account
    invitation.save(update_fields=["accepted_at", "account", "updated_at"])
    audit.audit_create(actor=user, obj=account, customer_id=account.customer_id)
    audit.audit_update(actor=user, obj=invitation, before=before, customer_id=account.customer_id)
    timeline_add(
        customer_id=account.customer_id, kind="portal", occurred_at=now, actor=user,
        subject=account,
        title=TimelineText(gettext_noop("%(email)s 开通了客户门户"), {"email": invitation.email}),
    )  # fmt: skip
    return account


# --- accounts (staff side) ------------------------------------------------------------------


def _deactivate(account: PortalAccount, *, actor: Any, now: dt.datetime) -> None:
    before = audit.snapshot(account, ["active", "deactivated_at"])
    account.active, account.deactivated_at = False, now
    account.version += 1
    account.save(update_fields=["active", "deactivated_at", "version", "updated_at"])
    user = account.user
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    PortalToken.objects.filter(account=account, revoked_at__isnull=True).update(revoked_at=now)
    audit.audit_update(actor=actor, obj=account, before=before, customer_id=account.customer_id)
    timeline_add(
        customer_id=account.customer_id, kind="portal", occurred_at=now, actor=actor,
        subject=account,
        title=TimelineText(gettext_noop("停用了 %(email)s 的客户门户账号"), {"email": user.email}),
    )  # fmt: skip


@transaction.atomic
def account_deactivate(
    *, actor: Any, account_id: Any, now: dt.datetime | None = None
) -> PortalAccount:
    now = now or timezone.now()
    account = (
        PortalAccount.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=account_id)
        .first()
        if isinstance(account_id, int)
        else None
    )
    if account is None:
        raise NotFound(_("门户账号不存在。"))
    _customer_for_change(actor, account.customer_id)
    if account.active:
        _deactivate(account, actor=actor, now=now)
    return account


def accounts_sweep(*, now: dt.datetime | None = None) -> int:
    """Deactivate the accounts whose contact was removed from the customer (periodic): the
    portal access of a person ends with their contact. Returns how many were ended."""
    now = now or timezone.now()
    ended = 0
    ids = list(
        PortalAccount.objects.filter(
            active=True, contact_bound=True, contact__isnull=True
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in ids:
        with transaction.atomic():
            account = (
                PortalAccount.objects.select_for_update(of=("self",))
                .select_related("user")
                .filter(pk=pk, active=True, contact__isnull=True)
                .first()
            )
            if account is not None:
                _deactivate(account, actor=None, now=now)
                ended += 1
    return ended


# --- tickets (portal side) ------------------------------------------------------------------


def _subject(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed({"subject": _("这个字段是必填项。")})
    text = value.replace("\x00", "").strip()
    if len(text) > MAX_SUBJECT:
        raise ValidationFailed({"subject": _("不能超过 200 个字符。")})
    return text


def check_file(stream: IO[bytes], name: str) -> None:
    """Refuse a file the attachments app would refuse, before anything is written."""
    check_upload(stream, name)
    stream.seek(0)


@transaction.atomic
def ticket_raise(
    *, user: Any, subject: Any, category: Any, description: Any, now: dt.datetime | None = None
) -> Ticket:
    """A ticket raised by the customer in the portal (channel 门户), on the company's
    account, with the description as its first message; SLA clocks start as for any
    ticket."""
    now = now or timezone.now()
    account = require_account(user, tickets_role=True)
    if category not in TicketCategory.values:
        raise ValidationFailed({"category": _("无效的选项。")})
    if not isinstance(description, str) or not description.strip():
        raise ValidationFailed({"description": _("这个字段是必填项。")})
    if len(description) > tickets.MAX_BODY:
        raise ValidationFailed({"description": _("不能超过 100000 个字符。")})
    title = _subject(subject)
    return tickets.ticket_create(
        actor=None, created_by=user,
        data={"subject": title, "category": category, "channel": TicketChannel.PORTAL},
        customer_id=account.customer_id, contact_id=account.contact_id,
        body=description, requester_email=user.email,
        requester_name=user.display_name or user.get_username(), now=now,
    )  # fmt: skip


def ticket_attach(*, user: Any, ticket_id: Any, stream: IO[bytes], name: str) -> Attachment:
    """A file on one of the company's tickets, added by the portal user."""
    account = require_account(user, tickets_role=True)
    ticket = selectors.ticket_get(account=account, ticket_id=ticket_id)
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationFailed({"file": _("工单已关闭。")})
    # The system resolves the ticket (staff scope does not apply to a customer); the file
    # and its audit entry are the portal user's.
    return attachment_add(
        actor=None, uploaded_by=user, kind="ticket", record_id=ticket.pk, stream=stream,
        name=name,
    )  # fmt: skip


def ticket_reply(
    *, user: Any, ticket_id: Any, body: Any, now: dt.datetime | None = None
) -> TicketMessage:
    """The customer's message on their ticket: a ticket waiting for them (or resolved)
    opens again. A closed ticket takes no more messages: raise a new one."""
    account = require_account(user, tickets_role=True)
    return tickets.customer_message_add(
        actor=user, customer_id=account.customer_id, ticket_id=ticket_id, body=body, now=now
    )


def ticket_close(
    *, user: Any, ticket_id: Any, version: int | None = None, now: dt.datetime | None = None
) -> Ticket:
    """The customer closes their ticket (the problem is gone): as a close on the desk —
    clocks stopped, the CSAT survey and the follow-up visit planned, the webhook sent."""
    account = require_account(user, tickets_role=True)
    return tickets.ticket_close_by_customer(
        actor=user, customer_id=account.customer_id, ticket_id=ticket_id, version=version,
        now=now,
    )  # fmt: skip


# --- approvals ------------------------------------------------------------------------------


def change_request_decide(
    *, user: Any, change_request_id: Any, approve: Any, comment: Any = ""
) -> ChangeRequest:
    """The customer approves or rejects a change request waiting for it (an approver of the
    company only); the projects app records it on the project's history and the customer's
    timeline and tells the project manager."""
    account = require_account(user)
    change = selectors.change_request_get(account=account, change_request_id=change_request_id)
    if not account.may_approve:
        raise PermissionDenied(_("只有贵公司的审批人可以确认需求变更。"))
    return changes.customer_decide(change, portal_user=user, approve=approve, comment=comment)


def deliverable_decide(
    *, user: Any, deliverable_id: Any, accept: Any, reason: Any = ""
) -> Deliverable:
    """The customer accepts a submitted deliverable, or rejects it with a reason."""
    account = require_account(user)
    deliverable = selectors.deliverable_get(account=account, deliverable_id=deliverable_id)
    if not account.may_approve:
        raise PermissionDenied(_("只有贵公司的审批人可以验收交付物。"))
    return acceptance.deliverable_customer_decide(
        deliverable, portal_user=user, accept=accept, reason=reason
    )


# --- surveys --------------------------------------------------------------------------------


def survey_answer(
    *, user: Any, survey_id: Any, score: Any, comment: Any = "", now: dt.datetime | None = None
) -> Survey:
    """Answer a survey put to this person, in the portal instead of through the mailed
    link (which dies with the answer)."""
    account = require_account(user)
    survey = selectors.survey_get(account=account, survey_id=survey_id)
    return satisfaction.survey_answer(
        survey_id=survey.pk, actor=user, score=score, comment=comment, now=now
    )


# --- portal API tokens ----------------------------------------------------------------------


@transaction.atomic
def token_create(*, user: Any, name: Any) -> tuple[PortalToken, str]:
    account = require_account(user)
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed({"name": _("这个字段是必填项。")})
    if len(name.strip()) > 100:
        raise ValidationFailed({"name": _("不能超过 100 个字符。")})
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = PortalToken.objects.create(
        account=account, name=name.strip(), prefix=raw[:12], key_hash=token_digest(raw)
    )
    audit.audit_create(actor=user, obj=token, customer_id=account.customer_id)
    return token, raw


@transaction.atomic
def token_revoke(*, user: Any, token_id: Any, now: dt.datetime | None = None) -> PortalToken:
    account = require_account(user)
    token = (
        PortalToken.objects.select_for_update(of=("self",))
        .filter(pk=token_id, account=account, revoked_at__isnull=True)
        .first()
        if isinstance(token_id, int)
        else None
    )
    if token is None:
        raise NotFound(_("令牌不存在。"))
    before = audit.snapshot(token, ["revoked_at"])
    token.revoked_at = now or timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.audit_update(actor=user, obj=token, before=before, customer_id=account.customer_id)
    return token


def token_authenticate(raw: Any) -> Any:
    """The portal user of a live portal token, or None (also for a staff token)."""
    if not isinstance(raw, str) or not raw.startswith(API_TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        PortalToken.objects.select_related("account__user", "account__customer")
        .filter(key_hash=token_digest(raw), revoked_at__isnull=True, account__active=True)
        .first()
    )
    if token is None or not permissions.is_portal_actor(token.account.user):
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        PortalToken.objects.filter(pk=token.pk).update(last_used_at=now)
    user = token.account.user
    setattr(user, "_gx_portal_account", token.account)  # noqa: B010 - selectors' cache
    return user


def attachment_downloaded(*, user: Any, attachment: Attachment, ip: str | None) -> None:
    """A portal download goes to the security log like a staff one (who read which file)."""
    attachment_download_log(actor=user, attachment=attachment, ip=ip)
