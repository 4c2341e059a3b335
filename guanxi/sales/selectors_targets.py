"""Reads of the sales targets (业绩目标, SPEC B4): the targets the actor may see (owner /
department scope, as any owned record), their attainment over a month, quarter or year,
and the checks a manager sees beside them:

* **far from history**: a target whose monthly level lies outside the configured band
  (``TargetPolicy.band_percent``) around the subject's average of the last
  ``history_months`` months — the history is shown next to it;
* **members don't add up**: a department's target differs from the sum of its members'.

Actuals: revenue won = the amounts of opportunities won in the period (by closing time,
Asia/Shanghai); new customers = customers added in the period; retention rate = (E − N) / S,
S the customers active (a confirmed order in the 365 days before) at the start of the
period, E those active at its end, N those whose first order falls in it. Collections and
satisfaction have no data yet (contracts and service come later): their actual is empty
and the page says so rather than show a made-up zero.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.accounts.models import Team, User
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.customers.models import Customer
from guanxi.orders.models import Order, OrderStatus
from guanxi.sales.models import OpportunityStatus
from guanxi.sales.models_targets import Target, TargetMetric, TargetPolicy
from guanxi.sales.selectors import scoped_opportunities
from guanxi.sales.selectors_forecast import add_months

CENT = Decimal("0.01")
ADDITIVE = frozenset({TargetMetric.REVENUE, TargetMetric.NEW_CUSTOMERS, TargetMetric.COLLECTIONS})
ACTIVE_DAYS = 365


def no_data_yet() -> dict[str, str]:
    """The metrics whose data lives in apps not built yet, with what the page says."""
    return {
        TargetMetric.COLLECTIONS: _("尚无合同数据"),
        TargetMetric.SATISFACTION: _("尚无服务数据"),
    }


# --- periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A month (``number`` 1–12), a quarter (1–4) or a year (``number`` 0)."""

    kind: str
    year: int
    number: int = 0

    @property
    def start(self) -> dt.date:
        if self.kind == "month":
            return dt.date(self.year, self.number, 1)
        if self.kind == "quarter":
            return dt.date(self.year, 3 * self.number - 2, 1)
        return dt.date(self.year, 1, 1)

    @property
    def length(self) -> int:
        return {"month": 1, "quarter": 3}.get(self.kind, 12)

    @property
    def end(self) -> dt.date:
        return add_months(self.start, self.length)

    @property
    def months(self) -> list[tuple[int, int]]:
        days = (add_months(self.start, i) for i in range(self.length))
        return [(d.year, d.month) for d in days]

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        return str(self.year)

    def shifted(self, steps: int) -> Period:
        if self.kind == "year":
            return Period("year", self.year + steps)
        per_year = 12 if self.kind == "month" else 4
        index = self.year * per_year + self.number - 1 + steps
        return Period(self.kind, index // per_year, index % per_year + 1)

    def month_q(self, prefix: str = "") -> Q:
        q = Q()
        for year, month in self.months:
            q |= Q(**{f"{prefix}year": year, f"{prefix}month": month})
        return q


def parse_period(raw: Any, *, today: dt.date) -> Period:
    """``2026-12`` (a month), ``2026-Q4`` (a quarter) or ``2026`` (a year); this month when
    empty; a ``ValidationFailed`` naming ``period`` otherwise."""
    text = str(raw or "").strip().upper()
    if not text:
        return Period("month", today.year, today.month)
    error = ValidationFailed({"period": _("须为 YYYY-MM、YYYY-Q1…Q4 或 YYYY。")})
    try:
        if len(text) == 4:
            period = Period("year", int(text))
        elif len(text) == 7 and text[4:6] == "-Q":
            period = Period("quarter", int(text[:4]), int(text[6]))
        elif len(text) == 7 and text[4] == "-":
            period = Period("month", int(text[:4]), int(text[5:]))
        else:
            raise error
    except ValueError:
        raise error from None
    limit = 4 if period.kind == "quarter" else 12
    if not 2000 <= period.year <= 2100 or (
        period.kind != "year" and not 1 <= period.number <= limit
    ):
        raise error
    return period


# --- targets ---------------------------------------------------------------------------------


def policy() -> TargetPolicy:
    """The target settings (the defaults until an administrator saves them)."""
    return TargetPolicy.objects.order_by("pk").first() or TargetPolicy()


def scoped_targets(*, actor: Any) -> QuerySet[Target]:
    q = permissions.record_filter(actor)
    qs = Target.objects.all()
    return qs if q is None else qs.filter(q)


def target_get(*, actor: Any, target_id: Any) -> Target:
    try:
        pk = int(target_id)
    except (TypeError, ValueError):
        raise NotFound(_("业绩目标不存在。")) from None
    row = scoped_targets(actor=actor).select_related("owner", "team").filter(pk=pk).first()
    if row is None:
        raise NotFound(_("业绩目标不存在。"))
    return row


def can_set_targets(actor: Any) -> bool:
    """Managers and administrators set targets; everyone else reads their own."""
    return permissions.can_assign_owner(actor)


def can_set_target(actor: Any, *, owner_id: Any, team_id: Any) -> bool:
    """A target of an owner (or, ``owner_id`` empty, of a department) within the actor's
    write scope: a manager for their department and its people, an admin for everyone."""
    return can_set_targets(actor) and permissions.can_change_record(
        actor, owner_id=owner_id, team_id=team_id
    )


def target_owners(*, actor: Any) -> QuerySet[User]:
    """The salespeople the actor may set targets for."""
    return permissions.assignable_owners(actor, User.objects.all()).order_by("username")


def target_teams(*, actor: Any) -> list[Team]:
    """The departments the actor may set a department target for."""
    if not can_set_targets(actor):
        return []
    return [
        t
        for t in Team.objects.order_by("name")
        if permissions.can_change_record(actor, owner_id=None, team_id=t.pk)
    ]


# --- actuals ---------------------------------------------------------------------------------


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


Sums = tuple[dict[int, Decimal], dict[int, Decimal]]


@dataclass(frozen=True)
class Windows:
    """The period and the trailing history window before it."""

    start: dt.date
    end: dt.date
    history_start: dt.date


def _sums(
    qs: QuerySet[Any], key: str, ids: Iterable[int], stamp: str, value: Any, w: Windows,
    *, dates: bool = False,
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:  # fmt: skip
    """Per ``key`` (owner_id / team_id): ``value`` summed over the period and over the
    history window, in one GROUP BY."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}, {}

    def at(day: dt.date) -> Any:
        return day if dates else _midnight(day)

    now = Q(**{f"{stamp}__gte": at(w.start), f"{stamp}__lt": at(w.end)})
    before = Q(**{f"{stamp}__gte": at(w.history_start), f"{stamp}__lt": at(w.start)})
    rows = (
        qs.filter(**{f"{key}__in": wanted})
        .filter(**{f"{stamp}__gte": at(w.history_start), f"{stamp}__lt": at(w.end)})
        .order_by()
        .values(key)
        .annotate(now=value(filter=now), before=value(filter=before))
    )
    current: dict[int, Decimal] = {}
    history: dict[int, Decimal] = {}
    for row in rows:
        current[row[key]] = Decimal(row["now"] or 0)
        history[row[key]] = Decimal(row["before"] or 0)
    return current, history


def _revenue(actor: Any, key: str, ids: Iterable[int], w: Windows) -> Sums:
    qs = scoped_opportunities(actor=actor).filter(status=OpportunityStatus.WON)
    return _sums(qs, key, ids, "closed_at", lambda **kw: Sum("amount", **kw), w)


def _new_customers(actor: Any, key: str, ids: Iterable[int], w: Windows) -> Sums:
    qs = permissions.scope_customers(actor, Customer.objects.all())
    return _sums(qs, key, ids, "created_at", lambda **kw: Count("id", **kw), w)


def retention(
    *, actor: Any, key: str, ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[int, Decimal | None]:
    """(E − N) / S in percent per owner/department ``key`` of the customers, over
    [``start``, ``end``); ``None`` where S is 0 (nobody to retain)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    year = dt.timedelta(days=ACTIVE_DAYS)
    orders = permissions.scope_by_customer(
        actor, Order.objects.filter(status=OrderStatus.CONFIRMED, order_date__lt=end)
    ).filter(**{f"customer__{key}__in": wanted})
    at_start = Q(order_date__gte=start - year, order_date__lt=start)
    at_end = Q(order_date__gte=end - year)
    rows = (
        orders.order_by()
        .values("customer_id", f"customer__{key}")
        .annotate(
            first=Min("order_date"), s=Count("id", filter=at_start), e=Count("id", filter=at_end)
        )
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        c = counts[row[f"customer__{key}"]]
        c[0] += row["s"] > 0
        c[1] += row["e"] > 0
        c[2] += start <= row["first"] < end
    out: dict[int, Decimal | None] = {}
    for subject in wanted:
        s, e, n = counts.get(subject, [0, 0, 0])
        out[subject] = (Decimal(100 * (e - n)) / s).quantize(CENT) if s else None
    return out


# --- attainment ------------------------------------------------------------------------------


@dataclass
class TargetRow:
    """One subject (an owner or a department) and one metric over the period."""

    subject: str  # "owner" or "team"
    subject_id: int
    label: str
    team_id: int | None
    metric: str
    targets: list[Target] = field(default_factory=list)
    actual: Decimal | None = None
    history: Decimal | None = None
    no_data: str = ""
    warning: str = ""
    members_total: Decimal | None = None
    members_warning: str = ""

    @property
    def metric_label(self) -> str:
        return str(dict(TargetMetric.choices)[self.metric])

    @property
    def additive(self) -> bool:
        return self.metric in ADDITIVE

    @property
    def target(self) -> Decimal:
        values = [t.value for t in self.targets]
        if not values:
            return Decimal("0")
        total = sum(values, Decimal("0"))
        return total if self.additive else (total / len(values)).quantize(CENT)

    @property
    def monthly_target(self) -> Decimal:
        if not self.targets:
            return Decimal("0")
        if not self.additive:
            return self.target
        return (self.target / len(self.targets)).quantize(CENT)

    @property
    def attainment(self) -> Decimal | None:
        """Actual over target, in percent (a rate metric: the ratio of the two rates)."""
        if self.actual is None or not self.target:
            return None
        return (self.actual * 100 / self.target).quantize(Decimal("0.1"))

    @property
    def single(self) -> Target | None:
        """The one monthly target behind a month's row (what its edit form changes)."""
        return self.targets[0] if len(self.targets) == 1 else None


@dataclass
class Attainment:
    period: Period
    policy: TargetPolicy
    rows: list[TargetRow]

    @property
    def warnings(self) -> int:
        return sum(bool(r.warning or r.members_warning) for r in self.rows)


def _far_from_history(row: TargetRow, band: Decimal, months: int) -> str:
    if row.no_data or row.history is None:
        return ""
    target = row.monthly_target
    if row.history <= 0:
        if target > 0:
            return _("过去 %(months)s 个月没有实际业绩，目标缺少历史依据。") % {"months": months}
        return ""
    ratio = target / row.history
    if ratio > 1 + band:
        return _("目标是历史水平的 %(ratio)s 倍，超出允许偏离 %(band)s%%。") % {
            "ratio": ratio.quantize(Decimal("0.1")), "band": int(band * 100)}  # fmt: skip
    if ratio < 1 - band:
        return _("目标仅为历史水平的 %(pct)s%%，低于允许偏离 %(band)s%%。") % {
            "pct": (ratio * 100).quantize(Decimal("1")), "band": int(band * 100)}  # fmt: skip
    return ""


def _actuals(actor: Any, rows: list[TargetRow], period: Period, months: int) -> None:
    w = Windows(period.start, period.end, add_months(period.start, -months))
    for subject, key in (("owner", "owner_id"), ("team", "team_id")):
        for metric in (TargetMetric.REVENUE, TargetMetric.NEW_CUSTOMERS):
            chosen = [r for r in rows if r.subject == subject and r.metric == metric]
            if not chosen:
                continue
            reader = _revenue if metric == TargetMetric.REVENUE else _new_customers
            current, history = reader(actor, key, (r.subject_id for r in chosen), w)
            for r in chosen:
                r.actual = current.get(r.subject_id, Decimal("0"))
                r.history = (history.get(r.subject_id, Decimal("0")) / months).quantize(CENT)
        chosen = [r for r in rows if r.subject == subject and r.metric == TargetMetric.RETENTION]
        if chosen:
            ids = [r.subject_id for r in chosen]
            now = retention(actor=actor, key=key, ids=ids, start=w.start, end=w.end)
            then = retention(actor=actor, key=key, ids=ids, start=w.history_start, end=w.start)
            for r in chosen:
                r.actual, r.history = now.get(r.subject_id), then.get(r.subject_id)


def _members(rows: list[TargetRow], targets: list[Target]) -> None:
    """Beside each department's additive target: the sum of its members' targets of the
    same months, and a warning when the two differ."""
    by_team: dict[tuple[int, str], dict[tuple[int, int], Decimal]] = defaultdict(dict)
    for t in targets:
        if t.owner_id is not None and t.team_id is not None:
            months = by_team[(t.team_id, t.metric)]
            months[(t.year, t.month)] = months.get((t.year, t.month), Decimal("0")) + t.value
    for row in rows:
        if row.subject != "team" or not row.additive:
            continue
        members = by_team.get((row.subject_id, row.metric), {})
        total = sum((members.get((t.year, t.month), Decimal("0")) for t in row.targets),
                    Decimal("0"))  # fmt: skip
        row.members_total = total
        if total != row.target:
            row.members_warning = _("成员目标合计 %(members)s，与部门目标 %(team)s 不一致。") % {
                "members": f"{total:,.2f}",
                "team": f"{row.target:,.2f}",
            }


def attainment(
    *, actor: Any, period: Period, owner_id: int | None = None, metrics: Iterable[str] = ()
) -> Attainment:
    """The targets of ``period`` the actor may see, each (subject, metric) with its
    actual, its history and its warnings; ``owner_id`` keeps one person's rows only (the
    "my day" card). Queries: the policy, the targets, and one or two per computed metric
    and kind of subject — not one per row."""
    rules = policy()
    qs = scoped_targets(actor=actor).filter(period.month_q()).select_related("owner", "team")
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    wanted = set(metrics)
    if wanted:
        qs = qs.filter(metric__in=sorted(wanted))
    targets = list(qs.order_by("year", "month", "id"))
    grouped: dict[tuple[str, int, str], TargetRow] = {}
    for t in targets:
        if t.owner_id is not None:
            key = ("owner", t.owner_id, t.metric)
            label = str(t.owner)
        else:
            assert t.team_id is not None
            key = ("team", t.team_id, t.metric)
            label = str(t.team)
        row = grouped.get(key)
        if row is None:
            row = grouped[key] = TargetRow(subject=key[0], subject_id=key[1], label=label,
                                           team_id=t.team_id, metric=t.metric)  # fmt: skip
        row.targets.append(t)
    order = list(TargetMetric.values)
    rows = sorted(
        grouped.values(), key=lambda r: (r.subject != "team", r.label, order.index(r.metric))
    )
    missing = no_data_yet()
    for row in rows:
        row.no_data = missing.get(row.metric, "")
    _actuals(actor, rows, period, rules.history_months)
    band = Decimal(rules.band_percent) / 100
    for row in rows:
        row.warning = _far_from_history(row, band, rules.history_months)
    _members(rows, targets)
    return Attainment(period=period, policy=rules, rows=rows)


def target_history(
    *, actor: Any, metric: str, year: int, month: int, owner_id: int | None, team_id: int | None
) -> Mapping[str, Any]:
    """The history a new target of one month is set against (shown beside the form)."""
    rules = policy()
    period = Period("month", year, month)
    row = TargetRow(subject="owner" if owner_id else "team", subject_id=owner_id or team_id or 0,
                    label="", team_id=team_id, metric=metric)  # fmt: skip
    row.no_data = no_data_yet().get(metric, "")
    if not row.no_data:
        _actuals(actor, [row], period, rules.history_months)
    return {"history": row.history, "months": rules.history_months, "no_data": row.no_data}
