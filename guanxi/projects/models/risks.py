"""The risk register (SPEC E5 风险识别与评估, 应急预案) and project closure (E8).

A :class:`Risk` is scored probability × impact on 1–5 scales (the heat map's cells); its
contingency plan (应急预案) has a budget, and what was drawn from that reserve is kept
as :class:`RiskReserveDraw` rows, their sum denormalised on the risk (``reserve_used``,
never above the budget: a database check as well as the service's). A risk the scheduled
CRM signal rules raised names its signal (``signal`` is the rule's key, ``signal_text``
what it saw); while it is not closed the same signal raises no second one for the
project (a partial unique key).

A :class:`ProjectClosure` is the record of a project's end: who closed it, the summary,
the actual cost as it stood, and the customer's evaluation of the team (score 1–5 and a
comment, recorded by staff or later through the portal). :class:`LessonLearned` rows
(what went well, what to change) are searchable across projects through ``search_text``
(the text and tags with their pinyin, ``core.text.pinyin.search_text``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import TimeStampedModel, VersionedModel
from guanxi.core.money import MoneyField

#: The sides of the heat map: probability and impact run 1–5.
RISK_SCALE: Final = (1, 2, 3, 4, 5)


class RiskCategory(models.TextChoices):
    SCHEDULE = "schedule", _("进度")
    COST = "cost", _("成本")
    QUALITY = "quality", _("质量")
    SCOPE = "scope", _("范围")
    CUSTOMER = "customer", _("客户关系")
    RESOURCE = "resource", _("资源")
    TECHNICAL = "technical", _("技术")
    OTHER = "other", _("其他")


class RiskStatus(models.TextChoices):
    OPEN = "open", _("已识别")
    MITIGATING = "mitigating", _("应对中")
    OCCURRED = "occurred", _("已发生")
    CLOSED = "closed", _("已关闭")


class RiskSignal(models.TextChoices):
    """The CRM signals the scheduled rules watch (``projects.risk_signals``)."""

    SATISFACTION = "satisfaction", _("满意度下降")
    CHANGE_REQUESTS = "change_requests", _("需求变更过多")
    OVERDUE_VISITS = "overdue_visits", _("回访逾期")
    VALUE_CLASS = "value_class", _("客户价值类别下降")
    OVERDUE_COLLECTIONS = "overdue_collections", _("回款逾期")


class Risk(VersionedModel):
    project = models.ForeignKey(
        "projects.Project", verbose_name=_("项目"), on_delete=models.CASCADE, related_name="risks"
    )
    number = models.PositiveIntegerField(_("编号"))
    title = models.CharField(_("风险"), max_length=200)
    description = models.TextField(_("说明"), max_length=4000, blank=True)
    category = models.CharField(
        _("类别"), max_length=10, choices=RiskCategory.choices, default=RiskCategory.OTHER
    )
    probability = models.PositiveSmallIntegerField(_("可能性（1–5）"), default=3)
    impact = models.PositiveSmallIntegerField(_("影响（1–5）"), default=3)
    # probability × impact, kept by the services: lists sort and filter by it.
    score = models.PositiveSmallIntegerField(_("风险值"), default=9, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    triggers = models.TextField(_("触发条件"), max_length=2000, blank=True)
    mitigation = models.TextField(_("应对措施"), max_length=4000, blank=True)
    contingency_plan = models.TextField(_("应急预案"), max_length=4000, blank=True)
    contingency_budget = MoneyField(
        _("应急预算"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    reserve_used = MoneyField(
        _("已动用储备"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=RiskStatus.choices, default=RiskStatus.OPEN
    )
    signal = models.CharField(_("来源信号"), max_length=20, choices=RiskSignal.choices, blank=True)
    signal_text = models.CharField(_("信号说明"), max_length=300, blank=True)
    review_date = models.DateField(_("复核日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("风险")
        verbose_name_plural = _("风险")
        ordering = ["project_id", "-score", "number"]
        indexes = [
            models.Index(fields=["project", "status", "-score"], name="risk_project_idx"),
            models.Index(fields=["owner", "status"], name="risk_owner_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="risk_number_unique"),
            models.UniqueConstraint(
                fields=["project", "signal"],
                condition=~Q(signal="") & ~Q(status="closed"),
                name="risk_one_open_per_signal",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="risk_title_not_empty"),
            models.CheckConstraint(
                condition=Q(probability__gte=1, probability__lte=5, impact__gte=1, impact__lte=5),
                name="risk_scales_1_5",
            ),
            models.CheckConstraint(
                condition=Q(score=models.F("probability") * models.F("impact")),
                name="risk_score_is_product",
            ),
            models.CheckConstraint(
                condition=Q(reserve_used__gte=0)
                & Q(reserve_used__lte=models.F("contingency_budget")),
                name="risk_reserve_within_budget",
            ),
        ]

    def __str__(self) -> str:
        return f"R{self.number} {self.title}"

    @property
    def reserve_left(self) -> Decimal:
        return Decimal(self.contingency_budget) - Decimal(self.reserve_used)


class RiskReserveDraw(TimeStampedModel):
    """Money taken from a risk's contingency reserve (the plan was used)."""

    risk = models.ForeignKey(
        Risk, verbose_name=_("风险"), on_delete=models.CASCADE, related_name="draws"
    )
    amount = MoneyField(_("金额"), max_digits=14, decimal_places=2)
    date = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("储备动用")
        verbose_name_plural = _("储备动用")
        ordering = ["risk_id", "date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="risk_draw_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.risk_id}: {self.amount}"


