# Project and portfolio KPIs (issue 15).
from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("projects", "0008_time_priced")]

    operations = [
        migrations.CreateModel(
            name="ProjectKpi",
            fields=[
                (
                    "project",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="kpi",
                        serialize=False,
                        to="projects.project",
                        verbose_name="项目",
                    ),
                ),
                ("pending", models.BooleanField(default=True, verbose_name="待刷新")),
                (
                    "requested_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="请求刷新时间"),
                ),
                (
                    "computed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="计算时间"),
                ),
                ("status_date", models.DateField(blank=True, null=True, verbose_name="统计日期")),
                ("has_baseline", models.BooleanField(default=False, verbose_name="有基线")),
                (
                    "bac",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=14,
                        verbose_name="完工预算（BAC）",
                    ),
                ),
                (
                    "pv",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=14,
                        verbose_name="计划价值 PV",
                    ),
                ),
                (
                    "ev",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=14,
                        verbose_name="挣值 EV",
                    ),
                ),
                (
                    "ac",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=14,
                        verbose_name="实际成本 AC",
                    ),
                ),
                (
                    "spi",
                    models.DecimalField(
                        blank=True,
                        decimal_places=4,
                        max_digits=10,
                        null=True,
                        verbose_name="进度绩效指数 SPI",
                    ),
                ),
                (
                    "cpi",
                    models.DecimalField(
                        blank=True,
                        decimal_places=4,
                        max_digits=10,
                        null=True,
                        verbose_name="成本绩效指数 CPI",
                    ),
                ),
                (
                    "evm_rag",
                    models.CharField(
                        blank=True,
                        choices=[("", "无数据"), ("green", "绿"), ("amber", "黄"), ("red", "红")],
                        default="",
                        max_length=5,
                        verbose_name="挣值状态",
                    ),
                ),
                (
                    "milestones_due",
                    models.PositiveIntegerField(default=0, verbose_name="到期里程碑"),
                ),
                (
                    "milestones_on_time",
                    models.PositiveIntegerField(default=0, verbose_name="按时完成里程碑"),
                ),
                (
                    "milestone_rate",
                    models.DecimalField(
                        blank=True,
                        decimal_places=4,
                        max_digits=10,
                        null=True,
                        verbose_name="里程碑按时率",
                    ),
                ),
                (
                    "deliverables_decided",
                    models.PositiveIntegerField(default=0, verbose_name="已验收交付物"),
                ),
                (
                    "deliverables_first_pass",
                    models.PositiveIntegerField(default=0, verbose_name="一次验收通过"),
                ),
                (
                    "first_pass_rate",
                    models.DecimalField(
                        blank=True,
                        decimal_places=4,
                        max_digits=10,
                        null=True,
                        verbose_name="一次验收通过率",
                    ),
                ),
                (
                    "period_start",
                    models.DateField(blank=True, null=True, verbose_name="统计期开始"),
                ),
                (
                    "booked_hours",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=12,
                        verbose_name="已报工时",
                    ),
                ),
                (
                    "available_hours",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=12,
                        verbose_name="可用工时",
                    ),
                ),
                (
                    "utilisation",
                    models.DecimalField(
                        blank=True,
                        decimal_places=4,
                        max_digits=10,
                        null=True,
                        verbose_name="资源利用率",
                    ),
                ),
                (
                    "rag",
                    models.CharField(
                        blank=True,
                        choices=[("", "无数据"), ("green", "绿"), ("amber", "黄"), ("red", "红")],
                        default="",
                        max_length=5,
                        verbose_name="综合状态",
                    ),
                ),
                ("rag_rank", models.PositiveSmallIntegerField(default=0, verbose_name="状态等级")),
            ],
            options={
                "verbose_name": "项目KPI",
                "verbose_name_plural": "项目KPI",
                "indexes": [
                    models.Index(fields=["rag_rank"], name="project_kpi_rag_idx"),
                    models.Index(fields=["spi"], name="project_kpi_spi_idx"),
                    models.Index(fields=["cpi"], name="project_kpi_cpi_idx"),
                    models.Index(fields=["status_date"], name="project_kpi_status_date_idx"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("rag__in", ["", "green", "amber", "red"])),
                        name="project_kpi_rag_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("milestones_on_time__lte", models.F("milestones_due"))),
                        name="project_kpi_milestones_le_due",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("deliverables_first_pass__lte", models.F("deliverables_decided"))
                        ),
                        name="project_kpi_first_pass_le_decided",
                    ),
                ],
            },
        ),
    ]
