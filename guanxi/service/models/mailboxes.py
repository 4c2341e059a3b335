"""Company mailboxes the desk polls by IMAP (``guanxi mail-poll`` and the worker's periodic
job), and the messages already taken from each.

The password is not kept in the database: ``password_env`` names an environment variable
of the workers that holds it (IMAP needs the clear password, so a hash will not do, and a
database dump or a read-only admin must not reveal it). Operations set it beside
``SECRET_KEY`` and the other secrets of the deployment.

A message is taken once: ``MailboxMessage`` keys it by (mailbox, UIDVALIDITY, UID), and
the intake skips a Message-ID that already opened or joined a ticket, so polling twice, or
a mailbox reset by the server, opens no duplicate tickets.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import VersionedModel
from guanxi.service.models.tickets import TicketCategory, TicketPriority

ENV_NAME = RegexValidator(
    r"^[A-Z][A-Z0-9_]{0,63}$",
    _("请填写环境变量名（大写字母、数字和下划线）。"),
)


class Mailbox(VersionedModel):
    name = models.CharField(_("名称"), max_length=100)
    host = models.CharField(_("IMAP 服务器"), max_length=253)
    port = models.PositiveIntegerField(
        _("端口"), default=993, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    use_ssl = models.BooleanField(_("使用 SSL"), default=True)
    username = models.CharField(_("用户名"), max_length=254)
    password_env = models.CharField(
        _("密码所在的环境变量"),
        max_length=64,
        validators=[ENV_NAME],
        help_text=_("密码不存入数据库：填写保存密码的环境变量名，例如 GUANXI_MAILBOX_PASSWORD。"),
    )
    folder = models.CharField(_("文件夹"), max_length=200, default="INBOX")
    active = models.BooleanField(_("启用"), default=True)
    # What a new ticket opened by mail from this mailbox gets (its queue and the priority its
    # SLA policy is picked by); blank: the desk's own defaults.
    default_team = models.ForeignKey(
        "accounts.Team", verbose_name=_("默认部门（队列）"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    default_priority = models.CharField(
        _("默认优先级"), max_length=8, choices=TicketPriority.choices, blank=True
    )
    default_category = models.CharField(
        _("默认类别"), max_length=12, choices=TicketCategory.choices, blank=True
    )
    # Where polling stands: the folder's UIDVALIDITY and the highest UID taken under it.
    uid_validity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    last_polled_at = models.DateTimeField(_("上次收取"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("上次错误"), blank=True, editable=False)
    # A poller holds the mailbox until then (several workers run the periodic job).
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("收件邮箱")
        verbose_name_plural = _("收件邮箱")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="mailbox_name_unique"),
            models.CheckConstraint(
                condition=Q(port__gte=1, port__lte=65535), name="mailbox_port_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MailboxMessage(models.Model):
    """One message taken from a mailbox, by its IMAP identity."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="messages")
    uid_validity = models.BigIntegerField()
    uid = models.BigIntegerField()
    inbound = models.ForeignKey(
        "service.InboundMail", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    taken_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("已收取的邮件")
        verbose_name_plural = _("已收取的邮件")
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uid_validity", "uid"], name="mailbox_message_uid_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_id}:{self.uid_validity}:{self.uid}"
