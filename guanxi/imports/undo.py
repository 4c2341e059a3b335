"""Undo of a finished import: remove what it created, restore what it updated.

Chunk by chunk, newest first, each chunk one transaction that marks the chunk undone, so
an interrupted undo continues where it stopped. A record changed since the import (its
``version`` moved on past the import's own updates of it), or one that records of another
import kind refer to since (a customer that has gained contacts, orders or
communications), is kept: undo never destroys later work. Restoring an updated field
happens only where the field still holds the imported value. Every removal and
restoration is audited. What a kind adds to these rules is its ``registry.ImportUndo``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import ForeignKey, Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.audit import audit_source
from guanxi.core.db.copy import fast_table
from guanxi.core.errors import Conflict
from guanxi.core.models import AuditAction, AuditEntry, AuditSource
from guanxi.imports import registry
from guanxi.imports.models import ImportChunk, ImportRun, ImportStatus


def _actor_fields(actor: Any) -> tuple[int | None, str]:
    if getattr(actor, "is_authenticated", False):
        return actor.pk, actor.get_username()
    return None, "system"


class _RunRecords:
    """What the whole run wrote, for telling its own changes from later work: the ids it
    created and how often it updated each record (a later row of the file that repeats an
    earlier one updates the record the earlier row created, in another chunk). Each
    update the import made moved the record's ``version`` on by one."""

    def __init__(self, run: ImportRun) -> None:
        self.created: dict[str, set[int]] = {}
        self.updates: Counter[tuple[str, int]] = Counter()
        for created, updated in ImportChunk.objects.filter(run=run).values_list(
            "created", "updated"
        ):
            for label, ids in created.items():
                self.created.setdefault(label, set()).update(ids)
            for label, pk, _before, _after in updated:
                self.updates[(label, pk)] += 1

    def own_version(self, label: str, pk: int) -> int:
        """The version of a record this run created, if nobody else changed it since."""
        return 1 + self.updates[(label, pk)]


def _referrers(kind: registry.ImportKind, model: type[Model]) -> list[tuple[type[Model], str]]:
    """(model, foreign key) of the other kinds' records that refer to ``model``."""
    out = []
    for other in registry.kinds():
        if other.key == kind.key:
            continue
        for child in other.models:
            for f in child._meta.concrete_fields:
                if isinstance(f, ForeignKey) and f.related_model is model:
                    out.append((child, f.attname))
    return list(dict.fromkeys(out))


def _removable(
    kind: registry.ImportKind, label: str, ids: list[int], records: _RunRecords
) -> list[Model]:
    """The records of ``ids`` (created by the run) that nobody else has changed or given
    records of their own since: those undo removes."""
    model = apps.get_model(label)
    qs: QuerySet[Any] = model._default_manager.filter(pk__in=ids)
    for child, attname in _referrers(kind, model):
        qs = qs.exclude(
            pk__in=child._default_manager.filter(**{f"{attname}__in": ids}).values(attname)
        )
    if kind.undo.removable is not None:
        qs = kind.undo.removable(qs)
    return [obj for obj in qs if getattr(obj, "version", 1) == records.own_version(label, obj.pk)]


def _in_undo_order(kind: registry.ImportKind, labels: Any) -> list[str]:
    order = {label: i for i, label in enumerate(kind.labels)}
    return sorted(labels, key=lambda label: (order.get(label, len(order)), label))


