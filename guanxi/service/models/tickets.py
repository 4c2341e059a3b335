"""Customer service (SPEC C1): tickets (工单) with their messages, SLA policies and the raw
mail that came in.

A ticket's SLA clocks are kept as *business seconds*: ``resolution_elapsed`` is what the
resolution clock used up before ``clock_started_at`` (set while the clock runs, ``None``
while paused or stopped), and the due times are where the remaining target ends on the
business calendar. So a pause (waiting for the customer) only moves the due time and the
sweep finds breaches with one index range on the due columns.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import TimeStampedModel, VersionedModel


class TicketChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    EMAIL = "email", _("邮件")
    PORTAL = "portal", _("门户")
    WECHAT = "wechat", _("微信")
    VISIT = "visit", _("上门")


class TicketCategory(models.TextChoices):
    INQUIRY = "inquiry", _("咨询")
    COMPLAINT = "complaint", _("投诉")
    REPAIR = "repair", _("报修")
    SUGGESTION = "suggestion", _("建议")


class TicketPriority(models.TextChoices):
    LOW = "low", _("低")
    NORMAL = "normal", _("普通")
    HIGH = "high", _("高")
    URGENT = "urgent", _("紧急")


# Escalation raises a ticket's priority one step.
PRIORITY_ORDER = ("low", "normal", "high", "urgent")


class TicketStatus(models.TextChoices):
    NEW = "new", _("新建")
    OPEN = "open", _("处理中")
    WAITING = "waiting", _("等待客户")
    RESOLVED = "resolved", _("已解决")
    CLOSED = "closed", _("已关闭")


OPEN_STATUSES = ("new", "open", "waiting")


class SlaPolicy(VersionedModel):
    """Targets in business minutes for tickets matching priority × customer value class ×
    channel; an empty criterion matches anything, and the most specific match wins."""

    name = models.CharField(_("名称"), max_length=100)
    priority = models.CharField(
        _("优先级"), max_length=8, choices=TicketPriority.choices, blank=True
    )
    value_class = models.CharField(_("客户价值类别"), max_length=12, blank=True)
    channel = models.CharField(_("渠道"), max_length=8, choices=TicketChannel.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("首次响应时限（工作分钟）"))
    resolution_minutes = models.PositiveIntegerField(_("解决时限（工作分钟）"))
    warn_before_minutes = models.PositiveIntegerField(_("提前预警（工作分钟）"), default=60)
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("SLA 策略")
        verbose_name_plural = _("SLA 策略")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="sla_policy_name_unique"),
            models.CheckConstraint(
                condition=Q(first_response_minutes__gte=1, resolution_minutes__gte=1),
                name="sla_policy_targets_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Ticket(VersionedModel):
    subject = models.CharField(_("主题"), max_length=200)
    channel = models.CharField(
        _("渠道"), max_length=8, choices=TicketChannel.choices, default=TicketChannel.PHONE
    )
    category = models.CharField(
        _("类别"), max_length=12, choices=TicketCategory.choices, default=TicketCategory.INQUIRY
    )
    priority = models.CharField(
        _("优先级"), max_length=8, choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    # Null for a sender no contact or customer matched: the "unknown" queue (待分拣).
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("联系人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requester_name = models.CharField(_("提出人"), max_length=100, blank=True)
    requester_email = models.EmailField(_("提出人邮箱"), max_length=254, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sla_policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("SLA 策略"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Targets copied from the policy when the ticket opened: editing a policy does not
    # move the clocks of tickets already running.
    first_response_target = models.PositiveIntegerField(default=0)  # business seconds
    resolution_target = models.PositiveIntegerField(default=0)  # business seconds
    warn_before = models.PositiveIntegerField(default=0)  # business seconds
    first_response_due = models.DateTimeField(_("首次响应截止"), null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("解决截止"), null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_elapsed = models.PositiveIntegerField(default=0)  # business seconds
    clock_started_at = models.DateTimeField(null=True, blank=True)
    # Warning and breach of each clock, set once by the sweep.
    response_warned_at = models.DateTimeField(null=True, blank=True)
    response_breached_at = models.DateTimeField(_("首次响应超时"), null=True, blank=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(_("解决超时"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)  # of the mail that opened it
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when this duplicate was merged into another ticket (closed, its messages moved).
    merged_into = models.ForeignKey(
        "self", verbose_name=_("合并到"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    # Set when an agent triaged this unknown sender's ticket as spam (closed with it); the
    # sender's later mail is kept but opens no ticket while their newest ticket is spam.
    spam_at = models.DateTimeField(_("标记为垃圾邮件"), null=True, blank=True)

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["assignee", "status", "-created_at"], name="ticket_assignee_idx"),
            models.Index(fields=["team", "status", "-created_at"], name="ticket_team_idx"),
            models.Index(fields=["status", "-created_at"], name="ticket_status_idx"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_idx"),
            models.Index(fields=["resolution_due"], name="ticket_resolution_due_idx"),
            models.Index(fields=["first_response_due"], name="ticket_response_due_idx"),
            models.Index(fields=["resolution_warn_at"], name="ticket_resolution_warn_idx"),
            models.Index(fields=["first_response_warn_at"], name="ticket_response_warn_idx"),
            models.Index(fields=["requester_email", "-created_at"], name="ticket_requester_idx"),
            models.Index(fields=["-created_at", "-id"], name="ticket_recent_idx"),
            # The desk's open queues (mine, unassigned, department) newest first: a tenth of
            # the tickets, in the queue's own order, so a page is an index range and the
            # capped count an index scan (1 M tickets: 926 ms → 0.1 ms for the page).
            models.Index(
                fields=["assignee", "-created_at", "-id"],
                name="ticket_open_assignee_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["team", "-created_at", "-id"],
                name="ticket_open_team_idx",
                condition=Q(status__in=OPEN_STATUSES),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(subject=""), name="ticket_subject_not_empty"),
            models.CheckConstraint(
                condition=Q(status__in=["resolved", "closed"], resolved_at__isnull=False)
                | ~Q(status__in=["resolved", "closed"]),
                name="ticket_resolved_at_when_done",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False)
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
                name="ticket_closed_at_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("service:detail", args=[self.pk])


class MessageKind(models.TextChoices):
    INCOMING = "incoming", _("客户来信")
    REPLY = "reply", _("回复客户")
    NOTE = "note", _("内部备注")


class TicketMessage(TimeStampedModel):
    """One message of a ticket: what the customer wrote, a reply sent to them, or an
    internal note the customer never sees."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("类型"), max_length=8, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_email = models.EmailField(_("发件人"), max_length=254, blank=True)
    body = models.TextField(_("内容"), max_length=100_000)
    # Mail threading: this message's Message-ID, and the ids it answered.
    message_id = models.CharField(max_length=255, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)

    class Meta:
        verbose_name = _("工单消息")
        verbose_name_plural = _("工单消息")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="ticket_message_ticket_idx"),
            models.Index(fields=["message_id"], name="ticket_message_msgid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("已接收")
    TICKET = "ticket", _("新建工单")
    MESSAGE = "message", _("追加到工单")
    AUTO_REPLY = "auto_reply", _("自动回复（已忽略）")
    BOUNCE = "bounce", _("退信（已忽略）")
    LOOP = "loop", _("邮件循环（已忽略）")
    FAILED = "failed", _("处理失败")
    DUPLICATE = "duplicate", _("重复邮件（已忽略）")
    SPAM = "spam", _("垃圾邮件（已忽略）")


class InboundMail(models.Model):
    """Every message the SMTP receiver accepted, kept raw before it is parsed: a message
    that cannot be read is still here (status ``failed``), never lost."""

    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    envelope_from = models.CharField(_("信封发件人"), max_length=320, blank=True)
    raw = models.BinaryField(_("原始邮件"))
    size = models.PositiveIntegerField(_("大小"), default=0)
    status = models.CharField(
        _("状态"), max_length=10, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    error = models.TextField(_("错误"), blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    subject = models.CharField(_("主题"), max_length=200, blank=True)
    from_email = models.CharField(_("发件人"), max_length=254, blank=True)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("收到的邮件")
        verbose_name_plural = _("收到的邮件")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["message_id"], name="inbound_msgid_idx"),
            models.Index(fields=["from_email", "received_at"], name="inbound_sender_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or f"#{self.pk}"
