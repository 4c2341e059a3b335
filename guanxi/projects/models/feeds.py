"""iCalendar feeds (issue 14 item 7): a secret URL a calendar app subscribes to.

Only the SHA-256 of the token is stored, so a database dump does not hand out working
URLs; the token is shown once, when the feed is created. A feed is read as its owner: the
items it lists are the ones its owner may see *now* (a member who leaves a project stops
seeing it in the feed too), and a revoked feed or an inactive owner answers 404.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import TimeStampedModel


class FeedKind(models.TextChoices):
    USER = "user", _("我的日程")
    PROJECT = "project", _("项目日程")


class CalendarFeed(TimeStampedModel):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("所有人"),
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    kind = models.CharField(_("类型"), max_length=10, choices=FeedKind.choices)
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("项目"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    token_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    # The token's first characters, to tell feeds apart in the list (not enough to guess it).
    token_prefix = models.CharField(_("令牌前缀"), max_length=8)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近访问"), null=True, blank=True)

    class Meta:
        verbose_name = _("日历订阅")
        verbose_name_plural = _("日历订阅")
        ordering = ["owner", "-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "revoked_at"], name="calendar_feed_owner_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="user") & Q(project__isnull=True))
                | (Q(kind="project") & Q(project__isnull=False)),
                name="calendar_feed_kind_project",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.token_prefix}…"
