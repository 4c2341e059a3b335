"""Running the scheduled rules: once a day each, across any number of workers.

A rule's run for a day is one transaction that (1) takes its :class:`RuleState` row —
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so a second worker passes over a rule
being run instead of waiting; on SQLite the ``IMMEDIATE`` transaction holds the database's
write lock — (2) moves ``last_day`` to the day only if it was before it, (3) writes every
notification the rule found due, (4) records the counts. A worker that dies mid-run rolls
the whole run back and the next sweep runs it again; a run repeated by force or after a
crash notifies nobody twice, because every reminder carries a dedupe key.

A rule over many rows yields :class:`DueQuery` sets instead of single :class:`Due`
reminders: each set is one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` (the unique
``(recipient, dedupe_key)`` index skips the ones already sent), titles translated per
recipient language and channels taken from preferences in the same statement; only the
e-mail / IM deliveries of the rows written come back to Python.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import OperationalError, connection, transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.translation import gettext

from guanxi.core.jobs import worker_id
from guanxi.notifications.models import Notification, Preference, Robot, RuleState
from guanxi.notifications.registry import Channel, Due, DueQuery, Rule, get_kind, get_rule, rules
from guanxi.notifications.services import (
    BATCH,
    _Item,
    _plan_deliveries,
    _Recipient,
    channels_for,
    notify_items,
)

log = logging.getLogger("guanxi.notifications")


@dataclass(frozen=True)
class RuleResult:
    key: str
    ran: bool
    due: int = 0
    created: int = 0
    seconds: float = 0.0
    reason: str = ""  # why it did not run: "done" (already ran today), "busy" (elsewhere)


def _items(dues: Iterable[Due]) -> Iterator[_Item]:
    for due in dues:
        for recipient_id in dict.fromkeys(due.recipient_ids):
            yield _Item(
                recipient_id=int(recipient_id),
                kind=due.kind,
                title=due.title,
                body=due.body,
                url=due.url[:500],
                subject_model=due.subject_model,
                subject_id=str(due.subject_id),
                dedupe_key=due.dedupe_key[:200],
                actor_id=None,
            )


def rule_run(*, rule: Rule, today: dt.date, force: bool = False) -> RuleResult:
    """Run ``rule`` for ``today`` unless it already ran for it (or ``force``) or another
    worker is running it now."""
    RuleState.objects.get_or_create(key=rule.key)
    started = time.perf_counter()
    try:
        with transaction.atomic(durable=True):
            state = (
                RuleState.objects.select_for_update(skip_locked=True).filter(key=rule.key).first()
            )
            if state is None:
                return RuleResult(rule.key, ran=False, reason="busy")
            pending = RuleState.objects.filter(key=rule.key)
            if not force:
                pending = pending.filter(Q(last_day__isnull=True) | Q(last_day__lt=today))
            claimed = pending.update(
                last_day=today, last_started_at=timezone.now(), last_worker=worker_id()[:100]
            )
            if not claimed:
                return RuleResult(rule.key, ran=False, reason="done")
            due = created = 0
            for group, dues in itertools.groupby(rule.run(today), key=type):
                if group is DueQuery:
                    for query in dues:
                        n = bulk_notify(query, now=timezone.now())  # type: ignore[arg-type]
                        due += n
                        created += n
                    continue
                items = _items(dues)  # type: ignore[arg-type]
                while chunk := list(itertools.islice(items, BATCH)):
                    due += len(chunk)
                    created += notify_items(chunk)
            RuleState.objects.filter(key=rule.key).update(
                last_finished_at=timezone.now(), last_due=due, last_created=created
            )
    except OperationalError:
        # SQLite: another worker held the write lock past the timeout (a long run).
        log.info("reminder rule %s busy elsewhere", rule.key, exc_info=True)
        return RuleResult(rule.key, ran=False, reason="busy")
    seconds = time.perf_counter() - started
    log.info("reminder rule %s: %d due, %d new in %.2fs", rule.key, due, created, seconds)
    return RuleResult(rule.key, ran=True, due=due, created=created, seconds=seconds)


def reminders_run(
    *, today: dt.date | None = None, only: Sequence[str] = (), force: bool = False
) -> list[RuleResult]:
    """Run every registered rule (or those named in ``only``) for ``today`` (the local
    date by default)."""
    day = today or timezone.localdate()
    chosen = [get_rule(key) for key in only] if only else rules()
    return [rule_run(rule=rule, today=day, force=force) for rule in chosen]


# --- set-based reminders -----------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def _title_sql(msgid: str, language: str, columns: set[str]) -> tuple[str, list[Any]]:
    """``msgid`` translated into ``language`` as an SQL concatenation of its literal parts
    (parameters) and the ``t_<name>`` columns of its placeholders (no SQL-side replace: a
    customer called "%(date)s" stays so)."""
    with translation.override(language or None):
        text = gettext(msgid)
    parts: list[str] = []
    params: list[Any] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        literal = text[pos : m.start()] + ("%" if m.group(0) == "%%" else "")
        if literal:
            parts.append("CAST(%s AS TEXT)")
            params.append(literal)
        if m.group(1) is not None:
            name = m.group(1)
            if name not in columns:
                raise KeyError(f"title placeholder {name!r} has no expression in params")
            parts.append(f"COALESCE(d.t_{name}, '')")
        pos = m.end()
    if pos < len(text) or not parts:
        parts.append("CAST(%s AS TEXT)")
        params.append(text[pos:])
    return " || ".join(parts), params


def bulk_notify(query: DueQuery, *, now: dt.datetime) -> int:
    """Write the reminders of ``query`` in one statement; returns how many were new. Runs
    inside the rule's transaction (the rule lock)."""
    info = get_kind(query.kind)
    qn = connection.ops.quote_name
    columns: dict[str, Any] = {
        "d_recipient": query.recipient,
        "d_key": query.dedupe_key,
        "d_subject": Cast(query.subject_id, CharField())
        if query.subject_id is not None
        else Value(""),
        "d_url": query.url if query.url is not None else Value(""),
        "d_body": query.body if query.body is not None else Value(""),
    }
    columns |= {f"t_{name}": Cast(expr, CharField()) for name, expr in query.params.items()}
    sub_sql, sub_params = query.rows.order_by().values(**columns).query.sql_with_params()
    users = get_user_model()
    languages = sorted(
        set(users.objects.filter(is_active=True).values_list("language", flat=True).distinct())
    )
    names = set(query.params)
    cases: list[str] = []
    title_params: list[Any] = []
    for language in languages:
        sql, params = _title_sql(query.title, language, names)
        cases.append(f"WHEN %s THEN {sql}")
        title_params += [language, *params]
    default_sql, default_params = _title_sql(query.title, "", names)
    title = f"CASE u.language {' '.join(cases)} ELSE {default_sql} END"
    title_params += default_params
    on = {c: f"COALESCE(p_{c}.enabled, %s)" for c in Channel.ALL}
    on_params = {c: [c in info.default_channels] for c in Channel.ALL}
    if info.inapp_required:
        on[Channel.INAPP] = "%s"
        on_params[Channel.INAPP] = [True]
    joins = " ".join(
        f"LEFT JOIN {qn(Preference._meta.db_table)} p_{c} ON p_{c}.user_id = u.id "
        f"AND p_{c}.kind = %s AND p_{c}.channel = %s"
        for c in Channel.ALL
    )
    join_params = [p for c in Channel.ALL for p in (query.kind, c)]
    table = Notification._meta.db_table
    # Every value is a parameter; the rest is quoted table names and Django-compiled SQL.
    sql = (
        f"INSERT INTO {qn(table)} (recipient_id, kind, title, body, url, subject_model, "  # noqa: S608
        "subject_id, dedupe_key, in_inbox, created_at) "
        f"SELECT d.d_recipient, %s, SUBSTR({title}, 1, 200), COALESCE(d.d_body, ''), "
        "SUBSTR(COALESCE(d.d_url, ''), 1, 500), %s, SUBSTR(COALESCE(d.d_subject, ''), 1, 40), "
        f"NULLIF(SUBSTR(d.d_key, 1, 200), ''), {on[Channel.INAPP]}, %s "
        f"FROM ({sub_sql}) d JOIN {qn(users._meta.db_table)} u ON u.id = d.d_recipient "
        f"{joins} WHERE u.is_active AND ({' OR '.join(on[c] for c in Channel.ALL)}) "
        "ON CONFLICT DO NOTHING RETURNING id, recipient_id"
    )
    params = [
        query.kind,
        *title_params,
        query.subject_model,
        *on_params[Channel.INAPP],
        connection.ops.adapt_datetimefield_value(now),
        *sub_params,
        *join_params,
        *(p for c in Channel.ALL for p in on_params[c]),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written = cursor.fetchall()
    if written:
        _bulk_deliveries(query.kind, written)
    return len(written)


def _bulk_deliveries(kind: str, written: Sequence[tuple[int, int]]) -> None:
    """The e-mail / IM deliveries of the notifications just written (by the same channel
    rules as ``notify``: the kind's defaults changed by each recipient's preferences)."""
    recipient_ids = {r for _id, r in written}
    prefs: dict[int, dict[str, bool]] = {}
    for user_id, channel, enabled in Preference.objects.filter(
        user_id__in=recipient_ids, kind=kind
    ).values_list("user_id", "channel", "enabled"):
        prefs.setdefault(user_id, {})[channel] = enabled
    wanted_by_user = {r: channels_for(kind, prefs.get(r, {})) for r in recipient_ids}
    users = {
        u["id"]: _Recipient(u["id"], u["language"], u["email"], u["team_id"])
        for u in get_user_model()
        .objects.filter(pk__in=recipient_ids)
        .values("id", "language", "email", "team_id")
    }
    teams_with_robots = set(
        Robot.objects.filter(
            enabled=True, team_id__in={u.team_id for u in users.values()}
        ).values_list("team_id", flat=True)
    )
    # Only the recipients something goes out to (no model instance for the others' rows).
    users = {
        r: u
        for r, u in users.items()
        if (Channel.EMAIL in wanted_by_user[r] and u.email)
        or (Channel.IM in wanted_by_user[r] and u.team_id in teams_with_robots)
    }
    if not users:
        return
    for start in range(0, len(written), BATCH):
        rows = [
            Notification(pk=pk, recipient_id=r)
            for pk, r in written[start : start + BATCH]
            if r in users
        ]
        _plan_deliveries(rows, [wanted_by_user[n.recipient_id] for n in rows], users)
