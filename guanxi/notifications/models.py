from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.notifications.registry import Channel


class Notification(models.Model):
    """One message to one user: a row of their inbox (``in_inbox``) and the source of its
    e-mail / IM deliveries. ``dedupe_key`` makes a reminder arrive once ever per user."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # led by notification_inbox
    )
    kind = models.CharField(_("类型"), max_length=50)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    subject_model = models.CharField(_("对象类型"), max_length=60, blank=True)
    subject_id = models.CharField(_("对象编号"), max_length=40, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # notification_actor: only the rows that have one
    )
    dedupe_key = models.CharField(_("去重键"), max_length=200, null=True, blank=True)
    # False when the recipient switched the in-app channel off for this kind: the row
    # still carries the e-mail / IM deliveries and the dedupe key.
    in_inbox = models.BooleanField(_("显示在收件箱"), default=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="notification_once_per_key",
            ),
        ]
        # Few indexes, each narrow: a reminder sweep writes 100,000s of rows at once. The
        # inbox orders by (created_at, id), which only these indexes provide: ordering by
        # id alone let PostgreSQL walk the primary key backwards past everybody else's
        # rows when one user holds most of the table.
        indexes = [
            # the inbox page, newest first (rows out of the inbox are few: filtered), and
            # the recipient foreign key (deleting a user)
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            # the bell's unread count and the "unread" filter
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                condition=Q(in_inbox=True, read_at__isnull=True),
                name="notification_unread",
            ),
            # the actor foreign key (reminders have none)
            models.Index(
                fields=["actor"], condition=Q(actor__isnull=False), name="notification_actor"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Preference(models.Model):
    """A user's choice for one kind × channel; no row means the kind's default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("类型"), max_length=50)
    channel = models.CharField(
        _("渠道"), max_length=10, choices=[(c, Channel.LABELS[c]) for c in Channel.ALL]
    )
    enabled = models.BooleanField(_("启用"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "channel"], name="notification_preference_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.channel} {self.enabled}"


class RobotProvider(models.TextChoices):
    WECOM = "wecom", _("企业微信")
    DINGTALK = "dingtalk", _("钉钉")
    FEISHU = "feishu", _("飞书")


class Robot(models.Model):
    """A group-chat robot (企业微信 / 钉钉 / 飞书) of a department: the IM channel of its
    members' notifications."""

    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("部门"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("名称"), max_length=100)
    provider = models.CharField(_("平台"), max_length=10, choices=RobotProvider.choices)
    webhook_url = models.URLField(_("Webhook 地址"), max_length=500)
    secret = models.CharField(
        _("加签密钥"),
        max_length=200,
        blank=True,
        help_text=_("钉钉、飞书的加签密钥；企业微信不需要。"),
    )
    enabled = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")
        ordering = ["team_id", "name"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("失败")


class Delivery(models.Model):
    """One send of a notification over e-mail or an IM robot, retried by the worker with
    exponential back-off until it is sent or gives up (``FAILED``)."""

    notification = models.ForeignKey(
        Notification, verbose_name=_("通知"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(
        _("渠道"),
        max_length=10,
        choices=[
            (Channel.EMAIL, Channel.LABELS[Channel.EMAIL]),
            (Channel.IM, Channel.LABELS[Channel.IM]),
        ],
    )
    robot = models.ForeignKey(
        Robot, verbose_name=_("群机器人"), null=True, blank=True, on_delete=models.CASCADE
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    last_error = models.TextField(_("最近错误"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="notification_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.notification_id} {self.status}"


class RuleState(models.Model):
    """The lock and the last run of one scheduled rule. A worker owns a rule's run for
    ``day`` by moving ``last_day`` to it in the transaction that writes the rule's
    notifications: others skip the locked row (PostgreSQL) or wait for the writer and then
    find the day done (SQLite), so a rule runs once a day across any number of workers."""

    key = models.CharField(_("规则"), max_length=50, primary_key=True)
    last_day = models.DateField(_("最近运行日"), null=True, blank=True)
    last_started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    last_due = models.PositiveIntegerField(_("到期数"), default=0)
    last_created = models.PositiveIntegerField(_("新通知数"), default=0)
    last_worker = models.CharField(_("执行进程"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("提醒规则运行")
        verbose_name_plural = _("提醒规则运行")

    def __str__(self) -> str:
        return self.key
