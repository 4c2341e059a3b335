"""Writes of satisfaction (SPEC C3 满意度): the CSAT survey sent when a ticket is resolved,
NPS campaigns to a segment of contacts, and the answers given through the link.

The link carries ``secrets.token_urlsafe(32)`` (256 random bits); the database keeps only
its SHA-256, so neither a guess nor a copy of the database opens a survey. A link is
answerable once, until ``expires_at`` (``GUANXI_SURVEY_TTL_DAYS``, 14 by default). An
answer is written without a user (``actor=None``: the customer has no account), audited
and put on the customer's timeline; a CSAT score of ``LOW_CSAT`` or less plans a
follow-up for the customer's account manager.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.core import audit
from guanxi.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.tokens import token_digest
from guanxi.customers.models import Tag
from guanxi.customers.timeline import TimelineText, timeline_add
from guanxi.service import selectors
from guanxi.service.models import (
    LOW_CSAT,
    NpsCampaign,
    Survey,
    SurveyKind,
    Ticket,
)
from guanxi.service.services import visits

log = logging.getLogger("guanxi.service.satisfaction")

TOKEN_BYTES = 32
DEFAULT_TTL_DAYS = 14
MAX_COMMENT = 2000
MAX_CAMPAIGN_RECIPIENTS = 5000
TIMELINE_KIND = "survey"


class SurveyExpired(DomainError):
    """The link's time is over (answered 410 Gone by the survey page)."""


class SurveyAnswered(DomainError):
    """The survey was answered already: a link is answerable once."""


# --- tokens ---------------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def ttl() -> dt.timedelta:
    days = int(getattr(settings, "GUANXI_SURVEY_TTL_DAYS", DEFAULT_TTL_DAYS))
    return dt.timedelta(days=max(1, days))


def survey_url(token: str) -> str:
    base = str(getattr(settings, "GUANXI_BASE_URL", "")).rstrip("/")
    return f"{base}{reverse('service:survey', args=[token])}"


