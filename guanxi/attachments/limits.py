"""Upload limits, from settings so a deployment can change them without code."""

from __future__ import annotations

from django.conf import settings

from guanxi.attachments.content import ALL_TYPES, FileType

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_TYPES = ("pdf", "png", "jpeg", "gif", "webp", "docx", "xlsx", "pptx", "zip", "ole", "text")
NAME_MAX_LENGTH = 255


def max_bytes() -> int:
    return int(getattr(settings, "GUANXI_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def allowed_types() -> dict[str, FileType]:
    keys = getattr(settings, "GUANXI_ATTACHMENT_TYPES", DEFAULT_TYPES)
    return {key: ALL_TYPES[key] for key in keys if key in ALL_TYPES}
