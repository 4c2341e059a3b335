"""The money rule of quotes: each line rounded once (net, then tax from the rounded net),
totals exactly the sums of the lines."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from guanxi.contracts import pricing

quantities = st.decimals(min_value="0.01", max_value="99999.99", places=2)
prices = st.decimals(min_value="0", max_value="999999.99", places=2)
percents = st.decimals(min_value="0", max_value="100", places=2)


def test_a_line_rounds_the_net_once_and_taxes_the_rounded_net():
    figures = pricing.line_figures(
        quantity=Decimal("3"), unit_price=Decimal("33.33"),
        discount_percent=Decimal("12.5"), tax_rate=Decimal("13"),
    )  # fmt: skip
    # 99.99 × 0.875 = 87.49125 → 87.49; tax 87.49 × 0.13 = 11.3737 → 11.37
    assert figures == pricing.LineFigures(
        Decimal("99.99"), Decimal("87.49"), Decimal("11.37"), Decimal("98.86")
    )


def test_half_a_cent_rounds_up():
    figures = pricing.line_figures(
        quantity=Decimal("1"), unit_price=Decimal("0.05"),
        discount_percent=Decimal("50"), tax_rate=Decimal("0"),
    )  # fmt: skip
    assert figures.net_amount == Decimal("0.03")


@given(st.lists(st.tuples(quantities, prices, percents, percents), min_size=1, max_size=30))
def test_totals_are_the_sums_of_the_lines(rows):
    lines = [
        (pricing.line_figures(quantity=q, unit_price=p, discount_percent=d, tax_rate=t), d)
        for q, p, d, t in rows
    ]
    totals = pricing.quote_figures(lines)

    assert totals.net_total == sum(f.net_amount for f, _ in lines)
    assert totals.tax_total == sum(f.tax_amount for f, _ in lines)
    assert totals.total == sum(f.total for f, _ in lines)
    assert totals.total == totals.net_total + totals.tax_total
    assert totals.max_discount == max(d for _, d in lines)
    for (figures, _), (q, p, d, t) in zip(lines, rows, strict=True):
        exact_net = q * p * (100 - d) / 100
        assert abs(figures.net_amount - exact_net) <= Decimal("0.005")
        assert abs(figures.tax_amount - figures.net_amount * t / 100) <= Decimal("0.005")
        assert figures.net_amount.as_tuple().exponent == -2
        assert figures.net_amount <= figures.list_amount
