# Change requests and deliverable acceptance (issue 15 items 3, 5).
from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0004_baselines"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AcceptanceCriterion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="顺序")),
                ("text", models.CharField(max_length=300, verbose_name="验收标准")),
                ("met", models.BooleanField(default=False, verbose_name="已满足")),
            ],
            options={
                "verbose_name": "验收标准",
                "verbose_name_plural": "验收标准",
                "ordering": ["deliverable_id", "position", "id"],
            },
        ),
        migrations.CreateModel(
            name="ChangeRequest",
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
                ("number", models.PositiveIntegerField(verbose_name="编号")),
                ("title", models.CharField(max_length=200, verbose_name="标题")),
                ("description", models.TextField(blank=True, max_length=4000, verbose_name="说明")),
                (
                    "origin",
                    models.CharField(
                        choices=[("team", "项目团队"), ("customer", "客户")],
                        default="team",
                        max_length=10,
                        verbose_name="提出方",
                    ),
                ),
                (
                    "raised_via_portal",
                    models.BooleanField(default=False, verbose_name="通过客户门户提出"),
                ),
                (
                    "raised_for_contact",
                    models.CharField(blank=True, max_length=100, verbose_name="客户提出人"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "草稿"),
                            ("impact_stated", "已评估影响"),
                            ("in_review", "内部审批中"),
                            ("awaiting_customer", "待客户确认"),
                            ("approved", "客户已批准"),
                            ("rejected", "客户已拒绝"),
                            ("applied", "已实施"),
                            ("withdrawn", "已撤回"),
                        ],
                        default="draft",
                        max_length=20,
                        verbose_name="状态",
                    ),
                ),
                (
                    "scope_impact",
                    models.TextField(blank=True, max_length=4000, verbose_name="范围影响"),
                ),
                (
                    "cost_delta",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=14,
                        verbose_name="成本变化",
                    ),
                ),
                (
                    "quality_impact",
                    models.TextField(blank=True, max_length=4000, verbose_name="质量影响"),
                ),
                (
                    "finish_before",
                    models.DateField(blank=True, null=True, verbose_name="变更前完成日期"),
                ),
                (
                    "finish_after",
                    models.DateField(blank=True, null=True, verbose_name="变更后完成日期"),
                ),
                (
                    "schedule_delta_days",
                    models.IntegerField(blank=True, null=True, verbose_name="工期变化（工作日）"),
                ),
                (
                    "impact_stated_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="评估时间"),
                ),
                (
                    "submitted_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="提交审批时间"),
                ),
                (
                    "review_note",
                    models.CharField(blank=True, max_length=500, verbose_name="内部审批意见"),
                ),
                (
                    "decided_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="客户决定时间"),
                ),
                (
                    "decided_on_behalf",
                    models.BooleanField(default=False, verbose_name="代客户确认"),
                ),
                (
                    "customer_contact",
                    models.CharField(blank=True, max_length=100, verbose_name="客户确认人"),
                ),
                (
                    "customer_comment",
                    models.TextField(blank=True, max_length=2000, verbose_name="客户意见"),
                ),
                (
                    "applied_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="实施时间"),
                ),
                (
                    "apply_error",
                    models.CharField(blank=True, max_length=500, verbose_name="实施失败原因"),
                ),
            ],
            options={
                "verbose_name": "需求变更",
                "verbose_name_plural": "需求变更",
                "ordering": ["project_id", "-number"],
            },
        ),
        migrations.CreateModel(
            name="ChangeRequestTaskChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="顺序")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("duration", "调整工期"),
                            ("new_task", "新增任务"),
                            ("new_link", "新增依赖"),
                        ],
                        max_length=10,
                        verbose_name="类型",
                    ),
                ),
                (
                    "duration_days",
                    models.PositiveIntegerField(
                        blank=True, null=True, verbose_name="工期（工作日）"
                    ),
                ),
                ("name", models.CharField(blank=True, max_length=200, verbose_name="新任务名称")),
                (
                    "link_type",
                    models.CharField(default="FS", max_length=2, verbose_name="依赖类型"),
                ),
                ("lag_days", models.IntegerField(default=0, verbose_name="延隔（工作日）")),
            ],
            options={
                "verbose_name": "变更任务调整",
                "verbose_name_plural": "变更任务调整",
                "ordering": ["change_request_id", "position", "id"],
            },
        ),
        migrations.CreateModel(
            name="DeliverableReview",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("round", models.PositiveSmallIntegerField(verbose_name="轮次")),
                ("criteria", models.JSONField(blank=True, default=list, verbose_name="验收标准")),
                (
                    "decision",
                    models.CharField(
                        choices=[
                            ("pending", "待验收"),
                            ("accepted", "通过"),
                            ("rejected", "未通过"),
                        ],
                        default="pending",
                        max_length=10,
                        verbose_name="结论",
                    ),
                ),
                (
                    "decided_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="验收时间"),
                ),
                (
                    "decided_on_behalf",
                    models.BooleanField(default=False, verbose_name="代客户确认"),
                ),
                (
                    "customer_contact",
                    models.CharField(blank=True, max_length=100, verbose_name="客户确认人"),
                ),
                ("reason", models.TextField(blank=True, max_length=2000, verbose_name="原因")),
            ],
            options={
                "verbose_name": "验收记录",
                "verbose_name_plural": "验收记录",
                "ordering": ["deliverable_id", "round"],
            },
        ),
        migrations.AddField(
            model_name="deliverable",
            name="customer_contact",
            field=models.CharField(blank=True, max_length=100, verbose_name="客户确认人"),
        ),
        migrations.AddField(
            model_name="deliverable",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="验收时间"),
        ),
        migrations.AddField(
            model_name="deliverable",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="验收人",
            ),
        ),
        migrations.AddField(
            model_name="deliverable",
            name="decided_on_behalf",
            field=models.BooleanField(default=False, verbose_name="代客户确认"),
        ),
        migrations.AddField(
            model_name="deliverable",
            name="rejection_count",
            field=models.PositiveIntegerField(default=0, verbose_name="未通过次数"),
        ),
        migrations.AddField(
            model_name="deliverable",
            name="rejection_reason",
            field=models.TextField(blank=True, max_length=2000, verbose_name="未通过原因"),
        ),
        migrations.AddField(
            model_name="deliverable",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "未提交"),
                    ("submitted", "待验收"),
                    ("accepted", "已验收"),
                    ("rejected", "验收未通过"),
                ],
                default="draft",
                max_length=10,
                verbose_name="验收状态",
            ),
        ),
        migrations.AddField(
            model_name="deliverable",
            name="submitted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="提交验收时间"),
        ),
        migrations.AddField(
            model_name="deliverable",
            name="submitted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="提交人",
            ),
        ),
        migrations.AddField(
            model_name="deliverable",
            name="tasks",
            field=models.ManyToManyField(
                blank=True, related_name="deliverables", to="projects.task", verbose_name="相关任务"
            ),
        ),
        migrations.AddConstraint(
            model_name="deliverable",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["draft", "submitted", "accepted", "rejected"])),
                name="deliverable_status_valid",
            ),
        ),
        migrations.AddField(
            model_name="acceptancecriterion",
            name="deliverable",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="criteria",
                to="projects.deliverable",
                verbose_name="交付物",
            ),
        ),
        migrations.AddField(
            model_name="changerequest",
            name="applied_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="实施人",
            ),
        ),
        migrations.AddField(
            model_name="changerequest",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="记录人",
            ),
        ),
        migrations.AddField(
            model_name="changerequest",
            name="impact_stated_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="评估人",
            ),
        ),
        migrations.AddField(
            model_name="changerequest",
            name="project",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="change_requests",
                to="projects.project",
                verbose_name="项目",
            ),
        ),
        migrations.AddField(
            model_name="changerequest",
            name="raised_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="提出人",
            ),
        ),
        migrations.AddField(
            model_name="changerequest",
            name="resulting_baseline",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="projects.baseline",
                verbose_name="变更后基线",
            ),
        ),
        migrations.AddField(
            model_name="changerequesttaskchange",
            name="change_request",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="task_changes",
                to="projects.changerequest",
                verbose_name="需求变更",
            ),
        ),
        migrations.AddField(
            model_name="changerequesttaskchange",
            name="predecessor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="projects.task",
                verbose_name="前置任务",
            ),
        ),
        migrations.AddField(
            model_name="changerequesttaskchange",
            name="successor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="projects.task",
                verbose_name="后续任务",
            ),
        ),
        migrations.AddField(
            model_name="changerequesttaskchange",
            name="task",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="projects.task",
                verbose_name="任务",
            ),
        ),
        migrations.AddField(
            model_name="deliverablereview",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="记录人",
            ),
        ),
        migrations.AddField(
            model_name="deliverablereview",
            name="deliverable",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="reviews",
                to="projects.deliverable",
                verbose_name="交付物",
            ),
        ),
        migrations.AddField(
            model_name="deliverablereview",
            name="submitted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="提交人",
            ),
        ),
        migrations.AddConstraint(
            model_name="acceptancecriterion",
            constraint=models.CheckConstraint(
                condition=models.Q(("text", ""), _negated=True),
                name="acceptance_criterion_not_empty",
            ),
        ),
        migrations.AddIndex(
            model_name="changerequest",
            index=models.Index(fields=["project", "status"], name="change_request_status_idx"),
        ),
        migrations.AddConstraint(
            model_name="changerequest",
            constraint=models.UniqueConstraint(
                fields=("project", "number"), name="change_request_number"
            ),
        ),
        migrations.AddConstraint(
            model_name="changerequest",
            constraint=models.CheckConstraint(
                condition=models.Q(("title", ""), _negated=True),
                name="change_request_title_not_empty",
            ),
        ),
        migrations.AddConstraint(
            model_name="changerequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("cost_delta__gte", Decimal("-999999999999.99")),
                    ("cost_delta__lte", Decimal("999999999999.99")),
                ),
                name="change_request_cost_bounded",
            ),
        ),
        migrations.AddConstraint(
            model_name="changerequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "status__in",
                        [
                            "draft",
                            "impact_stated",
                            "in_review",
                            "awaiting_customer",
                            "approved",
                            "rejected",
                            "applied",
                            "withdrawn",
                        ],
                    )
                ),
                name="change_request_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="changerequesttaskchange",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("duration_days__isnull", True), ("duration_days__lte", 2000), _connector="OR"
                ),
                name="cr_task_change_duration_bounded",
            ),
        ),
        migrations.AddConstraint(
            model_name="changerequesttaskchange",
            constraint=models.CheckConstraint(
                condition=models.Q(("lag_days__gte", -999), ("lag_days__lte", 999)),
                name="cr_task_change_lag_bounded",
            ),
        ),
        migrations.AddConstraint(
            model_name="deliverablereview",
            constraint=models.UniqueConstraint(
                fields=("deliverable", "round"), name="deliverable_review_round"
            ),
        ),
    ]
