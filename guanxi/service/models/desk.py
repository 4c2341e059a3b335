"""The agent's desk: canned replies (快捷回复) and saved queue views."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import TimeStampedModel, VersionedModel


class CannedReply(VersionedModel):
    """A reply text with ``{{customer}}``, ``{{contact}}``, ``{{ticket}}`` and
    ``{{agent}}`` fields. Personal (seen by its owner only) or shared with the desk."""

    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("内容"), max_length=10_000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    shared = models.BooleanField(_("共享给全部客服"), default=False)

    class Meta:
        verbose_name = _("快捷回复")
        verbose_name_plural = _("快捷回复")
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["owner", "title"], name="canned_reply_owner_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="canned_reply_title_set"),
            models.CheckConstraint(condition=~Q(body=""), name="canned_reply_body_set"),
        ]

    def __str__(self) -> str:
        return self.title


class SavedView(TimeStampedModel):
    """A user's named queue + filter set; at most one is their default (the desk opens
    on it)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("所有人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    name = models.CharField(_("名称"), max_length=60)
    filters = models.JSONField(_("筛选条件"), default=dict)
    is_default = models.BooleanField(_("默认视图"), default=False)

    class Meta:
        verbose_name = _("保存的视图")
        verbose_name_plural = _("保存的视图")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name_unique"),
            models.UniqueConstraint(
                fields=["owner"], condition=Q(is_default=True), name="saved_view_one_default"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="saved_view_name_set"),
        ]

    def __str__(self) -> str:
        return self.name
