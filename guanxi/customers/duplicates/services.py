"""Merging duplicate customers and undoing a merge (A6). Writes only: the reads of the review
queue and the merge history are in ``duplicates.selectors``.

What moves is found by introspection, not listed: every foreign key to ``Customer`` (hidden
ones and the through tables of many-to-many relations included) is followed, so the records
of apps added later (tickets, projects…) move with the rest without a change here. Plain-id
references are moved explicitly: ``AuditEntry.customer_id`` (the change history) and
timeline entries whose subject is the merged customer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ManyToOneRel
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.limits import parse_id
from guanxi.core.models import AuditAction, AuditEntry
from guanxi.core.text.keys import customer_search_keys
from guanxi.customers.duplicates import hooks
from guanxi.customers.duplicates.models import (
    OWNER_REVIEW,
    CandidateStatus,
    CustomerMerge,
    DuplicateCandidate,
)
from guanxi.customers.duplicates.scope import reviewable, routed_to
from guanxi.customers.models import Customer, TimelineEntry
from guanxi.customers.services import refresh_customer_keys
from guanxi.customers.timeline import TimelineText, timeline_add
from guanxi.customers.webhooks import MERGED, merged_payload
from guanxi.webhooks.services import emit

# The choices a user makes on the merge page: each group of fields survives from one of the
# two customers as a whole (province and city together, the owner with the owner's team).
MERGE_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "kind": ("kind",),
    "status": ("status",),
    "owner": ("owner_id", "team_id"),
    "industry": ("industry",),
    "size": ("size",),
    "region": ("province", "city"),
    "address": ("address",),
    "phone": ("phone",),
    "email": ("email",),
    "website": ("website",),
    "source": ("source",),
    "since": ("since",),
    "notes": ("notes",),
}
CUSTOM_PREFIX = "custom_fields."
# Survivor fields the undo puts back (everything but identity and bookkeeping).
_NOT_RESTORED = frozenset({"id", "version", "created_at", "updated_at", "created_by_id"})
_BATCH = 2000


def _batches(values: Sequence[Any], size: int = _BATCH) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _row(obj: models.Model) -> dict[str, Any]:
    """Every concrete column of ``obj`` as plain JSON."""
    return {f.attname: audit._plain(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}


def _from_row(model: type[models.Model], row: Mapping[str, Any]) -> models.Model:
    values = {
        f.attname: f.to_python(row[f.attname])
        for f in model._meta.concrete_fields
        if f.attname in row
    }
    return model(**values)


def _insert_exact(obj: models.Model, row: Mapping[str, Any]) -> None:
    """Insert a restored row with its old id, then put back the timestamps ``auto_now`` and
    ``auto_now_add`` overwrote on save."""
    obj.save(force_insert=True)
    stamps = {
        f.attname: f.to_python(row[f.attname])
        for f in obj._meta.concrete_fields
        if (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)) and f.attname in row
    }
    if stamps:
        type(obj)._base_manager.filter(pk=obj.pk).update(**stamps)
        for name, value in stamps.items():
            setattr(obj, name, value)


def customer_relations() -> list[ManyToOneRel]:
    """Every foreign key (and one-to-one) pointing at ``Customer``, from any app, including
    hidden ones and the through tables of many-to-many relations. Not the candidate pairs,
    which the merge handles itself, and not a key declared ``on_delete=DO_NOTHING`` without a
    database constraint: its model says a reference to a deleted customer is harmless (old
    analytics snapshots), and such tables are too big to scan at every merge."""
    return [
        f
        for f in Customer._meta.get_fields(include_hidden=True)
        if isinstance(f, ManyToOneRel)
        and f.related_model is not DuplicateCandidate
        and not (f.on_delete is models.DO_NOTHING and not getattr(f.field, "db_constraint", True))
    ]


def _has_version(model: type[models.Model]) -> bool:
    return any(f.attname == "version" for f in model._meta.concrete_fields)


def _unique_sets(model: type[models.Model], fk: models.Field[Any, Any]) -> list[tuple[str, ...]]:
    """For each unique key of ``model`` that contains ``fk``, the key's other fields: two
    rows clash after a move when they agree on those."""
    sets: list[tuple[str, ...]] = []
    if fk.unique:
        sets.append(())
    keys = [tuple(fields) for fields in model._meta.unique_together]
    keys += [tuple(c.fields) for c in model._meta.total_unique_constraints]
    for key in keys:
        if fk.name in key:
            others = (model._meta.get_field(n) for n in key if n != fk.name)
            sets.append(tuple(str(getattr(f, "attname", f.name)) for f in others))
    return sets


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _verbose(model: type[models.Model]) -> str:
    return str(model._meta.verbose_name)


# --------------------------------------------------------------------------------------
# Choosing the surviving values


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def default_choices(survivor: Customer, merged: Customer) -> dict[str, int]:
    """The survivor's value for every field, unless it is empty and the other's is not."""
    choices: dict[str, int] = {}
    for group, names in MERGE_FIELDS.items():
        mine = all(_empty(getattr(survivor, n)) for n in names)
        theirs = all(_empty(getattr(merged, n)) for n in names)
        choices[group] = merged.pk if mine and not theirs else survivor.pk
    own, other = survivor.custom_fields or {}, merged.custom_fields or {}
    for key in sorted(set(own) | set(other)):
        take_other = _empty(own.get(key)) and not _empty(other.get(key))
        choices[CUSTOM_PREFIX + key] = merged.pk if take_other else survivor.pk
    return choices


def _clean_choices(
    fields: Mapping[str, Any] | None, survivor: Customer, merged: Customer
) -> dict[str, int]:
    choices = default_choices(survivor, merged)
    if fields is None:
        return choices
    if not isinstance(fields, Mapping):
        raise ValidationFailed({"fields": _("必须是“字段: 客户编号”的对象。")})
    errors: dict[str, str] = {}
    for name, value in fields.items():
        key = f"fields.{name}"
        if name not in choices:
            errors[key] = _("未知字段。")
            continue
        try:
            chosen = int(value)
        except (TypeError, ValueError):
            chosen = -1
        if isinstance(value, bool) or chosen not in (survivor.pk, merged.pk):
            errors[key] = _("必须是 %(a)s 或 %(b)s（两个客户之一的编号）。") % {
                "a": survivor.pk,
                "b": merged.pk,
            }
            continue
        choices[name] = chosen
    if errors:
        raise ValidationFailed(errors)
    return choices


def _apply_choices(survivor: Customer, merged: Customer, choices: Mapping[str, int]) -> None:
    for group, names in MERGE_FIELDS.items():
        if choices[group] == merged.pk:
            for name in names:
                setattr(survivor, name, getattr(merged, name))
    own, other = dict(survivor.custom_fields or {}), merged.custom_fields or {}
    result: dict[str, Any] = {}
    for name, chosen in choices.items():
        if not name.startswith(CUSTOM_PREFIX):
            continue
        key = name.removeprefix(CUSTOM_PREFIX)
        source = other if chosen == merged.pk else own
        if key in source:
            result[key] = source[key]
    survivor.custom_fields = result


# --------------------------------------------------------------------------------------
# Locks and checks


def _as_id(value: Any, field: str) -> int:
    try:
        return parse_id(value)
    except ValueError as exc:
        raise ValidationFailed({field: str(exc)}) from None


def _lock_pair(actor: Any, survivor_id: int, merged_id: int) -> tuple[Customer, Customer]:
    qs = permissions.scope_customers(actor, Customer.objects.select_for_update())
    # Locked in id order, so two merges of overlapping pairs cannot deadlock.
    found = {c.pk: c for c in qs.filter(pk__in=[survivor_id, merged_id]).order_by("pk")}
    routed = merged_id not in found and routed_to(actor, found.get(survivor_id), merged_id)
    if routed:
        found = {
            c.pk: c
            for c in Customer.objects.select_for_update()
            .filter(pk__in=[survivor_id, merged_id])
            .order_by("pk")
        }
    for pk, field in ((survivor_id, "survivor_id"), (merged_id, "merged_id")):
        if pk not in found:
            raise NotFound(_("客户 %(id)s 不存在。") % {"id": pk}, field=field)
    for pk, field in ((survivor_id, "survivor_id"), (merged_id, "merged_id")):
        if routed and pk == merged_id:
            continue
        if not permissions.can_change_customer(actor, found[pk]):
            raise PermissionDenied(
                _("你没有修改客户“%(name)s”的权限。") % {"name": found[pk].name}, field=field
            )
    return found[survivor_id], found[merged_id]


def _check_version(customer: Customer, expected: Any, field: str) -> None:
    version = _as_id(expected, field)
    if version != customer.version:
        raise Conflict(
            _(
                "客户“%(name)s”已被他人修改（当前版本 %(current)s，提交版本 %(expected)s），"
                "请刷新后重试。"
            )
            % {"name": customer.name, "current": customer.version, "expected": version},
            field=field,
        )


# --------------------------------------------------------------------------------------
# Merge


@transaction.atomic
def customer_merge(
    *,
    actor: Any,
    survivor_id: int,
    merged_id: int,
    survivor_version: int,
    merged_version: int,
    fields: Mapping[str, Any] | None = None,
) -> CustomerMerge:
    """Merge customer ``merged_id`` into ``survivor_id``.

    ``fields`` maps a field group (``MERGE_FIELDS``, or ``custom_fields.<key>``) to the id of
    the customer whose value survives; groups not given keep the survivor's value unless it
    is empty. Every record of the merged customer moves to the survivor — a record that would
    break a unique key of the survivor's (the same preference, a tag both had) is dropped in
    favour of the survivor's and kept in the merge record — and the merged customer is
    deleted. Both versions must be current. Audited as "merge" (plus the survivor's "update"
    and the merged customer's "delete"); a timeline entry on the survivor tells the story."""
    survivor_id = _as_id(survivor_id, "survivor_id")
    merged_id = _as_id(merged_id, "merged_id")
    if survivor_id == merged_id:
        raise ValidationFailed({"merged_id": _("不能把客户与自己合并。")})
    survivor, merged = _lock_pair(actor, survivor_id, merged_id)
    _check_version(survivor, survivor_version, "survivor_version")
    _check_version(merged, merged_version, "merged_version")
    choices = _clean_choices(fields, survivor, merged)

    survivor_before = _row(survivor)
    audit_before = audit.snapshot(survivor)
    tags_before = sorted(survivor.tags.values_list("name", flat=True))
    merged_row = _row(merged)
    _apply_choices(survivor, merged, choices)
    try:
        survivor.full_clean(
            exclude=["owner", "team", "created_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        raise ValidationFailed({f"fields.{k}": v for k, v in exc.message_dict.items()}) from exc
    refresh_customer_keys(survivor)

    candidates = _take_candidates(merged.pk)
    moved, dropped = _move_related(actor, survivor, merged)
    audit_ids = list(
        AuditEntry.objects.filter(customer_id=merged.pk).order_by("pk").values_list("pk", flat=True)
    )
    for batch in _batches(audit_ids):
        AuditEntry.objects.filter(pk__in=batch).update(customer_id=survivor.pk)
    subject_ids = _move_subjects(merged.pk, survivor.pk)
    _check_nothing_left(merged)

    audit.audit_delete(actor=actor, obj=merged, customer_id=survivor.pk)
    deleted = Customer.objects.filter(pk=merged.pk).delete()[1]
    if {k for k, n in deleted.items() if n} != {Customer._meta.label}:  # pragma: no cover
        raise Conflict(_("合并失败：被合并客户仍有关联记录。"), field="merged_id")

    survivor.version += 1
    survivor.save()
    # Always an "update" of the survivor: its version moved and it took the merged
    # customer's records (and tags) even when no field of its own changed.
    extra: dict[str, list[Any]] = {"merged_customer": [None, merged.pk]}
    tags_after = sorted(survivor.tags.values_list("name", flat=True))
    if tags_after != tags_before:
        extra["tags"] = [tags_before, tags_after]
    audit.audit_update(
        actor=actor, obj=survivor, before=audit_before, customer_id=survivor.pk, extra=extra
    )
    pair = [
        c
        for c in candidates
        if {c["customer_a_id"], c["customer_b_id"]} == {survivor.pk, merged.pk}
    ]
    record = CustomerMerge.objects.create(
        survivor_id=survivor.pk,
        merged_id=merged.pk,
        survivor_name=str(survivor_before["name"])[:200],
        merged_name=merged.name[:200],
        choices={k: v for k, v in choices.items()},
        merged_snapshot=merged_row,
        survivor_before=survivor_before,
        survivor_version_after=survivor.version,
        moved=moved,
        dropped=dropped,
        audit_ids=audit_ids,
        subject_ids=subject_ids,
        candidates=candidates,
        reason_mask=pair[0]["reason_mask"] if pair else 0,
        score=pair[0]["score"] if pair else None,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor.get_username() if getattr(actor, "is_authenticated", False) else "system",
    )
    counts = {label: len(entry["rows"]) for label, entry in moved.items()}
    audit.record(
        actor=actor,
        action=AuditAction.MERGE,
        obj=survivor,
        changes={
            "merged_customer": [merged.pk, survivor.pk],
            "merged_name": [merged.name, None],
            "merge_id": [None, record.pk],
            "moved": [None, counts],
            "dropped": [None, {label: len(rows) for label, rows in dropped.items()}],
        },
        customer_id=survivor.pk,
    )
    timeline_add(
        customer_id=survivor.pk,
        kind="merge",
        occurred_at=timezone.now(),
        title=TimelineText(
            gettext_noop(
                "合并客户：“%(merged)s”（#%(merged_id)s）并入“%(survivor)s”（#%(survivor_id)s）"
            ),
            {
                "merged": merged.name,
                "merged_id": merged.pk,
                "survivor": record.survivor_name,
                "survivor_id": survivor.pk,
            },
        ),
        body=_describe_counts(moved),
        actor=actor,
        subject=record,
        data={"merge_id": record.pk, "merged_id": merged.pk},
    )
    hooks.customers_merged(actor=actor, customer_ids=[survivor.pk, merged.pk])
    emit(MERGED, merged_payload(survivor, merged_id=merged.pk, merge_id=record.pk), actor=actor)
    return record


def _describe_counts(moved: Mapping[str, Mapping[str, Any]]) -> str:
    parts = []
    for label, entry in moved.items():
        if label in {"customers.timelineentry"} or not entry["rows"]:
            continue
        model = apps.get_model(label)
        parts.append(f"{_verbose(model)} {len(entry['rows'])}")
    return _("转入：%(parts)s") % {"parts": "，".join(parts)} if parts else ""


def _take_candidates(merged_id: int) -> list[dict[str, Any]]:
    """Candidate pairs of the merged customer go with it (the next scan pairs the survivor);
    kept in the merge record so an undo puts them back."""
    qs = DuplicateCandidate.objects.filter(
        models.Q(customer_a_id=merged_id) | models.Q(customer_b_id=merged_id)
    )
    rows = [_row(c) for c in qs.order_by("pk")]
    if rows:
        DuplicateCandidate.objects.filter(pk__in=[r["id"] for r in rows]).delete()
    return rows


def _move_related(
    actor: Any, survivor: Customer, merged: Customer
) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    moved: dict[str, dict[str, Any]] = {}
    dropped: dict[str, list[dict[str, Any]]] = {}
    for rel in customer_relations():
        model = rel.related_model
        fk = rel.field
        label = _label(model)
        target = fk.target_field.attname
        old, new = getattr(merged, target), getattr(survivor, target)
        qs = model._base_manager.filter(**{fk.attname: old})
        if model is Customer:
            qs = qs.exclude(pk=survivor.pk)
        # A row keyed by the customer (a one-to-one extension such as the computed customer
        # value) is derived per customer: the merged customer's is set aside, never re-keyed.
        clash_ids = sorted(qs.values_list("pk", flat=True)) if fk.primary_key else []
        clash_ids = clash_ids or _clashes(model, fk, qs, new)
        if clash_ids:
            rows = list(model._base_manager.filter(pk__in=clash_ids).order_by("pk"))
            dropped[label] = [_row(r) for r in rows]
            for row in rows:
                audit.audit_delete(actor=actor, obj=row, customer_id=survivor.pk)
            removed = model._base_manager.filter(pk__in=clash_ids).delete()[1]
            if {k for k, n in removed.items() if n} - {model._meta.label}:
                raise Conflict(
                    _("合并失败：%(model)s 与保留客户的记录冲突，且有其他记录依赖它。")
                    % {"model": _verbose(model)},
                    field="merged_id",
                )
        fields = ["pk", "version"] if _has_version(model) else ["pk"]
        rows_left = [list(r) for r in qs.order_by("pk").values_list(*fields)]
        if not rows_left:
            continue
        ids = [r[0] for r in rows_left]
        try:
            with transaction.atomic():
                for batch in _batches(ids):
                    model._base_manager.filter(pk__in=batch).update(**{fk.attname: new})
        except IntegrityError as exc:
            raise Conflict(
                _("合并失败：%(model)s 的记录与保留客户的记录冲突。") % {"model": _verbose(model)},
                field="merged_id",
            ) from exc
        moved[label] = {
            "field": fk.attname,
            "rows": [[r[0], r[1] if len(r) > 1 else None] for r in rows_left],
        }
    return moved, dropped


def _clashes(
    model: type[models.Model], fk: models.Field[Any, Any], qs: models.QuerySet[Any], new: Any
) -> list[Any]:
    ids: set[Any] = set()
    for others in _unique_sets(model, fk):
        taken = model._base_manager.filter(**{fk.attname: new})
        if not others:
            if taken.exists():
                ids.update(qs.values_list("pk", flat=True))
            continue
        existing = set(taken.values_list(*others))
        if not existing:
            continue
        for pk, *values in qs.values_list("pk", *others):
            if tuple(values) in existing:
                ids.add(pk)
    return sorted(ids)


def _move_subjects(merged_id: int, survivor_id: int) -> list[int]:
    qs = TimelineEntry.objects.filter(subject_model=_label(Customer), subject_id=str(merged_id))
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    for batch in _batches(ids):
        TimelineEntry.objects.filter(pk__in=batch).update(subject_id=str(survivor_id))
    return ids


def _check_nothing_left(merged: Customer) -> None:
    """Rows written to the merged customer while the merge ran (a path that does not lock the
    customer) would be deleted with it: refuse instead, nothing is lost."""
    for rel in customer_relations():
        fk = rel.field
        if rel.related_model._base_manager.filter(
            **{fk.attname: getattr(merged, fk.target_field.attname)}
        ).exists():
            raise Conflict(
                _("合并期间“%(name)s”有新的%(model)s写入，请重试。")
                % {"name": merged.name, "model": _verbose(rel.related_model)},
                field="merged_id",
            )


# --------------------------------------------------------------------------------------
# Undo


def _lock_merge(actor: Any, merge_id: Any) -> tuple[CustomerMerge, Customer]:
    pk = _as_id(merge_id, "merge_id")
    record = CustomerMerge.objects.select_for_update().filter(pk=pk).first()
    if record is None:
        raise NotFound(_("合并记录不存在。"), field="merge_id")
    survivor = (
        permissions.scope_customers(actor, Customer.objects.select_for_update())
        .filter(pk=record.survivor_id)
        .first()
    )
    if survivor is None:
        sees_all = permissions.is_staff_actor(actor) and permissions.customer_filter(actor) is None
        if sees_all and not Customer.objects.filter(pk=record.survivor_id).exists():
            raise Conflict(
                _("保留的客户“%(name)s”已不存在（可能已被合并到其他客户），请先撤销之后的合并。")
                % {"name": record.survivor_name},
                field="merge_id",
            )
        raise NotFound(_("合并记录不存在。"), field="merge_id")
    return record, survivor


def _changed_rows(record: CustomerMerge) -> list[str]:
    """What changed since the merge among the rows it moved (each must still exist, still
    belong to the survivor and have the same version), and rows added since that refer to
    them (they would be left behind pointing at the restored customer's records)."""
    problems: list[str] = []
    moved_ids: dict[str, set[Any]] = {}
    for label, entry in record.moved.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            problems.append(_("%(model)s 已不存在") % {"model": label})
            continue
        attname = entry["field"]
        expected = {row[0]: row[1] for row in entry["rows"]}
        moved_ids[label] = set(expected)
        fields = ["pk", attname, "version"] if _has_version(model) else ["pk", attname]
        current: dict[Any, tuple[Any, ...]] = {}
        for batch in _batches(list(expected)):
            for row in model._base_manager.filter(pk__in=batch).values_list(*fields):
                current[row[0]] = row
        bad = []
        for pk, version in expected.items():
            row = current.get(pk)
            moved_away = row is None or row[1] != record.survivor_id
            if moved_away or (version is not None and row is not None and row[-1] != version):
                bad.append(pk)
        if bad:
            problems.append(_describe_ids(_verbose(model), bad))
    for label, ids in moved_ids.items():
        model = apps.get_model(label)
        for rel in model._meta.get_fields(include_hidden=True):
            if not isinstance(rel, ManyToOneRel):
                continue
            other = rel.related_model
            if not any(
                f.is_relation and f.related_model is Customer for f in other._meta.concrete_fields
            ):
                continue
            exclude = moved_ids.get(_label(other), set())
            found: list[Any] = []
            for batch in _batches(sorted(ids)):
                refs = other._base_manager.filter(**{f"{rel.field.attname}__in": batch})
                found += [pk for pk in refs.values_list("pk", flat=True) if pk not in exclude]
                if found:
                    break
            if found:
                problems.append(
                    _("%(model)s %(ids)s 在合并后引用了“%(name)s”原有的%(target)s")
                    % {
                        "model": _verbose(other),
                        "ids": _ids(found),
                        "name": record.merged_name,
                        "target": _verbose(model),
                    }
                )
    return problems


def _ids(ids: Iterable[Any]) -> str:
    listed = [f"#{pk}" for pk in list(ids)[:5]]
    return "、".join(listed)


def _describe_ids(model: str, ids: Sequence[Any]) -> str:
    more = _("等 %(n)s 条") % {"n": len(ids)} if len(ids) > 5 else ""
    return _("%(model)s %(ids)s%(more)s 已被修改、删除或移走") % {
        "model": model,
        "ids": _ids(ids),
        "more": more,
    }


@transaction.atomic
def customer_merge_undo(*, actor: Any, merge_id: int) -> CustomerMerge:
    """Undo a merge exactly: the merged customer comes back with its id and every field, its
    records move back, the rows dropped for clashing are restored, the survivor gets its old
    values back. Refused (409, naming what changed) once the survivor or any moved record has
    been changed since — an undo must not throw away later work."""
    record, survivor = _lock_merge(actor, merge_id)
    if record.is_undone:
        raise Conflict(_("该合并已经撤销。"), field="merge_id")
    restored = _from_row(Customer, record.merged_snapshot)
    assert isinstance(restored, Customer)
    # derived from the name, and absent from the snapshots of merges made before the column
    restored.name_key = customer_search_keys(restored.name, restored.email).name_key
    for candidate in (survivor, restored):
        if not permissions.can_change_customer(actor, candidate):
            raise PermissionDenied(
                _("你没有修改客户“%(name)s”的权限。") % {"name": candidate.name}, field="merge_id"
            )
    problems: list[str] = []
    if survivor.version != record.survivor_version_after:
        problems.append(
            _("客户“%(name)s”在合并后已被修改（版本 %(then)s → %(now)s）")
            % {
                "name": survivor.name,
                "then": record.survivor_version_after,
                "now": survivor.version,
            }
        )
    problems += _changed_rows(record)
    if Customer.objects.filter(pk=record.merged_id).exists():
        problems.append(_("编号 %(id)s 已被其他客户占用") % {"id": record.merged_id})
    if problems:
        raise Conflict(
            _("合并后记录已有变化，不能撤销：%(problems)s。") % {"problems": "；".join(problems)},
            field="merge_id",
        )

    tags_before = sorted(survivor.tags.values_list("name", flat=True))
    _insert_exact(restored, record.merged_snapshot)
    audit.audit_create(actor=actor, obj=restored, customer_id=restored.pk)
    for label, rows in record.dropped.items():
        model = apps.get_model(label)
        for row in rows:
            obj = _from_row(model, row)
            _insert_exact(obj, row)
            audit.audit_create(actor=actor, obj=obj, customer_id=restored.pk)
    for label, entry in record.moved.items():
        model = apps.get_model(label)
        ids = [row[0] for row in entry["rows"]]
        for batch in _batches(ids):
            model._base_manager.filter(pk__in=batch).update(**{entry["field"]: restored.pk})
    for batch in _batches(record.audit_ids):
        AuditEntry.objects.filter(pk__in=batch).update(customer_id=restored.pk)
    for batch in _batches(record.subject_ids):
        TimelineEntry.objects.filter(pk__in=batch).update(subject_id=str(restored.pk))

    before = audit.snapshot(survivor)
    for f in Customer._meta.concrete_fields:
        if f.attname not in _NOT_RESTORED and f.attname in record.survivor_before:
            setattr(survivor, f.attname, f.to_python(record.survivor_before[f.attname]))
    survivor.name_key = customer_search_keys(survivor.name, survivor.email).name_key
    survivor.version += 1
    survivor.save()
    extra: dict[str, list[Any]] = {"restored_customer": [None, restored.pk]}
    tags_after = sorted(survivor.tags.values_list("name", flat=True))
    if tags_after != tags_before:
        extra["tags"] = [tags_before, tags_after]
    audit.audit_update(
        actor=actor, obj=survivor, before=before, customer_id=survivor.pk, extra=extra
    )

    _restore_candidates(record.candidates)
    record.undone_at = timezone.now()
    record.undone_by = actor if getattr(actor, "is_authenticated", False) else None
    record.save(update_fields=["undone_at", "undone_by"])
    for customer, other in ((survivor, restored), (restored, survivor)):
        audit.record(
            actor=actor,
            action=AuditAction.MERGE,
            obj=customer,
            changes={"merge_undone": [record.pk, None], "other_customer": [None, other.pk]},
            customer_id=customer.pk,
        )
    now = timezone.now()
    timeline_add(
        customer_id=survivor.pk,
        kind="merge",
        occurred_at=now,
        title=TimelineText(
            gettext_noop("撤销合并：“%(merged)s”（#%(merged_id)s）已恢复为独立客户"),
            {"merged": restored.name, "merged_id": restored.pk},
        ),
        actor=actor,
        subject=record,
        data={"merge_id": record.pk, "undo": True},
    )
    timeline_add(
        customer_id=restored.pk,
        kind="merge",
        occurred_at=now + dt.timedelta(microseconds=1),
        title=TimelineText(
            gettext_noop("撤销合并：从“%(survivor)s”（#%(survivor_id)s）中恢复"),
            {"survivor": survivor.name, "survivor_id": survivor.pk},
        ),
        actor=actor,
        subject=record,
        data={"merge_id": record.pk, "undo": True},
    )
    hooks.customers_merged(actor=actor, customer_ids=[survivor.pk, restored.pk])
    return record


def _restore_candidates(rows: Sequence[Mapping[str, Any]]) -> None:
    """Put back the candidate pairs the merge took along, as they were (a pair a later scan
    found again is left as found)."""
    for row in rows:
        pair = {"customer_a_id": row["customer_a_id"], "customer_b_id": row["customer_b_id"]}
        alive = Customer.objects.filter(pk__in=pair.values()).count() == 2
        if alive and not DuplicateCandidate.objects.filter(**pair).exists():
            _insert_exact(_from_row(DuplicateCandidate, row), row)


# --------------------------------------------------------------------------------------
# Review decisions


@transaction.atomic
def candidate_dismiss(*, actor: Any, candidate_id: int) -> DuplicateCandidate:
    """Mark a pair as not duplicates: it leaves the queue and later scans skip it."""
    pk = _as_id(candidate_id, "candidate_id")
    # The pairs the actor reviews (both customers in scope, or routed to the older one).
    qs = reviewable(actor, DuplicateCandidate.objects.select_for_update())
    candidate = qs.select_related("customer_a", "customer_b").filter(pk=pk).first()
    if candidate is None:
        raise NotFound(_("疑似重复记录不存在。"), field="candidate_id")
    deciders = [candidate.customer_a, candidate.customer_b]
    if candidate.reason_mask >= OWNER_REVIEW and permissions.can_change_customer(
        actor, candidate.customer_a
    ):
        deciders = [candidate.customer_a]  # routed to the existing customer's side
    for customer in deciders:
        if not permissions.can_change_customer(actor, customer):
            raise PermissionDenied(
                _("你没有修改客户“%(name)s”的权限。") % {"name": customer.name},
                field="candidate_id",
            )
    if candidate.status == CandidateStatus.DISMISSED:
        return candidate
    candidate.status = CandidateStatus.DISMISSED
    candidate.dismissed_at = timezone.now()
    candidate.dismissed_by = actor if getattr(actor, "is_authenticated", False) else None
    candidate.save(update_fields=["status", "dismissed_at", "dismissed_by", "updated_at"])
    for customer_id in (candidate.customer_a_id, candidate.customer_b_id):
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=candidate,
            changes={"status": [CandidateStatus.OPEN.value, CandidateStatus.DISMISSED.value]},
            customer_id=customer_id,
        )
    return candidate
