"""Complaints (root-cause tree, compensation, responsible department), canned replies,
saved queue views and the merged-into link of a duplicate ticket."""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("service", "0002_satisfaction_visits"),
        ("accounts", "0003_seed_role_scopes"),
        ("orders", "0002_relabel_order_records"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="merged_into",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="service.ticket", verbose_name="合并到"),
        ),
        migrations.CreateModel(
            name="RootCause",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("version", models.PositiveIntegerField(default=1, verbose_name="版本")),
                ("name", models.CharField(max_length=100, verbose_name="名称")),
                ("active", models.BooleanField(default=True, verbose_name="启用")),
                ("order", models.PositiveSmallIntegerField(default=0, verbose_name="顺序")),
                ("parent", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="children", to="service.rootcause", verbose_name="上级根因")),
            ],
            options={
                "verbose_name": "投诉根因",
                "verbose_name_plural": "投诉根因",
                "ordering": ["order", "name", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("parent", "name"), name="root_cause_name_unique_in_parent"),
                    models.UniqueConstraint(condition=models.Q(("parent__isnull", True)), fields=("name",), name="root_cause_top_unique"),
                    models.CheckConstraint(condition=models.Q(("name", ""), _negated=True), name="root_cause_name_set"),
                ],
            },
        ),
        migrations.CreateModel(
            name="Complaint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("version", models.PositiveIntegerField(default=1, verbose_name="版本")),
                ("resolution", models.TextField(blank=True, max_length=5000, verbose_name="处理结果")),
                ("compensation_amount", models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=12, verbose_name="补偿金额")),
                ("compensation_kind", models.CharField(blank=True, choices=[("refund", "退款"), ("voucher", "代金券"), ("service", "补偿服务"), ("other", "其他")], max_length=8, verbose_name="补偿方式")),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("department", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="accounts.team", verbose_name="责任部门")),
                ("product", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="orders.product", verbose_name="涉及产品")),
                ("ticket", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="complaint", to="service.ticket", verbose_name="工单")),
                ("root_cause", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="service.rootcause", verbose_name="根因")),
            ],
            options={
                "verbose_name": "投诉",
                "verbose_name_plural": "投诉",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["product"], name="complaint_product_idx"),
                    models.Index(fields=["root_cause"], name="complaint_root_cause_idx"),
                ],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("compensation_amount__gte", 0)), name="complaint_compensation_gte_0"),
                    models.CheckConstraint(condition=models.Q(("compensation_amount", 0), models.Q(("compensation_kind", ""), _negated=True), _connector="OR"), name="complaint_compensation_kind_set"),
                ],
            },
        ),
        migrations.CreateModel(
            name="SavedView",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("name", models.CharField(max_length=60, verbose_name="名称")),
                ("filters", models.JSONField(default=dict, verbose_name="筛选条件")),
                ("is_default", models.BooleanField(default=False, verbose_name="默认视图")),
                ("owner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="所有人")),
            ],
            options={
                "verbose_name": "保存的视图",
                "verbose_name_plural": "保存的视图",
                "ordering": ["name", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("owner", "name"), name="saved_view_name_unique"),
                    models.UniqueConstraint(condition=models.Q(("is_default", True)), fields=("owner",), name="saved_view_one_default"),
                    models.CheckConstraint(condition=models.Q(("name", ""), _negated=True), name="saved_view_name_set"),
                ],
            },
        ),
        migrations.CreateModel(
            name="CannedReply",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("version", models.PositiveIntegerField(default=1, verbose_name="版本")),
                ("title", models.CharField(max_length=100, verbose_name="标题")),
                ("body", models.TextField(max_length=10000, verbose_name="内容")),
                ("shared", models.BooleanField(default=False, verbose_name="共享给全部客服")),
                ("owner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="创建人")),
            ],
            options={
                "verbose_name": "快捷回复",
                "verbose_name_plural": "快捷回复",
                "ordering": ["title", "id"],
                "indexes": [models.Index(fields=["owner", "title"], name="canned_reply_owner_idx")],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("title", ""), _negated=True), name="canned_reply_title_set"),
                    models.CheckConstraint(condition=models.Q(("body", ""), _negated=True), name="canned_reply_body_set"),
                ],
            },
        ),
    ]
