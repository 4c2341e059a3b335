"""Reads of customer-value results, always scoped by the acting user (``accounts.permissions``):
an account manager sees their own customers' values, a manager their team's, an admin all.
Filters (owner, team, region = province) narrow further. The dashboard's figures are
plain data (dicts and lists) so the UI, the API and the CSV export share them."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.core.cache import cache
from django.db.models import Count, F, FilteredRelation, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.analytics import aggregate
from guanxi.analytics.models import (
    AmountBand,
    AnalyticsRun,
    AnalyticsSettings,
    CustomerValue,
    CycleBand,
    DashboardAggregate,
    RFMSegment,
    RunStatus,
    ValueClass,
    ValueSnapshot,
    strategy_for,
)
from guanxi.core.db.paging import Page, paginate
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.core.limits import parse_id
from guanxi.customers.models import Customer

CYCLES = (CycleBand.SHORT, CycleBand.MEDIUM, CycleBand.LONG)
AMOUNTS = (AmountBand.LARGE, AmountBand.MEDIUM, AmountBand.SMALL)  # top row first
CLASSES = (ValueClass.PLATINUM, ValueClass.GOLD, ValueClass.SILVER, ValueClass.DEVELOPMENT,
           ValueClass.ADJUST)  # fmt: skip
CELL_CLASS = {
    (AmountBand.LARGE, CycleBand.SHORT): ValueClass.PLATINUM,
    (AmountBand.LARGE, CycleBand.MEDIUM): ValueClass.GOLD,
    (AmountBand.MEDIUM, CycleBand.SHORT): ValueClass.GOLD,
    (AmountBand.LARGE, CycleBand.LONG): ValueClass.SILVER,
    (AmountBand.MEDIUM, CycleBand.MEDIUM): ValueClass.SILVER,
    (AmountBand.SMALL, CycleBand.SHORT): ValueClass.SILVER,
    (AmountBand.MEDIUM, CycleBand.LONG): ValueClass.DEVELOPMENT,
    (AmountBand.SMALL, CycleBand.MEDIUM): ValueClass.DEVELOPMENT,
    (AmountBand.SMALL, CycleBand.LONG): ValueClass.ADJUST,
}
# A customer is at risk of churning when the purchase model gives them less than even odds
# of still being a customer.
CHURN_RISK_THRESHOLD = 0.5
CACHE_SECONDS = 300
PARETO_POINTS = 50
MAX_LIMIT = 200
CENT = Decimal("0.01")
# A queued or running run older than this is taken for dead (its worker was killed).
STALE_RUN = dt.timedelta(hours=2)

SORTS: dict[str, tuple[Any, ...]] = {
    "-clv": ("clv_rank",),  # the recompute's position in clv DESC NULLS LAST, customer_id
    "clv": (F("clv").asc(nulls_last=True), "customer_id"),
    "-value": ("-customer_value", "customer_id"),
    "-revenue": ("revenue_rank",),
    "revenue": ("-revenue_rank",),
    "p_alive": (F("p_alive").asc(nulls_last=True), "customer_id"),
    "-p_alive": (F("p_alive").desc(nulls_last=True), "customer_id"),
    "-churn_risk": (F("p_alive").asc(nulls_last=True), "customer_id"),
    "-propensity": (F("propensity").desc(nulls_last=True), "customer_id"),
    "profit": ("profit", "customer_id"),
    "-profit": ("-profit", "customer_id"),
    "-last_purchase": ("-last_purchase", "customer_id"),
}


@dataclass(frozen=True)
class ValueFilters:
    owner_id: int | None = None
    team_id: int | None = None
    region: str = ""
    value_class: str = ""
    cell: str = ""  # "<amount band>-<cycle band>", e.g. "large-short"
    segment: str = ""
    key_account: bool | None = None
    dormant: bool | None = None
    sort: str = "-clv"

    @property
    def cell_bands(self) -> tuple[str, str] | None:
        if not self.cell:
            return None
        amount, _sep, cycle = self.cell.partition("-")
        return amount, cycle

    def cache_key(self) -> str:
        return "|".join(f"{k}={v}" for k, v in sorted(asdict(self).items()))


def _parse_bool(value: Any) -> bool | None:
    if value in (None, ""):
        return None
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(text)


def validate_value_filters(raw: Mapping[str, Any]) -> ValueFilters:
    """Parse query-string filters; an invalid value is an error naming its parameter."""
    errors: dict[str, str] = {}

    def _int(name: str) -> int | None:
        value = raw.get(name)
        if value in (None, ""):
            return None
        try:
            return parse_id(value)
        except ValueError as exc:
            errors[name] = str(exc)
            return None

    def _flag(name: str) -> bool | None:
        try:
            return _parse_bool(raw.get(name))
        except ValueError:
            errors[name] = _("必须是 true 或 false。")
            return None

    value_class = str(raw.get("value_class") or "")
    if value_class and value_class not in ValueClass.values:
        errors["value_class"] = _("无效的价值类别。")
    cell = str(raw.get("cell") or "")
    if cell:
        amount, _sep, cycle = cell.partition("-")
        if amount not in AmountBand.values or cycle not in CycleBand.values:
            errors["cell"] = _("无效的矩阵单元格，应为“金额档-周期档”，例如 large-short。")
    segment = str(raw.get("segment") or "")
    if segment and segment not in RFMSegment.values:
        errors["segment"] = _("无效的 RFM 细分。")
    sort = str(raw.get("sort") or "-clv")
    if sort not in SORTS:
        errors["sort"] = _("无效的排序。")
    region = str(raw.get("region") or "")
    if len(region) > 20:
        errors["region"] = _("地区不能超过 20 个字符。")
    filters = ValueFilters(
        owner_id=_int("owner"),
        team_id=_int("team"),
        region=region,
        value_class=value_class,
        cell=cell,
        segment=segment,
        key_account=_flag("key_account"),
        dormant=_flag("dormant"),
        sort=sort,
    )
    if errors:
        raise ValidationFailed(errors)
    return filters


def _staff(actor: Any) -> None:
    if not permissions.is_staff_actor(actor):
        raise PermissionDenied(_("无权查看客户价值分析。"))


def _customer_q(filters: ValueFilters, prefix: str) -> Q:
    q = Q()
    if filters.owner_id is not None:
        q &= Q(**{f"{prefix}owner_id": filters.owner_id})
    if filters.team_id is not None:
        q &= Q(**{f"{prefix}team_id": filters.team_id})
    if filters.region:
        q &= Q(**{f"{prefix}province": filters.region})
    return q


def _value_q(filters: ValueFilters, prefix: str = "") -> Q:
    q = Q()
    if filters.value_class:
        q &= Q(**{f"{prefix}value_class": filters.value_class})
    bands = filters.cell_bands
    if bands is not None:
        q &= Q(**{f"{prefix}amount_band": bands[0], f"{prefix}cycle_band": bands[1]})
    if filters.segment:
        q &= Q(**{f"{prefix}rfm_segment": filters.segment})
    if filters.key_account is not None:
        q &= Q(**{f"{prefix}key_account": filters.key_account})
    if filters.dormant is not None:
        q &= Q(**{f"{prefix}dormant": filters.dormant})
    return q


def values_queryset(*, actor: Any, filters: ValueFilters) -> QuerySet[CustomerValue]:
    """The customer values ``actor`` may see, narrowed by ``filters`` (unordered)."""
    _staff(actor)
    qs = permissions.scope_by_customer(actor, CustomerValue.objects.all())
    return qs.filter(_customer_q(filters, "customer__") & _value_q(filters))


def value_list(
    *, actor: Any, filters: ValueFilters, page: int = 1, size: int = 25, offset: int | None = None
) -> Page:
    qs = (
        values_queryset(actor=actor, filters=filters)
        .select_related("customer", "customer__owner")
        .order_by(*SORTS[filters.sort])
    )
    return paginate(qs, page=page, size=size, offset=offset)


def customer_value_get(*, actor: Any, customer_id: Any) -> CustomerValue:
    """One customer's value; 404 when the customer has no value yet or is not the actor's."""
    _staff(actor)
    try:
        pk = int(customer_id)
    except (TypeError, ValueError):
        raise NotFound(_("客户价值不存在。")) from None
    value = (
        permissions.scope_by_customer(actor, CustomerValue.objects.all())
        .select_related("customer")
        .filter(pk=pk)
        .first()
    )
    if value is None:
        raise NotFound(_("客户价值不存在。"))
    return value


def settings_current() -> AnalyticsSettings:
    """The settings row, or the defaults (unsaved) before anyone saved settings."""
    return AnalyticsSettings.objects.filter(pk=1).first() or AnalyticsSettings(pk=1)


def settings_get(*, actor: Any) -> AnalyticsSettings:
    if not permissions.can_manage_settings(actor):
        raise PermissionDenied(_("只有管理员可以查看和修改分析设置。"))
    return settings_current()


def latest_run(*, actor: Any) -> AnalyticsRun | None:
    _staff(actor)
    return AnalyticsRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-finished_at").first()


def active_run(*, actor: Any) -> AnalyticsRun | None:
    """A recompute queued or running now (for its progress bar), if the actor may watch
    its job (the user who started it, or an admin)."""
    _staff(actor)
    run = (
        AnalyticsRun.objects.filter(
            status__in=[RunStatus.QUEUED, RunStatus.RUNNING],
            created_at__gte=timezone.now() - STALE_RUN,
            job__isnull=False,
        )
        .select_related("job")
        .order_by("-created_at")
        .first()
    )
    if run is None or run.job is None:
        return None
    if not (permissions.can_manage_settings(actor) or run.job.created_by_id == actor.pk):
        return None
    return run


def runs(*, actor: Any, limit: int = 20) -> list[AnalyticsRun]:
    _staff(actor)
    return list(AnalyticsRun.objects.select_related("job").order_by("-created_at")[:limit])


def snapshot_runs(*, actor: Any) -> list[AnalyticsRun]:
    """Runs whose snapshot is kept, newest first: the choices for class movement."""
    _staff(actor)
    return list(
        AnalyticsRun.objects.filter(status=RunStatus.SUCCEEDED, has_snapshot=True)
        .select_related("previous_run")
        .only("id", "as_of", "finished_at", "previous_run__id", "previous_run__as_of")
        .order_by("-finished_at", "-id")
    )


# --- one scan for the matrix, RFM and profitability ----------------------------------------


def _is_everything(actor: Any, filters: ValueFilters) -> bool:
    """The actor sees every customer and asked for no filter: the run's own company-wide
    figures (Pareto curve, cohorts) apply as they are."""
    unfiltered = ValueFilters(sort=filters.sort)
    return permissions.customer_filter(actor) is None and filters == unfiltered


def summary_rows(*, actor: Any, filters: ValueFilters) -> list[dict[str, Any]]:
    """Customers, revenue, cost and profit per (class, cell, R, FM, segment): a few hundred
    groups from one scan, which the matrix, the RFM grid and the profit totals share."""
    rows: QuerySet[Any, Any] = (
        values_queryset(actor=actor, filters=filters)
        .values("value_class", "amount_band", "cycle_band", "rfm_r", "rfm_fm", "rfm_segment")
        .annotate(
            n=Count("pk"),
            revenue_sum=Sum("revenue"),
            cost_sum=Sum("cost_to_serve"),
            profit_sum=Sum("profit"),
            orders_sum=Sum("orders"),
            unprofitable=Count("pk", filter=Q(profit__lt=0)),
        )
        .order_by()
    )
    return [dict(row) for row in rows]


def _money(value: Any) -> float:
    return float(value or 0)


def matrix_from(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts and revenue per cell of the 3 x 3 matrix (amount rows large → small, cycle
    columns short → long), per class, and of the customers not yet classed."""
    cells = {(a, c): {"count": 0, "revenue": 0.0} for a in AMOUNTS for c in CYCLES}
    classes = {code: {"count": 0, "revenue": 0.0} for code in ValueClass.values}
    for row in rows:
        key = (row["amount_band"], row["cycle_band"])
        if key in cells:
            cells[key]["count"] += row["n"]
            cells[key]["revenue"] += _money(row["revenue_sum"])
        classes[row["value_class"]]["count"] += row["n"]
        classes[row["value_class"]]["revenue"] += _money(row["revenue_sum"])
    total = sum(c["count"] for c in classes.values())
    labels = dict(ValueClass.choices)
    return {
        "amounts": [{"code": a, "label": str(AmountBand(a).label)} for a in AMOUNTS],
        "cycles": [{"code": c, "label": str(CycleBand(c).label)} for c in CYCLES],
        "cells": [
            {
                "amount": a,
                "cycle": c,
                "cell": f"{a}-{c}",
                "value_class": CELL_CLASS[(a, c)],
                "class_label": str(labels[CELL_CLASS[(a, c)]]),
                "count": cells[(a, c)]["count"],
                "revenue": round(cells[(a, c)]["revenue"], 2),
                "strategy": strategy_for(CELL_CLASS[(a, c)], c, a),
            }
            for a in AMOUNTS
            for c in CYCLES
        ],
        "classes": [
            {
                "code": code,
                "label": str(labels[code]),
                "count": classes[code]["count"],
                "revenue": round(classes[code]["revenue"], 2),
                "share": classes[code]["count"] / total if total else 0.0,
                "strategy": strategy_for(code),
            }
            for code in (*CLASSES, ValueClass.INSUFFICIENT)
        ],
        "total": total,
    }


