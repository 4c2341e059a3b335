"""Webhooks: subscriptions, the transactional outbox and its delivery log.

``emit`` writes one :class:`OutboxEvent` and one :class:`Delivery` per active subscription
of the event in the caller's transaction, so an event exists exactly when the change it
describes committed. The worker sends a subscription's deliveries one at a time in ``id``
order (a failing head holds back the ones after it, so a receiver never sees ``updated``
before ``created``), and logs every try as a :class:`DeliveryAttempt`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import VersionedModel


class Subscription(VersionedModel):
    name = models.CharField(_("名称"), max_length=100)
    # http(s) only; ``transport.parse_url`` also refuses internal addresses (SSRF)
    url = models.CharField(
        _("接收地址"), max_length=500, validators=[URLValidator(schemes=["http", "https"])]
    )
    events = models.JSONField(_("事件"), default=list)
    secret = models.CharField(_("签名密钥"), max_length=128)
    is_active = models.BooleanField(_("启用"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    disabled_at = models.DateTimeField(_("自动停用时间"), null=True, blank=True)
    disabled_reason = models.CharField(_("停用原因"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The one worker sending this subscription's deliveries (a lease, not a row lock: a
    # transaction must not stay open across an HTTP request, SQLite would stop all writers).
    lease_owner = models.CharField(max_length=100, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Webhook 订阅")
        verbose_name_plural = _("Webhook 订阅")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class OutboxEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    event = models.CharField(_("事件"), max_length=100)
    payload = models.JSONField(_("数据"), encoder=DjangoJSONEncoder)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("发生时间"), default=timezone.now)

    class Meta:
        verbose_name = _("Webhook 事件")
        verbose_name_plural = _("Webhook 事件")
        indexes = [models.Index(fields=["event", "id"], name="webhooks_event_key_idx")]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SUCCEEDED = "succeeded", _("已送达")
    FAILED = "failed", _("失败")


class Delivery(models.Model):
    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(_("投递编号"), default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("订阅"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        OutboxEvent, verbose_name=_("事件"), on_delete=models.PROTECT, related_name="deliveries"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    last_status_code = models.PositiveIntegerField(_("最近状态码"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    replay_of = models.ForeignKey(
        "self",
        verbose_name=_("重放自"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replays",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("重放人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Webhook 投递")
        verbose_name_plural = _("Webhook 投递")
        indexes = [
            # the head of a subscription's queue, and its log newest first
            models.Index(fields=["subscription", "status", "id"], name="webhooks_delivery_queue"),
            models.Index(fields=["subscription", "-id"], name="webhooks_delivery_log"),
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_delivery_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "succeeded", "failed"]),
                name="webhooks_delivery_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return str(self.uuid)


class DeliveryAttempt(models.Model):
    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(
        Delivery, verbose_name=_("投递"), on_delete=models.CASCADE, related_name="log"
    )
    number = models.PositiveIntegerField(_("第几次"))
    started_at = models.DateTimeField(_("开始时间"))
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"))
    status_code = models.PositiveIntegerField(_("状态码"), null=True, blank=True)
    succeeded = models.BooleanField(_("成功"), default=False)
    response_excerpt = models.TextField(_("响应摘录"), blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Webhook 投递尝试")
        verbose_name_plural = _("Webhook 投递尝试")
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="webhooks_attempt_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