def survey_by_token(*, token: Any) -> Survey:
    """The survey of a link (no login: the token is the credential); an unknown token is a
    404 like any missing page, whatever its shape."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise NotFound(_("该调查不存在。"))
    survey = (
        Survey.objects.select_related("customer", "ticket", "campaign")
        .filter(token_hash=token_digest(token))
        .first()
    )
    if survey is None:
        raise NotFound(_("该调查不存在。"))
    return survey


def survey_state(survey: Survey, *, now: dt.datetime | None = None) -> str:
    """``answered``, ``expired`` or ``open``."""
    if survey.answered_at is not None:
        return "answered"
    if survey.expires_at <= (now or timezone.now()):
        return "expired"
    return "open"


# --- CSAT after a resolved ticket -----------------------------------------------------------


def csat_for_resolved(*, ticket: Ticket, actor: Any, now: dt.datetime) -> Survey | None:
    """Called by the ticket services inside the transaction that resolves ``ticket``: the
    ticket's CSAT survey (one per ticket: a ticket resolved again after a reopen is not
    surveyed twice), mailed to the requester after commit. Nothing for a ticket of no
    known customer or without an address to write to."""
    if ticket.customer_id is None:
        return None
    address = ticket.requester_email or (ticket.contact.email if ticket.contact else "")
    if not address or Survey.objects.filter(ticket=ticket, kind=SurveyKind.CSAT).exists():
        return None
    customer = ticket.customer
    assert customer is not None
    token = new_token()
    survey = Survey.objects.create(
        kind=SurveyKind.CSAT, token_hash=token_digest(token), ticket=ticket,
        customer=customer, contact_id=ticket.contact_id, email=address[:254],
        owner_id=customer.owner_id, team_id=ticket.team_id or customer.team_id,
        category=ticket.category, sent_at=now, expires_at=now + ttl(),
    )  # fmt: skip
    audit.audit_create(actor=actor, obj=survey, customer_id=ticket.customer_id)
    survey_pk = survey.pk
    transaction.on_commit(lambda: survey_mail_send(surveys=[(survey_pk, token)]))
    return survey


# --- the mail -------------------------------------------------------------------------------


def _mail_text(survey: Survey, token: str) -> tuple[str, str]:
    low, high = survey.score_range
    if survey.kind == SurveyKind.CSAT:
        assert survey.ticket is not None
        subject = _("请评价我们的服务：%(subject)s") % {"subject": survey.ticket.subject}
        question = _(
            "您的工单 #%(number)s 已解决。您对这次服务满意吗？请打 %(low)s–%(high)s 分。"
        ) % {"number": survey.ticket_id, "low": low, "high": high}
    else:
        subject = _("您愿意向朋友推荐我们吗？")
        question = _("您有多大可能把我们推荐给朋友或同事？请打 %(low)s–%(high)s 分。") % {
            "low": low, "high": high}  # fmt: skip
    expires = timezone.localtime(survey.expires_at).strftime("%Y-%m-%d")
    body = "\n\n".join([
        question, survey_url(token),
        _("链接在 %(date)s 前有效，只能提交一次。") % {"date": expires},
    ])  # fmt: skip
    return subject, body


def _message(survey: Survey, token: str) -> EmailMessage:
    """Through the desk's outgoing path: its sender address and, for a ticket, the
    ticket's token in the subject and its thread in the headers. The text in Chinese
    first, then in English (the customer has no language setting)."""
    from guanxi.service.services import mail, tickets

    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _mail_text(survey, token)
    with translation.override("en"):
        subject_en, body_en = _mail_text(survey, token)
    headers = {"Message-ID": mail.new_message_id()}
    if survey.ticket is not None:
        token_tag = tickets.ticket_token(survey.ticket.pk)
        subject = f"{subject} {token_tag}"
        headers[mail.HEADER] = token_tag
        thread = selectors.thread_of(ticket=survey.ticket)
        if thread:
            headers["In-Reply-To"] = thread[-1]
            headers["References"] = " ".join(thread)[-4000:]
    return EmailMessage(
        subject=f"{subject} / {subject_en}"[:250],
        body=f"{body}\n\n——\n\n{body_en}",
        from_email=getattr(settings, "GUANXI_SERVICE_EMAIL", "") or settings.DEFAULT_FROM_EMAIL,
        to=[survey.email],
        headers=headers,
    )


def survey_mail_send(*, surveys: Sequence[tuple[int, str]]) -> int:
    """Mail the links of ``(survey id, token)`` pairs (after commit) over one connection;
    returns how many were sent. A failure is logged: the survey stays, unanswerable, as a
    record that it was attempted."""
    rows = Survey.objects.select_related("ticket").in_bulk([pk for pk, _token in surveys])
    sent = 0
    connection = get_connection()
    try:
        connection.open()
        for pk, token in surveys:
            survey = rows.get(pk)
            if survey is None:
                continue
            try:
                sent += connection.send_messages([_message(survey, token)]) or 0
            except Exception:
                log.exception("survey %s was not mailed", pk)
    finally:
        connection.close()
    return sent


# --- answers --------------------------------------------------------------------------------


def _score(value: Any, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(
            {"score": _("请选择 %(low)s 到 %(high)s 之间的分数。") % {"low": low, "high": high}}
        )
    return value


def _comment(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed({"comment": _("必须是文字。")})
    text = value.replace("\x00", "").strip()
    if len(text) > MAX_COMMENT:
        raise ValidationFailed({"comment": _("不能超过 2000 个字符。")})
    return text


_ANSWER_TITLES = {
    SurveyKind.CSAT: gettext_noop("满意度评价：%(score)s 分（工单 #%(number)s）"),
    SurveyKind.NPS: gettext_noop("NPS 评分：%(score)s 分（%(campaign)s）"),
}


@transaction.atomic
def survey_answer(
    *,
    token: Any = None,
    score: Any,
    comment: Any = "",
    survey_id: int | None = None,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> Survey:
    """Record the answer of a link: once, before it expires. Refused answers change
    nothing.

    Without a link: ``survey_id`` of a survey the caller has resolved for ``actor`` (the
    customer's portal user answering it in the portal), who is then the audit's and the
    timeline's actor; the mailed link dies with the answer as usual."""
    now = now or timezone.now()
    if survey_id is None:
        found_pk = survey_by_token(token=token).pk
    elif token is not None:
        raise ValueError("survey_answer takes a token or a survey_id, not both")
    else:
        found_pk = survey_id
    survey = (
        Survey.objects.select_for_update(of=("self",))
        .select_related("ticket", "campaign")
        .filter(pk=found_pk)
        .first()
    )
    if survey is None:
        raise NotFound(_("该调查不存在。"))
    state = survey_state(survey, now=now)
    if state == "answered":
        raise SurveyAnswered(_("该调查已经回答过了，谢谢！"), field="token")
    if state == "expired":
        raise SurveyExpired(_("该调查链接已过期。"), field="token")
    low, high = survey.score_range
    value, text = _score(score, low, high), _comment(comment)
    before = audit.snapshot(survey, ["score", "comment", "answered_at"])
    survey.score, survey.comment, survey.answered_at = value, text, now
    survey.save(update_fields=["score", "comment", "answered_at", "updated_at"])
    audit.audit_update(actor=actor, obj=survey, before=before, customer_id=survey.customer_id)
    timeline_add(
        customer_id=survey.customer_id, kind=TIMELINE_KIND, occurred_at=now, actor=actor,
        title=TimelineText(_ANSWER_TITLES[SurveyKind(survey.kind)], {
            "score": value, "number": survey.ticket_id or "",
            "campaign": survey.campaign.name if survey.campaign else ""}),
        body=text, subject=survey.ticket or survey,
        data={"survey": survey.pk, "kind": survey.kind, "score": value},
    )  # fmt: skip
    if survey.kind == SurveyKind.CSAT and value <= LOW_CSAT:
        visits.followup_for_low_score(survey=survey, now=now)
    return survey


# --- NPS campaigns --------------------------------------------------------------------------


def _campaign_filters(
    actor: Any, value_class: Any, owner_id: Any, tag_id: Any
) -> tuple[str, User | None, Tag | None]:
    from guanxi.analytics.models import ValueClass

    errors: dict[str, str] = {}
    value_class = value_class or ""
    if value_class and value_class not in ValueClass.values:
        errors["value_class"] = _("无效的选项。")
    owner = None
    if owner_id is not None:
        owner = permissions.customer_owners(actor, User.objects.all()).filter(pk=owner_id).first()
        if owner is None:
            errors["owner_id"] = _("该用户不存在。")
    tag = None
    if tag_id is not None:
        tag = Tag.objects.filter(pk=tag_id).first()
        if tag is None:
            errors["tag_id"] = _("该标签不存在。")
    if errors:
        raise ValidationFailed(errors)
    return value_class, owner, tag


@transaction.atomic(durable=True)
def nps_campaign_send(
    *,
    actor: Any,
    name: Any,
    value_class: Any = "",
    owner_id: Any = None,
    tag_id: Any = None,
    now: dt.datetime | None = None,
) -> NpsCampaign:
    """A campaign to the contacts with an e-mail address of the customers of the segment
    the actor may read, each sent their own link after commit."""
    now = now or timezone.now()
    if not permissions.can_send_surveys(actor):
        raise PermissionDenied(_("你没有发送 NPS 调查的权限。"))
    if not isinstance(name, str) or not name.replace("\x00", "").strip():
        raise ValidationFailed({"name": _("这个字段是必填项。")})
    if len(name.strip()) > 100:
        raise ValidationFailed({"name": _("不能超过 100 个字符。")})
    value_class, owner, tag = _campaign_filters(actor, value_class, owner_id, tag_id)
    contacts = list(
        selectors.nps_recipients(
            actor=actor, value_class=value_class, owner=owner, tag=tag
        ).select_related("customer")[: MAX_CAMPAIGN_RECIPIENTS + 1]
    )
    if not contacts:
        raise ValidationFailed({"segment": _("这个范围内没有有邮箱的联系人。")})
    if len(contacts) > MAX_CAMPAIGN_RECIPIENTS:
        raise ValidationFailed(
            {"segment": _("收件人超过 %(max)s 个，请缩小范围。") % {"max": MAX_CAMPAIGN_RECIPIENTS}}
        )
    campaign = NpsCampaign.objects.create(
        name=name.replace("\x00", "").strip(), value_class=value_class, owner=owner, tag=tag,
        sent_at=now, recipients=len(contacts), created_by=actor,
    )  # fmt: skip
    audit.audit_create(actor=actor, obj=campaign)
    tokens = [new_token() for _contact in contacts]
    surveys = Survey.objects.bulk_create(
        [
            Survey(kind=SurveyKind.NPS, token_hash=token_digest(token), campaign=campaign,
                   customer=contact.customer, contact=contact, email=contact.email,
                   owner_id=contact.customer.owner_id, team_id=contact.customer.team_id,
                   sent_at=now, expires_at=now + ttl())
            for contact, token in zip(contacts, tokens, strict=True)
        ],
        batch_size=500,
    )  # fmt: skip
    audit.audit_bulk_create(actor=actor, objs=surveys)
    pairs = [(s.pk, token) for s, token in zip(surveys, tokens, strict=True)]
    transaction.on_commit(lambda: survey_mail_send(surveys=pairs))
    return campaign