def rfm_from(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Customers per (R, FM) cell of the 5 x 5 grid, and count and revenue per segment."""
    grid = [[0] * 5 for _r in range(5)]  # grid[r - 1][fm - 1]
    segments: dict[str, dict[str, Any]] = {}
    for row in rows:
        grid[row["rfm_r"] - 1][row["rfm_fm"] - 1] += row["n"]
        segment = segments.setdefault(row["rfm_segment"], {"count": 0, "revenue": 0.0})
        segment["count"] += row["n"]
        segment["revenue"] += _money(row["revenue_sum"])
    labels = dict(RFMSegment.choices)
    return {
        "grid": grid,
        "segments": [
            {
                "code": code,
                "label": str(labels.get(code, code)),
                "count": data["count"],
                "revenue": round(data["revenue"], 2),
            }
            for code, data in sorted(segments.items(), key=lambda kv: (-kv[1]["count"], kv[0]))
        ],
    }


def profit_totals_from(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def total(key: str) -> Decimal:
        return sum((Decimal(row[key] or 0) for row in rows), Decimal("0")).quantize(CENT)

    return {
        "revenue": total("revenue_sum"),
        "cost": total("cost_sum"),
        "profit": total("profit_sum"),
        "customers": sum(row["n"] for row in rows),
        "unprofitable": sum(row["unprofitable"] for row in rows),
    }


def value_matrix(*, actor: Any, filters: ValueFilters) -> dict[str, Any]:
    return matrix_from(summary_rows(actor=actor, filters=filters))


def rfm_grid(*, actor: Any, filters: ValueFilters) -> dict[str, Any]:
    return rfm_from(summary_rows(actor=actor, filters=filters))


def _least_profitable(actor: Any, filters: ValueFilters) -> QuerySet[CustomerValue]:
    return (
        values_queryset(actor=actor, filters=filters)
        .select_related("customer", "customer__owner")
        .order_by("profit", "customer_id")
    )


def profitability(*, actor: Any, filters: ValueFilters, limit: int = 10) -> dict[str, Any]:
    """F8 totals (revenue, cost to serve, profit), the unprofitable count and the least
    profitable customers."""
    totals = profit_totals_from(summary_rows(actor=actor, filters=filters))
    return {**totals, "least": list(_least_profitable(actor, filters)[:limit])}


# --- F5 Pareto ----------------------------------------------------------------------------


def _pareto_figures(actor: Any, filters: ValueFilters, run: AnalyticsRun | None) -> dict[str, Any]:
    if run is not None and _is_everything(actor, filters):
        # The run measured the whole company; reuse its curve instead of re-reading
        # every customer's revenue.
        return {
            "points": run.pareto_curve,
            "top_share": run.pareto_top_share,
            "key_accounts": run.key_accounts,
            "customers": run.customers,
            "revenue": float(run.revenue),
            "key_share": float(run.parameters.get("key_account_share", 0.8)),
        }
    share = float(settings_current().key_account_share)
    empty: dict[str, Any] = {"points": [], "top_share": None, "key_accounts": 0, "customers": 0,
             "revenue": 0.0, "key_share": share}  # fmt: skip
    revenue = np.fromiter(
        values_queryset(actor=actor, filters=filters)
        .annotate(amount=Cast("revenue", FloatField()))
        .values_list("amount", flat=True),
        dtype=np.float64,
    )
    revenue = -np.sort(-revenue)
    n, total = len(revenue), float(revenue.sum())
    if n == 0 or total <= 0:
        return {**empty, "customers": n}
    cumulative = np.cumsum(revenue) / total
    top = max(1, math.ceil(0.2 * n - 1e-9))
    return {
        "points": aggregate.pareto_points(revenue, PARETO_POINTS),
        "top_share": round(float(cumulative[top - 1]), 6),
        "key_accounts": min(n, int(np.searchsorted(cumulative, share - 1e-12, side="left")) + 1),
        "customers": n,
        "revenue": round(total, 2),
        "key_share": share,
    }


def _key_list(actor: Any, filters: ValueFilters, count: int, limit: int) -> list[CustomerValue]:
    return list(
        values_queryset(actor=actor, filters=filters)
        .select_related("customer", "customer__owner")
        .order_by("revenue_rank")[: min(limit, count)]
    )


def pareto_curve(*, actor: Any, filters: ValueFilters, key_limit: int = 20) -> dict[str, Any]:
    """Cumulative revenue share against customer share, the share of the top 20 % and the
    key accounts (大客户: the fewest customers that make the company's key-account share of
    revenue, 80 % by default)."""
    figures = _pareto_figures(actor, filters, latest_run(actor=actor))
    return {**figures, "key_list": _key_list(actor, filters, figures["key_accounts"], key_limit)}


# --- F7 cohorts ---------------------------------------------------------------------------


def cohort_table(
    *, actor: Any, filters: ValueFilters, months: int = 12, run: AnalyticsRun | None = None
) -> dict[str, Any]:
    """Cohort retention and monthly churn for the last ``months`` complete months, from
    the latest run's activity masks of the customers in scope (``run``: the latest run, if
    the caller has it). Churn uses each customer's window (``aggregate.churn_windows``)
    with the run's dormancy multiple and median cycle."""
    run = run or latest_run(actor=actor)
    if run is None or run.as_of is None:
        return {"cohorts": [], "periods": [], "end_month": None, "incomplete_month": None}
    if months == 12 and _is_everything(actor, filters) and "incomplete_month" in run.retention:
        return dict(run.retention)
    months = max(1, min(months, aggregate.MASK_MONTHS - 2))
    rows = list(
        values_queryset(actor=actor, filters=filters).values_list(
            "cohort_month", "activity_mask", "average_cycle_days"
        )
    )
    cohort_month = np.array([r[0] for r in rows], dtype=np.int64)
    masks = np.array([r[1] for r in rows], dtype=np.int64)
    cycles = np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=np.float64)
    reference = (run.retention or {}).get("reference_cycle_days")
    factor = float((run.parameters or {}).get("dormant_factor", 3.0))
    return aggregate.retention_summary(
        cohort_month, masks, aggregate.month_index(run.as_of), months,
        window_months=aggregate.churn_windows(cycles, factor, reference),
        month_complete=aggregate.is_month_complete(run.as_of),
        reference_cycle_days=reference,
    )  # fmt: skip


