"""The sales forecast (SPEC B3), read in one GROUP BY over the opportunities the actor may
see: the open ones expected to close in the window, by month of expected close, owner,
department and forecast category, each with its amount and its weighted amount (amount ×
the opportunity's own probability, else its stage's), and beside them the ones won in the
window, by month of closing.

Everything on the page (the chart, the table by month / owner / department, the totals)
is a sum over those groups in Python: the database scans once, whatever the view. At
1,000,000 opportunities the scan reads two partial covering indexes, open and won
(``forecast_rows``; ``bench.forecast_bench``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    CharField,
    Count,
    DateField,
    DecimalField,
    F,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.urls import reverse
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.accounts.models import Team, User
from guanxi.core.errors import ValidationFailed
from guanxi.sales.models import OpportunityStatus
from guanxi.sales.models_forecast import ForecastRollup
from guanxi.sales.models_targets import ForecastCategory
from guanxi.sales.selectors import scoped_opportunities

CENT = Decimal("0.01")
MAX_MONTHS = 24
DEFAULT_MONTHS = 6
GROUPS = ("month", "owner", "team")
#: The buckets of a group: closed-won beside the open categories.
WON = "won"
BUCKETS = (WON, *ForecastCategory.values)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class ForecastParams:
    start: dt.date  # the first day of the first month
    months: int = DEFAULT_MONTHS
    group: str = "month"
    owner: int | None = None
    team: int | None = None
    pipeline: int | None = None

    @property
    def end(self) -> dt.date:
        """The first day after the window."""
        return add_months(self.start, self.months)

    def as_query(self) -> dict[str, str]:
        out: dict[str, Any] = {"start": f"{self.start:%Y-%m}", "months": self.months,
                               "group": self.group, "owner": self.owner, "team": self.team,
                               "pipeline": self.pipeline}  # fmt: skip
        return {k: str(v) for k, v in out.items() if v not in (None, "")}


def _id(raw: Any, name: str, errors: dict[str, str]) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw))
    except ValueError:
        value = 0
    if not 1 <= value <= 2**63 - 1:
        errors[name] = _("必须是正整数。")
        return None
    return value


def validate_params(raw: Mapping[str, Any], *, today: dt.date) -> ForecastParams:
    """The forecast's parameters from a query string (``start`` as YYYY-MM, ``months``
    1–24, ``group`` month/owner/team, optional ``owner``/``team``/``pipeline`` ids); a
    ``ValidationFailed`` naming each bad one."""
    errors: dict[str, str] = {}
    start = month_start(today)
    text = str(raw.get("start") or "").strip()
    if text:
        try:
            parsed = dt.date.fromisoformat(f"{text}-01" if len(text) == 7 else text)
        except ValueError:
            errors["start"] = _("须为 YYYY-MM 格式的月份。")
        else:
            if not 2000 <= parsed.year <= 2100:
                errors["start"] = _("须为 YYYY-MM 格式的月份。")
            else:
                start = month_start(parsed)
    months = DEFAULT_MONTHS
    text = str(raw.get("months") or "").strip()
    if text:
        try:
            months = int(text)
        except ValueError:
            months = 0
        if not 1 <= months <= MAX_MONTHS:
            errors["months"] = _("须为 1 到 24 之间的整数。")
            months = DEFAULT_MONTHS
    group = str(raw.get("group") or "month")
    if group not in GROUPS:
        errors["group"] = _("无效的选项。")
        group = "month"
    params = ForecastParams(
        start=start,
        months=months,
        group=group,
        owner=_id(raw.get("owner"), "owner", errors),
        team=_id(raw.get("team"), "team", errors),
        pipeline=_id(raw.get("pipeline"), "pipeline", errors),
    )
    if errors:
        raise ValidationFailed(errors)
    return params


# --- the aggregation ---------------------------------------------------------------------


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


BY_OWNER_AND_TEAM = ("owner_id", "team_id")


def forecast_rows(
    *, actor: Any, params: ForecastParams, by: tuple[str, ...] = BY_OWNER_AND_TEAM
) -> QuerySet[Any]:
    """One row per (month, bucket, owner, department) with ``n``, ``total`` and
    ``weighted_sum`` (amount × probability in percent, to divide by 100): the one query
    behind the page, the API and the export. Month of a won one: when it closed
    (Asia/Shanghai); of an open one: its expected close. ``by``: the owner and department
    columns, as ids or (the export) as their unique names; the rows' columns are exactly
    ``period, bucket, *by, n, total, weighted_sum``, in that order, so a ``values()`` of
    them over the union reads them as they come.

    The open and the won parts are the two halves of one ``UNION ALL``: each half reads
    only its own partial covering index (``opp_forecast_open_idx`` /
    ``opp_forecast_won_idx``, index-only scans on PostgreSQL), where the single ``OR``
    query had to visit every matching heap page (~4 s at 1,000,000, ``bench.forecast_bench``).
    ``Count("*")`` rather than ``Count("id")`` keeps the key out of the scan's columns."""
    begin, end = _local_midnight(params.start), _local_midnight(params.end)
    qs = scoped_opportunities(actor=actor)
    if params.owner:
        qs = qs.filter(owner_id=params.owner)
    if params.team:
        qs = qs.filter(team_id=params.team)
    if params.pipeline:
        qs = qs.filter(pipeline_id=params.pipeline)
    money = DecimalField(max_digits=20, decimal_places=2)
    keys = ("period", "bucket", *by)
    open_rows: QuerySet[Any] = (
        qs.filter(status=OpportunityStatus.OPEN, expected_close__gte=params.start,
                  expected_close__lt=params.end)
        .annotate(period=TruncMonth("expected_close", output_field=DateField()),
                  bucket=F("forecast_category"))
        .order_by()
        .values(*keys)
        .annotate(
            n=Count("*"),
            total=Sum("amount"),
            weighted_sum=Sum(
                F("amount") * Coalesce(F("probability"), F("stage__win_probability")),
                output_field=money,
            ),
        )
    )  # fmt: skip
    won_rows: QuerySet[Any] = (
        qs.filter(status=OpportunityStatus.WON, closed_at__gte=begin, closed_at__lt=end)
        .annotate(period=TruncMonth("closed_at", output_field=DateField()),
                  bucket=Value(WON, output_field=CharField()))
        .order_by()
        .values(*keys)
        .annotate(
            n=Count("*"),
            total=Sum("amount"),
            weighted_sum=Sum(F("amount") * Value(100), output_field=money),
        )
    )  # fmt: skip
    return open_rows.union(won_rows, all=True)


