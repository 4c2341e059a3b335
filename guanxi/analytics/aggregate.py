"""Per-customer purchase measures, aggregated in the database and streamed into NumPy.

One GROUP BY over the confirmed orders up to the as-of date gives, per customer: the
number of orders, the number of distinct purchase *days* (orders on one day are one
purchase: BG/NBD frequency = purchase days - 1), revenue, the first and last purchase day
and the calendar months with a purchase (a bit mask, for cohort retention). A second,
small GROUP BY counts communications (the cost to serve, F8).

The SQL is written per database because the month arithmetic and the bitwise aggregate
differ (PostgreSQL ``BIT_OR``; SQLite has none, but a ``SUM(DISTINCT 2^k)`` is the same
thing). Rows come through a server-side cursor on PostgreSQL in chunks and go straight
into a NumPy structured array: no Python object per customer beyond the cursor's tuple.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.utils import timezone

from guanxi.analytics.compute import value
from guanxi.customers.models import Customer
from guanxi.orders.models import OrderStatus

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

EPOCH = dt.date(1970, 1, 1)
# Months before the as-of month that the activity mask can hold (bit 62 is the last one
# that keeps a signed 64-bit integer positive).
MASK_MONTHS = 63
CHUNK = 100_000

_ROW = np.dtype(
    [
        ("customer_id", "i8"),
        ("purchases", "i8"),
        ("orders", "i8"),
        ("revenue", "f8"),
        ("first_day", "i8"),
        ("last_day", "i8"),
        ("activity_mask", "i8"),
    ]
)

_PG_MONTH = "(date_part('year', order_date)::int * 12 + date_part('month', order_date)::int - 1)"
_PG_SQL = f"""
SELECT customer_id,
       COUNT(DISTINCT order_date),
       COUNT(*),
       SUM(total)::float8,
       (MIN(order_date) - DATE '1970-01-01')::int8,
       (MAX(order_date) - DATE '1970-01-01')::int8,
       BIT_OR(CASE WHEN {_PG_MONTH} > %(end_month)s - {MASK_MONTHS}
                   THEN 1::bigint << (%(end_month)s - {_PG_MONTH}) ELSE 0 END)
  FROM customers_order
 WHERE status = %(status)s AND order_date <= %(as_of)s
 GROUP BY customer_id
"""  # noqa: S608 - constants only; values are parameters

_SQLITE_MONTH = (
    "(CAST(substr(order_date, 1, 4) AS INTEGER) * 12 + CAST(substr(order_date, 6, 2) AS INTEGER)"
    " - 1)"
)
_SQLITE_SQL = f"""
SELECT customer_id,
       COUNT(DISTINCT order_date),
       COUNT(*),
       SUM(total),
       CAST(julianday(MIN(order_date)) - 2440587.5 AS INTEGER),
       CAST(julianday(MAX(order_date)) - 2440587.5 AS INTEGER),
       SUM(DISTINCT CASE WHEN {_SQLITE_MONTH} > %(end_month)s - {MASK_MONTHS}
                         THEN 1 << (%(end_month)s - {_SQLITE_MONTH}) ELSE 0 END)
  FROM customers_order
 WHERE status = %(status)s AND order_date <= %(as_of)s
 GROUP BY customer_id
"""  # noqa: S608

_COMMUNICATIONS_SQL = """
SELECT customer_id, COUNT(*) FROM customers_communication
 WHERE occurred_at < %(before)s GROUP BY customer_id