# --- movement -----------------------------------------------------------------------------


def _movement_runs(
    actor: Any, from_run: int | None, to_run: int | None
) -> tuple[AnalyticsRun | None, AnalyticsRun | None]:
    candidates = snapshot_runs(actor=actor)
    by_id = {run.pk: run for run in candidates}
    errors: dict[str, str] = {}
    if to_run is not None and to_run not in by_id:
        errors["to_run"] = _("没有这次运行的快照。")
    if from_run is not None and from_run not in by_id:
        errors["from_run"] = _("没有这次运行的快照。")
    if errors:
        raise ValidationFailed(errors)
    new = by_id[to_run] if to_run is not None else (candidates[0] if candidates else None)
    if new is None:
        return None, None
    if from_run is not None:
        return by_id[from_run], new
    if new.previous_run_id is not None:
        # The run this snapshot was compared with when it was taken.
        return new.previous_run, new
    older = [r for r in candidates if (r.finished_at, r.pk) < (new.finished_at, new.pk)]
    return (older[0] if older else None), new


REASONS = {
    "cycle": gettext_lazy("购买周期变了"),
    "amount": gettext_lazy("每次金额变了"),
    "both": gettext_lazy("周期和金额都变了"),
    "thresholds": gettext_lazy("分档阈值变了（客户本身没变）"),
    "classified": gettext_lazy("第二次购买后开始分类"),
    "other": gettext_lazy("其他"),
}


