"""The stored KPI snapshot of a project (SPEC E9, issue 15 item 7).

Computing earned value for every project on each request is out of the question for a
portfolio of thousands, so each project keeps one row of its KPIs, refreshed by a job
(``services.kpi``): when its time is approved, a deliverable decided, a baseline taken or
approved, and every night for the active projects. The portfolio dashboard aggregates these
rows in the database. ``pending`` marks a refresh asked for and not yet done: a second
request while one is pending enqueues nothing (the refresh coalesces).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.money import MoneyField


class KpiRag(models.TextChoices):
    NONE = "", _("无数据")
    GREEN = "green", _("绿")
    AMBER = "amber", _("黄")
    RED = "red", _("红")


#: ``rag_rank`` of each colour: sorting by it puts the worst first (descending).
RAG_RANK = {"": 0, "green": 1, "amber": 2, "red": 3}


def _index(verbose: Any) -> Any:
    return models.DecimalField(verbose, max_digits=10, decimal_places=4, null=True, blank=True)


class ProjectKpi(models.Model):
    project = models.OneToOneField(
        "projects.Project",
        verbose_name=_("项目"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="kpi",
    )
    pending = models.BooleanField(_("待刷新"), default=True)
    requested_at = models.DateTimeField(_("请求刷新时间"), null=True, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    status_date = models.DateField(_("统计日期"), null=True, blank=True)
    # Schedule and cost (earned value against the current baseline).
    has_baseline = models.BooleanField(_("有基线"), default=False)
    bac = MoneyField(_("完工预算（BAC）"), max_digits=14, default=Decimal("0"))
    pv = MoneyField(_("计划价值 PV"), max_digits=14, default=Decimal("0"))
    ev = MoneyField(_("挣值 EV"), max_digits=14, default=Decimal("0"))
    ac = MoneyField(_("实际成本 AC"), max_digits=14, default=Decimal("0"))
    spi = _index(_("进度绩效指数 SPI"))
    cpi = _index(_("成本绩效指数 CPI"))
    evm_rag = models.CharField(
        _("挣值状态"), max_length=5, choices=KpiRag.choices, blank=True, default=""
    )
    # Milestones of the baseline due by the status date, and those finished on time.
    milestones_due = models.PositiveIntegerField(_("到期里程碑"), default=0)
    milestones_on_time = models.PositiveIntegerField(_("按时完成里程碑"), default=0)
    milestone_rate = _index(_("里程碑按时率"))
    # Deliverables decided on their first submission, and those accepted then.
    deliverables_decided = models.PositiveIntegerField(_("已验收交付物"), default=0)
    deliverables_first_pass = models.PositiveIntegerField(_("一次验收通过"), default=0)
    first_pass_rate = _index(_("一次验收通过率"))
    # Booked hours against the team's available hours over the period before the date.
    period_start = models.DateField(_("统计期开始"), null=True, blank=True)
    booked_hours = models.DecimalField(
        _("已报工时"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    available_hours = models.DecimalField(
        _("可用工时"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    utilisation = _index(_("资源利用率"))
    rag = models.CharField(
        _("综合状态"), max_length=5, choices=KpiRag.choices, blank=True, default=""
    )
    rag_rank = models.PositiveSmallIntegerField(_("状态等级"), default=0)

    class Meta:
        verbose_name = _("项目KPI")
        verbose_name_plural = _("项目KPI")
        indexes = [
            models.Index(fields=["rag_rank"], name="project_kpi_rag_idx"),
            models.Index(fields=["spi"], name="project_kpi_spi_idx"),
            models.Index(fields=["cpi"], name="project_kpi_cpi_idx"),
            models.Index(fields=["status_date"], name="project_kpi_status_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rag__in=["", "green", "amber", "red"]), name="project_kpi_rag_valid"
            ),
            models.CheckConstraint(
                condition=Q(milestones_on_time__lte=models.F("milestones_due")),
                name="project_kpi_milestones_le_due",
            ),
            models.CheckConstraint(
                condition=Q(deliverables_first_pass__lte=models.F("deliverables_decided")),
                name="project_kpi_first_pass_le_decided",
            ),
        ]

    def __str__(self) -> str:
        return f"KPI {self.project_id}"
