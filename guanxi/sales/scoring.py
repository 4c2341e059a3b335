"""Win scores with reasons (赢率评分): a logistic regression trained on the company's own won
and lost opportunities, and the score of each open opportunity with the three facts that
move it most, in words.

Training (:func:`train`, run by the scheduled job ``sales.train_win_model`` and at the end
of the demo's seeding) reads every closed opportunity's facts as they were when it closed,
turns them into features, standardises them and fits scikit-learn's
``LogisticRegression``; the coefficients, the standardisation and the statistics the
features are measured against are stored as JSON in a :class:`~guanxi.sales.models.WinModel`
row. Scoring (:func:`scores_for`) is plain arithmetic over that row: no scikit-learn, no
pickle, on the web path.

The features of an opportunity, each as of its reference time (its close, or now):

- ``amount``: log of the amount over the pipeline's historic median amount;
- ``age``: days since it was created;
- ``activities``: its follow-ups (跟进记录);
- ``idle``: days since its last follow-up (since its creation when there is none);
- ``lines``: its product lines;
- ``owner_rate``: the owner's win rate, smoothed towards the company's — while training, over
  the owner's deals closed before the opportunity was created (no look at its outcome);
- ``customer_won``: the deals the customer had won before it was created.

While there is too little history (fewer than :data:`MIN_CLOSED` closed, or fewer than
:data:`MIN_EACH` won or lost) there is no model: the score is the stage's win probability,
and the score says so.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from django.db.models import Count, F, IntegerField, Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.sales.models import (
    Activity,
    Opportunity,
    OpportunityLine,
    OpportunityStatus,
    Stage,
    WinModel,
)

MIN_CLOSED: Final = 30
MIN_EACH: Final = 5
MAX_TRAINING: Final = 50_000  # the newest closed opportunities a training reads
KEEP_MODELS: Final = 10  # older rows are deleted after a training
OWNER_PRIOR: Final = 5.0  # an owner's rate counts this many closed deals at the company's
RETRAIN_AFTER: Final = dt.timedelta(hours=12)  # the scheduled job's guard (several workers)
FEATURES: Final = ("amount", "age", "activities", "idle", "lines", "owner_rate", "customer_won")
TOP_REASONS: Final = 3

SOURCE_MODEL: Final = "model"
SOURCE_STAGE: Final = "stage"


@dataclass(frozen=True)
class Facts:
    """What the features are computed from, of one opportunity at its reference time."""

    pk: int
    pipeline_id: int
    owner_id: int | None
    amount: float
    created_at: dt.datetime
    at: dt.datetime  # the reference time: when it closed, or now
    activities: int = 0
    last_activity: dt.datetime | None = None
    lines: int = 0
    customer_won: int = 0
    #: the owner's record (won, closed) before it was created; ``None``: the whole history
    owner_record: tuple[int, int] | None = None
    won: bool | None = None  # the outcome (training rows only)


@dataclass(frozen=True)
class Reason:
    feature: str
    weight: float  # its contribution to the log-odds (positive: raises the chance)
    text: str

    @property
    def raises(self) -> bool:
        return self.weight > 0


@dataclass(frozen=True)
class Score:
    probability: float  # 0…1
    source: str  # SOURCE_MODEL | SOURCE_STAGE
    reasons: list[Reason] = field(default_factory=list)
    note: str = ""  # what the fallback says
    model_id: int | None = None

    @property
    def percent(self) -> int:
        return round(self.probability * 100)

    @property
    def from_model(self) -> bool:
        return self.source == SOURCE_MODEL


class NotEnoughHistory(Exception):
    def __init__(self, closed: int, won: int) -> None:
        super().__init__(closed, won)
        self.closed, self.won = closed, won

    def __str__(self) -> str:
        return f"{self.closed} closed, {self.won} won"


# --- features ------------------------------------------------------------------------------


def _days(later: dt.datetime, earlier: dt.datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / 86400)


def _median_amount(stats: dict[str, Any], pipeline_id: int) -> float:
    medians = stats.get("median_amount", {})
    return float(medians.get(str(pipeline_id), medians.get("all", 0.0)))


def owner_rate(stats: dict[str, Any], f: Facts) -> float:
    """The owner's smoothed win rate: their record before ``f`` (training) or all of it."""
    g = float(stats.get("global_rate", 0.5))
    if f.owner_record is not None:
        won, closed = f.owner_record
    else:
        won, closed = stats.get("owners", {}).get(str(f.owner_id), [0, 0])
    return (won + OWNER_PRIOR * g) / (closed + OWNER_PRIOR)


