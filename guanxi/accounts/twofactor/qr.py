"""The enrolment QR code as inline SVG (segno, pure Python): no image from another host,
no file on disk."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str, *, title: str = "") -> SafeString:
    code = segno.make(data, error="m")
    svg = code.svg_inline(scale=5, border=2, title=title or None, svgclass="gx-qr", lineclass=None)
    return mark_safe(svg)