"""


def month_index(day: dt.date) -> int:
    """Calendar month as one integer: year * 12 + month - 1."""
    return day.year * 12 + day.month - 1


@dataclass(frozen=True)
class Measures:
    """One entry per customer with at least one confirmed order, sorted by customer id.
    Days are counted from 1970-01-01."""

    customer_id: IntArray
    orders: IntArray
    purchases: IntArray
    revenue: FloatArray
    first_day: IntArray
    last_day: IntArray
    activity_mask: IntArray
    communications: IntArray
    as_of: dt.date

    @property
    def size(self) -> int:
        return len(self.customer_id)

    @property
    def as_of_day(self) -> int:
        return (self.as_of - EPOCH).days

    @property
    def end_month(self) -> int:
        return month_index(self.as_of)


def _stream(sql: str, params: dict[str, Any], dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    chunks: list[npt.NDArray[Any]] = []
    # chunked_cursor() is a server-side (named) cursor on PostgreSQL, a plain one on SQLite.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            chunks.append(np.fromiter(rows, dtype=dtype, count=len(rows)))
    if not chunks:
        return np.empty(0, dtype=dtype)
    return np.concatenate(chunks)


_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def _copy_out_postgresql(
    sql: str, params: dict[str, Any], dtype: np.dtype[Any]
) -> npt.NDArray[Any]:
    """``COPY (query) TO STDOUT`` in PostgreSQL's binary format, read straight into a NumPy
    record array: every column of ``dtype`` is a non-null 8-byte value, so each row is the
    same 2 + n * (4 + 8) bytes and no Python object is made per row."""
    names = list(dtype.names or ())
    layout: list[tuple[str, str]] = [("count", ">i2")]
    for name in names:
        kind = ">f8" if dtype[name].kind == "f" else ">i8"
        layout += [(f"{name}_len", ">i4"), (name, kind)]
    wire = np.dtype(layout)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)", params) as copy:
            data = b"".join(bytes(block) for block in copy)
    if not data.startswith(_COPY_SIGNATURE):
        raise RuntimeError("unexpected COPY output")
    extension = int.from_bytes(data[15:19], "big")
    body = data[19 + extension : -2]  # the last two bytes are the -1 trailer
    rows = np.frombuffer(body, dtype=wire)
    if len(rows) and (
        np.any(rows["count"] != len(names))
        or any(np.any(rows[f"{name}_len"] != 8) for name in names)
    ):
        raise RuntimeError("unexpected COPY row layout (a NULL or a column of another type)")
    out = np.empty(len(rows), dtype=dtype)
    for name in names:
        out[name] = rows[name]
    return out


def customer_measures(*, as_of: dt.date) -> Measures:
    """Measures of every customer with confirmed orders dated on or before ``as_of``."""
    end_month = month_index(as_of)
    params = {
        "status": str(OrderStatus.CONFIRMED),
        "as_of": connection.ops.adapt_datefield_value(as_of),
        "end_month": end_month,
    }
    if connection.vendor == "postgresql":
        rows = _copy_out_postgresql(_PG_SQL, params, _ROW)
    else:
        rows = _stream(_SQLITE_SQL, params, _ROW)
    rows.sort(order="customer_id")
    # Communications up to the end of the as-of day in the company's time zone.
    before = timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()))
    comms = _stream(
        _COMMUNICATIONS_SQL,
        {"before": connection.ops.adapt_datetimefield_value(before)},
        np.dtype([("customer_id", "i8"), ("n", "i8")]),
    )
    communications = np.zeros(len(rows), dtype=np.int64)
    if len(comms) and len(rows):
        pos = np.searchsorted(rows["customer_id"], comms["customer_id"])
        pos = np.minimum(pos, len(rows) - 1)
        hit = rows["customer_id"][pos] == comms["customer_id"]
        np.add.at(communications, pos[hit], comms["n"][hit])
    return Measures(
        customer_id=rows["customer_id"].copy(),
        orders=rows["orders"].copy(),
        purchases=rows["purchases"].copy(),
        revenue=np.round(rows["revenue"], 2),
        first_day=rows["first_day"].copy(),
        last_day=rows["last_day"].copy(),
        activity_mask=rows["activity_mask"].copy(),
        communications=communications,
        as_of=as_of,
    )


def customer_ids() -> IntArray:
    """Every customer's id, ascending."""
    table = Customer._meta.db_table
    sql = f"SELECT id FROM {table}"  # noqa: S608 - constant
    dtype = np.dtype([("id", "i8")])
    if connection.vendor == "postgresql":
        rows = _copy_out_postgresql(sql, {}, dtype)
    else:
        rows = _stream(sql, {}, dtype)
    return np.sort(rows["id"])