def features(f: Facts, stats: dict[str, Any]) -> list[float]:
    idle_from = f.last_activity or f.created_at
    return [
        math.log((f.amount + 1.0) / (_median_amount(stats, f.pipeline_id) + 1.0)),
        math.log1p(_days(f.at, f.created_at)),
        math.log1p(f.activities),
        math.log1p(_days(f.at, idle_from)),
        math.log1p(f.lines),
        owner_rate(stats, f),
        math.log1p(f.customer_won),
    ]


def history_stats(rows: Sequence[Facts]) -> dict[str, Any]:
    """What features are measured against, from the closed ``rows``."""
    by_pipeline: dict[int, list[float]] = defaultdict(list)
    owners: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    won_ages = []
    for r in rows:
        by_pipeline[r.pipeline_id].append(r.amount)
        if r.owner_id is not None:
            owners[str(r.owner_id)][0] += int(bool(r.won))
            owners[str(r.owner_id)][1] += 1
        if r.won:
            won_ages.append(_days(r.at, r.created_at))
    medians = {str(k): statistics.median(v) for k, v in sorted(by_pipeline.items())}
    medians["all"] = statistics.median([r.amount for r in rows]) if rows else 0.0
    won = sum(1 for r in rows if r.won)
    return {
        "median_amount": medians,
        "owners": dict(sorted(owners.items())),
        "global_rate": won / len(rows) if rows else 0.5,
        "won_age_median": statistics.median(won_ages) if won_ages else 0.0,
    }


# --- training ------------------------------------------------------------------------------


def _closed_facts(limit: int = MAX_TRAINING) -> list[Facts]:
    """The newest ``limit`` closed (won or lost) opportunities, as of their close, oldest
    first. Invalid ones (无效: never a real chance) are no evidence either way."""
    closed = [OpportunityStatus.WON, OpportunityStatus.LOST]
    rows = list(
        Opportunity.objects.filter(status__in=closed, closed_at__isnull=False)
        .order_by("-closed_at", "-id")
        .values_list(
            "id", "pipeline_id", "owner_id", "customer_id", "amount", "created_at", "closed_at",
            "status",
        )[:limit]
    )  # fmt: skip
    rows.reverse()
    activity = {
        r["opportunity_id"]: (r["n"], r["last"])
        for r in Activity.objects.filter(
            opportunity__status__in=closed, at__lte=F("opportunity__closed_at")
        )
        .order_by()
        .values("opportunity_id")
        .annotate(n=Count("id"), last=Max("at"))
    }
    lines = dict(
        OpportunityLine.objects.filter(opportunity__status__in=closed)
        .order_by()
        .values("opportunity_id")
        .annotate(n=Count("id"))
        .values_list("opportunity_id", "n")
    )
    return facts_of_closed(
        [
            (pk, pipeline_id, owner_id, customer_id, float(amount), created, closed_at,
             status == OpportunityStatus.WON, *activity.get(pk, (0, None)), lines.get(pk, 0))
            for pk, pipeline_id, owner_id, customer_id, amount, created, closed_at, status in rows
        ]
    )  # fmt: skip


def facts_of_closed(rows: Sequence[tuple[Any, ...]]) -> list[Facts]:
    """Training facts of closed rows ``(pk, pipeline_id, owner_id, customer_id, amount,
    created_at, closed_at, won, activities, last_activity, lines)``: each with the
    customer's wins and the owner's record before it was created, from the rows
    themselves."""
    wins: dict[int, list[dt.datetime]] = defaultdict(list)
    owned: dict[int, list[tuple[dt.datetime, bool]]] = defaultdict(list)
    for r in rows:
        if r[7]:
            wins[r[3]].append(r[6])
        if r[2] is not None:
            owned[r[2]].append((r[6], bool(r[7])))
    for times in wins.values():
        times.sort()
    # per owner: close times in order and the running count of wins up to each
    owner_times: dict[int, list[dt.datetime]] = {}
    owner_wins: dict[int, list[int]] = {}
    for owner, closes in owned.items():
        closes.sort(key=lambda c: c[0])
        owner_times[owner] = [c[0] for c in closes]
        running, acc = [0], 0
        for _t, won in closes:
            acc += int(won)
            running.append(acc)
        owner_wins[owner] = running
    out = []
    for pk, pipeline_id, owner_id, customer_id, amount, created, closed_at, won, n, last, k in rows:
        record = (0, 0)
        if owner_id is not None:
            before = bisect.bisect_left(owner_times[owner_id], created)
            record = (owner_wins[owner_id][before], before)
        out.append(
            Facts(
                pk=pk, pipeline_id=pipeline_id, owner_id=owner_id, amount=amount,
                created_at=created, at=max(closed_at, created), activities=n, last_activity=last,
                lines=k, customer_won=bisect.bisect_left(wins.get(customer_id, []), created),
                owner_record=record, won=bool(won),
            )
        )  # fmt: skip
    return out


