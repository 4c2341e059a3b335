"""The arithmetic of a quote, in ``Decimal`` and nothing else.

A line: list amount = quantity × unit price; net = list × (100 − discount %) / 100; tax =
net × tax rate % — each rounded **once**, half up, to cents: the net from the exact
product, the tax from the rounded net (the figure printed on the line is the one taxed).
Line total = net + tax. The quote's totals are plain sums of the printed line figures,
never rounded again, so the PDF's columns always add up to its totals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineFigures:
    list_amount: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    total: Decimal


@dataclass(frozen=True)
class QuoteFigures:
    list_total: Decimal
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    max_discount: Decimal


def line_figures(
    *, quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, tax_rate: Decimal
) -> LineFigures:
    exact = quantity * unit_price
    net = to_cents(exact * (HUNDRED - discount_percent) / HUNDRED)
    tax = to_cents(net * tax_rate / HUNDRED)
    return LineFigures(list_amount=to_cents(exact), net_amount=net, tax_amount=tax, total=net + tax)


def quote_figures(lines: Iterable[tuple[LineFigures, Decimal]]) -> QuoteFigures:
    """The totals of ``(line figures, line discount %)`` pairs."""
    list_total = net_total = tax_total = ZERO
    max_discount = Decimal("0.00")
    for figures, discount in lines:
        list_total += figures.list_amount
        net_total += figures.net_amount
        tax_total += figures.tax_amount
        max_discount = max(max_discount, discount)
    return QuoteFigures(
        list_total=list_total,
        net_total=net_total,
        tax_total=tax_total,
        total=net_total + tax_total,
        max_discount=max_discount,
    )
