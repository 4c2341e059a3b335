"""Company mailboxes polled by IMAP, the messages taken from them, and the "duplicate"
status of received mail (a Message-ID already on a ticket)."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("service", "0003_complaints_queues")]

    operations = [
        migrations.AlterField(
            model_name="inboundmail",
            name="status",
            field=models.CharField(
                choices=[
                    ("received", "已接收"),
                    ("ticket", "新建工单"),
                    ("message", "追加到工单"),
                    ("auto_reply", "自动回复（已忽略）"),
                    ("bounce", "退信（已忽略）"),
                    ("loop", "邮件循环（已忽略）"),
                    ("failed", "处理失败"),
                    ("duplicate", "重复邮件（已忽略）"),
                ],
                default="received",
                max_length=10,
                verbose_name="状态",
            ),
        ),
        migrations.CreateModel(
            name="Mailbox",
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
                ("host", models.CharField(max_length=253, verbose_name="IMAP 服务器")),
                (
                    "port",
                    models.PositiveIntegerField(
                        default=993,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(65535),
                        ],
                        verbose_name="端口",
                    ),
                ),
                ("use_ssl", models.BooleanField(default=True, verbose_name="使用 SSL")),
                ("username", models.CharField(max_length=254, verbose_name="用户名")),
                (
                    "password_env",
                    models.CharField(
                        help_text="密码不存入数据库：填写保存密码的环境变量名，例如 GUANXI_MAILBOX_PASSWORD。",
                        max_length=64,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^[A-Z][A-Z0-9_]{0,63}$",
                                "请填写环境变量名（大写字母、数字和下划线）。",
                            )
                        ],
                        verbose_name="密码所在的环境变量",
                    ),
                ),
                (
                    "folder",
                    models.CharField(default="INBOX", max_length=200, verbose_name="文件夹"),
                ),
                ("active", models.BooleanField(default=True, verbose_name="启用")),
                ("uid_validity", models.BigIntegerField(blank=True, editable=False, null=True)),
                ("last_uid", models.BigIntegerField(default=0, editable=False)),
                (
                    "last_polled_at",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="上次收取"
                    ),
                ),
                (
                    "last_error",
                    models.TextField(blank=True, editable=False, verbose_name="上次错误"),
                ),
                ("lease_until", models.DateTimeField(blank=True, editable=False, null=True)),
            ],
            options={
                "verbose_name": "收件邮箱",
                "verbose_name_plural": "收件邮箱",
                "ordering": ["name", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("name",), name="mailbox_name_unique"),
                    models.CheckConstraint(
                        condition=models.Q(("port__gte", 1), ("port__lte", 65535)),
                        name="mailbox_port_range",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="MailboxMessage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("uid_validity", models.BigIntegerField()),
                ("uid", models.BigIntegerField()),
                ("taken_at", models.DateTimeField(auto_now_add=True)),
                (
                    "inbound",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="service.inboundmail",
                    ),
                ),
                (
                    "mailbox",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="service.mailbox",
                    ),
                ),
            ],
            options={
                "verbose_name": "已收取的邮件",
                "verbose_name_plural": "已收取的邮件",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("mailbox", "uid_validity", "uid"), name="mailbox_message_uid_unique"
                    )
                ],
            },
        ),
    ]
