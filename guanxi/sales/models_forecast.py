"""The forecast's monthly roll-up (SPEC B3): per month × pipeline × stage × owner ×
department × bucket (closed-won or the open forecast category), the count, the amount, the
weighted amount of the opportunities with their own probability, and the amount of those
without one (weighted at read time by their stage's probability, so editing a stage's
default probability needs no maintenance here).

``Opportunity.save()`` / ``delete()`` keep it in the same transaction as the row: the
share of an opportunity as it was loaded is taken out, its share as saved is put in, one
``INSERT … ON CONFLICT DO UPDATE`` of the (at most two) keys whose sums change — none when
nothing the forecast reads changed. Every service write (create, edit, move, win, lose,
forecast category, product lines, lead conversion) passes through ``save()``; bulk writes
that bypass it (``bulk_create``, COPY, queryset ``update()``: the demo seeders, the bench
fill, a user deleted under their opportunities) end with ``rebuild()`` — also the
``sales_forecast_rebuild`` command, set-based.

Owner and department are plain ids, 0 for none, so the key is unique on every database
(NULL is distinct in a unique index) and ``record_filter`` scopes the rows as it scopes the
opportunities (``owner_id`` / ``team_id`` equal to or in the actor's ids).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.db import connection, models, transaction
from django.db.models import Case, CharField, Count, DateField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: The opportunity's columns its forecast share depends on.
SHARE_FIELDS = ("status", "amount", "probability", "stage_id", "pipeline_id", "owner_id",
                "team_id", "forecast_category", "expected_close", "closed_at")  # fmt: skip
WON = "won"
CENT = Decimal("0.01")
KEY_COLUMNS = ("month", "bucket", "pipeline_id", "stage_id", "owner_id", "team_id")


class ForecastRollup(models.Model):
    month = models.DateField(_("月份"))
    bucket = models.CharField(_("类别"), max_length=10)
    pipeline_id = models.BigIntegerField(_("销售流程"))
    stage = models.ForeignKey(
        "sales.Stage",
        verbose_name=_("阶段"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    owner_id = models.BigIntegerField(_("负责人"), default=0)
    team_id = models.BigIntegerField(_("部门"), default=0)
    n = models.BigIntegerField(_("数量"), default=0)
    amount = models.DecimalField(_("金额"), max_digits=20, decimal_places=2, default=0)
    weighted_own = models.DecimalField(max_digits=24, decimal_places=2, default=0)
    amount_stage = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("预测汇总")
        verbose_name_plural = _("预测汇总")
        constraints = [
            models.UniqueConstraint(fields=list(KEY_COLUMNS), name="forecast_rollup_key"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.bucket} {self.owner_id}/{self.team_id}: {self.n}"


class Share(NamedTuple):
    key: tuple[dt.date, str, int, int, int, int]
    amount: Decimal
    weighted_own: Decimal  # amount × own probability (percent), or × 100 when won
    amount_stage: Decimal  # the amount weighted by the stage's probability at read time


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _moment(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def share_of(values: Mapping[str, Any]) -> Share | None:
    """What one opportunity (its ``SHARE_FIELDS``) adds to the roll-up: open with an
    expected close, in its category by the month of that date; won, by the local month it
    closed (as the live forecast's ``TruncMonth``); nothing otherwise."""
    status = values["status"]
    amount = Decimal(str(values["amount"] or 0)).quantize(CENT, rounding=ROUND_HALF_UP)
    owner, team = values["owner_id"] or 0, values["team_id"] or 0
    if status == "open":
        close = _date(values["expected_close"])
        if close is None:
            return None
        key = (close.replace(day=1), str(values["forecast_category"]), values["pipeline_id"],
               values["stage_id"], owner, team)  # fmt: skip
        probability = values["probability"]
        if probability is None:
            return Share(key, amount, Decimal("0"), amount)
        return Share(key, amount, amount * int(probability), Decimal("0"))
    if status == WON:
        closed = _moment(values["closed_at"])
        if closed is None:
            return None
        if timezone.is_aware(closed):
            closed = timezone.localtime(closed, timezone.get_default_timezone())
        month = closed.date().replace(day=1)
        key = (month, WON, values["pipeline_id"], values["stage_id"], owner, team)
        return Share(key, amount, amount * 100, Decimal("0"))
    return None


def apply(before: Share | None, after: Share | None) -> None:
    """Move one opportunity's share from ``before`` to ``after``: one upsert, or nothing."""
    if before == after:
        return
    deltas: dict[tuple[Any, ...], list[Any]] = {}
    for share, sign in ((before, -1), (after, 1)):
        if share is None:
            continue
        row = deltas.setdefault(share.key, [0, Decimal("0"), Decimal("0"), Decimal("0")])
        row[0] += sign
        row[1] += sign * share.amount
        row[2] += sign * share.weighted_own
        row[3] += sign * share.amount_stage
    rows = [(key, d) for key, d in sorted(deltas.items(), key=lambda kv: str(kv[0])) if any(d)]
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(ForecastRollup._meta.db_table)
    columns = list(KEY_COLUMNS)  # the field names are the columns
    sums = ("n", "amount", "weighted_own", "amount_stage")
    placeholders = ", ".join(["(" + ", ".join(["%s"] * 10) + ")"] * len(rows))
    params: list[Any] = []
    for key, d in rows:
        params += [key[0], key[1], key[2], key[3], key[4], key[5], *d]
    sql = (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in [*columns, *sums])}) "  # noqa: S608
        f"VALUES {placeholders} ON CONFLICT ({', '.join(qn(c) for c in columns)}) DO UPDATE SET "
        + ", ".join(f"{qn(s)} = {table}.{qn(s)} + excluded.{qn(s)}" for s in sums)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def rebuild() -> int:
    """The roll-up recomputed from the opportunities, set-based (two GROUP BYs), in one
    transaction that holds off opportunity writes on PostgreSQL; returns its row count."""
    from guanxi.sales.models import Opportunity

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {connection.ops.quote_name(Opportunity._meta.db_table)} "
                    "IN SHARE ROW EXCLUSIVE MODE"
                )
        ForecastRollup.objects.all().delete()
        keys = {
            "k_pipeline": F("pipeline_id"),
            "k_stage": F("stage_id"),
            "k_owner": Coalesce("owner_id", 0),
            "k_team": Coalesce("team_id", 0),
        }
        money = models.DecimalField(max_digits=24, decimal_places=2)
        open_rows = (
            Opportunity.objects.filter(status="open", expected_close__isnull=False)
            .annotate(period=TruncMonth("expected_close", output_field=DateField()),
                      group=F("forecast_category"), **keys)
            .order_by()
            .values("period", "group", *keys)
            .annotate(
                count=Count("*"),
                total=Sum("amount"),
                own=Coalesce(Sum(F("amount") * F("probability"), output_field=money),
                             Value(Decimal("0")), output_field=money),
                by_stage=Coalesce(
                    Sum(Case(When(probability__isnull=True, then=F("amount")),
                             default=Value(Decimal("0")), output_field=money)),
                    Value(Decimal("0")), output_field=money),
            )
        )  # fmt: skip
        with timezone.override(timezone.get_default_timezone()):
            won_rows = (
                Opportunity.objects.filter(status=WON, closed_at__isnull=False)
                .annotate(period=TruncMonth("closed_at", output_field=DateField()),
                          group=Value(WON, output_field=CharField()), **keys)
                .order_by()
                .values("period", "group", *keys)
                .annotate(count=Count("*"), total=Sum("amount"),
                          own=Sum(F("amount") * Value(100), output_field=money),
                          by_stage=Value(Decimal("0"), output_field=money))
            )  # fmt: skip
            rows = [*open_rows, *won_rows]
        built = [
            ForecastRollup(
                month=r["period"].date() if isinstance(r["period"], dt.datetime)
                else r["period"],
                bucket=r["group"], pipeline_id=r["k_pipeline"], stage_id=r["k_stage"],
                owner_id=r["k_owner"], team_id=r["k_team"], n=r["count"], amount=r["total"] or 0,
                weighted_own=r["own"] or 0, amount_stage=r["by_stage"] or 0,
            )
            for r in rows
        ]  # fmt: skip
        ForecastRollup.objects.bulk_create(built, batch_size=2000)
        return len(built)


def fill_if_missing(**kwargs: Any) -> None:
    """After ``migrate``: an empty roll-up beside opportunities it should count (a database
    migrated to ``sales.0006``, which creates the table) is filled by :func:`rebuild`. A
    roll-up with rows is left alone — it is kept by every write."""
    from guanxi.sales.models import Opportunity

    using = kwargs.get("using", "default")
    if ForecastRollup.objects.using(using).exists():
        return
    counted = Q(status="open", expected_close__isnull=False) | Q(
        status=WON, closed_at__isnull=False
    )
    if Opportunity.objects.using(using).filter(counted).exists():
        rebuild()
