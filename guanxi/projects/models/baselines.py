"""Baselines and earned-value settings (SPEC E3, issue 15 item 2).

A baseline is a frozen copy of the plan — dates, work and budgeted cost per task — that
earned value measures against. An *approved* baseline is immutable: the services refuse to
change it and so does the model itself (``save``/``delete`` and the queryset's
``update``/``delete``), so no path short of raw SQL rewrites the plan a customer agreed to.
A project deleted as a whole still takes its baselines with it (the cascade collector does
not call these guards).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guanxi.core.errors import Conflict
from guanxi.core.models import TimeStampedModel, VersionedModel
from guanxi.core.money import MoneyField


class EvMethod(models.TextChoices):
    """How a task's % complete becomes earned value (the method is named in the UI)."""

    ZERO_HUNDRED = "0_100", _("0/100（完成才计）")
    FIFTY_FIFTY = "50_50", _("50/50（开始计一半）")
    PHYSICAL = "physical", _("实际完成百分比")


class EacMethod(models.TextChoices):
    """The PMBOK estimate-at-completion variant the project reports as *the* EAC."""

    CPI = "cpi", _("BAC/CPI（按当前成本绩效）")
    ATYPICAL = "atypical", _("AC+(BAC−EV)（偏差非典型）")
    CPI_SPI = "cpi_spi", _("AC+(BAC−EV)/(CPI×SPI)（成本与进度共同影响）")
    BOTTOM_UP = "bottom_up", _("AC+自下而上ETC")


def _refuse_approved() -> Conflict:
    return Conflict(gettext("已批准的基线不可修改。"), field="baseline", code="baseline_locked")


class BaselineQuerySet(models.QuerySet["Baseline"]):
    def update(self, **kwargs: Any) -> int:
        if self.filter(approved=True).exists():
            raise _refuse_approved()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(approved=True).exists():
            raise _refuse_approved()
        return super().delete()