@dataclass(frozen=True)
class Fitted:
    coefficients: list[float]
    intercept: float
    means: list[float]
    scales: list[float]
    stats: dict[str, Any]
    metrics: dict[str, float]


def fit(rows: Sequence[Facts]) -> Fitted:
    """The model of the closed ``rows`` (deterministic: the same rows give the same model);
    ``NotEnoughHistory`` below the thresholds."""
    won = sum(1 for r in rows if r.won)
    if len(rows) < MIN_CLOSED or won < MIN_EACH or len(rows) - won < MIN_EACH:
        raise NotEnoughHistory(len(rows), won)
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    stats = history_stats(rows)
    x = np.array([features(r, stats) for r in rows], dtype=float)
    y = np.array([1 if r.won else 0 for r in rows])
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales < 1e-9] = 1.0
    z = (x - means) / scales
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(z, y)
    p = model.predict_proba(z)[:, 1]
    metrics = {
        "auc": round(float(roc_auc_score(y, p)), 4),
        "accuracy": round(float(((p >= 0.5) == (y == 1)).mean()), 4),
    }
    return Fitted(
        coefficients=[round(float(c), 10) for c in model.coef_[0]],
        intercept=round(float(model.intercept_[0]), 10),
        means=[round(float(m), 10) for m in means],
        scales=[round(float(s), 10) for s in scales],
        stats=stats,
        metrics=metrics,
    )


def train() -> WinModel | None:
    """Train on the history and store the model (the newest :data:`KEEP_MODELS` are kept);
    ``None`` while there is too little history (the scores fall back to the stages)."""
    rows = _closed_facts()
    try:
        fitted = fit(rows)
    except NotEnoughHistory:
        return None
    row = WinModel.objects.create(
        closed_count=len(rows),
        won_count=sum(1 for r in rows if r.won),
        features=list(FEATURES),
        coefficients=fitted.coefficients,
        intercept=fitted.intercept,
        means=fitted.means,
        scales=fitted.scales,
        stats=fitted.stats,
        metrics=fitted.metrics,
    )
    old = WinModel.objects.order_by("-trained_at", "-id").values_list("pk", flat=True)
    stale = list(old[KEEP_MODELS:])
    if stale:
        WinModel.objects.filter(pk__in=stale).delete()
    return row


def train_scheduled() -> WinModel | None:
    """The periodic job: retrain unless a model was trained within :data:`RETRAIN_AFTER`
    (every worker runs the loop; the first one trains)."""
    newest = WinModel.objects.order_by("-trained_at", "-id").only("trained_at").first()
    if newest is not None and timezone.now() - newest.trained_at < RETRAIN_AFTER:
        return None
    return train()


def current_model() -> WinModel | None:
    return WinModel.objects.order_by("-trained_at", "-id").first()


def closed_count() -> int:
    return Opportunity.objects.filter(
        status__in=[OpportunityStatus.WON, OpportunityStatus.LOST]
    ).count()


# --- scoring -------------------------------------------------------------------------------


def _sigmoid(v: float) -> float:
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def _reason_text(name: str, f: Facts, stats: dict[str, Any]) -> str:
    if name == "amount":
        median = _median_amount(stats, f.pipeline_id)
        ratio = f.amount / median if median > 0 else 1.0
        if ratio >= 1.5:
            return _("金额高于历史中位数 %(times)s 倍") % {"times": f"{ratio:.1f}"}
        if ratio <= 2 / 3:
            return _("金额低于历史中位数（仅为 %(percent)s%%）") % {"percent": round(ratio * 100)}
        return _("金额与历史中位数相当")
    if name == "age":
        return _("已创建 %(days)s 天（赢单商机通常 %(median)s 天成交）") % {
            "days": round(_days(f.at, f.created_at)),
            "median": round(float(stats.get("won_age_median", 0))),
        }
    if name == "activities":
        if not f.activities:
            return _("还没有跟进记录")
        return _("跟进记录：%(n)s 条") % {"n": f.activities}
    if name == "idle":
        if f.last_activity is None:
            return _("创建后一直没有跟进（%(days)s 天）") % {
                "days": round(_days(f.at, f.created_at))
            }
        return _("距上次跟进：%(days)s 天") % {"days": round(_days(f.at, f.last_activity))}
    if name == "lines":
        if not f.lines:
            return _("没有产品明细")
        return _("产品明细：%(n)s 行") % {"n": f.lines}
    if name == "owner_rate":
        return _("负责人历史赢率 %(percent)s%%") % {"percent": round(owner_rate(stats, f) * 100)}
    if f.customer_won:
        return _("该客户此前已成交：%(n)s 次") % {"n": f.customer_won}
    return _("该客户此前没有成交")


