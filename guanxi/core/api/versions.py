"""The version a write without a body names: a delete (or another bodiless write) takes
the version the client read as ``?version=`` or as an ``If-Match`` header carrying the
version as its entity tag (``If-Match: 3`` or ``"3"``, ``W/"3"``). One of them is required:
a delete that does not say what it saw would remove a record someone just changed."""

from __future__ import annotations

import re

from django.http import HttpRequest
from django.utils.translation import gettext as _

from guanxi.core.errors import ValidationFailed

_MAX_VERSION = 2**31 - 1
_TAG = re.compile(r'^\s*(?:W/)?"?(\d{1,10})"?\s*$')

VERSION_DESCRIPTION = (
    "The version you read (required here or as an `If-Match` header); a stale one is refused (409)."
)


def request_version(request: HttpRequest, query_version: int | None) -> int:
    """``query_version`` (from ``?version=``) or the ``If-Match`` header; 422 on
    ``version`` when neither is given, the header is not one version, or both disagree."""
    header = request.headers.get("If-Match")
    from_header: int | None = None
    if header is not None:
        match = _TAG.match(header)
        if match is None or not 1 <= int(match.group(1)) <= _MAX_VERSION:
            raise ValidationFailed({"version": _("If-Match 须为一个版本号，例如 If-Match: 3。")})
        from_header = int(match.group(1))
    if query_version is not None and from_header is not None and query_version != from_header:
        raise ValidationFailed({"version": _("查询参数 version 与 If-Match 不一致。")})
    version = query_version if query_version is not None else from_header
    if version is None:
        raise ValidationFailed(
            {"version": _("缺少版本号：请用 ?version= 或 If-Match 给出你读到的版本。")}
        )
    return version