def _reason(row: Mapping[str, Any]) -> str:
    if row["old_class"] == ValueClass.INSUFFICIENT:
        return "classified"
    cycle = row["old_cycle_band"] != row["new_cycle_band"]
    amount = row["old_amount_band"] != row["new_amount_band"]
    if cycle and amount:
        return "both"
    if not (cycle or amount):
        return "other"
    old_m, new_m = (
        (row["old_cycle"], row["new_cycle"]) if cycle else (row["old_amount"], row["new_amount"])
    )
    if (
        old_m is not None
        and new_m is not None
        and math.isclose(float(old_m), float(new_m), rel_tol=1e-6, abs_tol=0.005)
    ):
        return "thresholds"  # the customer did not change; the terciles did
    return "cycle" if cycle else "amount"


def _moved_snapshots(
    actor: Any, filters: ValueFilters, old: AnalyticsRun, new: AnalyticsRun
) -> QuerySet[Any, Any]:
    """Movers between two snapshots as dicts (most revenue first). The newer snapshot
    carries the previous one's columns when ``old`` is its previous run: one table; any
    other pair is joined through the customer."""
    if new.previous_run_id == old.pk:
        qs = permissions.scope_by_customer(actor, ValueSnapshot.objects.filter(run=new))
        qs = qs.filter(_customer_q(filters, "customer__")).exclude(previous_class="")
        return (
            qs.exclude(previous_class=F("value_class"))
            .values(
                "customer_id", name=F("customer__name"),
                old_class=F("previous_class"), new_class=F("value_class"),
                old_cycle_band=F("previous_cycle_band"), new_cycle_band=F("cycle_band"),
                old_amount_band=F("previous_amount_band"), new_amount_band=F("amount_band"),
                old_cycle=F("previous_average_cycle_days"), new_cycle=F("average_cycle_days"),
                old_amount=F("previous_average_amount"), new_amount=F("average_amount"),
                new_revenue=F("revenue"),
            )
            .order_by("-revenue", "customer_id")
        )  # fmt: skip
    base = permissions.scope_customers(actor, Customer.objects.all()).filter(
        _customer_q(filters, "")
    )
    joined = base.annotate(
        old=FilteredRelation("value_snapshots", condition=Q(value_snapshots__run_id=old.pk)),
        new=FilteredRelation("value_snapshots", condition=Q(value_snapshots__run_id=new.pk)),
    ).filter(old__id__isnull=False, new__id__isnull=False)
    # django-stubs does not know the FilteredRelation aliases (old, new).
    return (
        joined.exclude(old__value_class=F("new__value_class"))
        .values(
            "name", customer_id=F("id"),
            old_class=F("old__value_class"), new_class=F("new__value_class"),
            old_cycle_band=F("old__cycle_band"), new_cycle_band=F("new__cycle_band"),
            old_amount_band=F("old__amount_band"), new_amount_band=F("new__amount_band"),
            old_cycle=F("old__average_cycle_days"), new_cycle=F("new__average_cycle_days"),
            old_amount=F("old__average_amount"), new_amount=F("new__average_amount"),
            new_revenue=F("new__revenue"),
        )
        .order_by(F("new__revenue").desc(), "id")
    )  # fmt: skip


