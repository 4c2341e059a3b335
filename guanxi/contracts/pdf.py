"""A quote as a PDF (ADR 0005: reportlab with its built-in CID font STSong-Light — no font
file to ship, and the text comes back out of the PDF as it went in).

Rendered in the language asked for (zh-hans or en); the customer's and products' names
stay as they are. Nothing here reads the database beyond the quote and lines it is given.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from guanxi.contracts.models import Quote, QuoteLine

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _number(value: Decimal) -> str:
    text = f"{value:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def render_quote_pdf(*, quote: Quote, lines: Sequence[QuoteLine], language: str) -> bytes:
    with translation.override(language):
        return _render(quote, lines)


def _render(quote: Quote, lines: Sequence[QuoteLine]) -> bytes:
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    right = ParagraphStyle("right", parent=small, alignment=TA_RIGHT)
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=24, spaceAfter=6)

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{pgettext('document title', '报价单')} {quote}",
        author="Guanxi",
    )
    created = timezone.localtime(quote.created_at).date()
    head = [
        [p(_("报价单号")), p(f"{quote.number}  v{quote.revision}"),
         p(_("报价日期")), p(date_format(created, "DATE_FORMAT"))],
        [p(_("客户")), p(quote.customer.name),
         p(_("有效期至")), p(date_format(quote.valid_until, "DATE_FORMAT"))],
        [p(_("商机")), p(quote.opportunity.name), p(_("币种")), p(quote.currency)],
    ]  # fmt: skip
    head_table = Table(head, colWidths=[26 * mm, 66 * mm, 26 * mm, 62 * mm])
    head_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                    ("TEXTCOLOR", (0, 0), (0, -1), colors.grey),
                                    ("TEXTCOLOR", (2, 0), (2, -1), colors.grey)]))  # fmt: skip

    header = [
        _("序号"), _("产品"), _("单位"), _("数量"), _("单价"), _("折扣（%）"),
        _("折后金额"), _("税率（%）"), _("税额"), _("价税合计"),
    ]  # fmt: skip
    # Only the product cell wraps (a Paragraph); the figures are plain strings, which
    # reportlab draws without a layout pass: a 100-line quote renders ~5x faster.
    rows: list[list[Any]] = [[p(h, small) for h in header]]
    for index, line in enumerate(lines, start=1):
        rows.append(
            [
                str(index),
                p(f"{line.product.code} {line.description}", small),
                line.unit,
                _number(line.quantity),
                _money(line.unit_price),
                _number(line.discount_percent),
                _money(line.net_amount),
                _number(line.tax_rate),
                _money(line.tax_amount),
                _money(line.total),
            ]
        )
    widths = [10, 38, 11, 16, 20, 17, 20, 13, 15, 20]  # 180 mm: A4 less the margins
    table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 1), (-1, -1), font),
                ("FONTSIZE", (0, 1), (-1, -1), 8),
                ("ALIGN", (3, 1), (-1, -1), "RIGHT"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#adb5bd")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    totals = Table(
        [
            [p(_("目录价合计")), p(_money(quote.list_total), right)],
            [p(_("折后合计（不含税）")), p(_money(quote.net_total), right)],
            [p(_("税额合计")), p(_money(quote.tax_total), right)],
            [p(_("价税合计")), p(f"{quote.currency} {_money(quote.total)}", right)],
        ],
        colWidths=[45 * mm, 35 * mm],
        hAlign="RIGHT",
    )
    totals.setStyle(TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black)]))
    story = [
        p(pgettext("document title", "报价单"), title),
        head_table,
        Spacer(1, 6 * mm),
        table,
        Spacer(1, 4 * mm),
        totals,
    ]
    if quote.note:
        story += [Spacer(1, 6 * mm), p(_("备注")), p(quote.note, small)]
    story += [
        Spacer(1, 8 * mm),
        p(_("每行折后金额与税额各四舍五入一次至分，合计为各行之和。"), small),
    ]
    doc.build(story)
    return buffer.getvalue()
