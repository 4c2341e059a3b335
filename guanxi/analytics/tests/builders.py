"""Order books for the analytics tests: a hand-made grid with one customer per value-matrix
cell, and a book simulated from known BG/NBD parameters."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import numpy as np

from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.orders.models import Order, OrderStatus

AS_OF = dt.date(2025, 6, 30)
_numbers = itertools.count(1)

# Explicit thresholds for the grid: cycle (30, 90] days, amount (100, 500].
CYCLE_THRESHOLDS = (30, 90)
AMOUNT_THRESHOLDS = (100, 500)
CYCLE_DAYS = {"short": 10, "medium": 60, "long": 120}
AMOUNTS = {"small": Decimal("50.00"), "medium": Decimal("300.00"), "large": Decimal("900.00")}


def add_orders(
    customer: Customer,
    orders: list[tuple[dt.date, Decimal]],
    status: str = OrderStatus.CONFIRMED,
) -> list[Order]:
    rows = [
        Order(
            customer=customer,
            number=f"AN{next(_numbers):08d}",
            order_date=day,
            total=amount,
            status=status,
        )
        for day, amount in orders
    ]
    return Order.objects.bulk_create(rows)


def regular_orders(
    cycle_days: int, amount: Decimal, count: int = 3, last: dt.date = AS_OF
) -> list[tuple[dt.date, Decimal]]:
    return [(last - dt.timedelta(days=cycle_days * k), amount) for k in range(count)]


def grid_book(**customer_fields: object) -> dict[tuple[str, str], Customer]:
    """One customer per (amount band, cycle band) cell, each with three purchases."""
    book: dict[tuple[str, str], Customer] = {}
    for (amount_band, amount), (cycle_band, cycle) in itertools.product(
        AMOUNTS.items(), CYCLE_DAYS.items()
    ):
        customer = CustomerFactory(name=f"{amount_band}-{cycle_band}客户", **customer_fields)
        add_orders(customer, regular_orders(cycle, amount, last=AS_OF - dt.timedelta(days=5)))
        book[(amount_band, cycle_band)] = customer
    return book


def simulated_book(
    n: int,
    *,
    seed: int = 7,
    params: tuple[float, float, float, float] = (0.8, 40.0, 0.6, 2.5),
    window_days: int = 720,
    **customer_fields: object,
) -> list[Customer]:
    """Customers whose purchase days follow BG/NBD with ``params`` = (r, alpha in days, a,
    b), acquired uniformly over the first half of a ``window_days`` window ending at
    AS_OF; amounts are gamma-distributed per customer."""
    r, alpha, a, b = params
    rng = np.random.default_rng(seed)
    start = AS_OF - dt.timedelta(days=window_days)
    customers = [CustomerFactory(name=f"模拟客户{i}", **customer_fields) for i in range(n)]
    rows: list[Order] = []
    for customer in customers:
        rate = rng.gamma(r, 1.0 / alpha)
        drop = rng.beta(a, b)
        first = int(rng.integers(0, window_days // 2))
        t = float(first)
        days = [first]
        while True:
            t += rng.exponential(1.0 / rate) if rate > 0 else window_days
            if t > window_days:
                break
            days.append(int(t))
            if rng.random() < drop:
                break
        mean = float(rng.gamma(6.0, 50.0))
        for d in days:
            amount = Decimal(str(round(float(rng.gamma(8.0, mean / 8.0)) + 1.0, 2)))
            rows.append(
                Order(
                    customer=customer,
                    number=f"AN{next(_numbers):08d}",
                    order_date=start + dt.timedelta(days=d),
                    total=amount,
                )
            )
    Order.objects.bulk_create(rows, batch_size=500)
    return customers


def settings_version() -> int:
    """The analytics settings' current version (1 before the row exists): what an admin's
    edit form would send."""
    from guanxi.analytics.models import AnalyticsSettings

    found = AnalyticsSettings.objects.filter(pk=1).values_list("version", flat=True).first()
    return found or 1