def mover_row(row: Mapping[str, Any]) -> dict[str, Any]:
    labels = dict(ValueClass.choices)
    reason = _reason(row)
    return {
        **row,
        "old_label": str(labels[row["old_class"]]),
        "new_label": str(labels[row["new_class"]]),
        "reason": reason,
        "reason_label": str(REASONS[reason]),
    }


def class_movement(
    *,
    actor: Any,
    filters: ValueFilters,
    from_run: int | None = None,
    to_run: int | None = None,
    from_class: str = "",
    to_class: str = "",
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Who changed value class between two snapshots (default: the latest and the one it
    was compared with), and why: which band changed (cycle or amount), or only the
    thresholds moved."""
    _staff(actor)
    errors: dict[str, str] = {}
    if from_class and from_class not in ValueClass.values:
        errors["from_class"] = _("无效的价值类别。")
    if to_class and to_class not in ValueClass.values:
        errors["to_class"] = _("无效的价值类别。")
    if errors:
        raise ValidationFailed(errors)
    old, new = _movement_runs(actor, from_run, to_run)
    result: dict[str, Any] = {"from_run": old, "to_run": new, "matrix": [], "movers": [],
                              "moved": 0}  # fmt: skip
    if old is None or new is None or old.pk == new.pk:
        return result
    moved = _moved_snapshots(actor, filters, old, new)
    matrix = (
        moved.values("old_class", "new_class")
        .annotate(n=Count("*"))
        .order_by("-n", "old_class", "new_class")
    )
    labels = dict(ValueClass.choices)
    result["matrix"] = [
        {
            "old_class": row["old_class"],
            "new_class": row["new_class"],
            "n": row["n"],
            "old_label": str(labels[row["old_class"]]),
            "new_label": str(labels[row["new_class"]]),
        }
        for row in matrix
    ]
    result["moved"] = sum(row["n"] for row in result["matrix"])
    if from_class:
        moved = moved.filter(old_class=from_class)
    if to_class:
        moved = moved.filter(new_class=to_class)
    size = max(1, min(limit, MAX_LIMIT))
    result["movers"] = [mover_row(row) for row in moved[offset : offset + size]]
    return result


def movement_export(
    *, actor: Any, filters: ValueFilters, from_run: int | None = None, to_run: int | None = None
) -> QuerySet[Any, Any] | None:
    """Every mover between the two snapshots (for the CSV export); None without two."""
    _staff(actor)
    old, new = _movement_runs(actor, from_run, to_run)
    if old is None or new is None or old.pk == new.pk:
        return None
    return _moved_snapshots(actor, filters, old, new)


# --- F6 lists -----------------------------------------------------------------------------


def churn_risk_queryset(*, actor: Any, filters: ValueFilters) -> QuerySet[CustomerValue]:
    """Customers the purchase model gives less than even odds of still being a customer
    (or, without a model, dormant ones), the most valuable first."""
    at_risk = Q(p_alive__lt=CHURN_RISK_THRESHOLD) | Q(p_alive__isnull=True, dormant=True)
    return (
        values_queryset(actor=actor, filters=filters)
        .filter(at_risk)
        .select_related("customer", "customer__owner")
        .order_by("revenue_rank")
    )


def churn_risk(*, actor: Any, filters: ValueFilters, limit: int = 20, offset: int = 0) -> Page:
    qs = churn_risk_queryset(actor=actor, filters=filters)
    return paginate(qs, size=max(1, min(limit, MAX_LIMIT)), offset=offset)


def propensity_queryset(*, actor: Any, filters: ValueFilters) -> QuerySet[CustomerValue]:
    """Customers most likely to buy in the next period first."""
    return (
        values_queryset(actor=actor, filters=filters)
        .filter(propensity__isnull=False)
        .select_related("customer", "customer__owner")
        .order_by("-propensity", "customer_id")
    )


def propensity_list(*, actor: Any, filters: ValueFilters, limit: int = 20, offset: int = 0) -> Page:
    qs = propensity_queryset(actor=actor, filters=filters)
    return paginate(qs, size=max(1, min(limit, MAX_LIMIT)), offset=offset)


# --- the dashboard ------------------------------------------------------------------------


def _scope_text(q: Any) -> str:
    """A Q as stable text: a subquery (the shares of an actor with very many of them)
    is written as its SQL rather than ``repr``, which would run it."""
    if isinstance(q, Q):
        children = ", ".join(_scope_text(child) for child in q.children)
        return f"({q.connector}{' NOT' if q.negated else ''}: {children})"
    if isinstance(q, tuple):
        return "(" + ", ".join(_scope_text(part) for part in q) + ")"
    if isinstance(q, QuerySet):
        return str(q.query)
    return repr(q)


def scope_key(actor: Any) -> str:
    """What identifies the customers ``actor`` reads (``accounts.permissions``): the same
    text for the same rows, another text for any other set. Two readers share a cached or
    prepared figure only when their scopes are written the same way."""
    q = permissions.customer_filter(actor)
    return "all" if q is None else f"{actor.pk}:{getattr(actor, 'team_id', '')}:{_scope_text(q)}"


def prepared_key(scope: str, filters: ValueFilters) -> str:
    return hashlib.sha256(f"{scope}|{filters.cache_key()}".encode()).hexdigest()


def _plain(value: Any) -> Any:
    """Figures as JSON: Decimal amounts as text (``money`` and ``Decimal`` read them
    back), dates as ISO text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _raw_run_ref(run: AnalyticsRun | None) -> dict[str, Any] | None:
    return None if run is None else {"id": run.pk, "as_of": run.as_of}


def dashboard_figures(
    *, actor: Any, filters: ValueFilters, run: AnalyticsRun | None
) -> dict[str, Any]:
    """The dashboard's figures for ``actor`` computed now, as JSON and **without any
    label**: codes and numbers only, so that one prepared or cached copy serves every
    language (labels are added per request by ``_present``)."""
    rows = summary_rows(actor=actor, filters=filters)
    pareto = _pareto_figures(actor, filters, run)
    churn = churn_risk(actor=actor, filters=filters, limit=20)
    movement = class_movement(actor=actor, filters=filters, limit=20)
    raw_movers = [
        {k: v for k, v in m.items() if k not in {"old_label", "new_label", "reason_label"}}
        for m in movement["movers"]
    ]
    figures = {
        "rows": rows,
        "pareto": pareto,
        "cohorts": cohort_table(actor=actor, filters=filters, run=run),
        "movement": {
            "from_run": _raw_run_ref(movement["from_run"]),
            "to_run": _raw_run_ref(movement["to_run"]),
            "moved": movement["moved"],
            "matrix": [
                {"old_class": m["old_class"], "new_class": m["new_class"], "n": m["n"]}
                for m in movement["matrix"]
            ],
            "movers": raw_movers,
        },
        "churn_count": churn.count,
        "churn_capped": churn.count_capped,
        "ids": {
            "key_list": [v.pk for v in _key_list(actor, filters, pareto["key_accounts"], 20)],
            "churn": [v.pk for v in churn.items],
            # the dashboard lists the first ten and shows no count: no count query
            "propensity": [v.pk for v in propensity_queryset(actor=actor, filters=filters)[:10]],
            "least": [v.pk for v in _least_profitable(actor, filters)[:10]],
        },
    }
    plain: dict[str, Any] = _plain(figures)
    return plain


def _run_ref(ref: dict[str, Any] | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    as_of = ref.get("as_of")
    return {"id": ref["id"], "as_of": dt.date.fromisoformat(as_of) if as_of else None}


def _present(figures: dict[str, Any]) -> dict[str, Any]:
    """Stored figures with the labels of the active language."""
    rows = figures["rows"]
    labels = dict(ValueClass.choices)
    movement = figures["movement"]
    return {
        "matrix": matrix_from(rows),
        "rfm": rfm_from(rows),
        "profit_totals": profit_totals_from(rows),
        "pareto": figures["pareto"],
        "cohorts": figures["cohorts"],
        "movement": {
            "from_run": _run_ref(movement["from_run"]),
            "to_run": _run_ref(movement["to_run"]),
            "moved": movement["moved"],
            "matrix": [
                {
                    **m,
                    "old_label": str(labels[m["old_class"]]),
                    "new_label": str(labels[m["new_class"]]),
                }
                for m in movement["matrix"]
            ],
            "movers": [mover_row(m) for m in movement["movers"]],
        },
        "churn_count": figures["churn_count"],
        "churn_capped": figures["churn_capped"],
        "ids": figures["ids"],
    }


def _prepared(run: AnalyticsRun | None, key: str) -> dict[str, Any] | None:
    if run is None:
        return None
    found = (
        DashboardAggregate.objects.filter(run=run, key=key)
        .values_list("figures", flat=True)
        .first()
    )
    return found


def _figures(actor: Any, filters: ValueFilters, run: AnalyticsRun | None) -> dict[str, Any]:
    """The dashboard's stored figures: from the cache, else prepared by the recompute for
    this scope (``services.dashboard_prepare``), else computed now. Cached per latest run,
    language, scope and filters for a few minutes: they change only when a recompute
    finishes, and at a million customers they take seconds."""
    version = f"{run.pk}:{run.finished_at.isoformat()}" if run and run.finished_at else "none"
    scope = scope_key(actor)
    raw_key = f"{version}|{get_language()}|{scope}|{filters.cache_key()}"
    cache_key = "gx-analytics:" + hashlib.sha256(raw_key.encode()).hexdigest()
    figures: dict[str, Any] | None = cache.get(cache_key)
    if figures is None:
        figures = _prepared(run, prepared_key(scope, filters))
        if figures is None:
            figures = dashboard_figures(actor=actor, filters=filters, run=run)
        cache.set(cache_key, figures, CACHE_SECONDS)
    return figures


def dashboard(*, actor: Any, filters: ValueFilters) -> dict[str, Any]:
    """Everything the analytics dashboard shows, within the actor's scope (``_figures``).
    The customers its lists show are read fresh (and scoped again) in one query."""
    run = latest_run(actor=actor)
    figures = _present(_figures(actor, filters, run))
    ids = figures["ids"]
    wanted = {pk for group in ids.values() for pk in group}
    values = (
        {
            v.pk: v
            for v in values_queryset(actor=actor, filters=filters)
            .filter(pk__in=wanted)
            .select_related("customer", "customer__owner")
        }
        if wanted
        else {}
    )

    def listed(name: str) -> list[CustomerValue]:
        return [values[pk] for pk in ids[name] if pk in values]

    return {
        "run": run,
        **{k: v for k, v in figures.items() if k not in {"ids", "profit_totals"}},
        "key_list": listed("key_list"),
        "churn": {
            "items": listed("churn"),
            "count": figures["churn_count"],
            "count_capped": figures["churn_capped"],
        },
        "propensity": {"items": listed("propensity")},
        "profitability": {**figures["profit_totals"], "least": listed("least")},
    }


# --- a run as its reader may see it -------------------------------------------------------

# The run's totals over all customers: a reader who does not see every customer gets them
# computed within his scope instead (issue 10 item 4).
RUN_TOTALS = ("customers", "orders", "revenue", "class_counts", "key_accounts",
              "pareto_top_share", "retention", "message")  # fmt: skip


def _run_dict(run: AnalyticsRun) -> dict[str, Any]:
    return {
        "id": run.pk, "status": run.status, "as_of": run.as_of, "created_at": run.created_at,
        "finished_at": run.finished_at, "duration_s": run.duration_s, "job_id": run.job_id,
        "parameters": run.parameters, "customers": run.customers, "orders": run.orders,
        "revenue": run.revenue, "bgnbd": run.bgnbd, "gamma_gamma": run.gamma_gamma,
        "prediction_message": run.prediction_message, "thresholds": run.thresholds,
        "class_counts": run.class_counts, "pareto_top_share": run.pareto_top_share,
        "key_accounts": run.key_accounts, "retention": run.retention,
        "timings": run.timings, "has_snapshot": run.has_snapshot, "message": run.message,
        "scoped": False,
    }  # fmt: skip


def scoped_totals(figures: dict[str, Any]) -> dict[str, Any]:
    """The run totals from a scope's dashboard figures (``dashboard_figures``)."""
    rows = figures["rows"]
    class_counts = {code: 0 for code in ValueClass.values}
    for row in rows:
        class_counts[row["value_class"]] += row["n"]
    totals = profit_totals_from(rows)
    return {
        "customers": totals["customers"],
        "orders": sum(int(row.get("orders_sum") or 0) for row in rows),
        "revenue": totals["revenue"],
        "class_counts": class_counts,
        "key_accounts": figures["pareto"]["key_accounts"],
        "pareto_top_share": figures["pareto"]["top_share"],
        "retention": figures["cohorts"],
        "message": "",
    }


def run_view(
    *, actor: Any, run: AnalyticsRun, latest: AnalyticsRun | bool | None = True
) -> dict[str, Any]:
    """``run`` with its totals within ``actor``'s scope: the run's own for a reader of
    every customer; for anyone else, computed over his customers for the latest run (the
    one the stored values belong to) and withheld (null) for older runs. ``latest``: the
    latest run if the caller has it (``True``: look it up)."""
    _staff(actor)
    data = _run_dict(run)
    if permissions.customer_filter(actor) is None:
        return data
    data["scoped"] = True
    newest = latest_run(actor=actor) if latest is True else latest
    if isinstance(newest, AnalyticsRun) and newest.pk == run.pk:
        data.update(scoped_totals(_figures(actor, ValueFilters(), run)))
    else:
        data.update({name: None for name in RUN_TOTALS})
        data.update(retention={}, message="")
    return data


def run_list_views(*, actor: Any, limit: int = 20) -> list[dict[str, Any]]:
    latest = latest_run(actor=actor)
    return [run_view(actor=actor, run=run, latest=latest) for run in runs(actor=actor, limit=limit)]
