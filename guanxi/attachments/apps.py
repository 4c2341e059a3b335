from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttachmentsConfig(AppConfig):
    """Files on any record. Apps register their attachable records in ``registry``."""

    name = "guanxi.attachments"
    label = "attachments"
    verbose_name = _("附件")
