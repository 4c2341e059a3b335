# Projects, members, gates, deliverables, tasks, links and templates (issue 14).

import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0003_seed_role_scopes"),
        ("customers", "0016_open_follow_ups_by_customer_and_staff"),
        ("sales", "0005_forecast_pool_speed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Project",
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
                ("name", models.CharField(max_length=200, verbose_name="名称")),
                ("code", models.CharField(blank=True, max_length=40, verbose_name="编号")),
                ("goal", models.TextField(blank=True, max_length=4000, verbose_name="目标")),
                ("scope", models.TextField(blank=True, max_length=8000, verbose_name="范围")),
                ("start_date", models.DateField(verbose_name="开始日期")),
                ("due_date", models.DateField(blank=True, null=True, verbose_name="目标完成日期")),
                (
                    "scheduled_finish",
                    models.DateField(blank=True, null=True, verbose_name="计划完成日期"),
                ),
                (
                    "budget",
                    models.DecimalField(
                        decimal_places=2, default=Decimal("0"), max_digits=14, verbose_name="预算"
                    ),
                ),
                ("currency", models.CharField(default="CNY", max_length=3, verbose_name="币种")),
                (
                    "lifecycle_stage",
                    models.CharField(
                        choices=[
                            ("potential", "I 潜在需求"),
                            ("proposal", "II 需求建议书/投标"),
                            ("engaged", "III 共同参与"),
                            ("feedback", "IV 交付后反馈"),
                        ],
                        default="engaged",
                        max_length=10,
                        verbose_name="客户生命周期阶段",
                    ),
                ),
                (
                    "phase",
                    models.CharField(
                        choices=[
                            ("identify", "识别需求"),
                            ("plan", "制定计划"),
                            ("execute", "执行"),
                            ("close", "结束"),
                        ],
                        default="identify",
                        max_length=10,
                        verbose_name="项目阶段",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("active", "进行中"),
                            ("on_hold", "暂停"),
                            ("closed", "已结束"),
                            ("cancelled", "已取消"),
                        ],
                        default="active",
                        max_length=10,
                        verbose_name="状态",
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
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="projects",
                        to="customers.customer",
                        verbose_name="客户",
                    ),
                ),
                (
                    "manager",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="项目经理",
                    ),
                ),
                (
                    "opportunity",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="sales.opportunity",
                        verbose_name="商机",
                    ),
                ),
                (
                    "parent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="children",
                        to="projects.project",
                        verbose_name="上级项目",
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
            ],
            options={
                "verbose_name": "项目",
                "verbose_name_plural": "项目",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="PhaseGate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "phase",
                    models.CharField(
                        choices=[
                            ("identify", "识别需求"),
                            ("plan", "制定计划"),
                            ("execute", "执行"),
                            ("close", "结束"),
                        ],
                        max_length=10,
                        verbose_name="阶段",
                    ),
                ),
                ("passed_at", models.DateTimeField(blank=True, null=True, verbose_name="通过时间")),
                ("note", models.CharField(blank=True, max_length=500, verbose_name="评审意见")),
                (
                    "passed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="通过人",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="gates",
                        to="projects.project",
                        verbose_name="项目",
                    ),
                ),
            ],
            options={
                "verbose_name": "阶段评审",
                "verbose_name_plural": "阶段评审",
                "ordering": ["project_id", "id"],
            },
        ),
        migrations.CreateModel(
            name="Deliverable",
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
                ("name", models.CharField(max_length=200, verbose_name="名称")),
                ("description", models.TextField(blank=True, max_length=4000, verbose_name="说明")),
                ("due_date", models.DateField(blank=True, null=True, verbose_name="截止日期")),
                ("done", models.BooleanField(default=False, verbose_name="已交付")),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliverables",
                        to="projects.project",
                        verbose_name="项目",
                    ),
                ),
            ],
            options={
                "verbose_name": "交付物",
                "verbose_name_plural": "交付物",
                "ordering": ["project_id", "due_date", "id"],
            },
        ),
        migrations.CreateModel(
            name="ProjectMember",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("role", models.CharField(blank=True, max_length=50, verbose_name="项目角色")),
                (
                    "allocation",
                    models.PositiveSmallIntegerField(default=100, verbose_name="投入比例（%）"),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="members",
                        to="projects.project",
                        verbose_name="项目",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="project_memberships",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="成员",
                    ),
                ),
            ],
            options={
                "verbose_name": "项目成员",
                "verbose_name_plural": "项目成员",
                "ordering": ["project_id", "id"],
            },
        ),
        migrations.CreateModel(
            name="ProjectTemplate",
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
                ("name", models.CharField(max_length=100, unique=True, verbose_name="名称")),
                ("description", models.TextField(blank=True, max_length=2000, verbose_name="说明")),
                ("active", models.BooleanField(default=True, verbose_name="启用")),
            ],
            options={
                "verbose_name": "项目模板",
                "verbose_name_plural": "项目模板",
                "ordering": ["name"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("name", ""), _negated=True),
                        name="project_template_name_not_empty",
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="project",
            name="template",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="projects.projecttemplate",
                verbose_name="模板",
            ),
        ),
        migrations.CreateModel(
            name="Task",
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
                ("position", models.PositiveIntegerField(default=0, verbose_name="顺序")),
                ("outline", models.CharField(blank=True, max_length=60, verbose_name="大纲编号")),
                ("tree_key", models.CharField(blank=True, editable=False, max_length=60)),
                ("name", models.CharField(max_length=200, verbose_name="名称")),
                ("notes", models.TextField(blank=True, max_length=4000, verbose_name="备注")),
                (
                    "estimate_hours",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=7,
                        verbose_name="预计工时",
                    ),
                ),
                (
                    "duration_days",
                    models.PositiveIntegerField(default=1, verbose_name="工期（工作日）"),
                ),
                ("milestone", models.BooleanField(default=False, verbose_name="里程碑")),
                ("progress", models.PositiveSmallIntegerField(default=0, verbose_name="进度（%）")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("todo", "待办"),
                            ("doing", "进行中"),
                            ("review", "待验收"),
                            ("done", "已完成"),
                        ],
                        default="todo",
                        max_length=8,
                        verbose_name="状态",
                    ),
                ),
                ("board_position", models.PositiveIntegerField(default=0, verbose_name="看板位置")),
                (
                    "start_no_earlier",
                    models.DateField(blank=True, null=True, verbose_name="不早于此日开始"),
                ),
                ("start_date", models.DateField(blank=True, null=True, verbose_name="开始日期")),
                ("finish_date", models.DateField(blank=True, null=True, verbose_name="完成日期")),
                ("late_start", models.DateField(blank=True, null=True, verbose_name="最晚开始")),
                ("late_finish", models.DateField(blank=True, null=True, verbose_name="最晚完成")),
                (
                    "total_float",
                    models.IntegerField(blank=True, null=True, verbose_name="总时差（工作日）"),
                ),
                (
                    "free_float",
                    models.IntegerField(blank=True, null=True, verbose_name="自由时差（工作日）"),
                ),
                ("critical", models.BooleanField(default=False, verbose_name="关键任务")),
                ("is_summary", models.BooleanField(default=False, verbose_name="摘要任务")),
                (
                    "assignee",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="负责人",
                    ),
                ),
                (
                    "parent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="children",
                        to="projects.task",
                        verbose_name="上级任务",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tasks",
                        to="projects.project",
                        verbose_name="项目",
                    ),
                ),
            ],
            options={
                "verbose_name": "任务",
                "verbose_name_plural": "任务",
                "ordering": ["project_id", "tree_key", "id"],
            },
        ),
        migrations.CreateModel(
            name="TaskLink",
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
                    "type",
                    models.CharField(
                        choices=[
                            ("FS", "完成-开始"),
                            ("SS", "开始-开始"),
                            ("FF", "完成-完成"),
                            ("SF", "开始-完成"),
                        ],
                        default="FS",
                        max_length=2,
                        verbose_name="类型",
                    ),
                ),
                ("lag_days", models.IntegerField(default=0, verbose_name="延隔（工作日）")),
                (
                    "predecessor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="successor_links",
                        to="projects.task",
                        verbose_name="前置任务",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="links",
                        to="projects.project",
                        verbose_name="项目",
                    ),
                ),
                (
                    "successor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="predecessor_links",
                        to="projects.task",
                        verbose_name="后续任务",
                    ),
                ),
            ],
            options={
                "verbose_name": "任务依赖",
                "verbose_name_plural": "任务依赖",
                "ordering": ["project_id", "id"],
            },
        ),
        migrations.CreateModel(
            name="TemplateTask",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveIntegerField(default=0, verbose_name="顺序")),
                ("name", models.CharField(max_length=200, verbose_name="名称")),
                (
                    "offset_days",
                    models.PositiveIntegerField(default=0, verbose_name="开始偏移（工作日）"),
                ),
                (
                    "duration_days",
                    models.PositiveIntegerField(default=1, verbose_name="工期（工作日）"),
                ),
                (
                    "estimate_hours",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=7,
                        verbose_name="预计工时",
                    ),
                ),
                ("milestone", models.BooleanField(default=False, verbose_name="里程碑")),
                (
                    "parent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="children",
                        to="projects.templatetask",
                        verbose_name="上级任务",
                    ),
                ),
                (
                    "template",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tasks",
                        to="projects.projecttemplate",
                        verbose_name="模板",
                    ),
                ),
            ],
            options={
                "verbose_name": "模板任务",
                "verbose_name_plural": "模板任务",
                "ordering": ["template_id", "position", "id"],
            },
        ),
        migrations.CreateModel(
            name="TemplateLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "type",
                    models.CharField(
                        choices=[
                            ("FS", "完成-开始"),
                            ("SS", "开始-开始"),
                            ("FF", "完成-完成"),
                            ("SF", "开始-完成"),
                        ],
                        default="FS",
                        max_length=2,
                        verbose_name="类型",
                    ),
                ),
                ("lag_days", models.IntegerField(default=0, verbose_name="延隔（工作日）")),
                (
                    "template",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="links",
                        to="projects.projecttemplate",
                        verbose_name="模板",
                    ),
                ),
                (
                    "predecessor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="projects.templatetask",
                        verbose_name="前置任务",
                    ),
                ),
                (
                    "successor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="projects.templatetask",
                        verbose_name="后续任务",
                    ),
                ),
            ],
            options={
                "verbose_name": "模板依赖",
                "verbose_name_plural": "模板依赖",
            },
        ),
        migrations.CreateModel(
            name="GateItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="顺序")),
                ("text", models.CharField(max_length=200, verbose_name="检查项")),
                ("done", models.BooleanField(default=False, verbose_name="已完成")),
                ("done_at", models.DateTimeField(blank=True, null=True, verbose_name="完成时间")),
                (
                    "done_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="完成人",
                    ),
                ),
                (
                    "gate",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="projects.phasegate",
                        verbose_name="阶段评审",
                    ),
                ),
            ],
            options={
                "verbose_name": "检查项",
                "verbose_name_plural": "检查项",
                "ordering": ["gate_id", "position", "id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("text", ""), _negated=True),
                        name="gate_item_text_not_empty",
                    )
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="phasegate",
            constraint=models.UniqueConstraint(
                fields=("project", "phase"), name="phase_gate_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="deliverable",
            constraint=models.CheckConstraint(
                condition=models.Q(("name", ""), _negated=True), name="deliverable_name_not_empty"
            ),
        ),
        migrations.AddIndex(
            model_name="projectmember",
            index=models.Index(fields=["user", "project"], name="project_member_user_idx"),
        ),
        migrations.AddConstraint(
            model_name="projectmember",
            constraint=models.UniqueConstraint(
                fields=("project", "user"), name="project_member_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="projectmember",
            constraint=models.CheckConstraint(
                condition=models.Q(("allocation__gte", 1), ("allocation__lte", 100)),
                name="project_member_allocation_1_100",
            ),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["customer", "-created_at"], name="project_customer_idx"),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["manager", "status"], name="project_manager_idx"),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["team", "status"], name="project_team_idx"),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["status", "phase"], name="project_status_phase_idx"),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["-created_at", "-id"], name="project_recent_idx"),
        ),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.CheckConstraint(
                condition=models.Q(("name", ""), _negated=True), name="project_name_not_empty"
            ),
        ),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.CheckConstraint(
                condition=models.Q(("budget__gte", 0)), name="project_budget_gte_0"
            ),
        ),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("due_date__isnull", True),
                    ("due_date__gte", models.F("start_date")),
                    _connector="OR",
                ),
                name="project_due_after_start",
            ),
        ),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.CheckConstraint(
                condition=models.Q(("parent", models.F("id")), _negated=True),
                name="project_not_own_parent",
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["project", "tree_key"], name="task_plan_order_idx"),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["project", "parent", "position"], name="task_tree_idx"),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["assignee", "status"], name="task_assignee_idx"),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                fields=["project", "status", "board_position"], name="task_board_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="task",
            constraint=models.CheckConstraint(
                condition=models.Q(("name", ""), _negated=True), name="task_name_not_empty"
            ),
        ),
        migrations.AddConstraint(
            model_name="task",
            constraint=models.CheckConstraint(
                condition=models.Q(("progress__lte", 100)), name="task_progress_0_100"
            ),
        ),
        migrations.AddConstraint(
            model_name="task",
            constraint=models.CheckConstraint(
                condition=models.Q(("duration_days__lte", 2000)), name="task_duration_bounded"
            ),
        ),
        migrations.AddConstraint(
            model_name="task",
            constraint=models.CheckConstraint(
                condition=models.Q(("estimate_hours__gte", 0)), name="task_estimate_gte_0"
            ),
        ),
        migrations.AddConstraint(
            model_name="task",
            constraint=models.CheckConstraint(
                condition=models.Q(("milestone", False), ("duration_days", 0), _connector="OR"),
                name="task_milestone_zero_duration",
            ),
        ),
        migrations.AddConstraint(
            model_name="task",
            constraint=models.CheckConstraint(
                condition=models.Q(("parent", models.F("id")), _negated=True),
                name="task_not_own_parent",
            ),
        ),
        migrations.AddIndex(
            model_name="tasklink",
            index=models.Index(fields=["successor"], name="task_link_successor_idx"),
        ),
        migrations.AddConstraint(
            model_name="tasklink",
            constraint=models.UniqueConstraint(
                fields=("predecessor", "successor"), name="task_link_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="tasklink",
            constraint=models.CheckConstraint(
                condition=models.Q(("predecessor", models.F("successor")), _negated=True),
                name="task_link_not_self",
            ),
        ),
        migrations.AddConstraint(
            model_name="tasklink",
            constraint=models.CheckConstraint(
                condition=models.Q(("lag_days__gte", -999), ("lag_days__lte", 999)),
                name="task_link_lag_bounded",
            ),
        ),
        migrations.AddConstraint(
            model_name="templatetask",
            constraint=models.CheckConstraint(
                condition=models.Q(("duration_days__lte", 2000), ("offset_days__lte", 2000)),
                name="template_task_days_bounded",
            ),
        ),
        migrations.AddConstraint(
            model_name="templatetask",
            constraint=models.CheckConstraint(
                condition=models.Q(("milestone", False), ("duration_days", 0), _connector="OR"),
                name="template_task_milestone_zero_duration",
            ),
        ),
        migrations.AddConstraint(
            model_name="templatelink",
            constraint=models.UniqueConstraint(
                fields=("predecessor", "successor"), name="template_link_unique_pair"
            ),
        ),
        migrations.AddConstraint(
            model_name="templatelink",
            constraint=models.CheckConstraint(
                condition=models.Q(("predecessor", models.F("successor")), _negated=True),
                name="template_link_not_self",
            ),
        ),
        migrations.AddConstraint(
            model_name="templatelink",
            constraint=models.CheckConstraint(
                condition=models.Q(("lag_days__gte", -999), ("lag_days__lte", 999)),
                name="template_link_lag_bounded",
            ),
        ),
    ]