def _undo_chunk(
    kind: registry.ImportKind,
    chunk: ImportChunk,
    actor: Any,
    counts: dict[str, int],
    records: _RunRecords,
) -> None:
    hooks = kind.undo
    actor_id, actor_label = _actor_fields(actor)
    source = audit.current_source.get()
    audits: list[dict[str, Any]] = []
    for label in _in_undo_order(kind, chunk.created):
        ids = chunk.created.get(label, [])
        if not ids:
            continue
        objs = _removable(kind, label, ids, records)
        counts["kept"] += len(ids) - len(objs)
        for obj in objs:
            before = audit.snapshot(obj)
            changes = {k: [v, None] for k, v in before.items() if v not in (None, "", [], {})}
            audits.append(
                {
                    "actor_id": actor_id,
                    "actor_label": actor_label,
                    "source": source,
                    "action": AuditAction.DELETE,
                    "model": label,
                    "object_id": str(obj.pk),
                    "object_repr": str(obj)[:200],
                    "customer_id": hooks.customer_id(obj),
                    "changes": changes,
                }
            )
        model = apps.get_model(label)
        model._default_manager.filter(pk__in=[o.pk for o in objs]).delete()
        counts["removed"] += len(objs)
    # Records the run created and a later chunk of it updated are removed with the chunk
    # that created them (undone after this one): restoring them first would only make
    # them look changed by someone else, and they would be kept.
    going: set[tuple[str, int]] = set()
    for label in {label for label, *_rest in chunk.updated}:
        own = [pk for lbl, pk, *_rest in chunk.updated if lbl == label]
        own = [pk for pk in own if pk in records.created.get(label, ())]
        if own:
            going.update((label, obj.pk) for obj in _removable(kind, label, own, records))
    for label, pk, before, after in reversed(chunk.updated):
        if (label, pk) in going:
            continue
        model = apps.get_model(label)
        obj = model._default_manager.select_for_update().filter(pk=pk).first()
        if obj is None:
            counts["kept"] += 1
            continue
        attnames = {f.attname for f in model._meta.concrete_fields}
        fields = [k for k in before if k in attnames]
        current = audit.snapshot(obj, fields)
        restore = {k: before[k] for k in fields if current[k] == after.get(k)}
        extra: dict[str, list[Any]] = {}
        others = [k for k in before if k not in attnames]
        if others and hooks.restore_extra is not None:
            extra = hooks.restore_extra(
                obj, {k: before[k] for k in others}, {k: after.get(k) for k in others}
            )
        if not restore and not extra:
            counts["kept"] += 1
            continue
        snap = audit.snapshot(obj)
        for name, value in restore.items():
            setattr(obj, name, value)
        if hooks.before_save is not None:
            hooks.before_save(obj)
        if hasattr(obj, "version"):
            obj.version += 1
        obj.save()
        obj.refresh_from_db()
        audit.audit_update(
            actor=actor, obj=obj, before=snap, customer_id=hooks.customer_id(obj), extra=extra
        )
        if hooks.after_restore is not None:
            hooks.after_restore(obj, actor)
        counts["restored"] += 1
    if audits:
        fast_table(AuditEntry).insert(audits)
    ImportChunk.objects.filter(pk=chunk.pk).update(undone_at=timezone.now())


def import_undo(
    *, run_id: int, actor: Any, report: Callable[[float, str], None] | None = None
) -> dict[str, int]:
    run = ImportRun.objects.get(pk=run_id)
    if run.status not in (ImportStatus.FINISHED,):
        raise Conflict(_("只有已完成的导入可以撤销。"), field="status")
    kind = registry.kind(run.kind)
    counts = {"removed": 0, "restored": 0, "kept": 0}
    chunk_ids = list(
        ImportChunk.objects.filter(run=run, undone_at__isnull=True)
        .order_by("-seq")
        .values_list("pk", flat=True)
    )
    records = _RunRecords(run)
    with audit_source(AuditSource.IMPORT):
        for n, chunk_id in enumerate(chunk_ids, 1):
            with transaction.atomic():
                chunk = ImportChunk.objects.select_for_update().get(pk=chunk_id)
                if chunk.undone_at is None:
                    scope = kind.undo.chunk_scope
                    with scope(chunk.created, chunk.updated, actor) if scope else nullcontext():
                        _undo_chunk(kind, chunk, actor, counts, records)
            if report is not None:
                report(
                    100 * n / len(chunk_ids),
                    _("已撤销 %(n)s / %(total)s 批") % {"n": n, "total": len(chunk_ids)},
                )
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.UNDONE,
        undone_at=timezone.now(),
        undone_by=actor if getattr(actor, "is_authenticated", False) else None,
        message=_("撤销：删除 %(removed)s，恢复 %(restored)s，保留 %(kept)s") % counts,
        # the counts, so the page says it in the reader's language (``message`` is in the
        # language of whoever ran the undo)
        options={**run.options, "undo_counts": dict(counts)},
    )
    return counts
