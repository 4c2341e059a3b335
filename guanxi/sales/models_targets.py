"""Forecast categories of opportunities (SPEC B3) and sales targets (业绩目标, SPEC B4).

A target is one number for one metric, one month and either one owner (a salesperson's
target; ``team`` then holds the owner's department when it was set, so the scope rules of
``accounts.permissions.record_filter`` apply as to any owned record) or one department
(a team target: ``owner`` empty). Quarters and years are roll-ups of the months, never
stored, so a quarter can never disagree with its months.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import VersionedModel


class ForecastCategory(models.TextChoices):
    """Where the owner puts an open opportunity in the forecast (the usual CRM ladder)."""

    COMMIT = "commit", _("承诺")
    BEST_CASE = "best_case", _("最佳情况")
    PIPELINE = "pipeline", _("管道")
    OMITTED = "omitted", _("不计入")


class TargetMetric(models.TextChoices):
    REVENUE = "revenue", _("赢单金额")
    NEW_CUSTOMERS = "new_customers", _("新客户数")
    COLLECTIONS = "collections", _("回款金额")
    RETENTION = "retention", _("客户留存率（%）")
    SATISFACTION = "satisfaction", _("满意度")


class Target(VersionedModel):
    metric = models.CharField(_("指标"), max_length=16, choices=TargetMetric.choices)
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    value = models.DecimalField(_("目标值"), max_digits=14, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("业绩目标")
        verbose_name_plural = _("业绩目标")
        ordering = ["year", "month", "metric", "id"]
        indexes = [
            models.Index(fields=["owner", "year", "month"], name="target_owner_period_idx"),
            models.Index(fields=["team", "year", "month"], name="target_team_period_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | Q(team__isnull=False),
                name="target_owner_or_team",
            ),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="target_month"),
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="target_year"),
            models.CheckConstraint(condition=Q(value__gte=0), name="target_value_gte_0"),
            models.UniqueConstraint(
                fields=["metric", "year", "month", "owner"],
                condition=Q(owner__isnull=False),
                name="target_unique_owner",
            ),
            models.UniqueConstraint(
                fields=["metric", "year", "month", "team"],
                condition=Q(owner__isnull=True),
                name="target_unique_team",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.year}-{self.month:02d}"


class TargetPolicy(models.Model):
    """The one row of target settings: how far (``band_percent``) a target may lie from the
    owner's average of the last ``history_months`` months before it is flagged."""

    band_percent = models.PositiveSmallIntegerField(_("允许偏离（%）"), default=50)
    history_months = models.PositiveSmallIntegerField(_("参考历史月数"), default=6)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("目标设置")
        verbose_name_plural = _("目标设置")
        constraints = [
            models.CheckConstraint(
                condition=Q(band_percent__gte=1, band_percent__lte=1000), name="target_policy_band"
            ),
            models.CheckConstraint(
                condition=Q(history_months__gte=1, history_months__lte=24),
                name="target_policy_history",
            ),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
