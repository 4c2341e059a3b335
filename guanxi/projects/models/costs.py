"""Time and cost (SPEC E3, issue 15 item 1): hourly cost rates per person or project role,
timesheets per person per task per day, and cost entries (materials, travel,
subcontracting). Approved time × the rate on its day (priced once, on approval:
``TimeEntry.cost``) plus approved cost entries is the project's actual cost
(``projects.selectors_actuals``), which earned value reads as AC.

The rate a person costs on a day is the latest rate valid from that day or before; a rate
for the person beats one for their role in the project (``ProjectMember.role``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import VersionedModel
from guanxi.core.money import MoneyField

#: A person's hours on one day, over all tasks and projects.
MAX_DAY_HOURS: Final = Decimal("24")
MAX_RATE: Final = Decimal("99999999.99")


class TimeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class CostCategory(models.TextChoices):
    MATERIALS = "materials", _("材料")
    TRAVEL = "travel", _("差旅")
    SUBCONTRACTING = "subcontracting", _("分包")
    OTHER = "other", _("其他")


class CostStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class CostRate(VersionedModel):
    """An hourly cost rate from ``valid_from`` on, for one person or for a project role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    role = models.CharField(_("项目角色"), max_length=50, blank=True)
    hourly_rate = MoneyField(_("小时费率"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    valid_from = models.DateField(_("生效日期"))

    class Meta:
        verbose_name = _("成本费率")
        verbose_name_plural = _("成本费率")
        ordering = ["user_id", "role", "-valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(role=""))
                | (Q(user__isnull=True) & ~Q(role="")),
                name="cost_rate_person_or_role",
            ),
            models.CheckConstraint(condition=Q(hourly_rate__gte=0), name="cost_rate_gte_0"),
            models.UniqueConstraint(
                fields=["user", "valid_from"],
                condition=Q(user__isnull=False),
                name="cost_rate_user_day_unique",
            ),
            models.UniqueConstraint(
                fields=["role", "valid_from"],
                condition=Q(user__isnull=True),
                name="cost_rate_role_day_unique",
            ),
        ]

    def __str__(self) -> str:
        who = str(self.user) if self.user_id else self.role
        return f"{who} {self.hourly_rate}/h ≥ {self.valid_from}"


class TimeEntry(VersionedModel):
    """One person's hours on one task on one day. ``project`` repeats the task's project
    so that a project's actuals are one indexed scan."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="time_entries",
    )
    project = models.ForeignKey(
        "projects.Project", verbose_name=_("项目"), on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(
        "projects.Task",
        verbose_name=_("任务"),
        on_delete=models.CASCADE,
        related_name="time_entries",
    )
    date = models.DateField(_("日期"))
    hours = models.DecimalField(_("工时"), max_digits=4, decimal_places=2)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=TimeStatus.choices, default=TimeStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    reject_reason = models.CharField(_("驳回原因"), max_length=500, blank=True)
    # hours × the person's rate on the day, in cents, fixed when the entry is approved (like
    # an accounting posting: a later rate change does not move it; ``time_costs_reprice``
    # does, explicitly). Set exactly while approved, so AC is a grouped SUM.
    cost = MoneyField(_("成本"), max_digits=14, null=True, blank=True)

    class Meta:
        verbose_name = _("工时")
        verbose_name_plural = _("工时")
        ordering = ["user_id", "date", "task_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "task", "date"], name="time_entry_unique"),
            models.CheckConstraint(
                condition=Q(hours__gt=0, hours__lte=MAX_DAY_HOURS), name="time_entry_hours_0_24"
            ),
            models.CheckConstraint(
                condition=(Q(status="approved") & Q(cost__isnull=False, cost__gte=0))
                | (~Q(status="approved") & Q(cost__isnull=True)),
                name="time_entry_cost_iff_approved",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "date"], name="time_entry_user_day_idx"),
            models.Index(fields=["project", "status", "date"], name="time_entry_project_idx"),
            models.Index(fields=["status", "date"], name="time_entry_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.task_id} {self.date} {self.hours}h"


class CostEntry(VersionedModel):
    """A cost other than time (materials, travel, subcontracting) on a project, optionally
    on one of its tasks. Above ``GUANXI_COST_APPROVAL_LIMIT`` it goes through the
    approval flow of document type ``project_cost``; below it is approved on submit."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("项目"),
        on_delete=models.CASCADE,
        related_name="cost_entries",
    )
    task = models.ForeignKey(
        "projects.Task",
        verbose_name=_("任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cost_entries",
    )
    category = models.CharField(_("类别"), max_length=20, choices=CostCategory.choices)
    amount = MoneyField(_("金额"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    date = models.DateField(_("日期"))
    description = models.CharField(_("说明"), max_length=500, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=CostStatus.choices, default=CostStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    reject_reason = models.CharField(_("驳回原因"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("成本记录")
        verbose_name_plural = _("成本记录")
        ordering = ["project_id", "-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cost_entry_amount_gt_0"),
        ]
        indexes = [
            models.Index(fields=["project", "status", "date"], name="cost_entry_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.amount}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("projects:costs", args=[self.project_id])
