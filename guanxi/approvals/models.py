"""The approval-flow engine's tables (SPEC G12 审批流).

*Definitions* (admin-edited): a :class:`Flow` per document type with ordered
:class:`FlowStep` rows — who approves (a named user, the submitter's direct manager, a
role, N levels of managers or of department heads) and an optional condition on a field of
the document ("amount > 500000"). *Instances* (written only by ``approvals.services``): an
:class:`ApprovalRequest` per document, its :class:`ApprovalStep` rows (the steps resolved
at submission, per round) and the :class:`ApprovalAction` log (the request's history).
:class:`Delegation` names a substitute for an approver who is away.

The request's state machine lives in ``approvals.machine``; these tables only hold it, and
database constraints keep its invariants (one open request per document, one current step
at most, a decided step names who decided it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import Role
from guanxi.core.models import TimeStampedModel, VersionedModel


class ApproverKind(models.TextChoices):
    USER = "user", _("指定成员")
    MANAGER = "manager", _("直属上级")
    ROLE = "role", _("指定角色")
    MANAGER_CHAIN = "manager_chain", _("逐级上级")
    DEPARTMENT_HEADS = "department_heads", _("逐级部门负责人")


class Operator(models.TextChoices):
    GT = "gt", _("大于")
    GTE = "gte", _("大于等于")
    LT = "lt", _("小于")
    LTE = "lte", _("小于等于")
    EQ = "eq", _("等于")
    NE = "ne", _("不等于")


class Flow(VersionedModel):
    """How documents of one type are approved. At most one flow per type is active; a
    request keeps the steps resolved when it was submitted, so editing a flow changes only
    the documents submitted afterwards."""

    document_type = models.CharField(_("单据类型"), max_length=50)
    name = models.CharField(_("名称"), max_length=100)
    description = models.CharField(_("说明"), max_length=500, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("审批流程")
        verbose_name_plural = _("审批流程")
        ordering = ["document_type", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_type"],
                condition=Q(active=True),
                name="approval_flow_one_active_per_type",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FlowStep(models.Model):
    flow = models.ForeignKey(
        Flow, verbose_name=_("审批流程"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("步骤名称"), max_length=100)
    approver_kind = models.CharField(
        _("审批人"), max_length=20, choices=ApproverKind.choices, default=ApproverKind.MANAGER
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("指定成员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, blank=True)
    # For a role: look for it in the submitter's department, then up the department tree
    # (Team.parent) — "the nearest manager" — instead of anyone holding the role.
    role_in_department = models.BooleanField(_("在提交人所在部门逐级查找"), default=True)
    levels = models.PositiveSmallIntegerField(_("层级数"), default=1)
    condition_field = models.CharField(_("条件字段"), max_length=50, blank=True)
    condition_operator = models.CharField(
        _("条件运算"), max_length=3, choices=Operator.choices, blank=True
    )
    condition_value = models.CharField(_("条件值"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("审批步骤")
        verbose_name_plural = _("审批步骤")
        ordering = ["flow", "position"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "position"], name="approval_flowstep_position"),
            models.CheckConstraint(
                condition=~Q(approver_kind=ApproverKind.USER) | Q(user__isnull=False),
                name="approval_flowstep_user_named",
            ),
            models.CheckConstraint(
                condition=~Q(approver_kind=ApproverKind.ROLE) | ~Q(role=""),
                name="approval_flowstep_role_named",
            ),
            models.CheckConstraint(
                condition=Q(levels__gte=1, levels__lte=10), name="approval_flowstep_levels"
            ),
            models.CheckConstraint(
                condition=Q(condition_field="") | ~Q(condition_operator=""),
                name="approval_flowstep_condition_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class RequestState(models.TextChoices):
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")


class ApprovalRequest(VersionedModel):
    """The approval of one document. Withdrawn or rejected, it may be resubmitted: a new
    ``round`` with steps resolved afresh; the earlier rounds stay as history."""

    document_type = models.CharField(_("单据类型"), max_length=50)
    object_id = models.PositiveBigIntegerField(_("单据编号"))
    title = models.CharField(_("标题"), max_length=200)
    flow = models.ForeignKey(
        Flow, verbose_name=_("审批流程"), on_delete=models.PROTECT, related_name="requests"
    )
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        related_name="approval_requests",
    )
    # A plain id (approvals sits below customers): the customer the document concerns, so
    # its audit entries join the customer's change history.
    customer_id = models.BigIntegerField(_("客户编号"), null=True, blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=RequestState.choices, default=RequestState.PENDING
    )
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    # The document's condition fields when the round was submitted (the conditions were
    # evaluated on these values, and the page shows what the approvers decided on).
    values = models.JSONField(_("单据内容"), default=dict, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    decided_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审批单")
        verbose_name_plural = _("审批单")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "object_id"], name="approval_request_one_per_document"
            ),
            models.CheckConstraint(
                condition=Q(state=RequestState.PENDING, decided_at__isnull=True)
                | (~Q(state=RequestState.PENDING) & Q(decided_at__isnull=False)),
                name="approval_request_decided_when_closed",
            ),
        ]
        indexes = [
            models.Index(fields=["submitter", "-submitted_at"], name="approval_request_mine"),
            models.Index(fields=["customer_id"], name="approval_request_customer"),
        ]

    def __str__(self) -> str:
        return self.title


class StepState(models.TextChoices):
    WAITING = "waiting", _("待处理")
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已同意")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已取消")


class ApprovalStep(models.Model):
    """One approval of one round: who may decide it (any one of ``approvers`` — 或签 —
    or their substitutes) and, once decided, who did, for whom and why."""

    request = models.ForeignKey(
        ApprovalRequest, verbose_name=_("审批单"), on_delete=models.CASCADE, related_name="steps"
    )
    round = models.PositiveSmallIntegerField(_("轮次"))
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("步骤名称"), max_length=100)
    flow_step = models.ForeignKey(
        FlowStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("审批人"), related_name="approval_steps"
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=StepState.choices, default=StepState.WAITING
    )
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The approver a substitute acted for (代理审批); empty when the approver acted.
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代理对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Decided without anyone acting: the only approver was the submitter.
    automatic = models.BooleanField(_("自动通过"), default=False)
    comment = models.TextField(_("审批意见"), blank=True)
    acted_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审批步骤记录")
        verbose_name_plural = _("审批步骤记录")
        ordering = ["request", "round", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "round", "position"], name="approval_step_position"
            ),
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(state=StepState.PENDING),
                name="approval_step_one_current",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[StepState.APPROVED, StepState.REJECTED])
                | Q(acted_at__isnull=False),
                name="approval_step_decided_at",
            ),
            models.CheckConstraint(
                condition=~Q(state=StepState.REJECTED) | Q(acted_by__isnull=False),
                name="approval_step_rejected_by",
            ),
            models.CheckConstraint(
                condition=~Q(state=StepState.APPROVED)
                | Q(acted_by__isnull=False)
                | Q(automatic=True),
                name="approval_step_approved_by",
            ),
            models.CheckConstraint(
                condition=Q(on_behalf_of__isnull=True) | ~Q(on_behalf_of=F("acted_by")),
                name="approval_step_substitute_not_self",
            ),
        ]
        indexes = [
            models.Index(
                fields=["state", "request"],
                condition=Q(state=StepState.PENDING),
                name="approval_step_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.round}.{self.position} {self.name}"


class ActionKind(models.TextChoices):
    SUBMIT = "submit", _("提交")
    APPROVE = "approve", _("同意")
    REJECT = "reject", _("驳回")
    WITHDRAW = "withdraw", _("撤回")
    RESUBMIT = "resubmit", _("重新提交")
    AUTO_APPROVE = "auto_approve", _("自动通过")


class ApprovalAction(models.Model):
    """The request's history, one row per thing that happened to it, in order."""

    request = models.ForeignKey(
        ApprovalRequest, verbose_name=_("审批单"), on_delete=models.CASCADE, related_name="actions"
    )
    round = models.PositiveSmallIntegerField(_("轮次"))
    step = models.ForeignKey(
        ApprovalStep,
        verbose_name=_("步骤"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="actions",
    )
    kind = models.CharField(_("动作"), max_length=20, choices=ActionKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代理对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(_("意见"), blank=True)
    state_before = models.CharField(
        _("原状态"), max_length=10, choices=RequestState.choices, blank=True
    )
    state_after = models.CharField(_("新状态"), max_length=10, choices=RequestState.choices)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审批记录")
        verbose_name_plural = _("审批记录")
        ordering = ["request", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"


class Delegation(TimeStampedModel):
    """While ``delegator`` is away (``starts_on``–``ends_on``, inclusive, Beijing dates),
    ``substitute`` may decide the steps waiting for them — of every document type, or of
    one. The step records who acted for whom."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("委托人"),
        on_delete=models.CASCADE,
        related_name="approval_delegations",
    )
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代理人"),
        on_delete=models.CASCADE,
        related_name="approval_substitutions",
    )
    document_type = models.CharField(_("单据类型"), max_length=50, blank=True)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审批代理")
        verbose_name_plural = _("审批代理")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="approval_delegation_dates"
            ),
            models.CheckConstraint(
                condition=~Q(substitute=F("delegator")), name="approval_delegation_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["substitute", "ends_on"], name="approval_delegation_sub"),
            models.Index(fields=["delegator", "ends_on"], name="approval_delegation_from"),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.substitute} ({self.starts_on}–{self.ends_on})"
