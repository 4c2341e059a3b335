"""Satisfaction surveys (CSAT, NPS campaigns) and follow-up visits (回访) with their
per-category deadlines."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_seed_role_scopes"),
        ("customers", "0016_open_follow_ups_by_customer_and_staff"),
        ("service", "0001_tickets_sla_mail"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="FollowUpPolicy",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "category",
                    models.CharField(
                        choices=[
                            ("inquiry", "咨询"),
                            ("complaint", "投诉"),
                            ("repair", "报修"),
                            ("suggestion", "建议"),
                        ],
                        max_length=12,
                        unique=True,
                        verbose_name="类别",
                    ),
                ),
                ("days", models.PositiveSmallIntegerField(verbose_name="回访期限（天）")),
            ],
            options={
                "verbose_name": "回访期限",
                "verbose_name_plural": "回访期限",
                "ordering": ["category"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("days__gte", 1), ("days__lte", 365)),
                        name="followup_policy_days_range",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="NpsCampaign",
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
                ("name", models.CharField(max_length=100, verbose_name="名称")),
                (
                    "value_class",
                    models.CharField(blank=True, max_length=12, verbose_name="客户价值类别"),
                ),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="发送时间")),
                ("recipients", models.PositiveIntegerField(default=0, verbose_name="收件人数")),
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
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="客户经理",
                    ),
                ),
                (
                    "tag",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="customers.tag",
                        verbose_name="标签",
                    ),
                ),
            ],
            options={
                "verbose_name": "NPS 调查活动",
                "verbose_name_plural": "NPS 调查活动",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="Survey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                (
                    "kind",
                    models.CharField(
                        choices=[("csat", "满意度（CSAT）"), ("nps", "净推荐值（NPS）")],
                        max_length=4,
                        verbose_name="类型",
                    ),
                ),
                ("token_hash", models.CharField(max_length=64, unique=True)),
                ("email", models.EmailField(max_length=254, verbose_name="邮箱")),
                (
                    "category",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("inquiry", "咨询"),
                            ("complaint", "投诉"),
                            ("repair", "报修"),
                            ("suggestion", "建议"),
                        ],
                        max_length=12,
                        verbose_name="类别",
                    ),
                ),
                ("sent_at", models.DateTimeField(verbose_name="发送时间")),
                ("expires_at", models.DateTimeField(verbose_name="链接有效期至")),
                (
                    "score",
                    models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="评分"),
                ),
                ("comment", models.TextField(blank=True, max_length=2000, verbose_name="意见")),
                (
                    "answered_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="回答时间"),
                ),
                (
                    "campaign",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="surveys",
                        to="service.npscampaign",
                        verbose_name="NPS 调查活动",
                    ),
                ),
                (
                    "contact",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="customers.contact",
                        verbose_name="联系人",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="surveys",
                        to="customers.customer",
                        verbose_name="客户",
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="客户经理",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.team",
                        verbose_name="部门",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="surveys",
                        to="service.ticket",
                        verbose_name="工单",
                    ),
                ),
            ],
            options={
                "verbose_name": "满意度调查",
                "verbose_name_plural": "满意度调查",
                "ordering": ["-sent_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="FollowUp",
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
                    "reason",
                    models.CharField(
                        choices=[("closed", "工单关闭后回访"), ("low_score", "低满意度回访")],
                        max_length=10,
                        verbose_name="原因",
                    ),
                ),
                ("due_date", models.DateField(verbose_name="截止日期")),
                (
                    "status",
                    models.CharField(
                        choices=[("pending", "待回访"), ("done", "已回访")],
                        default="pending",
                        max_length=8,
                        verbose_name="状态",
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("satisfied", "客户满意"),
                            ("needs_action", "仍有问题，需跟进"),
                            ("unreachable", "联系不上"),
                            ("declined", "客户拒绝回访"),
                        ],
                        max_length=12,
                        verbose_name="回访结果",
                    ),
                ),
                ("note", models.TextField(blank=True, max_length=4000, verbose_name="回访记录")),
                ("done_at", models.DateTimeField(blank=True, null=True, verbose_name="回访时间")),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="service_follow_ups",
                        to="customers.customer",
                        verbose_name="客户",
                    ),
                ),
                (
                    "done_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="回访人",
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="客户经理",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.team",
                        verbose_name="部门",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="follow_ups",
                        to="service.ticket",
                        verbose_name="工单",
                    ),
                ),
                (
                    "survey",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="follow_up",
                        to="service.survey",
                        verbose_name="满意度调查",
                    ),
                ),
            ],
            options={
                "verbose_name": "回访",
                "verbose_name_plural": "回访",
                "ordering": ["due_date", "id"],
            },
        ),
        migrations.AddConstraint(
            model_name="npscampaign",
            constraint=models.CheckConstraint(
                condition=models.Q(("name", ""), _negated=True), name="nps_campaign_name_not_empty"
            ),
        ),
        migrations.AddIndex(
            model_name="survey",
            index=models.Index(fields=["customer", "-sent_at"], name="survey_customer_idx"),
        ),
        migrations.AddIndex(
            model_name="survey",
            index=models.Index(fields=["owner", "kind", "answered_at"], name="survey_owner_idx"),
        ),
        migrations.AddIndex(
            model_name="survey",
            index=models.Index(fields=["kind", "answered_at"], name="survey_answered_idx"),
        ),
        migrations.AddConstraint(
            model_name="survey",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "csat")),
                fields=("ticket",),
                name="survey_one_csat_per_ticket",
            ),
        ),
        migrations.AddConstraint(
            model_name="survey",
            constraint=models.UniqueConstraint(
                condition=models.Q(("campaign__isnull", False)),
                fields=("campaign", "contact"),
                name="survey_one_per_campaign_contact",
            ),
        ),
        migrations.AddConstraint(
            model_name="survey",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("campaign__isnull", True), ("kind", "csat"), ("ticket__isnull", False)
                    ),
                    models.Q(
                        ("campaign__isnull", False), ("kind", "nps"), ("ticket__isnull", True)
                    ),
                    _connector="OR",
                ),
                name="survey_kind_source",
            ),
        ),
        migrations.AddConstraint(
            model_name="survey",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("answered_at__isnull", True), ("score__isnull", True)),
                    models.Q(
                        ("answered_at__isnull", False),
                        ("kind", "csat"),
                        ("score__gte", 1),
                        ("score__lte", 5),
                    ),
                    models.Q(
                        ("answered_at__isnull", False),
                        ("kind", "nps"),
                        ("score__gte", 0),
                        ("score__lte", 10),
                    ),
                    _connector="OR",
                ),
                name="survey_score_in_range_when_answered",
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(fields=["owner", "status", "due_date"], name="followup_owner_idx"),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(fields=["status", "due_date"], name="followup_due_idx"),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(fields=["customer", "-created_at"], name="followup_customer_idx"),
        ),
        migrations.AddConstraint(
            model_name="followup",
            constraint=models.UniqueConstraint(
                condition=models.Q(("reason", "closed")),
                fields=("ticket",),
                name="followup_one_per_closed_ticket",
            ),
        ),
        migrations.AddConstraint(
            model_name="followup",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("done_at__isnull", True), ("outcome", ""), ("status", "pending")),
                    models.Q(
                        ("done_at__isnull", False),
                        ("status", "done"),
                        models.Q(("outcome", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="followup_outcome_iff_done",
            ),
        ),
    ]
