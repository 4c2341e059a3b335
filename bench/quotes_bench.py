"""Quote PDFs: ``python -m bench.quotes_bench``.

Figure:
- ``quote_pdf_s``: one quote rendered to PDF (``contracts.pdf.render_quote_pdf``, A4,
  reportlab with the STSong-Light CID font), zh-hans, 20 lines with Chinese product
  names. Reported: the first render in a fresh process (font registration and imports
  included) and the median of 20 warm renders; also the median for the largest quote
  (100 lines, the service's limit) and in English.

The quote and its lines are unsaved model instances: the figure is the rendering, not the
two indexed reads that fetch a quote and its lines. No database is needed.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _quote(lines: int) -> tuple[Any, list[Any]]:
    from django.utils import timezone

    from guanxi.contracts import pricing
    from guanxi.contracts.models import Quote, QuoteLine
    from guanxi.customers.models import Customer
    from guanxi.orders.models import Product
    from guanxi.sales.models import Opportunity

    customer = Customer(name="上海关系科技有限公司")
    opportunity = Opportunity(name="华东区 ERP 升级项目（二期）", customer=customer)
    quote = Quote(
        pk=1, number="BJ202612-00001", revision=2, title="ERP 升级报价", customer=customer,
        opportunity=opportunity, valid_until=dt.date(2027, 1, 31), currency="CNY",
        note="含三天现场培训；付款方式：银行转账，合同签订后 30 日内支付 50%。",
    )  # fmt: skip
    quote.created_at = timezone.now()
    rows = []
    figures = []
    for i in range(lines):
        product = Product(code=f"ERP-{i:03d}", name=f"企业版模块{i}（含一年维护）")
        quantity, price, discount = Decimal(i % 7 + 1), Decimal("12800.00"), Decimal(i % 4 * 5)
        fig = pricing.line_figures(quantity=quantity, unit_price=price,
                                   discount_percent=discount, tax_rate=Decimal("13"))  # fmt: skip
        figures.append((fig, discount))
        rows.append(QuoteLine(
            position=i + 1, product=product, description=product.name, unit="套",
            quantity=quantity, unit_price=price, discount_percent=discount,
            tax_rate=Decimal("13"), list_amount=fig.list_amount, net_amount=fig.net_amount,
            tax_amount=fig.tax_amount, total=fig.total,
        ))  # fmt: skip
    totals = pricing.quote_figures(figures)
    for name in ("list_total", "net_total", "tax_total", "total", "max_discount"):
        setattr(quote, name, getattr(totals, name))
    return quote, rows


def _median(quote: Any, lines: list[Any], language: str, n: int = 20) -> tuple[float, int]:
    from guanxi.contracts.pdf import render_quote_pdf

    timings = []
    size = 0
    for _ in range(n):
        start = time.perf_counter()
        size = len(render_quote_pdf(quote=quote, lines=lines, language=language))
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), size


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
    start = time.perf_counter()
    import django

    django.setup()
    setup = time.perf_counter() - start
    start = time.perf_counter()
    from guanxi.contracts.pdf import render_quote_pdf

    quote, lines = _quote(20)
    first = len(render_quote_pdf(quote=quote, lines=lines, language="zh-hans"))
    cold = time.perf_counter() - start
    warm, size = _median(quote, lines, "zh-hans")
    english, _size = _median(quote, lines, "en")
    big_quote, big_lines = _quote(100)
    big, big_size = _median(big_quote, big_lines, "zh-hans", n=10)
    print(f"  Django setup: {setup:.2f} s (not part of the figure)")
    print(f"  first render (reportlab import + font registration): {cold:.3f} s, {first:,} bytes")
    print(f"  20 lines zh-hans: median {warm * 1000:.1f} ms, {size:,} bytes")
    print(f"  20 lines en: median {english * 1000:.1f} ms")
    print(f"  100 lines zh-hans: median {big * 1000:.1f} ms, {big_size:,} bytes")
    print(f"quote_pdf_s: {warm:.3f} s")


if __name__ == "__main__":
    main()
