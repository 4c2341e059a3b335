"""Projects (SPEC E1, E2, E7): a project on a customer, its team, phases with gates,
deliverables, sub-projects, the task tree with dependencies, and plan templates.

Durations and lags count *working days* of the platform calendar (``core.calendar``); the
dates a task shows are the ones the last schedule (``projects.cpm``) computed, stored on
the row with its floats so lists, the Gantt and the MSPDI export read them without
recomputing. ``start_no_earlier`` is the one date a user sets on a task (a drag on the
Gantt, a template offset): the schedule never starts the task before it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import TimeStampedModel, VersionedModel
from guanxi.core.money import MoneyField
from guanxi.projects.models.baselines import EvMethod
from guanxi.projects.models.risks import EvaluationSource

#: Bounds of plan numbers, stated once for forms, the API, imports and the database.
MAX_DURATION_DAYS: Final = 2000  # working days (about eight years)
MAX_LAG_DAYS: Final = 999  # working days, either way (a negative lag is a lead)
MAX_ESTIMATE_HOURS: Final = Decimal("99999.99")
MAX_OUTLINE_DEPTH: Final = 10


class LifecycleStage(models.TextChoices):
    """The project-customer lifecycle (SPEC E7), stages I–IV."""

    POTENTIAL = "potential", _("I 潜在需求")
    PROPOSAL = "proposal", _("II 需求建议书/投标")
    ENGAGED = "engaged", _("III 共同参与")
    FEEDBACK = "feedback", _("IV 交付后反馈")


class Phase(models.TextChoices):
    """The project's own phases; each ends with a gate (阶段评审)."""

    IDENTIFY = "identify", _("识别需求")
    PLAN = "plan", _("制定计划")
    EXECUTE = "execute", _("执行")
    CLOSE = "close", _("结束")


PHASE_ORDER: Final = ("identify", "plan", "execute", "close")


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", _("进行中")
    ON_HOLD = "on_hold", _("暂停")
    CLOSED = "closed", _("已结束")
    CANCELLED = "cancelled", _("已取消")


class LinkType(models.TextChoices):
    FS = "FS", _("完成-开始")
    SS = "SS", _("开始-开始")
    FF = "FF", _("完成-完成")
    SF = "SF", _("开始-完成")


class TaskStatus(models.TextChoices):
    """The kanban's columns."""

    TODO = "todo", _("待办")
    DOING = "doing", _("进行中")
    REVIEW = "review", _("待验收")
    DONE = "done", _("已完成")


