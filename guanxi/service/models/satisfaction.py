"""Satisfaction (SPEC C3 满意度) and follow-up visits (C4 回访).

A :class:`Survey` is one question put to one person through a tokenised link: a CSAT
survey (score 1–5) after a ticket is resolved, or an NPS survey (0–10) of a campaign to a
segment of contacts. The link carries a random 32-byte token; only its SHA-256 is stored,
so a copy of the database opens no survey. The survey keeps the customer, its account
manager and team and the ticket's category as they were when it was sent: the results are
grouped by them without joins to records that may have changed since.

A :class:`FollowUp` (回访) is a visit or call the account manager owes a customer: one
after every closed ticket (due within the days of :class:`FollowUpPolicy` for the
ticket's category, 14 by default), and one after a low CSAT score.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import TimeStampedModel, VersionedModel
from guanxi.service.models.tickets import TicketCategory

CSAT_RANGE = (1, 5)
NPS_RANGE = (0, 10)
LOW_CSAT = 2  # a score at or below opens a follow-up for the account manager


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("满意度（CSAT）")
    NPS = "nps", _("净推荐值（NPS）")


class NpsCampaign(VersionedModel):
    """An NPS survey sent to the contacts (with an e-mail address) of the customers of a
    segment: value class, account manager and tag, each optional."""

    name = models.CharField(_("名称"), max_length=100)
    value_class = models.CharField(_("客户价值类别"), max_length=12, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    tag = models.ForeignKey(
        "customers.Tag",
        verbose_name=_("标签"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    recipients = models.PositiveIntegerField(_("收件人数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("NPS 调查活动")
        verbose_name_plural = _("NPS 调查活动")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="nps_campaign_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class Survey(TimeStampedModel):
    kind = models.CharField(_("类型"), max_length=4, choices=SurveyKind.choices)
    # hex SHA-256 of the link's token; the token itself is only in the mail
    token_hash = models.CharField(max_length=64, unique=True)
    ticket = models.ForeignKey(
        "service.Ticket",
        verbose_name=_("工单"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="surveys",
    )
    campaign = models.ForeignKey(
        NpsCampaign,
        verbose_name=_("NPS 调查活动"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="surveys",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="surveys",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("联系人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    email = models.EmailField(_("邮箱"), max_length=254)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    category = models.CharField(
        _("类别"), max_length=12, choices=TicketCategory.choices, blank=True
    )
    sent_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("链接有效期至"))
    score = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    comment = models.TextField(_("意见"), max_length=2000, blank=True)
    answered_at = models.DateTimeField(_("回答时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("满意度调查")
        verbose_name_plural = _("满意度调查")
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-sent_at"], name="survey_customer_idx"),
            models.Index(fields=["owner", "kind", "answered_at"], name="survey_owner_idx"),
            models.Index(fields=["kind", "answered_at"], name="survey_answered_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(kind="csat"), name="survey_one_csat_per_ticket"
            ),
            models.UniqueConstraint(
                fields=["campaign", "contact"],
                condition=Q(campaign__isnull=False),
                name="survey_one_per_campaign_contact",
            ),
            models.CheckConstraint(
                condition=(Q(kind="csat", ticket__isnull=False, campaign__isnull=True))
                | Q(kind="nps", campaign__isnull=False, ticket__isnull=True),
                name="survey_kind_source",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True, answered_at__isnull=True)
                | Q(
                    kind="csat",
                    score__gte=CSAT_RANGE[0],
                    score__lte=CSAT_RANGE[1],
                    answered_at__isnull=False,
                )
                | Q(
                    kind="nps",
                    score__gte=NPS_RANGE[0],
                    score__lte=NPS_RANGE[1],
                    answered_at__isnull=False,
                ),
                name="survey_score_in_range_when_answered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def score_range(self) -> tuple[int, int]:
        return CSAT_RANGE if self.kind == SurveyKind.CSAT else NPS_RANGE


class FollowUpPolicy(models.Model):
    """Within how many days after a ticket of ``category`` is closed its follow-up visit is
    due (a category without a row: ``GUANXI_FOLLOWUP_DAYS``, 14 by default)."""

    category = models.CharField(
        _("类别"), max_length=12, choices=TicketCategory.choices, unique=True
    )
    days = models.PositiveSmallIntegerField(_("回访期限（天）"))

    class Meta:
        verbose_name = _("回访期限")
        verbose_name_plural = _("回访期限")
        ordering = ["category"]
        constraints = [
            models.CheckConstraint(
                condition=Q(days__gte=1, days__lte=365), name="followup_policy_days_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.days}"


class FollowUpReason(models.TextChoices):
    TICKET_CLOSED = "closed", _("工单关闭后回访")
    LOW_SCORE = "low_score", _("低满意度回访")
    PROJECT_CLOSED = "project", _("项目结项后回访")


class FollowUpStatus(models.TextChoices):
    PENDING = "pending", _("待回访")
    DONE = "done", _("已回访")


class FollowUpOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("客户满意")
    NEEDS_ACTION = "needs_action", _("仍有问题，需跟进")
    UNREACHABLE = "unreachable", _("联系不上")
    DECLINED = "declined", _("客户拒绝回访")


class FollowUp(VersionedModel):
    reason = models.CharField(_("原因"), max_length=10, choices=FollowUpReason.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="service_follow_ups",
    )
    ticket = models.ForeignKey(
        "service.Ticket",
        verbose_name=_("工单"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follow_ups",
    )
    survey = models.OneToOneField(
        Survey,
        verbose_name=_("满意度调查"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follow_up",
    )
    # The customer's account manager (客户经理) when the visit was planned.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_date = models.DateField(_("截止日期"))
    status = models.CharField(
        _("状态"), max_length=8, choices=FollowUpStatus.choices, default=FollowUpStatus.PENDING
    )
    outcome = models.CharField(
        _("回访结果"), max_length=12, choices=FollowUpOutcome.choices, blank=True
    )
    note = models.TextField(_("回访记录"), max_length=4000, blank=True)
    done_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_date"], name="followup_owner_idx"),
            models.Index(fields=["status", "due_date"], name="followup_due_idx"),
            models.Index(fields=["customer", "-created_at"], name="followup_customer_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(reason="closed"),
                name="followup_one_per_closed_ticket",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", done_at__isnull=True, outcome="")
                | (Q(status="done", done_at__isnull=False) & ~Q(outcome="")),
                name="followup_outcome_iff_done",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} #{self.pk}"
