"""The maintained receivables aging (``CustomerAging``, issue 13).

``aging_rebuild`` writes every row for one day in one set-based statement (``INSERT …
SELECT`` of the live aging query grouped by customer, owner and department; the same SQL on
PostgreSQL and SQLite, compiled by the ORM) and records the day in ``AgingState``; the
worker's periodic job ``contracts.aging_rebuild`` runs it once after local midnight
(Asia/Shanghai), whichever worker gets the state row's lock first.

``aging_refresh(customer_ids)`` is called, in their transaction, by every service that
changes an instalment's open amount, due date, status, customer, owner or department (and
by a contract's state changes, imports and customer merges): it recomputes those customers'
rows from their instalments, for the summary's day. On PostgreSQL a transaction-scoped
advisory lock orders it against the rebuild (shared / exclusive) and against another
refresh of the same customer (so two transactions never both insert a customer's rows).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from guanxi.contracts.models import (
    AGING_COLUMNS,
    OPEN_INSTALMENT_STATUSES,
    AgingState,
    CustomerAging,
    Instalment,
)
from guanxi.contracts.selectors import bucket_sums
from guanxi.core import audit

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)
STATE_KEY = 1
# Advisory lock keys (PostgreSQL): the whole summary (one bigint), and per customer
# (two int4: this namespace and the customer id folded into int4).
REBUILD_LOCK = 0x6A78_6167_696E_6701  # "jxaging" + 1: the summary as a whole
CUSTOMER_LOCK_SPACE = 0x6A78_6167  # "jxag"
_INT4 = 2**31


@dataclass(frozen=True)
class RebuildResult:
    as_of: dt.date
    rows: int
    seconds: float


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _insert(day: dt.date, customer_ids: list[int] | None = None) -> int:
    """``INSERT INTO CustomerAging … SELECT`` the live aging of the open instalments (of
    ``customer_ids``, else all) grouped by customer, owner and department as of ``day``;
    returns the rows written. The SELECT is the ORM's, with the selectors' bucket sums, so
    the summary's buckets are the live ones by construction."""
    qs = Instalment.objects.filter(status__in=OPEN_INSTALMENT_STATUSES)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    sums = {
        f"g_{key}": Coalesce(expr, Value(ZERO), output_field=MONEY)
        for key, expr in bucket_sums(day).items()
    }
    grouped = (
        qs.values(g_customer=F("customer_id"), g_owner=F("owner_id"), g_team=F("team_id"))
        .annotate(
            **sums,
            g_open=Sum(F("amount") - F("received"), output_field=MONEY),
            g_count=Count("id"),
        )
        .order_by()
    )
    select_sql, params = grouped.query.sql_with_params()
    table = connection.ops.quote_name(CustomerAging._meta.db_table)
    q = connection.ops.quote_name
    columns = ["customer_id", "owner_id", "team_id", *AGING_COLUMNS.values(),
               "amount_open", "instalments", "as_of"]  # fmt: skip
    picked = ["g_customer", "g_owner", "g_team", *(f"g_{k}" for k in AGING_COLUMNS),
              "g_open", "g_count"]  # fmt: skip
    # Only quoted names and the ORM's compiled SELECT go into the text; values are params.
    into = ", ".join(q(c) for c in columns)
    pick = ", ".join(f"g.{q(c)}" for c in picked)
    sql = f"INSERT INTO {table} ({into}) SELECT {pick}, %s FROM ({select_sql}) g"  # noqa: S608
    with connection.cursor() as cursor:
        # the day's placeholder comes first (in the SELECT list), then the subquery's
        cursor.execute(sql, [connection.ops.adapt_datefield_value(day), *params])
        return max(cursor.rowcount, 0)


def _ensure_state() -> None:
    # INSERT … ON CONFLICT DO NOTHING: two workers starting on an empty table both succeed.
    AgingState.objects.bulk_create([AgingState(key=STATE_KEY)], ignore_conflicts=True)


def summary_day() -> dt.date | None:
    """The day ``CustomerAging`` is complete for (``None``: never built)."""
    return AgingState.objects.filter(key=STATE_KEY).values_list("as_of", flat=True).first()


@transaction.atomic
def aging_rebuild(*, today: dt.date | None = None, force: bool = False) -> RebuildResult | None:
    """Rebuild every row of the summary for ``today`` (default: the local date) unless it
    is already for that day (``force`` rebuilds anyway). Idempotent; safe in several workers
    at once: the state row is locked, so one rebuilds and the others find it done.
    Audited as one change of the state (the day)."""
    day = today or timezone.localdate()
    _ensure_state()
    state = AgingState.objects.select_for_update().get(key=STATE_KEY)
    if state.as_of == day and not force:
        return None
    if _pg():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REBUILD_LOCK])
    started = time.perf_counter()
    before = audit.snapshot(state, ["as_of", "rows"])
    CustomerAging.objects.all().delete()
    rows = _insert(day)
    state.as_of = day
    state.rows = rows
    state.rebuilt_at = timezone.now()
    state.seconds = round(time.perf_counter() - started, 3)
    state.save()
    audit.audit_update(actor=None, obj=state, before=before)
    return RebuildResult(as_of=day, rows=rows, seconds=state.seconds)


def aging_rebuild_due() -> RebuildResult | None:
    """The worker's periodic job: rebuild once the local date has moved past the summary's
    day (after local midnight); a cheap read otherwise."""
    if summary_day() == timezone.localdate():
        return None
    return aging_rebuild()


def aging_refresh(customer_ids: Iterable[Any]) -> None:
    """Recompute the summary rows of ``customer_ids`` from their instalments, for the
    summary's day, in the caller's transaction (call it after the instalments changed).
    Nothing to do while the summary was never built. Queries: SQLite 1 (never built) or 3;
    PostgreSQL 2 or 5 (the advisory locks)."""
    ids = sorted({int(i) for i in customer_ids if i is not None})
    if not ids:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("aging_refresh must run inside the transaction of the change")
    pg = _pg()
    if pg:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [REBUILD_LOCK])
    day = summary_day()
    if day is None:
        return
    if pg:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(%s, s.c)) FROM "
                "(SELECT DISTINCT unnest(%s::int[]) AS c ORDER BY 1) s",
                [CUSTOMER_LOCK_SPACE, [i % _INT4 for i in ids]],
            )
    CustomerAging.objects.filter(customer_id__in=ids).delete()
    _insert(day, ids)


def instalment_customers(instalment_ids: Iterable[Any]) -> list[int]:
    """The customers of instalments (for callers that know only the instalments)."""
    ids = list(instalment_ids)
    if not ids:
        return []
    qs = Instalment.objects.filter(pk__in=ids).values_list("customer_id", flat=True)
    return sorted(set(qs))