def rollup_rows(*, actor: Any, params: ForecastParams) -> list[dict[str, Any]]:
    """The rows of ``forecast_rows`` (ids) read from the monthly roll-up
    (``models_forecast``): the window is always whole months, so it is the sum of the
    roll-up's months in it — a few thousand rows where the live query aggregates every
    opportunity in the window. The same scope (``record_filter`` on the owner and
    department ids) and filters; the stage's probability weighs the amounts without an own
    one, as in the live query."""
    qs = ForecastRollup.objects.filter(month__gte=params.start, month__lt=params.end)
    q = permissions.record_filter(actor)
    if q is not None:
        qs = qs.filter(q)
    if params.owner:
        qs = qs.filter(owner_id=params.owner)
    if params.team:
        qs = qs.filter(team_id=params.team)
    if params.pipeline:
        qs = qs.filter(pipeline_id=params.pipeline)
    money = DecimalField(max_digits=24, decimal_places=2)
    rows = (
        qs.order_by()
        .values(period=F("month"), group=F("bucket"), owner=F("owner_id"), team=F("team_id"))
        .annotate(
            count=Sum("n"),
            amount_sum=Sum("amount"),
            weighted=Sum(
                F("weighted_own") + F("amount_stage") * F("stage__win_probability"),
                output_field=money,
            ),
        )
    )
    # Every stored sum is a whole number of cents (amounts have two places, probabilities
    # are integers): rounding to cents is exact on PostgreSQL and drops SQLite's float sums'
    # drift (its NUMERIC columns add as REAL).
    return [
        {"period": r["period"], "bucket": r["group"], "owner_id": r["owner"] or None,
         "team_id": r["team"] or None, "n": r["count"],
         "total": Decimal(r["amount_sum"] or 0).quantize(CENT),
         "weighted_sum": Decimal(r["weighted"] or 0).quantize(CENT)}
        for r in rows
        if r["count"]
    ]  # fmt: skip


