"""Where attachment bytes are kept: Django's storage API, so production can use any
S3-compatible store (docs/operations.md, "Attachments") by configuration alone."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, default_storage, storages

STORAGE_ALIAS = "attachments"


def attachment_storage() -> Storage:
    """``STORAGES["attachments"]`` when the deployment configures one, else the default
    storage (a ``FileSystemStorage`` under ``MEDIA_ROOT`` = ``var/media``)."""
    if STORAGE_ALIAS in settings.STORAGES:
        return storages[STORAGE_ALIAS]
    return default_storage
