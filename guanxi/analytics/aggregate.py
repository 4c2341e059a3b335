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
from guanxi.customers.models import OrderStatus

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


def retention_summary(
    cohort_month: IntArray, activity_mask: IntArray, end_month: int, months: int = 12
) -> dict[str, Any]:
    """F7 for the last ``months`` cohorts: cohort sizes and retention by month of age, and
    the month-on-month retention and churn rates, as plain JSON."""
    first = end_month - months + 1
    # Only the window matters (and the month before it, for the first period rate): keep
    # those bits, and the customers with a purchase in them; each keeps its cohort month, so
    # customers acquired before the window stay out of the window's cohorts.
    window = activity_mask & ((1 << min(months + 1, MASK_MONTHS)) - 1)
    keep = window != 0
    if not np.any(keep):
        return {"cohorts": [], "periods": [], "end_month": _month_label(end_month)}
    index, period = purchase_rows(cohort_month[keep], window[keep], end_month)
    table = value.cohort_retention(index, period, end_period=end_month)
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
    periods = [
        {
            "month": _month_label(int(p)),
            "retention": None if math.isnan(ret) else round(float(ret), 4),
            "churn": None if math.isnan(ret) else round(1.0 - float(ret), 4),
        }
        for p, ret in zip(table.periods.tolist(), table.period_retention.tolist(), strict=True)
        if p >= first
    ]
    return {"cohorts": cohorts, "periods": periods, "end_month": _month_label(end_month)}


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
