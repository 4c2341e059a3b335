# Portal accounts and invitations (issue 16).
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("customers", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PortalAccount",
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
                ("contact_bound", models.BooleanField(default=False)),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("viewer", "查看者"),
                            ("requester", "提单人"),
                            ("approver", "审批人"),
                        ],
                        default="viewer",
                        max_length=10,
                        verbose_name="门户角色",
                    ),
                ),
                ("active", models.BooleanField(default=True, verbose_name="启用")),
                (
                    "deactivated_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="停用时间"),
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
                        related_name="portal_accounts",
                        to="customers.customer",
                        verbose_name="客户",
                    ),
                ),
                (
                    "invited_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="邀请人",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="portal_account",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="用户",
                    ),
                ),
            ],
            options={
                "verbose_name": "门户账号",
                "verbose_name_plural": "门户账号",
                "ordering": ["customer_id", "id"],
            },
        ),
        migrations.CreateModel(
            name="PortalInvitation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("email", models.EmailField(max_length=254, verbose_name="邮箱")),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("viewer", "查看者"),
                            ("requester", "提单人"),
                            ("approver", "审批人"),
                        ],
                        default="viewer",
                        max_length=10,
                        verbose_name="门户角色",
                    ),
                ),
                ("token_hash", models.CharField(max_length=64, unique=True)),
                ("expires_at", models.DateTimeField(verbose_name="有效期至")),
                (
                    "accepted_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="接受时间"),
                ),
                (
                    "account",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="portal.portalaccount",
                        verbose_name="门户账号",
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
                        related_name="portal_invitations",
                        to="customers.customer",
                        verbose_name="客户",
                    ),
                ),
                (
                    "invited_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="邀请人",
                    ),
                ),
            ],
            options={
                "verbose_name": "门户邀请",
                "verbose_name_plural": "门户邀请",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="PortalToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="名称")),
                ("prefix", models.CharField(max_length=12, verbose_name="前缀")),
                ("key_hash", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                (
                    "last_used_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="最近使用"),
                ),
                (
                    "revoked_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="撤销时间"),
                ),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tokens",
                        to="portal.portalaccount",
                        verbose_name="门户账号",
                    ),
                ),
            ],
            options={
                "verbose_name": "门户 API 令牌",
                "verbose_name_plural": "门户 API 令牌",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.AddIndex(
            model_name="portalaccount",
            index=models.Index(fields=["customer", "active"], name="portal_account_customer_idx"),
        ),
        migrations.AddConstraint(
            model_name="portalaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("active", True), ("deactivated_at__isnull", False), _connector="OR"
                ),
                name="portal_account_deactivated_at",
            ),
        ),
        migrations.AddIndex(
            model_name="portalinvitation",
            index=models.Index(
                fields=["customer", "-created_at"], name="portal_invitation_customer_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="portalinvitation",
            constraint=models.CheckConstraint(
                condition=models.Q(("token_hash", ""), _negated=True),
                name="portal_invitation_token",
            ),
        ),
    ]
