"""Undo of a finished import: remove what it created, restore what it updated.

Chunk by chunk, newest first, each chunk one transaction that marks the chunk undone, so
an interrupted undo continues where it stopped. A record changed since the import (its
``version`` moved on past the import's own updates of it), or a customer that has gained
contacts, orders or communications since, is kept: undo never destroys later work.
Restoring an updated field happens only where the field still holds the imported value.
Every removal and restoration is audited.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.core import audit
from guanxi.core.audit import audit_source
from guanxi.core.errors import Conflict
from guanxi.core.models import AuditAction, AuditSource
from guanxi.customers.importing.bulk import fast_table
from guanxi.customers.importing.writers import (
    COMMUNICATION_LABEL,
    CONTACT_LABEL,
    CUSTOMER_LABEL,
    ORDER_LABEL,
)
from guanxi.customers.models import (
    Communication,
    Contact,
    Customer,
    ImportChunk,
    ImportRun,
    ImportStatus,
    Order,
    Preference,
    Tag,
)
from guanxi.customers.timeline import TimelineText, timeline_add

# Children before parents.
DELETE_ORDER = (ORDER_LABEL, COMMUNICATION_LABEL, CONTACT_LABEL, CUSTOMER_LABEL)


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


def _removable(label: str, ids: list[int], records: _RunRecords) -> list[Model]:
    """The records of ``ids`` (created by the run) that nobody else has changed or given
    children since: those undo removes."""
    model = apps.get_model(label)
    qs = model._default_manager.filter(pk__in=ids)
    if label == CUSTOMER_LABEL:
        for child in (Order, Contact, Communication, Preference):
            qs = qs.exclude(pk__in=child.objects.filter(customer_id__in=ids).values("customer_id"))
    if label == ORDER_LABEL:
        qs = qs.prefetch_related("lines")
    return [obj for obj in qs if obj.version == records.own_version(label, obj.pk)]


def _undo_chunk(
    chunk: ImportChunk, actor: Any, counts: dict[str, int], records: _RunRecords
) -> None:
    actor_id, actor_label = _actor_fields(actor)
    source = audit.current_source.get()
    audits: list[dict[str, Any]] = []
    for label in DELETE_ORDER:
        ids = chunk.created.get(label, [])
        if not ids:
            continue
        objs = _removable(label, ids, records)
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
                    "customer_id": obj.pk if label == CUSTOMER_LABEL else obj.customer_id,
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
            going.update((label, obj.pk) for obj in _removable(label, own, records))
    for label, pk, before, after in reversed(chunk.updated):
        if (label, pk) in going:
            continue
        model = apps.get_model(label)
        obj = model._default_manager.select_for_update().filter(pk=pk).first()
        if obj is None:
            counts["kept"] += 1
            continue
        fields = [k for k in before if k != "tags"]
        current = audit.snapshot(obj, fields)
        restore = {k: before[k] for k in fields if current[k] == after.get(k)}
        tags_restored = False
        if "tags" in before and isinstance(obj, Customer):
            now_tags = sorted(obj.tags.values_list("name", flat=True))
            if now_tags == after.get("tags"):
                obj.tags.set(Tag.objects.filter(name__in=before["tags"] or []))
                tags_restored = True
        if not restore and not tags_restored:
            counts["kept"] += 1
            continue
        snap = audit.snapshot(obj)
        for name, value in restore.items():
            setattr(obj, name, value)
        if isinstance(obj, Customer):
            from guanxi.customers.services import refresh_customer_keys

            refresh_customer_keys(obj)
        obj.version += 1
        obj.save()
        obj.refresh_from_db()
        extra = {"tags": [after.get("tags"), before["tags"]]} if tags_restored else None
        customer_id = obj.pk if isinstance(obj, Customer) else getattr(obj, "customer_id", None)
        audit.audit_update(actor=actor, obj=obj, before=snap, customer_id=customer_id, extra=extra)
        if isinstance(obj, Customer):
            timeline_add(
                customer_id=obj.pk,
                kind="change",
                occurred_at=timezone.now(),
                title=TimelineText(gettext_noop("撤销导入，恢复了原来的资料")),
                actor=actor,
                subject=obj,
            )
        counts["restored"] += 1
    if audits:
        fast_table(apps.get_model("core", "AuditEntry")).insert(audits)
    ImportChunk.objects.filter(pk=chunk.pk).update(undone_at=timezone.now())


def import_undo(
    *, run_id: int, actor: Any, report: Callable[[float, str], None] | None = None
) -> dict[str, int]:
    run = ImportRun.objects.get(pk=run_id)
    if run.status not in (ImportStatus.FINISHED,):
        raise Conflict(_("只有已完成的导入可以撤销。"), field="status")
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
                    _undo_chunk(chunk, actor, counts, records)
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
    )
    return counts