def use_rollup() -> bool:
    """The page, the API and the chart read the roll-up unless ``SALES_FORECAST_ROLLUP``
    is off (the export and the drill-down always read the opportunities)."""
    return bool(getattr(settings, "SALES_FORECAST_ROLLUP", True))


@dataclass
class Cell:
    count: int = 0
    amount: Decimal = Decimal("0")
    weighted: Decimal = Decimal("0")
    url: str = ""

    def add(self, count: int, amount: Decimal, weighted: Decimal) -> None:
        self.count += count
        self.amount += amount
        self.weighted += weighted


@dataclass
class Line:
    """One row of the table (a month, an owner or a department) or the total."""

    key: Any
    label: str
    cells: dict[str, Cell] = field(default_factory=lambda: {b: Cell() for b in BUCKETS})
    url: str = ""

    @property
    def won(self) -> Cell:
        return self.cells[WON]

    @property
    def commit_total(self) -> Decimal:
        """Won plus committed: what the owner says will close."""
        return self.cells[WON].amount + self.cells[ForecastCategory.COMMIT].amount

    @property
    def best_case_total(self) -> Decimal:
        return self.commit_total + self.cells[ForecastCategory.BEST_CASE].amount

    @property
    def weighted_total(self) -> Decimal:
        """Won plus the weighted amount of every open one that counts (not omitted)."""
        open_buckets = (ForecastCategory.COMMIT, ForecastCategory.BEST_CASE,
                        ForecastCategory.PIPELINE)  # fmt: skip
        return self.cells[WON].amount + sum(
            (self.cells[b].weighted for b in open_buckets), Decimal("0")
        )

    @property
    def open_amount(self) -> Decimal:
        open_buckets = (ForecastCategory.COMMIT, ForecastCategory.BEST_CASE,
                        ForecastCategory.PIPELINE)  # fmt: skip
        return sum((self.cells[b].amount for b in open_buckets), Decimal("0"))


@dataclass
class Forecast:
    params: ForecastParams
    lines: list[Line]
    total: Line
    months: list[Line]  # always by month: the chart's series

    def chart(self) -> dict[str, Any]:
        """The chart's data (``json_script``): one bar series per bucket and the weighted
        forecast as a line, with each point's drill-down address."""

        def series(bucket: str) -> list[dict[str, Any]]:
            return [{"value": float(m.cells[bucket].amount), "url": m.cells[bucket].url}
                    for m in self.months]  # fmt: skip

        return {
            "months": [m.label for m in self.months],
            "series": [
                {"key": b, "name": str(label), "data": series(b)}
                for b, label in bucket_labels().items()
                if b != ForecastCategory.OMITTED
            ],
            "weighted": {"name": _("加权预测"),
                         "data": [float(m.weighted_total) for m in self.months]},
        }  # fmt: skip


def bucket_labels() -> dict[str, Any]:
    return {WON: _("已赢单"), **dict(ForecastCategory.choices)}


