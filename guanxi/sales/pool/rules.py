"""The pool rules in SQL: which customers a rule returns to its pool on a day, the run that
returns them (set-based: a handful of statements whatever the number of customers, no
customer passes through Python) and the reminder to their owners ``remind_days`` before.

A rule of ``days`` N returns, on day D, every owned customer of the pool's departments
(and of the rule's level, when it names one) that is not locked and had none of what the
rule counts since local midnight of D − N: no follow-up (a communication or a sales
follow-up record), no open opportunity (none open now and none opened or closed since
then), or no deal (no opportunity won since then). The clock starts again when an owner
takes the customer from a pool (``PoolCustomer.owner_since``) and never runs from before
the customer existed. Exemptions: an open opportunity, a deal ever won (per rule).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    CharField,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from guanxi.analytics.models import CustomerValue
from guanxi.core.models import AuditAction, AuditEntry, AuditSource
from guanxi.customers.models import Communication, Customer, TimelineEntry
from guanxi.customers.timeline import TimelineText, timeline_entry
from guanxi.notifications.registry import DueQuery
from guanxi.sales.models import Activity, Opportunity, OpportunityStatus
from guanxi.sales.models_pool import (
    PoolCustomer,
    PoolEvent,
    PoolEventKind,
    PoolRule,
    PoolRuleKind,
)

TIMELINE_KIND = "pool"
RECYCLE_TITLES = {
    PoolRuleKind.NO_FOLLOW_UP: gettext_noop("超过 %(days)s 天无跟进，自动退回公海"),
    PoolRuleKind.NO_OPEN_OPPORTUNITY: gettext_noop("超过 %(days)s 天无进行中商机，自动退回公海"),
    PoolRuleKind.NO_DEAL: gettext_noop("超过 %(days)s 天无成交，自动退回公海"),
}
REMIND_KIND = "sales_pool_return"
REMIND_TITLE = gettext_noop("%(name)s 将在 %(days)s 天内退回公海“%(pool)s”，请及时跟进")


def cutoff(today: dt.date, days: int) -> dt.datetime:
    """Local midnight ``days`` days before ``today``: what happened before it is too old."""
    day = today - dt.timedelta(days=days)
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone()
    )


def _text(expr: Any) -> Cast:
    return Cast(expr, CharField())


def _since(model: Any, at: str, when: dt.datetime, **filters: Any) -> Exists:
    return Exists(
        model.objects.filter(customer_id=OuterRef("pk"), **{f"{at}__gte": when}, **filters)
    )


def candidates(rule: PoolRule, since: dt.datetime, team_ids: list[int]) -> QuerySet[Customer]:
    """The customers ``rule`` returns when nothing it counts happened since ``since``."""
    qs = Customer.objects.filter(owner__isnull=False, created_at__lt=since)
    if team_ids:
        qs = qs.filter(team_id__in=team_ids)
    if rule.value_class:
        qs = qs.filter(
            Exists(
                CustomerValue.objects.filter(
                    customer_id=OuterRef("pk"), value_class=rule.value_class
                )
            )
        )
    state = PoolCustomer.objects.filter(customer_id=OuterRef("pk")).filter(
        Q(locked=True) | Q(owner_since__gte=since)
    )
    qs = qs.exclude(Exists(state))
    opportunities = Opportunity.objects.filter(customer_id=OuterRef("pk"))
    open_now = Exists(opportunities.filter(status=OpportunityStatus.OPEN))
    if rule.kind == PoolRuleKind.NO_FOLLOW_UP:
        qs = qs.exclude(_since(Communication, "occurred_at", since))
        qs = qs.exclude(_since(Activity, "at", since))
    elif rule.kind == PoolRuleKind.NO_OPEN_OPPORTUNITY:
        qs = qs.exclude(open_now)
        qs = qs.exclude(
            Exists(opportunities.filter(Q(created_at__gte=since) | Q(closed_at__gte=since)))
        )
    else:
        qs = qs.exclude(_since(Opportunity, "closed_at", since, status=OpportunityStatus.WON))
    if rule.exempt_open_opportunity and rule.kind != PoolRuleKind.NO_OPEN_OPPORTUNITY:
        qs = qs.exclude(open_now)
    if rule.exempt_deal:
        qs = qs.exclude(Exists(opportunities.filter(status=OpportunityStatus.WON)))
    return qs


def active_rules() -> QuerySet[PoolRule]:
    return (
        PoolRule.objects.filter(active=True, pool__active=True)
        .select_related("pool")
        .order_by("pool__order", "pool_id", "id")
    )


def _team_ids(rule: PoolRule) -> list[int]:
    return list(rule.pool.teams.values_list("id", flat=True))


# --- the recycle run ------------------------------------------------------------------------


def _json(sql: str) -> str:
    return f"CAST({sql} AS jsonb)" if connection.vendor == "postgresql" else sql


def _recycle_rule(rule: PoolRule, today: dt.date, now: dt.datetime) -> int:
    qn = connection.ops.quote_name
    at = connection.ops.adapt_datetimefield_value(now)
    run = secrets.randbits(62)
    rows = candidates(rule, cutoff(today, rule.days), _team_ids(rule))
    sub_sql, sub_params = (
        rows.order_by().values(c_id=F("pk"), c_owner=F("owner_id")).query.sql_with_params()
    )
    events = qn(PoolEvent._meta.db_table)
    customers = qn(Customer._meta.db_table)
    with connection.cursor() as cursor:
        # 1. The events, one per customer returned: the run's snapshot, read by the rest.
        cursor.execute(
            f"INSERT INTO {events} (pool_id, customer_id, kind, at, actor_id, owner_id, "  # noqa: S608
            "previous_owner_id, rule_id, rule_kind, rule_days, reason, run) "
            "SELECT %s, c.c_id, %s, %s, NULL, NULL, c.c_owner, %s, %s, %s, '', %s "
            f"FROM ({sub_sql}) c",
            [rule.pool_id, PoolEventKind.RECYCLE.value, at, rule.pk, rule.kind, rule.days, run,
             *sub_params],
        )  # fmt: skip
        returned = int(cursor.rowcount)
        if not returned:
            return 0
        # 2. Their timeline entries: one title for the whole run, in the reader's language.
        entry = timeline_entry(
            customer_id=0, kind=TIMELINE_KIND, occurred_at=now,
            title=TimelineText(RECYCLE_TITLES[PoolRuleKind(rule.kind)], {"days": rule.days}),
        )  # fmt: skip
        cursor.execute(
            f"INSERT INTO {qn(TimelineEntry._meta.db_table)} (customer_id, kind, occurred_at, "  # noqa: S608
            "title, body, actor_id, subject_model, subject_id, data, created_at) "
            f"SELECT e.customer_id, %s, %s, %s, '', NULL, %s, CAST(e.id AS VARCHAR(40)), "
            f"{_json('%s')}, %s FROM {events} e WHERE e.run = %s",
            [TIMELINE_KIND, at, entry.title, "sales.poolevent", json.dumps(entry.data), at, run],
        )
        # 3. The audit of the customer rows (owner and department cleared), old → new.
        changes = (
            "'{\"owner_id\": [' || COALESCE(CAST(c.owner_id AS VARCHAR(20)), 'null') || "
            "', null], \"team_id\": [' || COALESCE(CAST(c.team_id AS VARCHAR(20)), 'null') || "
            "', null]}'"
        )
        cursor.execute(
            f"INSERT INTO {qn(AuditEntry._meta.db_table)} (created_at, actor_id, actor_label, "  # noqa: S608
            "source, action, model, object_id, object_repr, customer_id, changes) "
            f"SELECT %s, NULL, %s, %s, %s, %s, CAST(c.id AS VARCHAR(40)), SUBSTR(c.name, 1, 200), "
            f"c.id, {_json(changes)} FROM {events} e JOIN {customers} c ON c.id = e.customer_id "
            "WHERE e.run = %s",
            [at, "system", AuditSource.SYSTEM.value, AuditAction.UPDATE.value,
             Customer._meta.label_lower, run],
        )  # fmt: skip
        # 4. The pool state: in the pool, who held it, when it came back.
        cursor.execute(
            f"INSERT INTO {qn(PoolCustomer._meta.db_table)} (customer_id, pool_id, locked, "  # noqa: S608
            "previous_owner_id, returned_at, owner_since, updated_at) "
            "SELECT e.customer_id, e.pool_id, %s, e.previous_owner_id, %s, NULL, %s "
            f"FROM {events} e "
            "WHERE e.run = %s ON CONFLICT (customer_id) DO UPDATE SET pool_id = excluded.pool_id, "
            "previous_owner_id = excluded.previous_owner_id, returned_at = excluded.returned_at, "
            "owner_since = NULL, updated_at = excluded.updated_at",
            [False, at, at, run],
        )
    # 5. The customers themselves: no owner, no department, a new version.
    Customer.all_objects.filter(
        pk__in=PoolEvent.objects.filter(run=run).values("customer_id")
    ).update(owner=None, team=None, version=F("version") + 1, updated_at=now)
    return returned


def recycle(*, today: dt.date, now: dt.datetime | None = None) -> int:
    """Run every active rule of every active pool for ``today``; returns how many customers
    went back to a pool. One transaction (inside the scheduled rule's, when it runs one)."""
    moment = now or timezone.now()
    total = 0
    with transaction.atomic():
        for rule in active_rules():
            total += _recycle_rule(rule, today, moment)
    return total


# --- the reminder -------------------------------------------------------------------------


def _latest(model: Any, at: str, **filters: Any) -> Subquery:
    rows = model.objects.filter(customer_id=OuterRef("pk"), **filters).order_by(f"-{at}")
    return Subquery(rows.values(at)[:1], output_field=DateTimeField())


def _clock_start(rule: PoolRule) -> Any:
    """When the rule's clock last started for a customer: part of the reminder's key, so an
    owner is reminded once per stretch without follow-up, and again after the next one."""
    starts: list[Any] = [F("created_at"), _latest(PoolCustomer, "owner_since")]
    if rule.kind == PoolRuleKind.NO_FOLLOW_UP:
        starts += [_latest(Communication, "occurred_at"), _latest(Activity, "at")]
    elif rule.kind == PoolRuleKind.NO_OPEN_OPPORTUNITY:
        starts += [_latest(Opportunity, "created_at"), _latest(Opportunity, "closed_at")]
    else:
        starts += [_latest(Opportunity, "closed_at", status=OpportunityStatus.WON)]
    # SQLite's MAX() is NULL when one argument is: every start falls back to created_at.
    return Greatest(*(Coalesce(s, F("created_at")) for s in starts), output_field=DateTimeField())


def _customer_url() -> Concat:
    sentinel = 987654321
    prefix, suffix = reverse("customers:detail", args=[sentinel]).split(str(sentinel))
    return Concat(Value(prefix), _text("pk"), Value(suffix), output_field=CharField())


def reminders(today: dt.date) -> Iterator[DueQuery]:
    """Owners of customers a rule will return within its ``remind_days``: one ``INSERT …
    SELECT`` per rule, each owner reminded once per stretch (the key holds its start)."""
    for rule in active_rules():
        if not rule.remind_days:
            continue
        rows = candidates(rule, cutoff(today, rule.days - rule.remind_days), _team_ids(rule))
        yield DueQuery(
            kind=REMIND_KIND,
            rows=rows,
            recipient=F("owner_id"),
            title=REMIND_TITLE,
            params={
                "name": F("name"),
                "days": Value(str(rule.remind_days)),
                "pool": Value(rule.pool.name),
            },
            url=_customer_url(),
            subject_model="customers.customer",
            subject_id=_text("pk"),
            dedupe_key=Concat(
                Value(f"pool-return:{rule.pk}:"),
                _text("pk"),
                Value(":"),
                _text("owner_id"),
                Value(":"),
                _text(_clock_start(rule)),
                output_field=CharField(),
            ),
        )


def recycle_rule_run(today: dt.date) -> Iterator[DueQuery]:
    """The scheduled rule's ``run``: returns the customers and notifies nobody itself (the
    reminder went out before; the history and the timeline say what happened)."""
    recycle(today=today)
    return iter(())