class ProjectTemplate(VersionedModel):
    """A plan to start projects from: tasks with offsets, durations and links."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    description = models.TextField(_("说明"), max_length=2000, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("项目模板")
        verbose_name_plural = _("项目模板")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="project_template_name_not_empty")
        ]

    def __str__(self) -> str:
        return self.name


class TemplateTask(models.Model):
    template = models.ForeignKey(
        ProjectTemplate, verbose_name=_("模板"), on_delete=models.CASCADE, related_name="tasks"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级任务"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    name = models.CharField(_("名称"), max_length=200)
    # Working days after the project's start before which the task does not start.
    offset_days = models.PositiveIntegerField(_("开始偏移（工作日）"), default=0)
    duration_days = models.PositiveIntegerField(_("工期（工作日）"), default=1)
    estimate_hours = models.DecimalField(
        _("预计工时"), max_digits=7, decimal_places=2, default=Decimal("0")
    )
    milestone = models.BooleanField(_("里程碑"), default=False)

    class Meta:
        verbose_name = _("模板任务")
        verbose_name_plural = _("模板任务")
        ordering = ["template_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    duration_days__lte=MAX_DURATION_DAYS, offset_days__lte=MAX_DURATION_DAYS
                ),
                name="template_task_days_bounded",
            ),
            models.CheckConstraint(
                condition=Q(milestone=False) | Q(duration_days=0),
                name="template_task_milestone_zero_duration",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TemplateLink(models.Model):
    template = models.ForeignKey(
        ProjectTemplate, verbose_name=_("模板"), on_delete=models.CASCADE, related_name="links"
    )
    predecessor = models.ForeignKey(
        TemplateTask, verbose_name=_("前置任务"), on_delete=models.CASCADE, related_name="+"
    )
    successor = models.ForeignKey(
        TemplateTask, verbose_name=_("后续任务"), on_delete=models.CASCADE, related_name="+"
    )
    type = models.CharField(_("类型"), max_length=2, choices=LinkType.choices, default="FS")
    lag_days = models.IntegerField(_("延隔（工作日）"), default=0)

    class Meta:
        verbose_name = _("模板依赖")
        verbose_name_plural = _("模板依赖")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="template_link_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=models.F("successor")), name="template_link_not_self"
            ),
            models.CheckConstraint(
                condition=Q(lag_days__gte=-MAX_LAG_DAYS, lag_days__lte=MAX_LAG_DAYS),
                name="template_link_lag_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} {self.type} {self.successor_id}"


class Project(VersionedModel):
    name = models.CharField(_("名称"), max_length=200)
    code = models.CharField(_("编号"), max_length=40, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    # The won deal the project came from (SPEC B5); one project per opportunity.
    opportunity = models.OneToOneField(
        "sales.Opportunity",
        verbose_name=_("商机"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The signed contract the project delivers (a delivery project), when it has one.
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A sub-project (分解原则): part of a bigger one, on the same customer.
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级项目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    template = models.ForeignKey(
        ProjectTemplate,
        verbose_name=_("模板"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    goal = models.TextField(_("目标"), max_length=4000, blank=True)
    scope = models.TextField(_("范围"), max_length=8000, blank=True)
    start_date = models.DateField(_("开始日期"))
    due_date = models.DateField(_("目标完成日期"), null=True, blank=True)
    # Where the last schedule ended (the critical path's finish).
    scheduled_finish = models.DateField(_("计划完成日期"), null=True, blank=True)
    budget = MoneyField(_("预算"), max_digits=14, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("项目经理"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The department that runs the project: what a manager's scope reads.
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lifecycle_stage = models.CharField(
        _("客户生命周期阶段"),
        max_length=10,
        choices=LifecycleStage.choices,
        default=LifecycleStage.ENGAGED,
    )
    phase = models.CharField(
        _("项目阶段"), max_length=10, choices=Phase.choices, default=Phase.IDENTIFY
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="project_customer_idx"),
            models.Index(fields=["manager", "status"], name="project_manager_idx"),
            models.Index(fields=["team", "status"], name="project_team_idx"),
            models.Index(fields=["status", "phase"], name="project_status_phase_idx"),
            models.Index(fields=["-created_at", "-id"], name="project_recent_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="project_name_not_empty"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="project_budget_gte_0"),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True) | Q(due_date__gte=models.F("start_date")),
                name="project_due_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="project_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("projects:detail", args=[self.pk])


class ProjectMember(TimeStampedModel):
    """A member of the project's temporary, cross-department team."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("成员"),
        on_delete=models.CASCADE,
        related_name="project_memberships",
    )
    role = models.CharField(_("项目角色"), max_length=50, blank=True)
    allocation = models.PositiveSmallIntegerField(_("投入比例（%）"), default=100)

    class Meta:
        verbose_name = _("项目成员")
        verbose_name_plural = _("项目成员")
        ordering = ["project_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="project_member_unique"),
            models.CheckConstraint(
                condition=Q(allocation__gte=1, allocation__lte=100),
                name="project_member_allocation_1_100",
            ),
        ]
        indexes = [models.Index(fields=["user", "project"], name="project_member_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.project_id}"


class PhaseGate(models.Model):
    """The gate (阶段评审) that ends one phase of a project: it passes only when every item
    of its checklist is done, and passing it moves the project to the next phase."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="gates"
    )
    phase = models.CharField(_("阶段"), max_length=10, choices=Phase.choices)
    passed_at = models.DateTimeField(_("通过时间"), null=True, blank=True)
    passed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("通过人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("评审意见"), max_length=500, blank=True)
    # The customer's satisfaction with the phase (SPEC E8, 1–5), once its gate passed:
    # recorded by staff on behalf of a named contact, or given through the portal.
    csat_score = models.PositiveSmallIntegerField(_("阶段满意度（1–5）"), null=True, blank=True)
    csat_comment = models.TextField(_("满意度意见"), max_length=2000, blank=True)
    csat_source = models.CharField(
        _("满意度来源"), max_length=6, choices=EvaluationSource.choices, blank=True
    )
    csat_contact = models.CharField(_("客户评价人"), max_length=100, blank=True)
    csat_at = models.DateTimeField(_("满意度录入时间"), null=True, blank=True)
    csat_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("满意度录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("阶段评审")
        verbose_name_plural = _("阶段评审")
        ordering = ["project_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "phase"], name="phase_gate_unique"),
            models.CheckConstraint(
                condition=Q(csat_score__isnull=True, csat_at__isnull=True)
                | Q(
                    csat_score__gte=1,
                    csat_score__lte=5,
                    csat_at__isnull=False,
                    passed_at__isnull=False,
                ),
                name="phase_gate_csat_1_5_after_pass",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.phase}"


class GateItem(models.Model):
    gate = models.ForeignKey(
        PhaseGate, verbose_name=_("阶段评审"), on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    text = models.CharField(_("检查项"), max_length=200)
    done = models.BooleanField(_("已完成"), default=False)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("完成人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("检查项")
        verbose_name_plural = _("检查项")
        ordering = ["gate_id", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="gate_item_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text


class DeliverableStatus(models.TextChoices):
    """Acceptance of a deliverable (SPEC E4): submitted with its criteria, the customer
    accepts or rejects it (a rejection reopens the work; it may be submitted again)."""

    DRAFT = "draft", _("未提交")
    SUBMITTED = "submitted", _("待验收")
    ACCEPTED = "accepted", _("已验收")
    REJECTED = "rejected", _("验收未通过")


class Deliverable(VersionedModel):
    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="deliverables"
    )
    name = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("说明"), max_length=4000, blank=True)
    due_date = models.DateField(_("截止日期"), null=True, blank=True)
    done = models.BooleanField(_("已交付"), default=False)
    # Acceptance (issue 15 item 3): the last submission and the customer's last decision;
    # every round is kept in ``DeliverableReview``.
    status = models.CharField(
        _("验收状态"),
        max_length=10,
        choices=DeliverableStatus.choices,
        default=DeliverableStatus.DRAFT,
    )
    tasks = models.ManyToManyField(
        "projects.Task", verbose_name=_("相关任务"), blank=True, related_name="deliverables"
    )
    submitted_at = models.DateTimeField(_("提交验收时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("验收人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Staff recorded the customer's decision in the customer's name (``customer_contact``).
    decided_on_behalf = models.BooleanField(_("代客户确认"), default=False)
    customer_contact = models.CharField(_("客户确认人"), max_length=100, blank=True)
    rejection_reason = models.TextField(_("未通过原因"), max_length=2000, blank=True)
    rejection_count = models.PositiveIntegerField(_("未通过次数"), default=0)

    class Meta:
        verbose_name = _("交付物")
        verbose_name_plural = _("交付物")
        ordering = ["project_id", "due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="deliverable_name_not_empty"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted", "accepted", "rejected"]),
                name="deliverable_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Task(VersionedModel):
    """One node of the work breakdown. A task with children is a summary task: its dates,
    work and progress roll up from them and its own duration is not scheduled."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="tasks"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级任务"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    # Order among siblings; ``outline`` ("1.2.3") is derived from it by the services.
    position = models.PositiveIntegerField(_("顺序"), default=0)
    outline = models.CharField(_("大纲编号"), max_length=60, blank=True)
    # The outline zero-padded ("00001.00002"): sorts the tree in plan order ("1.10" after
    # "1.9"), kept by the services with ``outline``.
    tree_key = models.CharField(max_length=60, blank=True, editable=False)
    name = models.CharField(_("名称"), max_length=200)
    notes = models.TextField(_("备注"), max_length=4000, blank=True)
    estimate_hours = models.DecimalField(
        _("预计工时"), max_digits=7, decimal_places=2, default=Decimal("0")
    )
    duration_days = models.PositiveIntegerField(_("工期（工作日）"), default=1)
    milestone = models.BooleanField(_("里程碑"), default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    status = models.CharField(
        _("状态"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.TODO
    )
    # Order of the card within its kanban column.
    board_position = models.PositiveIntegerField(_("看板位置"), default=0)
    start_no_earlier = models.DateField(_("不早于此日开始"), null=True, blank=True)
    # The last schedule: early dates are the plan; late dates and floats in working days.
    start_date = models.DateField(_("开始日期"), null=True, blank=True)
    finish_date = models.DateField(_("完成日期"), null=True, blank=True)
    late_start = models.DateField(_("最晚开始"), null=True, blank=True)
    late_finish = models.DateField(_("最晚完成"), null=True, blank=True)
    total_float = models.IntegerField(_("总时差（工作日）"), null=True, blank=True)
    free_float = models.IntegerField(_("自由时差（工作日）"), null=True, blank=True)
    critical = models.BooleanField(_("关键任务"), default=False)
    is_summary = models.BooleanField(_("摘要任务"), default=False)
    # How earned value credits the task (0/100, 50/50, physical %); blank = the project's
    # default. A baseline freezes it (``BaselineTask.ev_method``).
    ev_method = models.CharField(
        _("挣值方法"), max_length=10, choices=EvMethod.choices, blank=True, default=""
    )

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["project_id", "tree_key", "id"]
        indexes = [
            models.Index(fields=["project", "tree_key"], name="task_plan_order_idx"),
            models.Index(fields=["project", "parent", "position"], name="task_tree_idx"),
            models.Index(fields=["assignee", "status"], name="task_assignee_idx"),
            models.Index(fields=["project", "status", "board_position"], name="task_board_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="task_name_not_empty"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="task_progress_0_100"),
            models.CheckConstraint(
                condition=Q(duration_days__lte=MAX_DURATION_DAYS), name="task_duration_bounded"
            ),
            models.CheckConstraint(condition=Q(estimate_hours__gte=0), name="task_estimate_gte_0"),
            models.CheckConstraint(
                condition=Q(milestone=False) | Q(duration_days=0),
                name="task_milestone_zero_duration",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="task_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.outline} {self.name}".strip()


class TaskLink(TimeStampedModel):
    """A dependency: ``successor`` waits for ``predecessor`` by ``type`` and ``lag_days``."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="links"
    )
    predecessor = models.ForeignKey(
        Task, verbose_name=_("前置任务"), on_delete=models.CASCADE, related_name="successor_links"
    )
    successor = models.ForeignKey(
        Task,
        verbose_name=_("后续任务"),
        on_delete=models.CASCADE,
        related_name="predecessor_links",
    )
    type = models.CharField(_("类型"), max_length=2, choices=LinkType.choices, default="FS")
    lag_days = models.IntegerField(_("延隔（工作日）"), default=0)

    class Meta:
        verbose_name = _("任务依赖")
        verbose_name_plural = _("任务依赖")
        ordering = ["project_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="task_link_unique"),
            models.CheckConstraint(
                condition=~Q(predecessor=models.F("successor")), name="task_link_not_self"
            ),
            models.CheckConstraint(
                condition=Q(lag_days__gte=-MAX_LAG_DAYS, lag_days__lte=MAX_LAG_DAYS),
                name="task_link_lag_bounded",
            ),
        ]
        indexes = [models.Index(fields=["successor"], name="task_link_successor_idx")]

    def __str__(self) -> str:
        return f"{self.predecessor_id} {self.type} {self.successor_id}"
