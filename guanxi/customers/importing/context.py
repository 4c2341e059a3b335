"""What a writer needs to know about the run it writes for, and what a chunk did."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from guanxi.accounts import scope
from guanxi.core import audit
from guanxi.core.models import AuditAction
from guanxi.customers.importing.rows import CleanRow, RowIssue, UserDirectory
from guanxi.customers.models import ImportRun


@dataclass
class RunContext:
    run: ImportRun
    actor: Any  # a User, or None for the system
    on_duplicate: str
    users: UserDirectory
    user_teams: dict[int, int | None]
    now: dt.datetime
    #: orders created by this run, number → id (lines of one order may span chunks)
    run_orders: dict[str, int] = field(default_factory=dict)

    # the actor does not change during a run: computed once (they are read for every row)
    @functools.cached_property
    def actor_id(self) -> int | None:
        return self.actor.pk if self.is_user else None

    @functools.cached_property
    def is_user(self) -> bool:
        return bool(getattr(self.actor, "is_authenticated", False))

    @functools.cached_property
    def actor_label(self) -> str:
        return self.actor.get_username() if self.is_user else "system"

    def can_change(self, customer: Any) -> bool:
        return self.actor is None or scope.can_change_customer(self.actor, customer)

    def can_log_communication(self, customer: Any) -> bool:
        return self.actor is None or scope.can_log_communication(self.actor, customer)

    def can_see(self, customer: Any) -> bool:
        if self.actor is None:
            return True
        q = scope.customer_filter(self.actor)
        if q is None:
            return True
        return bool(type(customer)._default_manager.filter(q, pk=customer.pk).exists())

    def can_assign_owner(self) -> bool:
        return self.actor is None or scope.can_assign_owner(self.actor)

    def audit_row(
        self,
        *,
        action: str,
        model: str,
        object_id: int,
        object_repr: str,
        customer_id: int | None,
        changes: dict[str, Any],
    ) -> dict[str, Any]:
        """An ``AuditEntry`` as a plain row (see ``bulk.FastTable``), exactly what
        ``guanxi.core.audit.record`` would write."""
        return {
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "source": audit.current_source.get(),
            "action": action,
            "model": model,
            "object_id": str(object_id),
            "object_repr": object_repr[:200],
            "customer_id": customer_id,
            "changes": changes,
        }


CREATE_ACTION = AuditAction.CREATE
UPDATE_ACTION = AuditAction.UPDATE


@dataclass
class ChunkResult:
    created: dict[str, list[int]] = field(default_factory=dict)
    updated: list[list[Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[tuple[int, RowIssue]] = field(default_factory=list)
    #: row number → what happened to it ("create", "update", "skip", "unchanged", "fail")
    actions: dict[int, str] = field(default_factory=dict)

    def add_created(self, label: str, ids: list[int]) -> None:
        self.created.setdefault(label, []).extend(ids)

    def fail(self, row: CleanRow, column: str, value: Any, code: str, **params: Any) -> None:
        row.reject(column, value, code, **params)
        self.fail_row(row)

    def fail_row(self, row: CleanRow) -> None:
        for issue in row.issues:
            self.errors.append((row.row, issue))
        if self.actions.get(row.row) != "fail":
            self.counts["failed"] += 1
        self.actions[row.row] = "fail"

    def mark(self, row: CleanRow, action: str) -> None:
        self.actions[row.row] = action
        bucket = {"create": "created", "update": "updated"}.get(action, "skipped")
        self.counts[bucket] += 1