# --- F7 cohorts from the activity masks ------------------------------------------------


def purchase_rows(
    cohort_month: IntArray, activity_mask: IntArray, end_month: int
) -> tuple[IntArray, IntArray]:
    """(row index, calendar month) of every month with a purchase, for
    ``compute.value.cohort_retention``: each customer's cohort month plus the months set in
    its activity mask (bit k = the k-th month before ``end_month``)."""
    n = len(activity_mask)
    # Little-endian bytes of each mask, unpacked least significant bit first: column k of
    # ``bits`` is bit k of the mask.
    as_bytes = activity_mask.astype("<i8").view(np.uint8).reshape(n, 8)
    bits = np.unpackbits(as_bytes, axis=1, bitorder="little")
    rows, k = np.nonzero(bits)
    index = np.concatenate([np.arange(n, dtype=np.int64), rows.astype(np.int64)])
    period = np.concatenate([cohort_month.astype(np.int64), end_month - k.astype(np.int64)])
    return index, period


# A month of this many days turns a churn window in days into whole months.
DAYS_PER_MONTH = 30.4375
# The churn window when nobody has a purchase cycle yet (no repeat buyer at all).
FALLBACK_WINDOW_DAYS = 365.0


def is_month_complete(day: dt.date) -> bool:
    """Whether ``day`` is the last day of its month (the as-of month is then complete)."""
    return (day + dt.timedelta(days=1)).month != day.month


def churn_windows(
    average_cycle_days: FloatArray, factor: float, reference_cycle_days: float | None
) -> IntArray:
    """Each customer's churn window in whole months (at least 1): ``factor`` times the
    customer's own average purchase cycle, or times ``reference_cycle_days`` (the median
    cycle of the repeat buyers) for a customer with one purchase day; without any cycle,
    ``FALLBACK_WINDOW_DAYS``. Rounded up: a customer is never called lost before the
    window has fully passed."""
    cycle = np.asarray(average_cycle_days, dtype=np.float64)
    reference = (
        reference_cycle_days
        if reference_cycle_days is not None and math.isfinite(reference_cycle_days)
        else None
    )
    days = np.where(
        np.isnan(cycle),
        factor * reference if reference is not None else FALLBACK_WINDOW_DAYS,
        factor * cycle,
    )
    months = np.ceil(np.maximum(days, 0.0) / DAYS_PER_MONTH - 1e-9).astype(np.int64)
    result: IntArray = np.maximum(months, 1)
    return result


def _last_purchase_month(activity_mask: IntArray, end_month: int, month: int) -> IntArray:
    """Each customer's latest purchase month on or before ``month`` (a very old month when
    the mask holds none: bought before the 63 months it covers, or not yet acquired)."""
    shift = end_month - month
    upto = activity_mask >> shift if shift < MASK_MONTHS else np.zeros_like(activity_mask)
    lowest = upto & -upto  # the lowest set bit: the latest month with a purchase
    with np.errstate(divide="ignore"):
        back = np.log2(np.where(lowest > 0, lowest, 1).astype(np.float64)).astype(np.int64)
    never = np.iinfo(np.int64).min // 2
    latest: IntArray = np.where(lowest > 0, month - back, never).astype(np.int64)
    return latest


