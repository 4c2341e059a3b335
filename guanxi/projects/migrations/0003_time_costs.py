# Timesheets, cost rates and cost entries (issue 15 item 1).
from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0002_feeds_interchange"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CostEntry",
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
                    "category",
                    models.CharField(
                        choices=[
                            ("materials", "材料"),
                            ("travel", "差旅"),
                            ("subcontracting", "分包"),
                            ("other", "其他"),
                        ],
                        max_length=20,
                        verbose_name="类别",
                    ),
                ),
                (
                    "amount",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="金额"),
                ),
                ("currency", models.CharField(default="CNY", max_length=3, verbose_name="币种")),
                ("date", models.DateField(verbose_name="日期")),
                ("description", models.CharField(blank=True, max_length=500, verbose_name="说明")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "草稿"),
                            ("pending", "审批中"),
                            ("approved", "已批准"),
                            ("rejected", "已驳回"),
                        ],
                        default="draft",
                        max_length=10,
                        verbose_name="状态",
                    ),
                ),
                (
                    "submitted_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="提交时间"),
                ),
                (
                    "approved_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="审批时间"),
                ),
                (
                    "reject_reason",
                    models.CharField(blank=True, max_length=500, verbose_name="驳回原因"),
                ),
            ],
            options={
                "verbose_name": "成本记录",
                "verbose_name_plural": "成本记录",
                "ordering": ["project_id", "-date", "-id"],
            },
        ),
        migrations.CreateModel(
            name="CostRate",
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
                ("role", models.CharField(blank=True, max_length=50, verbose_name="项目角色")),
                (
                    "hourly_rate",
                    models.DecimalField(decimal_places=2, max_digits=10, verbose_name="小时费率"),
                ),
                ("currency", models.CharField(default="CNY", max_length=3, verbose_name="币种")),
                ("valid_from", models.DateField(verbose_name="生效日期")),
            ],
            options={
                "verbose_name": "成本费率",
                "verbose_name_plural": "成本费率",
                "ordering": ["user_id", "role", "-valid_from", "id"],
            },
        ),
        migrations.CreateModel(
            name="TimeEntry",
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
                ("date", models.DateField(verbose_name="日期")),
                ("hours", models.DecimalField(decimal_places=2, max_digits=4, verbose_name="工时")),
                ("note", models.CharField(blank=True, max_length=500, verbose_name="备注")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "草稿"),
                            ("submitted", "已提交"),
                            ("approved", "已批准"),
                            ("rejected", "已驳回"),
                        ],
                        default="draft",
                        max_length=10,
                        verbose_name="状态",
                    ),
                ),
                (
                    "submitted_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="提交时间"),
                ),
                (
                    "approved_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="审批时间"),
                ),
                (
                    "reject_reason",
                    models.CharField(blank=True, max_length=500, verbose_name="驳回原因"),
                ),
            ],
            options={
                "verbose_name": "工时",
                "verbose_name_plural": "工时",
                "ordering": ["user_id", "date", "task_id"],
            },
        ),
        migrations.AddField(
            model_name="costentry",
            name="approved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="审批人",
            ),
        ),
        migrations.AddField(
            model_name="costentry",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="录入人",
            ),
        ),
        migrations.AddField(
            model_name="costentry",
            name="project",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="cost_entries",
                to="projects.project",
                verbose_name="项目",
            ),
        ),
        migrations.AddField(
            model_name="costentry",
            name="task",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="cost_entries",
                to="projects.task",
                verbose_name="任务",
            ),
        ),
        migrations.AddField(
            model_name="costrate",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="人员",
            ),
        ),
        migrations.AddField(
            model_name="timeentry",
            name="approved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="审批人",
            ),
        ),
        migrations.AddField(
            model_name="timeentry",
            name="project",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="projects.project",
                verbose_name="项目",
            ),
        ),
        migrations.AddField(
            model_name="timeentry",
            name="task",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="time_entries",
                to="projects.task",
                verbose_name="任务",
            ),
        ),
        migrations.AddField(
            model_name="timeentry",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="time_entries",
                to=settings.AUTH_USER_MODEL,
                verbose_name="人员",
            ),
        ),
        migrations.AddIndex(
            model_name="costentry",
            index=models.Index(fields=["project", "status", "date"], name="cost_entry_project_idx"),
        ),
        migrations.AddConstraint(
            model_name="costentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gt", 0)), name="cost_entry_amount_gt_0"
            ),
        ),
        migrations.AddConstraint(
            model_name="costrate",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("user__isnull", False), ("role", "")),
                    models.Q(("user__isnull", True), models.Q(("role", ""), _negated=True)),
                    _connector="OR",
                ),
                name="cost_rate_person_or_role",
            ),
        ),
        migrations.AddConstraint(
            model_name="costrate",
            constraint=models.CheckConstraint(
                condition=models.Q(("hourly_rate__gte", 0)), name="cost_rate_gte_0"
            ),
        ),
        migrations.AddConstraint(
            model_name="costrate",
            constraint=models.UniqueConstraint(
                condition=models.Q(("user__isnull", False)),
                fields=("user", "valid_from"),
                name="cost_rate_user_day_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="costrate",
            constraint=models.UniqueConstraint(
                condition=models.Q(("user__isnull", True)),
                fields=("role", "valid_from"),
                name="cost_rate_role_day_unique",
            ),
        ),
        migrations.AddIndex(
            model_name="timeentry",
            index=models.Index(fields=["user", "date"], name="time_entry_user_day_idx"),
        ),
        migrations.AddIndex(
            model_name="timeentry",
            index=models.Index(fields=["project", "status", "date"], name="time_entry_project_idx"),
        ),
        migrations.AddIndex(
            model_name="timeentry",
            index=models.Index(fields=["status", "date"], name="time_entry_status_idx"),
        ),
        migrations.AddConstraint(
            model_name="timeentry",
            constraint=models.UniqueConstraint(
                fields=("user", "task", "date"), name="time_entry_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="timeentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("hours__gt", 0), ("hours__lte", Decimal("24"))),
                name="time_entry_hours_0_24",
            ),
        ),
    ]
