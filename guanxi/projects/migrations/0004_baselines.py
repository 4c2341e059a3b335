# Baselines and earned-value settings (issue 15 item 2).
from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0003_time_costs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Baseline",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("number", models.PositiveIntegerField(verbose_name="基线号")),
                ("name", models.CharField(max_length=100, verbose_name="名称")),
                ("reason", models.CharField(blank=True, max_length=500, verbose_name="原因")),
                ("taken_at", models.DateTimeField(verbose_name="建立时间")),
                (
                    "change_request_ref",
                    models.PositiveBigIntegerField(
                        blank=True, null=True, verbose_name="需求变更编号"
                    ),
                ),
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
                    "work_hours",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=12,
                        verbose_name="计划工时",
                    ),
                ),
                ("planned_start", models.DateField(blank=True, null=True, verbose_name="计划开始")),
                (
                    "planned_finish",
                    models.DateField(blank=True, null=True, verbose_name="计划完成"),
                ),
                ("approved", models.BooleanField(default=False, verbose_name="已批准")),
                (
                    "approved_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="批准时间"),
                ),
                (
                    "approved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="批准人",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="baselines",
                        to="projects.project",
                        verbose_name="项目",
                    ),
                ),
                (
                    "taken_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="建立人",
                    ),
                ),
            ],
            options={
                "verbose_name": "基线",
                "verbose_name_plural": "基线",
                "ordering": ["project_id", "number"],
            },
        ),
        migrations.CreateModel(
            name="BaselineTask",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveIntegerField(default=0, verbose_name="顺序")),
                ("outline", models.CharField(blank=True, max_length=60, verbose_name="大纲编号")),
                ("name", models.CharField(max_length=200, verbose_name="名称")),
                ("is_summary", models.BooleanField(default=False, verbose_name="摘要任务")),
                ("milestone", models.BooleanField(default=False, verbose_name="里程碑")),
                ("start", models.DateField(blank=True, null=True, verbose_name="计划开始")),
                ("finish", models.DateField(blank=True, null=True, verbose_name="计划完成")),
                (
                    "work_hours",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=7,
                        verbose_name="计划工时",
                    ),
                ),
                (
                    "planned_cost",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=14,
                        verbose_name="计划成本",
                    ),
                ),
                (
                    "ev_method",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("0_100", "0/100（完成才计）"),
                            ("50_50", "50/50（开始计一半）"),
                            ("physical", "实际完成百分比"),
                        ],
                        max_length=10,
                        verbose_name="挣值方法",
                    ),
                ),
                (
                    "baseline",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tasks",
                        to="projects.baseline",
                        verbose_name="基线",
                    ),
                ),
                (
                    "task",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="baseline_rows",
                        to="projects.task",
                        verbose_name="任务",
                    ),
                ),
            ],
            options={
                "verbose_name": "基线任务",
                "verbose_name_plural": "基线任务",
                "ordering": ["baseline_id", "position", "id"],
            },
        ),
        migrations.CreateModel(
            name="EvmSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("version", models.PositiveIntegerField(default=1, verbose_name="版本")),
                (
                    "ev_method",
                    models.CharField(
                        choices=[
                            ("0_100", "0/100（完成才计）"),
                            ("50_50", "50/50（开始计一半）"),
                            ("physical", "实际完成百分比"),
                        ],
                        default="physical",
                        max_length=10,
                        verbose_name="默认挣值方法",
                    ),
                ),
                (
                    "allow_task_override",
                    models.BooleanField(default=True, verbose_name="允许任务单独设置方法"),
                ),
                (
                    "eac_method",
                    models.CharField(
                        choices=[
                            ("cpi", "BAC/CPI（按当前成本绩效）"),
                            ("atypical", "AC+(BAC−EV)（偏差非典型）"),
                            ("cpi_spi", "AC+(BAC−EV)/(CPI×SPI)（成本与进度共同影响）"),
                            ("bottom_up", "AC+自下而上ETC"),
                        ],
                        default="cpi",
                        max_length=10,
                        verbose_name="采用的EAC公式",
                    ),
                ),
                (
                    "spi_amber",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0.95"),
                        max_digits=4,
                        verbose_name="SPI黄色阈值",
                    ),
                ),
                (
                    "spi_red",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0.85"),
                        max_digits=4,
                        verbose_name="SPI红色阈值",
                    ),
                ),
                (
                    "cpi_amber",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0.95"),
                        max_digits=4,
                        verbose_name="CPI黄色阈值",
                    ),
                ),
                (
                    "cpi_red",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0.85"),
                        max_digits=4,
                        verbose_name="CPI红色阈值",
                    ),
                ),
                (
                    "project",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="evm_settings",
                        to="projects.project",
                        verbose_name="项目",
                    ),
                ),
            ],
            options={
                "verbose_name": "挣值设置",
                "verbose_name_plural": "挣值设置",
            },
        ),
        migrations.CreateModel(
            name="StatusReport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("as_of", models.DateField(verbose_name="统计日期")),
                ("rag", models.CharField(blank=True, max_length=5, verbose_name="状态")),
                ("figures", models.JSONField(blank=True, default=dict, verbose_name="指标")),
                ("summary", models.TextField(blank=True, max_length=4000, verbose_name="说明")),
                (
                    "baseline",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="projects.baseline",
                        verbose_name="基线",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="创建人",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="status_reports",
                        to="projects.project",
                        verbose_name="项目",
                    ),
                ),
            ],
            options={
                "verbose_name": "状态报告",
                "verbose_name_plural": "状态报告",
                "ordering": ["project_id", "-as_of", "-id"],
            },
        ),
        migrations.AddConstraint(
            model_name="baseline",
            constraint=models.UniqueConstraint(
                fields=("project", "number"), name="baseline_number_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="baseline",
            constraint=models.CheckConstraint(
                condition=models.Q(("number__gte", 1)), name="baseline_number_gte_1"
            ),
        ),
        migrations.AddConstraint(
            model_name="baseline",
            constraint=models.CheckConstraint(
                condition=models.Q(("name", ""), _negated=True), name="baseline_name_not_empty"
            ),
        ),
        migrations.AddConstraint(
            model_name="baseline",
            constraint=models.CheckConstraint(
                condition=models.Q(("bac__gte", 0)), name="baseline_bac_gte_0"
            ),
        ),
        migrations.AddConstraint(
            model_name="baseline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("planned_finish__isnull", True),
                    ("planned_start__isnull", True),
                    ("planned_finish__gte", models.F("planned_start")),
                    _connector="OR",
                ),
                name="baseline_finish_after_start",
            ),
        ),
        migrations.AddConstraint(
            model_name="baseline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("approved", False), ("approved_at__isnull", False), _connector="OR"
                ),
                name="baseline_approved_has_time",
            ),
        ),
        migrations.AddIndex(
            model_name="baselinetask",
            index=models.Index(fields=["task", "baseline"], name="baseline_task_task_idx"),
        ),
        migrations.AddConstraint(
            model_name="baselinetask",
            constraint=models.CheckConstraint(
                condition=models.Q(("work_hours__gte", 0)), name="baseline_task_work_gte_0"
            ),
        ),
        migrations.AddConstraint(
            model_name="baselinetask",
            constraint=models.CheckConstraint(
                condition=models.Q(("planned_cost__gte", 0)), name="baseline_task_cost_gte_0"
            ),
        ),
        migrations.AddConstraint(
            model_name="baselinetask",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("finish__isnull", True),
                    ("start__isnull", True),
                    ("finish__gte", models.F("start")),
                    _connector="OR",
                ),
                name="baseline_task_finish_after_start",
            ),
        ),
        migrations.AddConstraint(
            model_name="evmsettings",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("spi_amber__lte", 2),
                    ("spi_red__gt", 0),
                    ("spi_red__lte", models.F("spi_amber")),
                ),
                name="evm_settings_spi_thresholds",
            ),
        ),
        migrations.AddConstraint(
            model_name="evmsettings",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("cpi_amber__lte", 2),
                    ("cpi_red__gt", 0),
                    ("cpi_red__lte", models.F("cpi_amber")),
                ),
                name="evm_settings_cpi_thresholds",
            ),
        ),
        migrations.AddConstraint(
            model_name="statusreport",
            constraint=models.UniqueConstraint(
                fields=("project", "as_of"), name="status_report_unique_day"
            ),
        ),
    ]