def churn_by_month(
    cohort_month: IntArray,
    activity_mask: IntArray,
    window_months: IntArray,
    end_month: int,
    last_month: int,
    months: int,
) -> list[dict[str, Any]]:
    """Monthly churn for the ``months`` months up to ``last_month`` (the last complete
    month), docs/analytics.md "Churn". A customer is *lost* at the end of month q when it
    was acquired by then and has bought nothing for its window: q - last purchase month >=
    window. ``active``(p) = acquired and not lost at the end of p - 1; ``churned``(p) = those
    of them lost at the end of p; churn = churned / active."""
    periods = []
    previous_lost: npt.NDArray[np.bool_] | None = None
    previous_acquired: npt.NDArray[np.bool_] | None = None
    for q in range(last_month - months, last_month + 1):
        acquired = cohort_month <= q
        latest = _last_purchase_month(activity_mask, end_month, q)
        lost = acquired & (q - latest >= window_months)
        if previous_lost is not None and previous_acquired is not None:
            base = previous_acquired & ~previous_lost
            active = int(np.count_nonzero(base))
            churned = int(np.count_nonzero(base & lost))
            churn = round(churned / active, 4) if active else None
            periods.append(
                {
                    "month": _month_label(q),
                    "active": active,
                    "churned": churned,
                    "churn": churn,
                    "retention": None if churn is None else round(1.0 - churn, 4),
                }
            )
        previous_lost, previous_acquired = lost, acquired
    return periods


def retention_summary(
    cohort_month: IntArray,
    activity_mask: IntArray,
    end_month: int,
    months: int = 12,
    *,
    window_months: IntArray | None = None,
    month_complete: bool = True,
    reference_cycle_days: float | None = None,
) -> dict[str, Any]:
    """F7 for the last ``months`` complete months, as plain JSON: cohort sizes and
    retention by month of age, and the monthly churn rate (``churn_by_month``; with no
    ``window_months``, a window of one month). An incomplete as-of month
    (``month_complete`` false) is left out of both and named in ``incomplete_month``: a
    month two days old would otherwise show almost everyone as lost and a retention of
    about 0 % for the newest cells."""
    last = end_month if month_complete else end_month - 1
    first = last - months + 1
    result: dict[str, Any] = {
        "cohorts": [],
        "periods": [],
        "end_month": _month_label(last),
        "incomplete_month": None if month_complete else _month_label(end_month),
        "reference_cycle_days": reference_cycle_days,
    }
    if len(cohort_month) == 0:
        return result
    windows = (
        np.ones(len(cohort_month), dtype=np.int64)
        if window_months is None
        else np.asarray(window_months, dtype=np.int64)
    )
    result["periods"] = churn_by_month(
        cohort_month, activity_mask, windows, end_month, last, months
    )
    # The cohorts of the window, their purchases up to the last complete month.
    keep = (cohort_month >= first) & (cohort_month <= last)
    if not np.any(keep):
        return result
    drop = end_month - last  # bits of the incomplete month (0 or 1 of them)
    masks = (activity_mask[keep] >> drop) << drop
    index, period = purchase_rows(cohort_month[keep], masks, end_month)
    table = value.cohort_retention(index, period, end_period=last)
    cohorts = []
    for row, cohort in enumerate(table.cohorts.tolist()):
        if cohort < first:
            continue
        ages = table.retention[row, :months]
        cohorts.append(
            {
                "month": _month_label(cohort),
                "size": int(table.cohort_sizes[row]),
                "retention": [None if math.isnan(v) else round(float(v), 4) for v in ages],
            }
        )
    result["cohorts"] = cohorts
    return result


def _month_label(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def pareto_points(revenue_desc: FloatArray, points: int = 50) -> list[dict[str, float]]:
    """The cumulative revenue curve (customer share, revenue share) at ``points`` + 1
    evenly spaced customer shares, from revenue sorted in descending order."""
    n = len(revenue_desc)
    total = float(revenue_desc.sum()) if n else 0.0
    if n == 0 or total <= 0:
        return []
    cumulative = np.cumsum(revenue_desc) / total
    picks = np.unique(np.ceil(np.linspace(0, n, points + 1)).astype(np.int64))
    return [{"customers": 0.0, "revenue": 0.0}] + [
        {"customers": round(int(k) / n, 4), "revenue": round(float(cumulative[k - 1]), 4)}
        for k in picks
        if k > 0
    ]