def drill_url(
    *, bucket: str, start: dt.date, end: dt.date, owner: int | None = None,
    team: int | None = None, pipeline: int | None = None,
) -> str:  # fmt: skip
    """The opportunity list filtered to the opportunities behind one number."""
    last = end - dt.timedelta(days=1)
    query: dict[str, Any] = {}
    if bucket == WON:
        query.update(status=OpportunityStatus.WON, closed_from=start.isoformat(),
                     closed_to=last.isoformat())  # fmt: skip
    else:
        query.update(status=OpportunityStatus.OPEN, category=bucket,
                     close_from=start.isoformat(), close_to=last.isoformat())  # fmt: skip
    for name, value in (("owner", owner), ("team", team), ("pipeline", pipeline)):
        if value:
            query[name] = value
    return f"{reverse('sales:list')}?{urlencode(query)}"


def _names(model: type[User] | type[Team], ids: Iterable[int]) -> dict[int, str]:
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    return {obj.pk: str(obj) for obj in model.objects.filter(pk__in=wanted)}


def forecast(*, actor: Any, params: ForecastParams, live: bool | None = None) -> Forecast:
    """The forecast of ``params``' window for ``actor``: three queries (the groups, the
    owners' names, the departments' names). The groups come from the monthly roll-up
    (``rollup_rows``), or with ``live`` from the opportunities (``forecast_rows``)."""
    if live is None:
        live = not use_rollup()
    rows = (
        list(forecast_rows(actor=actor, params=params))
        if live
        else rollup_rows(actor=actor, params=params)
    )
    months = [add_months(params.start, i) for i in range(params.months)]
    by_month = {m: Line(key=m, label=f"{m:%Y-%m}") for m in months}
    total = Line(key=None, label=_("合计"))
    groups: dict[Any, Line] = {}
    owners = _names(User, (r["owner_id"] for r in rows)) if params.group == "owner" else {}
    teams = _names(Team, (r["team_id"] for r in rows)) if params.group == "team" else {}
    for row in rows:
        period = row["period"]
        if isinstance(period, dt.datetime):
            period = period.date()
        amount = row["total"] or Decimal("0")
        # exact (rounded where shown): rounding each group would add up across groups
        weighted = Decimal(row["weighted_sum"] or 0) / 100
        args = (row["n"], amount, weighted)
        bucket = row["bucket"]
        if period in by_month:
            by_month[period].cells[bucket].add(*args)
        total.cells[bucket].add(*args)
        if params.group == "owner":
            key = row["owner_id"]
            label = owners.get(key, _("未分配")) if key else _("未分配")
        elif params.group == "team":
            key = row["team_id"]
            label = teams.get(key, _("无部门")) if key else _("无部门")
        else:
            continue
        groups.setdefault(key, Line(key=key, label=label)).cells[bucket].add(*args)
    common = {"owner": params.owner, "team": params.team, "pipeline": params.pipeline}
    for month, line in by_month.items():
        for bucket, cell in line.cells.items():
            cell.url = drill_url(bucket=bucket, start=month, end=add_months(month, 1), **common)
    for bucket, cell in total.cells.items():
        cell.url = drill_url(bucket=bucket, start=params.start, end=params.end, **common)
    if params.group == "month":
        lines = list(by_month.values())
    else:
        lines = sorted(groups.values(), key=lambda g: (-g.weighted_total, g.label))
        for line in lines:
            scope = dict(common)
            scope[params.group] = line.key
            if line.key is None:
                continue  # "unassigned" has no filter of its own in the list
            for bucket, cell in line.cells.items():
                cell.url = drill_url(bucket=bucket, start=params.start, end=params.end, **scope)
    return Forecast(params=params, lines=lines, total=total, months=list(by_month.values()))


def forecast_owners(*, actor: Any) -> QuerySet[User]:
    """The owners the forecast can be narrowed to (the owner filter's choices)."""
    return permissions.customer_owners(actor, User.objects.all()).order_by("username")


def forecast_teams(*, actor: Any) -> list[Team]:
    """The departments the actor may read records of (the department filter's choices)."""
    teams = list(Team.objects.order_by("name"))
    return [t for t in teams if permissions.can_read_record(actor, owner_id=None, team_id=t.pk)]
