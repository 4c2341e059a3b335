# iCalendar feeds with hashed, revocable tokens (issue 14 item 7).
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0001_projects_tasks"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CalendarFeed",
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
                    "kind",
                    models.CharField(
                        choices=[("user", "我的日程"), ("project", "项目日程")],
                        max_length=10,
                        verbose_name="类型",
                    ),
                ),
                (
                    "token_hash",
                    models.CharField(max_length=64, unique=True, verbose_name="令牌摘要"),
                ),
                ("token_prefix", models.CharField(max_length=8, verbose_name="令牌前缀")),
                (
                    "revoked_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="撤销时间"),
                ),
                (
                    "last_used_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="最近访问"),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="calendar_feeds",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="所有人",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="calendar_feeds",
                        to="projects.project",
                        verbose_name="项目",
                    ),
                ),
            ],
            options={
                "verbose_name": "日历订阅",
                "verbose_name_plural": "日历订阅",
                "ordering": ["owner", "-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["owner", "revoked_at"], name="calendar_feed_owner_idx")
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("kind", "user"), ("project__isnull", True)),
                            models.Q(("kind", "project"), ("project__isnull", False)),
                            _connector="OR",
                        ),
                        name="calendar_feed_kind_project",
                    )
                ],
            },
        ),
    ]
