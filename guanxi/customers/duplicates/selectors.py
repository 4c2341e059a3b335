"""Reads of duplicate review and merge history, scoped by the actor like every read: a
candidate pair is visible when both customers are (or, routed by an import, its existing
customer is: ``reviewable``), a merge when its surviving customer is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.limits import parse_id
from guanxi.customers.duplicates import scan
from guanxi.customers.duplicates.models import (
    CandidateStatus,
    CustomerMerge,
    DuplicateCandidate,
)
from guanxi.customers.duplicates.scope import reviewable, routed_to
from guanxi.customers.duplicates.services import (
    CUSTOM_PREFIX,
    MERGE_FIELDS,
    customer_relations,
    default_choices,
)
from guanxi.customers.models import Customer, CustomFieldDefinition


def candidate_queue(
    *, actor: Any, status: str = CandidateStatus.OPEN
) -> QuerySet[DuplicateCandidate]:
    """Candidate pairs, most likely duplicates first."""
    qs = reviewable(actor, DuplicateCandidate.objects.filter(status=status))
    return qs.select_related(
        "customer_a", "customer_a__owner", "customer_b", "customer_b__owner"
    ).order_by("-score", "id")


def candidate_get(*, actor: Any, candidate_id: Any) -> DuplicateCandidate:
    try:
        pk = int(candidate_id)
    except (TypeError, ValueError):
        raise NotFound(_("疑似重复记录不存在。"), field="candidate_id") from None
    qs = reviewable(actor, DuplicateCandidate.objects.all())
    candidate = qs.select_related("customer_a", "customer_b").filter(pk=pk).first()
    if candidate is None:
        raise NotFound(_("疑似重复记录不存在。"), field="candidate_id")
    return candidate


def merge_history(*, actor: Any) -> QuerySet[CustomerMerge]:
    """Merges whose surviving customer the actor may see, newest first."""
    qs = CustomerMerge.objects.select_related("actor", "undone_by")
    if not permissions.is_staff_actor(actor):
        return qs.none()
    if permissions.customer_filter(actor) is not None:
        visible = permissions.scope_customers(actor, Customer.objects.all()).values("pk")
        qs = qs.filter(survivor_id__in=visible)
    return qs.order_by("-created_at", "-id")


def merge_get(*, actor: Any, merge_id: Any) -> CustomerMerge:
    try:
        pk = int(merge_id)
    except (TypeError, ValueError):
        raise NotFound(_("合并记录不存在。"), field="merge_id") from None
    record = merge_history(actor=actor).filter(pk=pk).first()
    if record is None:
        raise NotFound(_("合并记录不存在。"), field="merge_id")
    return record


# --- the side-by-side merge page ---------------------------------------------------------


@dataclass(frozen=True)
class MergeRow:
    name: str  # a MERGE_FIELDS group or custom_fields.<key>
    label: str
    value_a: str
    value_b: str
    default: int  # id of the customer whose value is pre-selected

    @property
    def same(self) -> bool:
        return self.value_a == self.value_b


@dataclass
class MergePreview:
    a: Customer
    b: Customer
    rows: list[MergeRow]
    counts_a: list[tuple[str, int]]
    counts_b: list[tuple[str, int]]
    reasons: list[Any]
    score: int
    can_merge: bool
    candidate: DuplicateCandidate | None = None
    tags_a: list[str] = field(default_factory=list)
    tags_b: list[str] = field(default_factory=list)


def _display(customer: Customer, group: str) -> str:
    if group == "owner":
        return str(customer.owner) if customer.owner_id else ""
    if group == "region":
        return " ".join(v for v in (customer.province, customer.city) if v)
    name = MERGE_FIELDS[group][0]
    model_field = Customer._meta.get_field(name)
    if getattr(model_field, "choices", None):
        return str(getattr(customer, f"get_{name}_display")()) if getattr(customer, name) else ""
    value = getattr(customer, name)
    return "" if value in (None, "") else str(value)


def _group_label(group: str) -> str:
    if group == "region":
        return _("地区")
    name = "owner" if group == "owner" else MERGE_FIELDS[group][0]
    return str(getattr(Customer._meta.get_field(name), "verbose_name", name))


def related_counts(customer: Customer) -> list[tuple[str, int]]:
    """How many records of each kind hang off ``customer`` (what a merge would move)."""
    counts = []
    for rel in dedup_relations():
        model = rel.related_model
        n = model._base_manager.filter(**{rel.field.attname: customer.pk}).count()
        if n:
            label = _("标签") if model._meta.auto_created else str(model._meta.verbose_name)
            counts.append((label, n))
    return counts


def dedup_relations() -> list[Any]:
    return [rel for rel in customer_relations() if rel.related_model is not Customer]


def merge_preview(*, actor: Any, a_id: Any, b_id: Any) -> MergePreview:
    """Both customers side by side with the value of every mergeable field, the suggested
    choice, what hangs off each, and why they look alike."""
    ids: list[int] = []
    for value, name in ((a_id, "a"), (b_id, "b")):
        try:
            ids.append(parse_id(value))
        except ValueError:
            raise NotFound(_("客户不存在。"), field=name) from None
    if ids[0] == ids[1]:
        raise ValidationFailed({"b": _("不能把客户与自己合并。")})
    found = {
        c.pk: c
        for c in permissions.scope_customers(
            actor, Customer.objects.select_related("owner")
        ).filter(pk__in=ids)
    }
    lo, hi = sorted(ids)
    routed = hi not in found and routed_to(actor, found.get(lo), hi)
    if routed:  # the new customer of a pair an import routed to the actor's customer
        found.update((c.pk, c) for c in Customer.objects.select_related("owner").filter(pk=hi))
    for pk, name in zip(ids, ("a", "b"), strict=True):
        if pk not in found:
            raise NotFound(_("客户 %(id)s 不存在。") % {"id": pk}, field=name)
    a, b = found[ids[0]], found[ids[1]]
    defaults = default_choices(a, b)
    rows = [
        MergeRow(
            group, _group_label(group), _display(a, group), _display(b, group), defaults[group]
        )
        for group in MERGE_FIELDS
    ]
    labels = {d.key: d.label for d in CustomFieldDefinition.objects.all()}
    for name, default in defaults.items():
        if name.startswith(CUSTOM_PREFIX):
            key = name.removeprefix(CUSTOM_PREFIX)
            rows.append(
                MergeRow(
                    name,
                    labels.get(key, key),
                    str((a.custom_fields or {}).get(key, "")),
                    str((b.custom_fields or {}).get(key, "")),
                    default,
                )
            )
    mask = scan.match_reasons(scan.keys_of(a), scan.keys_of(b))
    candidate = DuplicateCandidate.objects.filter(customer_a_id=lo, customer_b_id=hi).first()
    if candidate is not None:
        mask |= candidate.reason_mask
    return MergePreview(
        a=a,
        b=b,
        rows=rows,
        counts_a=related_counts(a),
        counts_b=related_counts(b),
        reasons=[str(label) for label in DuplicateCandidate(reason_mask=mask).reason_labels],
        score=candidate.score if candidate is not None else scan.score(mask),
        can_merge=permissions.can_change_customer(actor, found[lo])
        and (routed or permissions.can_change_customer(actor, found[hi])),
        candidate=candidate,
        tags_a=sorted(a.tags.values_list("name", flat=True)),
        tags_b=sorted(b.tags.values_list("name", flat=True)),
    )