class Baseline(TimeStampedModel):
    """Baseline number ``number`` (1, 2, … per project) of a project's plan."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("项目"),
        on_delete=models.CASCADE,
        related_name="baselines",
    )
    number = models.PositiveIntegerField(_("基线号"))
    name = models.CharField(_("名称"), max_length=100)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    taken_at = models.DateTimeField(_("建立时间"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("建立人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The change request (需求变更) whose approval re-baselined the plan, by id: change
    # requests are a later model of this app and keep the link to their baseline themselves.
    change_request_ref = models.PositiveBigIntegerField(_("需求变更编号"), null=True, blank=True)
    bac = MoneyField(_("完工预算（BAC）"), max_digits=14, default=Decimal("0"))
    work_hours = models.DecimalField(
        _("计划工时"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    planned_start = models.DateField(_("计划开始"), null=True, blank=True)
    planned_finish = models.DateField(_("计划完成"), null=True, blank=True)
    approved = models.BooleanField(_("已批准"), default=False)
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = BaselineQuerySet.as_manager()

    class Meta:
        verbose_name = _("基线")
        verbose_name_plural = _("基线")
        ordering = ["project_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="baseline_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="baseline_number_gte_1"),
            models.CheckConstraint(condition=~Q(name=""), name="baseline_name_not_empty"),
            models.CheckConstraint(condition=Q(bac__gte=0), name="baseline_bac_gte_0"),
            models.CheckConstraint(
                condition=Q(planned_finish__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_finish__gte=models.F("planned_start")),
                name="baseline_finish_after_start",
            ),
            models.CheckConstraint(
                condition=Q(approved=False) | Q(approved_at__isnull=False),
                name="baseline_approved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The stored row decides, not this instance: approving (False → True) is allowed,
        # anything after that is not.
        if self.pk and type(self)._base_manager.filter(pk=self.pk, approved=True).exists():
            raise _refuse_approved()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.pk and type(self)._base_manager.filter(pk=self.pk, approved=True).exists():
            raise _refuse_approved()
        return super().delete(*args, **kwargs)


class BaselineTaskQuerySet(models.QuerySet["BaselineTask"]):
    def update(self, **kwargs: Any) -> int:
        if self.filter(baseline__approved=True).exists():
            raise _refuse_approved()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(baseline__approved=True).exists():
            raise _refuse_approved()
        return super().delete()


class BaselineTask(models.Model):
    """One task as the baseline froze it. ``task`` survives as ``NULL`` when the live task
    is deleted later; the frozen name and outline keep the row readable."""

    baseline = models.ForeignKey(
        Baseline, verbose_name=_("基线"), on_delete=models.CASCADE, related_name="tasks"
    )
    task = models.ForeignKey(
        "projects.Task",
        verbose_name=_("任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="baseline_rows",
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    outline = models.CharField(_("大纲编号"), max_length=60, blank=True)
    name = models.CharField(_("名称"), max_length=200)
    is_summary = models.BooleanField(_("摘要任务"), default=False)
    milestone = models.BooleanField(_("里程碑"), default=False)
    start = models.DateField(_("计划开始"), null=True, blank=True)
    finish = models.DateField(_("计划完成"), null=True, blank=True)
    work_hours = models.DecimalField(
        _("计划工时"), max_digits=7, decimal_places=2, default=Decimal("0")
    )
    # Budget at completion of the task: estimate hours × the task's rate, or a given budget.
    planned_cost = MoneyField(_("计划成本"), max_digits=14, default=Decimal("0"))
    # The EV method frozen for this task; blank = the project's default.
    ev_method = models.CharField(_("挣值方法"), max_length=10, choices=EvMethod.choices, blank=True)

    objects = BaselineTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("基线任务")
        verbose_name_plural = _("基线任务")
        ordering = ["baseline_id", "position", "id"]
        indexes = [models.Index(fields=["task", "baseline"], name="baseline_task_task_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(work_hours__gte=0), name="baseline_task_work_gte_0"),
            models.CheckConstraint(
                condition=Q(planned_cost__gte=0), name="baseline_task_cost_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(finish__isnull=True)
                | Q(start__isnull=True)
                | Q(finish__gte=models.F("start")),
                name="baseline_task_finish_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outline} {self.name}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if Baseline._base_manager.filter(pk=self.baseline_id, approved=True).exists():
            raise _refuse_approved()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if Baseline._base_manager.filter(pk=self.baseline_id, approved=True).exists():
            raise _refuse_approved()
        return super().delete(*args, **kwargs)


class EvmSettings(VersionedModel):
    """How one project measures earned value and colours its status (red/amber/green)."""

    project = models.OneToOneField(
        "projects.Project",
        verbose_name=_("项目"),
        on_delete=models.CASCADE,
        related_name="evm_settings",
    )
    ev_method = models.CharField(
        _("默认挣值方法"), max_length=10, choices=EvMethod.choices, default=EvMethod.PHYSICAL
    )
    allow_task_override = models.BooleanField(_("允许任务单独设置方法"), default=True)
    eac_method = models.CharField(
        _("采用的EAC公式"), max_length=10, choices=EacMethod.choices, default=EacMethod.CPI
    )
    # An index below amber is amber, below red is red (1.00 = on plan).
    spi_amber = models.DecimalField(
        _("SPI黄色阈值"), max_digits=4, decimal_places=2, default=Decimal("0.95")
    )
    spi_red = models.DecimalField(
        _("SPI红色阈值"), max_digits=4, decimal_places=2, default=Decimal("0.85")
    )
    cpi_amber = models.DecimalField(
        _("CPI黄色阈值"), max_digits=4, decimal_places=2, default=Decimal("0.95")
    )
    cpi_red = models.DecimalField(
        _("CPI红色阈值"), max_digits=4, decimal_places=2, default=Decimal("0.85")
    )

    class Meta:
        verbose_name = _("挣值设置")
        verbose_name_plural = _("挣值设置")
        constraints = [
            models.CheckConstraint(
                condition=Q(spi_red__gt=0, spi_red__lte=models.F("spi_amber"), spi_amber__lte=2),
                name="evm_settings_spi_thresholds",
            ),
            models.CheckConstraint(
                condition=Q(cpi_red__gt=0, cpi_red__lte=models.F("cpi_amber"), cpi_amber__lte=2),
                name="evm_settings_cpi_thresholds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} EVM"


class StatusReport(TimeStampedModel):
    """A weekly status snapshot (周报): the EVM figures as of ``as_of``, frozen so later
    changes to the plan or the actuals do not rewrite what was reported."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("项目"),
        on_delete=models.CASCADE,
        related_name="status_reports",
    )
    baseline = models.ForeignKey(
        Baseline,
        verbose_name=_("基线"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    as_of = models.DateField(_("统计日期"))
    rag = models.CharField(_("状态"), max_length=5, blank=True)
    figures = models.JSONField(_("指标"), default=dict, blank=True)
    summary = models.TextField(_("说明"), max_length=4000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("状态报告")
        verbose_name_plural = _("状态报告")
        ordering = ["project_id", "-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "as_of"], name="status_report_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.as_of}"