class LessonCategory(models.TextChoices):
    WENT_WELL = "went_well", _("做得好的")
    TO_CHANGE = "to_change", _("需要改进的")


class LessonLearned(TimeStampedModel):
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("项目"),
        on_delete=models.CASCADE,
        related_name="lessons",
    )
    category = models.CharField(_("类别"), max_length=10, choices=LessonCategory.choices)
    text = models.TextField(_("经验教训"), max_length=4000)
    tags = models.CharField(_("标签"), max_length=200, blank=True)
    # Lower-case text and tags with their pinyin and initials: what the search reads.
    search_text = models.TextField(max_length=12000, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("经验教训")
        verbose_name_plural = _("经验教训")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "category"], name="lesson_project_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="lesson_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text[:50]


class EvaluationSource(models.TextChoices):
    STAFF = "staff", _("员工代客户录入")
    PORTAL = "portal", _("客户门户")


class ProjectClosure(TimeStampedModel):
    project = models.OneToOneField(
        "projects.Project",
        verbose_name=_("项目"),
        on_delete=models.CASCADE,
        related_name="closure",
    )
    closed_at = models.DateTimeField(_("结项时间"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结项人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    summary = models.TextField(_("项目总结"), max_length=8000, blank=True)
    # Closed with tasks still open: only with a reason.
    forced_reason = models.CharField(_("强制结项原因"), max_length=500, blank=True)
    open_tasks = models.PositiveIntegerField(_("结项时未完成任务数"), default=0)
    actual_cost = MoneyField(_("实际成本"), max_digits=16, decimal_places=2, default=Decimal("0"))
    budget = MoneyField(_("预算"), max_digits=14, decimal_places=2, default=Decimal("0"))
    evaluation_score = models.PositiveSmallIntegerField(_("客户评价（1–5）"), null=True, blank=True)
    evaluation_comment = models.TextField(_("客户意见"), max_length=2000, blank=True)
    evaluation_source = models.CharField(
        _("评价来源"), max_length=6, choices=EvaluationSource.choices, blank=True
    )
    evaluated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    follow_up = models.ForeignKey(
        "service.FollowUp",
        verbose_name=_("回访"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("项目结项")
        verbose_name_plural = _("项目结项")
        ordering = ["-closed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(evaluation_score__isnull=True, evaluated_at__isnull=True)
                | Q(evaluation_score__gte=1, evaluation_score__lte=5, evaluated_at__isnull=False),
                name="closure_evaluation_1_5",
            ),
            models.CheckConstraint(
                condition=Q(open_tasks=0) | ~Q(forced_reason=""),
                name="closure_open_tasks_need_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} @ {self.closed_at:%Y-%m-%d}"
