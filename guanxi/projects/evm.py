"""Earned value on plain data (no ORM): time-phased planned value from a baseline, earned
value from % complete by a named method, and the PMBOK indices and forecasts (PMBOK
Guide 6th ed., §7.4.2.2, Table 7-1 "Earned Value Calculations Summary Table").

* **PV** (planned value): each baseline task's planned cost spread evenly over the
  working days of its baseline span (the platform calendar: weekends, Chinese holidays,
  调休), whole cents, the remainder on the last day — so the PV of a task over its span is
  exactly its planned cost and PV at the baseline's finish is exactly BAC. A milestone, or
  a span with no working day, puts its cost on its finish day; a task without dates on the
  baseline's finish.
* **EV** (earned value): planned cost × the fraction the task's method credits:
  ``0/100`` nothing until done; ``50/50`` half once started, all when done; ``physical``
  the % complete. Summary tasks are left out (their leaves carry the cost).
* **AC** (actual cost): given, by day (approved time × rate + approved costs).

Indices and forecasts: SV = EV − PV, CV = EV − AC, SPI = EV/PV, CPI = EV/AC; four EAC
variants (BAC/CPI; AC + (BAC − EV); AC + (BAC − EV)/(CPI × SPI); AC + bottom-up ETC), the
project's chosen one named; ETC = EAC − AC; VAC = BAC − EAC; TCPI on BAC (BAC − EV)/(BAC
− AC) and on EAC (BAC − EV)/(EAC − AC). A ratio with a zero denominator is ``None`` (shown
as "—"), never an error. The forecast finish uses earned schedule (ES: the working time at
which PV reached today's EV; SPI(t) = ES/AT; forecast duration = planned duration /
SPI(t)), which — unlike the cost-based SPI — does not drift back to 1.0 at the end.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Final

__all__ = [
    "EAC_METHODS",
    "EV_METHODS",
    "EvmFigures",
    "EvmTask",
    "Phasing",
    "Thresholds",
    "compute",
    "earned_fraction",
    "phase",
    "rag",
    "s_curve",
]

ZERO: Final = Decimal("0")
CENT: Final = Decimal("0.01")
INDEX_PLACES: Final = Decimal("0.0001")
ONE_DAY: Final = dt.timedelta(days=1)
EV_METHODS: Final = ("0_100", "50_50", "physical")
EAC_METHODS: Final = ("cpi", "atypical", "cpi_spi", "bottom_up")


@dataclass(frozen=True, slots=True)
class EvmTask:
    """One baseline task with the live progress of the task it froze."""

    key: int  # the baseline task's id (stable even when the live task is gone)
    planned_cost: Decimal
    start: dt.date | None
    finish: dt.date | None
    milestone: bool = False
    progress: int = 0  # % complete of the live task, 0..100
    started: bool = False  # the live task is under way (status past "todo" or progress > 0)
    method: str = "physical"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Below amber is amber, below red is red (an index of 1.00 is on plan)."""

    spi_amber: Decimal = Decimal("0.95")
    spi_red: Decimal = Decimal("0.85")
    cpi_amber: Decimal = Decimal("0.95")
    cpi_red: Decimal = Decimal("0.85")


@dataclass(slots=True)
class Phasing:
    """Planned value by working day: ``days[i]`` earns ``amounts[i]``; ``cumulative[i]``
    is the PV through ``days[i]``."""

    days: list[dt.date] = field(default_factory=list)
    amounts: list[Decimal] = field(default_factory=list)
    cumulative: list[Decimal] = field(default_factory=list)

    def pv_on(self, day: dt.date) -> Decimal:
        """Cumulative PV at the end of ``day``."""
        index = bisect.bisect_right(self.days, day) - 1
        return self.cumulative[index] if index >= 0 else ZERO

    @property
    def total(self) -> Decimal:
        return self.cumulative[-1] if self.cumulative else ZERO


