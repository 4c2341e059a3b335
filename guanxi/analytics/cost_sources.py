"""Costs to serve that other apps contribute to the value run (F8, issue 15).

Analytics is below service, projects and the other apps that know what serving a
customer costs, so it cannot read their tables: each registers a :class:`CostSource` in its
``AppConfig.ready()`` (complaint compensation, ticket effort, project overruns, …). The
value run (``services.analytics_recompute``) adds every source's amount per customer to the
cost to serve (orders × cost per order + communications × cost per communication), so
profit = revenue − cost to serve, and keeps each source's share on the customer value
(``CustomerValue.cost_breakdown``).

A source's function is called once per run with ``customer_ids=None`` (every customer) and
the run's as-of date, and answers ``(customer id, amount)`` rows — an iterable such as a
grouped ``values_list`` queryset, or a mapping — computed in the database: one grouped
query per source, never one per customer. A source with a ``rate`` answers quantities (say
tickets) that the run prices with that analytics setting; at a rate of zero the source is
not asked at all.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import QuerySet
from django.utils import timezone

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# (customer ids or None for all, as_of: only costs on or before that day, None for all)
#   → (customer id, amount) rows
Amounts = Iterable[tuple[int, Any]] | Mapping[int, Any]
SourceFunction = Callable[..., Amounts]

# The breakdown line of orders × cost per order + communications × cost per communication.
BASE_KEY = "analytics.orders"
# Rows read from a source's cursor at a time.
CHUNK = 100_000
_ROW = np.dtype([("customer_id", "i8"), ("amount", "f8")])
# Keys go into JSON unescaped.
_KEY = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


@dataclass(frozen=True)
class CostSource:
    key: str  # "<app>.<what>", the key in ``CustomerValue.cost_breakdown``
    label: Any  # a (lazy) translated label
    amounts: SourceFunction
    # The ``AnalyticsSettings`` field pricing the source's quantities; "" for amounts.
    rate: str = ""


_SOURCES: dict[str, CostSource] = {}


def register_cost_source(key: str, label: Any, fn: SourceFunction, *, rate: str = "") -> None:
    """Add (or replace, on a second ``ready()``) a cost to serve. ``fn(customer_ids, *,
    as_of)`` answers the amounts (or, with ``rate``, the quantities) per customer."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"cost source key {key!r}: lowercase words joined by dots")
    _SOURCES[key] = CostSource(key=key, label=label, amounts=fn, rate=rate)


def cost_sources() -> list[CostSource]:
    return sorted(_SOURCES.values(), key=lambda s: s.key)


def label_of(key: str) -> str:
    """The translated label of a source (its key if it is no longer registered)."""
    source = _SOURCES.get(key)
    return str(source.label) if source is not None else key


def day_end(as_of: dt.date) -> dt.datetime:
    """The end of ``as_of`` in the company's time zone: costs stamped before it count."""
    return timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()))


def _rows(amounts: Amounts) -> npt.NDArray[Any]:
    """The rows in a NumPy record array, ``CHUNK`` at a time (``np.fromiter`` takes the
    Decimals without building a list of Python floats). A queryset is streamed (a
    server-side cursor on PostgreSQL), not cached whole."""
    items: Iterable[tuple[int, Any]]
    if isinstance(amounts, Mapping):
        items = amounts.items()
    elif isinstance(amounts, QuerySet):
        items = amounts.iterator(chunk_size=CHUNK)
    else:
        items = amounts
    pairs = ((int(customer), float(amount or 0)) for customer, amount in items)
    chunks: list[npt.NDArray[Any]] = []
    while (chunk := np.fromiter(itertools.islice(pairs, CHUNK), dtype=_ROW)).size:
        chunks.append(chunk)
    return np.concatenate(chunks) if chunks else np.empty(0, dtype=_ROW)


def source_amounts(
    customer_ids: IntArray,
    *,
    as_of: dt.date | None,
    rates: Mapping[str, float],
    sources: Collection[CostSource] | None = None,
) -> dict[str, FloatArray]:
    """Each source's amount for every customer of ``customer_ids`` (ascending), aligned
    with it and rounded to the fen; sources that found nothing are left out. Customers a
    source names that are not in ``customer_ids`` (no purchases: no value row) are
    dropped."""
    n = len(customer_ids)
    result: dict[str, FloatArray] = {}
    for source in cost_sources() if sources is None else sources:
        if source.rate and source.rate not in rates:
            raise ValueError(f"cost source {source.key}: no setting {source.rate!r}")
        rate = float(rates[source.rate]) if source.rate else 1.0
        if rate == 0.0 or n == 0:
            continue
        rows = _rows(source.amounts(None, as_of=as_of))
        if len(rows) == 0:
            continue
        column = np.zeros(n, dtype=np.float64)
        pos = np.minimum(np.searchsorted(customer_ids, rows["customer_id"]), n - 1)
        hit = customer_ids[pos] == rows["customer_id"]
        np.add.at(column, pos[hit], rows["amount"][hit])
        column = np.round(column * rate, 2)
        if np.any(column != 0):
            result[source.key] = column
    return result


def breakdown_json(amounts: Mapping[str, FloatArray], n: int) -> tuple[IntArray, tuple[str, ...]]:
    """Each row's breakdown as JSON text (``{"key": "12.30", …}``, non-zero amounts only,
    keys in order), as positions in a tuple of distinct texts (``store.Labels``): the
    customers without any source share ``{}`` (position 0), most others a few texts.
    Only the rows with a cost from a source are formatted and sorted."""
    keys = sorted(amounts)
    nonzero = {key: amounts[key] != 0 for key in keys}
    any_cost = np.zeros(n, dtype=bool)
    for mask in nonzero.values():
        any_cost |= mask
    rows = np.flatnonzero(any_cost)
    codes = np.zeros(n, dtype=np.int64)
    if len(rows) == 0:
        return codes, ("{}",)
    texts = np.full(len(rows), "", dtype=object)
    for key in keys:
        at = np.flatnonzero(nonzero[key][rows])
        values = amounts[key][rows[at]].tolist()
        piece = np.array([f'"{key}": "{value:.2f}"' for value in values], dtype=object)
        sep = np.where(texts[at] == "", "", ", ").astype(object)
        texts[at] = texts[at] + sep + piece
    wrapped = np.array(["{" + text + "}" for text in texts.tolist()])
    names, inverse = np.unique(wrapped, return_inverse=True)
    codes[rows] = inverse.astype(np.int64) + 1
    return codes, ("{}", *names.tolist())


def breakdown_items(breakdown: Mapping[str, Any]) -> list[tuple[str, str, Decimal]]:
    """(key, translated label, amount) of a stored breakdown, in key order."""
    return [
        (key, label_of(key), Decimal(str(breakdown[key])).quantize(Decimal("0.01")))
        for key in sorted(breakdown)
    ]
