"""The quote PDF: a real PDF whose Chinese text comes back out unchanged (extracted with
pypdf), in Chinese and in English."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from guanxi.contracts import selectors_quotes as selectors
from guanxi.contracts.pdf import render_quote_pdf
from guanxi.contracts.tests.quote_helpers import make_quote, scene_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def _text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_chinese_text_comes_back_out_of_the_pdf(scene):
    quote = make_quote(scene, discount="5", note="含三天现场培训；付款方式：银行转账")
    content = render_quote_pdf(quote=quote, lines=selectors.lines_of(quote=quote),
                               language="zh-hans")  # fmt: skip

    assert content.startswith(b"%PDF-")
    text = _text(content)
    expected_texts = ["报价单", "上海关系科技有限公司", "企业版许可证", "实施服务（人天）",
                      "人天", "价税合计", "含三天现场培训；付款方式：银行转账", "35,431.60",
                      quote.number]  # fmt: skip
    for expected in expected_texts:
        assert expected in text, expected


def test_the_english_pdf_keeps_the_customers_chinese_name(scene):
    quote = make_quote(scene)
    content = render_quote_pdf(quote=quote, lines=selectors.lines_of(quote=quote), language="en")

    text = _text(content)
    assert "Quotation" in text
    assert "Total incl. tax" in text
    assert "上海关系科技有限公司" in text
    assert "报价单" not in text
