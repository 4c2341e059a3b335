import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """The forecast category and own probability of an opportunity (SPEC B3), the index the
    closed-won side of the forecast reads, and the targets with their policy (SPEC B4)."""

    dependencies = [
        ("accounts", "0003_seed_role_scopes"),
        ("sales", "0002_pool"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="opportunity",
            name="forecast_category",
            field=models.CharField(
                choices=[
                    ("commit", "承诺"),
                    ("best_case", "最佳情况"),
                    ("pipeline", "管道"),
                    ("omitted", "不计入"),
                ],
                default="pipeline",
                max_length=10,
                verbose_name="预测类别",
            ),
        ),
        migrations.AddField(
            model_name="opportunity",
            name="probability",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="赢率（手动，%）"
            ),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["status", "closed_at"], name="opp_status_closed_idx"),
        ),
        migrations.AddConstraint(
            model_name="opportunity",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("probability__isnull", True), ("probability__lte", 100), _connector="OR"
                ),
                name="opp_probability_0_100",
            ),
        ),
        migrations.CreateModel(
            name="Target",
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
                    "metric",
                    models.CharField(
                        choices=[
                            ("revenue", "赢单金额"),
                            ("new_customers", "新客户数"),
                            ("collections", "回款金额"),
                            ("retention", "客户留存率（%）"),
                            ("satisfaction", "满意度"),
                        ],
                        max_length=16,
                        verbose_name="指标",
                    ),
                ),
                ("year", models.PositiveSmallIntegerField(verbose_name="年")),
                ("month", models.PositiveSmallIntegerField(verbose_name="月")),
                (
                    "value",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="目标值"),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="负责人",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.team",
                        verbose_name="部门",
                    ),
                ),
            ],
            options={
                "verbose_name": "业绩目标",
                "verbose_name_plural": "业绩目标",
                "ordering": ["year", "month", "metric", "id"],
                "indexes": [
                    models.Index(fields=["owner", "year", "month"], name="target_owner_period_idx"),
                    models.Index(fields=["team", "year", "month"], name="target_team_period_idx"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("owner__isnull", False), ("team__isnull", False), _connector="OR"
                        ),
                        name="target_owner_or_team",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("month__gte", 1), ("month__lte", 12)),
                        name="target_month",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("year__gte", 2000), ("year__lte", 2100)),
                        name="target_year",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("value__gte", 0)), name="target_value_gte_0"
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("owner__isnull", False)),
                        fields=("metric", "year", "month", "owner"),
                        name="target_unique_owner",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("owner__isnull", True)),
                        fields=("metric", "year", "month", "team"),
                        name="target_unique_team",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="TargetPolicy",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "band_percent",
                    models.PositiveSmallIntegerField(default=50, verbose_name="允许偏离（%）"),
                ),
                (
                    "history_months",
                    models.PositiveSmallIntegerField(default=6, verbose_name="参考历史月数"),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
            ],
            options={
                "verbose_name": "目标设置",
                "verbose_name_plural": "目标设置",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("band_percent__gte", 1), ("band_percent__lte", 1000)),
                        name="target_policy_band",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("history_months__gte", 1), ("history_months__lte", 24)),
                        name="target_policy_history",
                    ),
                ],
            },
        ),
    ]
