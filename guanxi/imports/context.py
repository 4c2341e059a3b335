"""What a writer needs to know about the run it writes for, and what a chunk did."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from guanxi.core import audit
from guanxi.core.models import AuditAction
from guanxi.imports.models import ImportChunk, ImportRun
from guanxi.imports.rows import CleanRow, RowIssue, UserDirectory


@dataclass
class RunContext:
    run: ImportRun
    actor: Any  # a User, or None for the system
    on_duplicate: str
    users: UserDirectory
    #: user id → department (team) id, of the users a user column may name
    user_teams: dict[int, int | None]
    now: dt.datetime

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
        """An ``AuditEntry`` as a plain row (see ``core.db.copy.FastTable``), exactly what
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


class RunLedger:
    """What the committed chunks of a run did, read when a writer resumes the run."""

    def __init__(self, run: ImportRun) -> None:
        self.run = run

    def created_ids(self, label: str) -> list[int]:
        """The ids of the ``label`` records (``app.model``) the run has created so far."""
        ids: list[int] = []
        for created in ImportChunk.objects.filter(run=self.run).values_list("created", flat=True):
            ids.extend(created.get(label, []))
        return ids


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

    def fail(self, row: CleanRow, column: str, cell: Any, code: str, **params: Any) -> None:
        """Reject ``row``: ``cell`` is the value the error shows; ``params`` fill the message
        (a ``value`` there names something else than the cell, such as the customer)."""
        row.reject(column, cell, code, **params)
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