def score_facts(model: WinModel, f: Facts) -> Score:
    """The model's probability for ``f`` and its top reasons: the features whose
    standardised value times coefficient moves the log-odds most (ties: feature order)."""
    stats = model.stats
    x = features(f, stats)
    contributions = [
        c * (v - m) / s
        for c, v, m, s in zip(model.coefficients, x, model.means, model.scales, strict=True)
    ]
    probability = _sigmoid(model.intercept + sum(contributions))
    order = sorted(range(len(contributions)), key=lambda i: (-abs(contributions[i]), i))
    reasons = [
        Reason(model.features[i], contributions[i], _reason_text(model.features[i], f, stats))
        for i in order[:TOP_REASONS]
        if abs(contributions[i]) > 1e-6
    ]
    return Score(probability, SOURCE_MODEL, reasons, model_id=model.pk)


def fallback(stage_probability: int, closed: int) -> Score:
    note = _(
        "历史数据不足（已关闭 %(closed)s 个商机，至少需要 %(needed)s 个），暂按阶段赢率估计。"
    ) % {"closed": closed, "needed": MIN_CLOSED}
    return Score(max(0, min(100, stage_probability)) / 100, SOURCE_STAGE, note=note)


def open_facts(opportunities: Iterable[Opportunity], now: dt.datetime) -> dict[int, Facts]:
    """The facts of ``opportunities`` as of ``now``: one query, whatever their number (the
    follow-ups, lines and the customer's wins as subqueries per opportunity)."""
    opps = list(opportunities)
    activities = Activity.objects.filter(opportunity_id=OuterRef("pk")).order_by()
    counted = activities.values("opportunity_id").annotate(n=Count("id")).values("n")
    lines = (
        OpportunityLine.objects.filter(opportunity_id=OuterRef("pk"))
        .order_by()
        .values("opportunity_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    wins = (
        Opportunity.objects.filter(
            customer_id=OuterRef("customer_id"), status=OpportunityStatus.WON
        )
        .order_by()
        .values("customer_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = {
        r["pk"]: r
        for r in Opportunity.objects.filter(pk__in=[o.pk for o in opps])
        .order_by()
        .annotate(
            n_activities=Subquery(counted, output_field=IntegerField()),
            last_activity=Subquery(activities.order_by("-at").values("at")[:1]),
            n_lines=Subquery(lines, output_field=IntegerField()),
            n_wins=Subquery(wins, output_field=IntegerField()),
        )
        .values("pk", "n_activities", "last_activity", "n_lines", "n_wins")
    }
    out = {}
    for o in opps:
        r: Mapping[str, Any] = rows.get(o.pk) or {}
        out[o.pk] = Facts(
            pk=o.pk, pipeline_id=o.pipeline_id, owner_id=o.owner_id,
            amount=float(o.amount or Decimal("0")), created_at=o.created_at,
            at=max(now, o.created_at), activities=r.get("n_activities") or 0,
            last_activity=r.get("last_activity"), lines=r.get("n_lines") or 0,
            customer_won=r.get("n_wins") or 0,
        )  # fmt: skip
    return out


def scores_for(
    opportunities: Sequence[Opportunity], *, stage_probabilities: dict[int, int] | None = None
) -> dict[int, Score]:
    """The scores of the open ones of ``opportunities`` (closed ones have none). Queries:
    the model and, with one, the facts — without one, the closed count for the fallback
    (and the stages' probabilities unless given or loaded with the opportunities)."""
    opps = [o for o in opportunities if o.status == OpportunityStatus.OPEN]
    if not opps:
        return {}
    model = current_model()
    if model is None or list(model.features) != list(FEATURES):
        closed = closed_count()
        probabilities = dict(stage_probabilities or {})
        for o in opps:
            if o.stage_id not in probabilities and Opportunity.stage.is_cached(o):
                probabilities[o.stage_id] = o.stage.win_probability
        missing = {o.stage_id for o in opps} - set(probabilities)
        if missing:
            probabilities.update(
                Stage.objects.filter(pk__in=missing).values_list("pk", "win_probability")
            )
        return {o.pk: fallback(probabilities.get(o.stage_id, 0), closed) for o in opps}
    facts = open_facts(opps, timezone.now())
    return {pk: score_facts(model, f) for pk, f in facts.items()}


def attach(
    opportunities: Sequence[Opportunity], *, stage_probabilities: dict[int, int] | None = None
) -> None:
    """Set ``win_score`` on each of ``opportunities`` (``None`` on closed ones)."""
    scores = scores_for(opportunities, stage_probabilities=stage_probabilities)
    for o in opportunities:
        o.win_score = scores.get(o.pk)  # type: ignore[attr-defined]


def score_of(opportunity: Opportunity) -> Score | None:
    return scores_for([opportunity]).get(opportunity.pk)
