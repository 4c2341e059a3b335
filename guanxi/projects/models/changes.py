"""Change requests (需求变更, SPEC E6) and deliverable acceptance (SPEC E4).

A change request is raised by the team or by the customer (through the portal, or by staff
recording it in the customer's name). The team states its impact on scope, cost, schedule
and quality — the schedule impact is *computed*: the proposed task changes
(``ChangeRequestTaskChange``) run through the critical path method on a copy of the plan
— then it goes through the internal approval flow, then to the customer, who approves or
rejects it. An approved request is applied to the plan and a new baseline is taken.

Acceptance: a deliverable lists its criteria (``AcceptanceCriterion``); each submission
and the customer's decision on it is one ``DeliverableReview`` row, so the first-pass
acceptance rate (quality KPI, E9) reads straight from them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import TimeStampedModel, VersionedModel
from guanxi.projects.models.projects import MAX_DURATION_DAYS, MAX_LAG_DAYS

#: Bound of a change's cost delta, either way (twelve digits before the point).
MAX_COST_DELTA: Final = Decimal("999999999999.99")
MAX_TASK_CHANGES: Final = 200


class ChangeOrigin(models.TextChoices):
    TEAM = "team", _("项目团队")
    CUSTOMER = "customer", _("客户")


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IMPACT_STATED = "impact_stated", _("已评估影响")
    IN_REVIEW = "in_review", _("内部审批中")
    AWAITING_CUSTOMER = "awaiting_customer", _("待客户确认")
    APPROVED = "approved", _("客户已批准")
    REJECTED = "rejected", _("客户已拒绝")
    APPLIED = "applied", _("已实施")
    WITHDRAWN = "withdrawn", _("已撤回")


class TaskChangeKind(models.TextChoices):
    DURATION = "duration", _("调整工期")
    NEW_TASK = "new_task", _("新增任务")
    NEW_LINK = "new_link", _("新增依赖")


class ChangeRequest(VersionedModel):
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("项目"),
        on_delete=models.CASCADE,
        related_name="change_requests",
    )
    # Numbered per project (1, 2, …) under the project's row lock.
    number = models.PositiveIntegerField(_("编号"))
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("说明"), max_length=4000, blank=True)
    origin = models.CharField(
        _("提出方"), max_length=10, choices=ChangeOrigin.choices, default=ChangeOrigin.TEAM
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    raised_via_portal = models.BooleanField(_("通过客户门户提出"), default=False)
    # The customer's contact in whose name staff recorded a customer's request.
    raised_for_contact = models.CharField(_("客户提出人"), max_length=100, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT
    )
    # The impact the team states (schedule computed by the CPM on a copy of the plan).
    scope_impact = models.TextField(_("范围影响"), max_length=4000, blank=True)
    cost_delta = models.DecimalField(
        _("成本变化"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    quality_impact = models.TextField(_("质量影响"), max_length=4000, blank=True)
    finish_before = models.DateField(_("变更前完成日期"), null=True, blank=True)
    finish_after = models.DateField(_("变更后完成日期"), null=True, blank=True)
    schedule_delta_days = models.IntegerField(_("工期变化（工作日）"), null=True, blank=True)
    impact_stated_at = models.DateTimeField(_("评估时间"), null=True, blank=True)
    impact_stated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评估人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交审批时间"), null=True, blank=True)
    review_note = models.CharField(_("内部审批意见"), max_length=500, blank=True)
    # The customer's decision: a portal account of the customer, or staff on their behalf.
    decided_at = models.DateTimeField(_("客户决定时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_on_behalf = models.BooleanField(_("代客户确认"), default=False)
    customer_contact = models.CharField(_("客户确认人"), max_length=100, blank=True)
    customer_comment = models.TextField(_("客户意见"), max_length=2000, blank=True)
    applied_at = models.DateTimeField(_("实施时间"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("实施人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The baseline taken when the approved change was applied to the plan.
    resulting_baseline = models.ForeignKey(
        "projects.Baseline",
        verbose_name=_("变更后基线"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Why applying an approved request failed (the plan changed meanwhile); retried by hand.
    apply_error = models.CharField(_("实施失败原因"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("需求变更")
        verbose_name_plural = _("需求变更")
        ordering = ["project_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="change_request_number"),
            models.CheckConstraint(condition=~Q(title=""), name="change_request_title_not_empty"),
            models.CheckConstraint(
                condition=Q(cost_delta__gte=-MAX_COST_DELTA, cost_delta__lte=MAX_COST_DELTA),
                name="change_request_cost_bounded",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ChangeStatus.values), name="change_request_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["project", "status"], name="change_request_status_idx")]

    def __str__(self) -> str:
        return f"CR-{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("projects:change_detail", args=[self.project_id, self.pk])


class ChangeRequestTaskChange(models.Model):
    """One proposed edit of the plan: a task's new duration, a new task (optionally after
    and before existing tasks, finish-to-start), or a new link between existing tasks."""

    change_request = models.ForeignKey(
        ChangeRequest,
        verbose_name=_("需求变更"),
        on_delete=models.CASCADE,
        related_name="task_changes",
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    kind = models.CharField(_("类型"), max_length=10, choices=TaskChangeKind.choices)
    task = models.ForeignKey(
        "projects.Task",
        verbose_name=_("任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    duration_days = models.PositiveIntegerField(_("工期（工作日）"), null=True, blank=True)
    name = models.CharField(_("新任务名称"), max_length=200, blank=True)
    predecessor = models.ForeignKey(
        "projects.Task",
        verbose_name=_("前置任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    successor = models.ForeignKey(
        "projects.Task",
        verbose_name=_("后续任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    link_type = models.CharField(_("依赖类型"), max_length=2, default="FS")
    lag_days = models.IntegerField(_("延隔（工作日）"), default=0)

    class Meta:
        verbose_name = _("变更任务调整")
        verbose_name_plural = _("变更任务调整")
        ordering = ["change_request_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_days__isnull=True) | Q(duration_days__lte=MAX_DURATION_DAYS),
                name="cr_task_change_duration_bounded",
            ),
            models.CheckConstraint(
                condition=Q(lag_days__gte=-MAX_LAG_DAYS, lag_days__lte=MAX_LAG_DAYS),
                name="cr_task_change_lag_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.change_request_id} {self.kind}"


class AcceptanceCriterion(models.Model):
    deliverable = models.ForeignKey(
        "projects.Deliverable",
        verbose_name=_("交付物"),
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    text = models.CharField(_("验收标准"), max_length=300)
    met = models.BooleanField(_("已满足"), default=False)

    class Meta:
        verbose_name = _("验收标准")
        verbose_name_plural = _("验收标准")
        ordering = ["deliverable_id", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="acceptance_criterion_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text


class ReviewDecision(models.TextChoices):
    PENDING = "pending", _("待验收")
    ACCEPTED = "accepted", _("通过")
    REJECTED = "rejected", _("未通过")


class DeliverableReview(TimeStampedModel):
    """One submission of a deliverable for acceptance and the customer's decision on it.
    ``round`` 1 is the first submission: accepted in round 1 is a first-pass acceptance."""

    deliverable = models.ForeignKey(
        "projects.Deliverable",
        verbose_name=_("交付物"),
        on_delete=models.CASCADE,
        related_name="reviews",
    )
    round = models.PositiveSmallIntegerField(_("轮次"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The criteria as they stood when submitted: [{"text": …, "met": …}, …]
    criteria = models.JSONField(_("验收标准"), default=list, blank=True)
    decision = models.CharField(
        _("结论"), max_length=10, choices=ReviewDecision.choices, default=ReviewDecision.PENDING
    )
    decided_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_on_behalf = models.BooleanField(_("代客户确认"), default=False)
    customer_contact = models.CharField(_("客户确认人"), max_length=100, blank=True)
    reason = models.TextField(_("原因"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("验收记录")
        verbose_name_plural = _("验收记录")
        ordering = ["deliverable_id", "round"]
        constraints = [
            models.UniqueConstraint(
                fields=["deliverable", "round"], name="deliverable_review_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deliverable_id} #{self.round}"
