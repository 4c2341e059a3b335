from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Attachment(models.Model):
    """A file on a record of any app (``target_model`` + ``target_id``, see ``registry``).

    The bytes live in Django's storage API (``STORAGES["attachments"]`` when configured, else
    the default storage, ``var/media``); this row is what scoping, listing and auditing
    use. ``content_type`` is what the content was found to be, not what the client said.
    """

    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    target_model = models.CharField(_("记录类型"), max_length=100)
    target_id = models.CharField(_("记录编号"), max_length=40)
    # The name in ``storage.attachment_storage()`` (a plain column rather than a FileField,
    # whose storage callable would tie the migrations to live code).
    stored_name = models.CharField(_("存储位置"), max_length=255, unique=True)
    name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("文件类型"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Staff mark a file of a record its customer may see (a ticket, a contract, a project)
    # as shared: the customer portal lists and serves shared files only.
    shared_with_customer = models.BooleanField(_("与客户共享"), default=False)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        indexes = [
            models.Index(
                fields=["target_model", "target_id", "-created_at"], name="attachment_target_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="attachment_name_set"),
        ]

    def __str__(self) -> str:
        return self.name