@dataclass(frozen=True, slots=True)
class EvmFigures:
    status_date: dt.date
    bac: Decimal
    pv: Decimal
    ev: Decimal
    ac: Decimal
    sv: Decimal
    cv: Decimal
    spi: Decimal | None
    cpi: Decimal | None
    eac_cpi: Decimal | None
    eac_atypical: Decimal
    eac_cpi_spi: Decimal | None
    eac_bottom_up: Decimal | None
    eac_method: str
    eac: Decimal | None
    etc: Decimal | None
    vac: Decimal | None
    tcpi_bac: Decimal | None
    tcpi_eac: Decimal | None
    percent_complete: Decimal | None  # EV / BAC × 100
    percent_spent: Decimal | None  # AC / BAC × 100
    planned_finish: dt.date | None
    forecast_finish: dt.date | None
    spi_t: Decimal | None  # earned-schedule SPI(t)
    rag: str  # "green" / "amber" / "red", or "" with nothing to judge

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator == 0:
        return None
    return (numerator / denominator).quantize(INDEX_PLACES, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@functools.lru_cache(maxsize=512)
def _year_working_days(is_working_day: Callable[[dt.date], bool], year: int) -> tuple[dt.date, ...]:
    # A calendar's working days of one year, asked once per process: the EVM of a project
    # reads the same year of days several times (PV spans, earned schedule, the forecast),
    # and every page of every project reads the same years.
    day, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    days = []
    while day <= end:
        if is_working_day(day):
            days.append(day)
        day += ONE_DAY
    return tuple(days)


def _working_days(
    first: dt.date, last: dt.date, is_working_day: Callable[[dt.date], bool]
) -> list[dt.date]:
    days: list[dt.date] = []
    for year in range(first.year, last.year + 1):
        of_year = _year_working_days(is_working_day, year)
        lo = bisect.bisect_left(of_year, first) if year == first.year else 0
        hi = bisect.bisect_right(of_year, last) if year == last.year else len(of_year)
        days.extend(of_year[lo:hi])
    return days


def _nth_working_day(first: dt.date, n: int, is_working_day: Callable[[dt.date], bool]) -> dt.date:
    """The ``n``-th working day counting ``first`` (a working day) as the first."""
    year, limit = first.year, min(first.year + 60, dt.MAXYEAR - 1)
    of_year = _year_working_days(is_working_day, year)
    index = bisect.bisect_left(of_year, first) + n - 1
    while index >= len(of_year):
        if year >= limit:
            return of_year[-1] if of_year else first
        index -= len(of_year)
        year += 1
        of_year = _year_working_days(is_working_day, year)
    return of_year[index]


def _default_calendar() -> Callable[[dt.date], bool]:
    from guanxi.core.calendar import is_working_day

    return is_working_day


def phase(
    tasks: Iterable[EvmTask],
    *,
    default_day: dt.date | None,
    is_working_day: Callable[[dt.date], bool] | None = None,
) -> Phasing:
    """Time-phased PV of ``tasks`` (see the module). ``default_day`` takes the cost of a
    task without dates (the baseline's finish); without it such a task is left out."""
    is_working_day = is_working_day or _default_calendar()
    rows = []
    for task in tasks:
        if task.planned_cost <= 0:
            continue
        start, finish = task.start, task.finish
        if start is None and finish is None:
            if default_day is None:
                continue
            start = finish = default_day
        elif start is None:
            start = finish
        elif finish is None:
            finish = start
        assert start is not None and finish is not None
        if finish < start:
            start, finish = finish, start
        rows.append((task, start, finish))
    if not rows:
        return Phasing()
    first = min(r[1] for r in rows)
    last = max(r[2] for r in rows)
    working = _working_days(first, last, is_working_day)
    # Spans spread over working days; a milestone or an all-holiday span puts its cost on
    # its finish day, working or not.
    spans: list[tuple[Decimal, int, int, Decimal]] = []
    point: dict[dt.date, Decimal] = {}
    for task, start, finish in rows:
        lo = bisect.bisect_left(working, start)
        hi = bisect.bisect_right(working, finish) - 1
        if task.milestone or hi < lo:
            point[finish] = point.get(finish, ZERO) + task.planned_cost
            continue
        count = hi - lo + 1
        daily = (task.planned_cost / count).quantize(CENT, rounding=ROUND_DOWN)
        remainder = task.planned_cost - daily * count
        spans.append((daily, lo, hi, remainder))
    # A difference array over working-day indexes: O(tasks + days), not O(tasks × days).
    delta = [ZERO] * (len(working) + 1)
    last_day_extra = [ZERO] * len(working)
    for daily, lo, hi, remainder in spans:
        delta[lo] += daily
        delta[hi + 1] -= daily
        last_day_extra[hi] += remainder
    per_day: dict[dt.date, Decimal] = {}
    running = ZERO
    for index, day in enumerate(working):
        running += delta[index]
        amount = running + last_day_extra[index]
        if amount:
            per_day[day] = amount
    for day, amount in point.items():
        per_day[day] = per_day.get(day, ZERO) + amount
    phasing = Phasing()
    total = ZERO
    for day in sorted(per_day):
        total += per_day[day]
        phasing.days.append(day)
        phasing.amounts.append(per_day[day])
        phasing.cumulative.append(total)
    return phasing


def earned_fraction(task: EvmTask) -> Decimal:
    """The share of the task's planned cost its method credits now."""
    progress = min(max(task.progress, 0), 100)
    if task.method == "0_100":
        return Decimal(1) if progress >= 100 else ZERO
    if task.method == "50_50":
        if progress >= 100:
            return Decimal(1)
        return Decimal("0.5") if (task.started or progress > 0) else ZERO
    return Decimal(progress) / 100


def rag(spi: Decimal | None, cpi: Decimal | None, thresholds: Thresholds) -> str:
    """The worse of the two indices' colours; "" when neither can be computed."""
    if spi is None and cpi is None:
        return ""
    colours = []
    for value, amber, red in (
        (spi, thresholds.spi_amber, thresholds.spi_red),
        (cpi, thresholds.cpi_amber, thresholds.cpi_red),
    ):
        if value is None:
            continue
        colours.append(2 if value < red else 1 if value < amber else 0)
    return ("green", "amber", "red")[max(colours)]


def _earned_schedule(
    phasing: Phasing,
    ev: Decimal,
    start: dt.date,
    status_date: dt.date,
    planned_finish: dt.date,
    is_working_day: Callable[[dt.date], bool],
) -> tuple[Decimal | None, dt.date | None]:
    """SPI(t) and the forecast finish by earned schedule, counted in working days."""
    if planned_finish < start or status_date < start:
        return None, None
    plan_days = _working_days(start, planned_finish, is_working_day)
    if not plan_days:
        return None, None
    actual = len(_working_days(start, status_date, is_working_day))
    if actual == 0 or ev <= 0:
        return None, None
    # ES = whole working days whose cumulative PV is ≤ EV, plus the fraction of the next.
    cumulative = [phasing.pv_on(day) for day in plan_days]
    whole = bisect.bisect_right(cumulative, ev)
    es = Decimal(whole)
    if whole < len(plan_days):
        before = cumulative[whole - 1] if whole else ZERO
        step = cumulative[whole] - before
        if step > 0:
            es += (ev - before) / step
    if es <= 0:
        return None, None
    spi_t = es / Decimal(actual)
    forecast_days = Decimal(len(plan_days)) / spi_t
    n = int(forecast_days.to_integral_value(rounding=ROUND_HALF_UP))
    n = max(n, 1)
    # The n-th working day counting the start's first working day as the first, at most
    # about fifty years on (a tiny SPI(t) must not walk the calendar for ever).
    day = _nth_working_day(plan_days[0], min(n, 250 * 50), is_working_day)
    return spi_t.quantize(INDEX_PLACES, rounding=ROUND_HALF_UP), day


def compute(
    tasks: Sequence[EvmTask],
    *,
    status_date: dt.date,
    ac_by_day: Mapping[dt.date, Decimal],
    planned_start: dt.date | None = None,
    planned_finish: dt.date | None = None,
    etc_bottom_up: Decimal | None = None,
    eac_method: str = "cpi",
    thresholds: Thresholds | None = None,
    is_working_day: Callable[[dt.date], bool] | None = None,
    phasing: Phasing | None = None,
) -> EvmFigures:
    """All figures of one project at the end of ``status_date``. AC counts the days up to
    and including ``status_date``."""
    is_working_day = is_working_day or _default_calendar()
    thresholds = thresholds or Thresholds()
    dated = [t.finish or t.start for t in tasks if (t.finish or t.start)]
    started = [t.start or t.finish for t in tasks if (t.start or t.finish)]
    planned_finish = planned_finish or (max(d for d in dated if d) if dated else None)
    planned_start = planned_start or (min(d for d in started if d) if started else None)
    if phasing is None:
        phasing = phase(tasks, default_day=planned_finish, is_working_day=is_working_day)
    bac = sum((t.planned_cost for t in tasks if t.planned_cost > 0), ZERO)
    pv = phasing.pv_on(status_date)
    ev = sum(
        (_money(t.planned_cost * earned_fraction(t)) for t in tasks if t.planned_cost > 0), ZERO
    )
    ac = sum((amount for day, amount in ac_by_day.items() if day <= status_date), ZERO)
    spi = _ratio(ev, pv)
    cpi = _ratio(ev, ac)
    eac_cpi = _money(bac / cpi) if cpi else None
    eac_atypical = ac + (bac - ev)
    eac_cpi_spi = _money(ac + (bac - ev) / (cpi * spi)) if cpi and spi else None
    eac_bottom_up = _money(ac + etc_bottom_up) if etc_bottom_up is not None else None
    chosen = {
        "cpi": eac_cpi,
        "atypical": eac_atypical,
        "cpi_spi": eac_cpi_spi,
        "bottom_up": eac_bottom_up,
    }
    if eac_method not in chosen:
        eac_method = "cpi"
    eac = chosen[eac_method]
    spi_t, forecast_finish = (None, None)
    if planned_start is not None and planned_finish is not None:
        spi_t, forecast_finish = _earned_schedule(
            phasing, ev, planned_start, status_date, planned_finish, is_working_day
        )
    if ev >= bac and bac > 0:
        forecast_finish = None  # done: nothing left to forecast
    return EvmFigures(
        status_date=status_date,
        bac=bac,
        pv=pv,
        ev=ev,
        ac=ac,
        sv=ev - pv,
        cv=ev - ac,
        spi=spi,
        cpi=cpi,
        eac_cpi=eac_cpi,
        eac_atypical=eac_atypical,
        eac_cpi_spi=eac_cpi_spi,
        eac_bottom_up=eac_bottom_up,
        eac_method=eac_method,
        eac=eac,
        etc=eac - ac if eac is not None else None,
        vac=bac - eac if eac is not None else None,
        tcpi_bac=_ratio(bac - ev, bac - ac),
        tcpi_eac=_ratio(bac - ev, eac - ac) if eac is not None else None,
        percent_complete=_ratio(ev * 100, bac),
        percent_spent=_ratio(ac * 100, bac),
        planned_finish=planned_finish,
        forecast_finish=forecast_finish,
        spi_t=spi_t,
        rag=rag(spi, cpi, thresholds),
    )


def s_curve(
    phasing: Phasing,
    *,
    ac_by_day: Mapping[dt.date, Decimal],
    ev_points: Mapping[dt.date, Decimal],
    start: dt.date,
    end: dt.date,
    status_date: dt.date,
    step_days: int = 7,
) -> dict[str, list[object]]:
    """Cumulative PV and AC every ``step_days`` from ``start`` to ``end`` (both included),
    and EV where it is known (status snapshots and today); AC stops at ``status_date``. A
    series of strings, ready for JSON."""
    if end < start:
        start, end = end, start
    points: list[dt.date] = []
    day = start
    while day < end:
        points.append(day)
        day += dt.timedelta(days=step_days)
    points.append(end)
    points = sorted(
        set(points) | {d for d in ev_points if start <= d <= end} | {min(status_date, end)}
    )
    ac_days = sorted(ac_by_day)
    ac_cum: list[Decimal] = []
    running = ZERO
    for d in ac_days:
        running += ac_by_day[d]
        ac_cum.append(running)

    def ac_on(d: dt.date) -> Decimal:
        index = bisect.bisect_right(ac_days, d) - 1
        return ac_cum[index] if index >= 0 else ZERO

    return {
        "dates": [d.isoformat() for d in points],
        "pv": [str(phasing.pv_on(d)) for d in points],
        "ac": [str(ac_on(d)) if d <= status_date else None for d in points],
        "ev": [str(ev_points[d]) if d in ev_points else None for d in points],
    }
