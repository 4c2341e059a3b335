"""The one audit mechanism: services call these in the same transaction as the write."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models, router

from guanxi.core.db.copy import fast_table
from guanxi.core.models import AuditAction, AuditEntry, AuditSource

# Services take ``actor``; the *channel* the write came through (UI, API, admin, import)
# is ambient, set once by the entry point, so services need not thread it through.
current_source: ContextVar[str] = ContextVar("audit_source", default=AuditSource.UI)

SKIPPED_FIELDS = frozenset(
    {
        "created_at",
        "updated_at",
        "version",
        "search_text",
        "name_pinyin",
        "name_initials",
        "name_key",
        "password",
        "last_login",
    }
)

Actor = AbstractBaseUser | AnonymousUser | None


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # One instant, one text: a form's value comes back in the shown time zone.
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Plain-JSON values of the concrete fields of ``obj`` (foreign keys as ids)."""
    names = (
        list(fields)
        if fields is not None
        else [
            f.attname
            for f in obj._meta.concrete_fields
            if f.name not in SKIPPED_FIELDS and not f.primary_key
        ]
    )
    return {name: _plain(getattr(obj, name)) for name in names}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _actor_fields(actor: Actor) -> tuple[Any, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, "system"
    return actor, actor.get_username()


def _model_label(obj: models.Model) -> str:
    return obj._meta.label_lower


def record(
    *,
    actor: Actor,
    action: str,
    obj: models.Model,
    changes: Mapping[str, Any],
    customer_id: int | None = None,
    source: str | None = None,
) -> AuditEntry:
    user, label = _actor_fields(actor)
    return AuditEntry.objects.create(
        actor=user,
        actor_label=label,
        source=source or current_source.get(),
        action=action,
        model=_model_label(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        customer_id=customer_id,
        changes=dict(changes),
    )


def audit_create(*, actor: Actor, obj: models.Model, customer_id: int | None = None) -> AuditEntry:
    after = snapshot(obj)
    return record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=obj,
        changes={k: [None, v] for k, v in after.items() if v not in (None, "", [], {})},
        customer_id=customer_id,
    )


def audit_update(
    *,
    actor: Actor,
    obj: models.Model,
    before: Mapping[str, Any],
    customer_id: int | None = None,
    extra: Mapping[str, list[Any]] | None = None,
) -> AuditEntry | None:
    """Record old → new of the fields that changed; nothing when nothing changed."""
    changes = diff(before, snapshot(obj, before.keys()))
    if extra:
        changes.update(extra)
    if not changes:
        return None
    return record(
        actor=actor, action=AuditAction.UPDATE, obj=obj, changes=changes, customer_id=customer_id
    )


def audit_delete(*, actor: Actor, obj: models.Model, customer_id: int | None = None) -> AuditEntry:
    before = snapshot(obj)
    return record(
        actor=actor,
        action=AuditAction.DELETE,
        obj=obj,
        changes={k: [v, None] for k, v in before.items() if v not in (None, "", [], {})},
        customer_id=customer_id,
    )


def audit_bulk_create(
    *, actor: Actor, objs: Iterable[models.Model], customer_attr: str | None = "customer_id"
) -> int:
    """Audit rows for a bulk insert, written with one ``bulk_create``."""
    user, label = _actor_fields(actor)
    source = current_source.get()
    rows = []
    for obj in objs:
        after = snapshot(obj)
        rows.append(
            {
                "actor_id": user.pk if user is not None else None,
                "actor_label": label,
                "source": source,
                "action": AuditAction.CREATE,
                "model": _model_label(obj),
                "object_id": str(obj.pk),
                "object_repr": str(obj)[:200],
                "customer_id": getattr(obj, customer_attr) if customer_attr else None,
                "changes": {k: [None, v] for k, v in after.items() if v not in (None, "", [], {})},
            }
        )
    return _write_entries(rows)


def audit_bulk_update(
    *,
    actor: Actor,
    model: type[models.Model],
    rows: Iterable[tuple[Any, str, int | None, Mapping[str, list[Any]]]],
) -> int:
    """Audit rows for a bulk ``update()`` of ``model``, written with one ``bulk_create``:
    each row is (object id, object repr, customer id, ``{field: [old, new]}``)."""
    user, label = _actor_fields(actor)
    source = current_source.get()
    label_lower = model._meta.label_lower
    actor_id = user.pk if user is not None else None
    return _write_entries(
        [
            {
                "actor_id": actor_id,
                "actor_label": label,
                "source": source,
                "action": AuditAction.UPDATE,
                "model": label_lower,
                "object_id": str(pk),
                "object_repr": str(text)[:200],
                "customer_id": customer_id,
                "changes": {k: [_plain(v[0]), _plain(v[1])] for k, v in changes.items()},
            }
            for pk, text, customer_id, changes in rows
        ]
    )


# From this many rows on, PostgreSQL gets them by COPY (20,000 rows into an audit table of
# 1,000,000: 0.75-1.1 s against 2.0-3.0 s by ``bulk_create``, measured 2026-12-04); fewer go
# as one INSERT, which keeps a small bulk action at one query.
COPY_FROM_ROWS = 1000


def _write_entries(rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    table = fast_table(AuditEntry)
    if len(rows) >= COPY_FROM_ROWS and table.connection.vendor == "postgresql":
        table.insert(rows)
    else:
        AuditEntry.objects.using(router.db_for_write(AuditEntry)).bulk_create(
            [AuditEntry(**row) for row in rows], batch_size=1000
        )
    return len(rows)


class audit_source:
    """``with audit_source(AuditSource.API): ...``"""

    def __init__(self, source: str) -> None:
        self.source = source
        self._token: Any = None

    def __enter__(self) -> None:
        self._token = current_source.set(self.source)

    def __exit__(self, *exc: object) -> None:
        current_source.reset(self._token)
