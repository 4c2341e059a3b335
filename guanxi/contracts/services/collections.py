"""Collections (回款): money received for a contract, allocated to one or more of its open
instalments (partial payments allowed). Never more than what is open unless the
collection is marked as a prepayment (预收款): the excess is then kept unallocated."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.contracts import webhooks
from guanxi.contracts.models import (
    BINDING_STATUSES,
    Collection,
    CollectionAllocation,
    Contract,
    PaymentMethod,
)
from guanxi.contracts.services.aging import aging_refresh
from guanxi.contracts.services.contracts import _date, _text, contract_lock, money, timeline
from guanxi.contracts.services.plans import open_instalments, status_after_receipt
from guanxi.core import audit
from guanxi.core.errors import Conflict, ValidationFailed
from guanxi.core.limits import parse_id
from guanxi.webhooks.services import emit

ZERO = Decimal("0.00")
MAX_ALLOCATIONS = 120


def allocate(
    amount: Decimal,
    open_amounts: Sequence[tuple[int, Decimal]],
    requested: Sequence[tuple[int, Decimal]] | None,
    *,
    prepayment: bool,
) -> tuple[list[tuple[int, Decimal]], Decimal]:
    """How ``amount`` goes onto instalments ``open_amounts`` ((id, open amount), oldest
    first): as ``requested`` ((id, amount) each ≤ its open amount), else oldest first.
    Returns the allocations and the unallocated rest, which only a prepayment may keep.
    Pure, so the money rules are tested on their own (hypothesis)."""
    open_by_id = dict(open_amounts)
    if requested:
        seen: set[int] = set()
        for i, (pk, part) in enumerate(requested):
            field = f"allocations[{i}]"
            if pk not in open_by_id or pk in seen:
                raise ValidationFailed({f"{field}.instalment_id": _("该合同没有这一期待回款。")})
            seen.add(pk)
            if part <= 0:
                raise ValidationFailed({f"{field}.amount": _("必须大于 0。")})
            if part > open_by_id[pk]:
                raise ValidationFailed(
                    {
                        f"{field}.amount": _("超过该期未回款金额 ¥%(open)s。")
                        % {"open": open_by_id[pk]}
                    }
                )
        allocated = sum((p for _pk, p in requested), ZERO)
        if allocated > amount:
            raise ValidationFailed({"allocations": _("分配合计超过回款金额。")})
        result = list(requested)
    else:
        result, left = [], amount
        for pk, open_amount in open_amounts:
            if left <= 0:
                break
            part = min(left, open_amount)
            if part > 0:
                result.append((pk, part))
                left -= part
        allocated = amount - left
    rest = amount - allocated
    if rest > 0 and not prepayment:
        due = sum((a for _pk, a in open_amounts), ZERO)
        raise ValidationFailed(
            {"amount": _("回款金额超过应收金额 ¥%(due)s；多收部分请标记为预收款。") % {"due": due}}
        )
    return result, rest


def _requested(allocations: Any) -> list[tuple[int, Decimal]] | None:
    if allocations in (None, []):
        return None
    if not isinstance(allocations, list | tuple) or len(allocations) > MAX_ALLOCATIONS:
        raise ValidationFailed({"allocations": _("格式无效。")})
    out = []
    for i, row in enumerate(allocations):
        try:
            pk = parse_id(row.get("instalment_id"))
        except (ValueError, AttributeError):
            raise ValidationFailed({f"allocations[{i}].instalment_id": _("无效的编号。")}) from None
        out.append((pk, money(row.get("amount"), f"allocations[{i}].amount", positive=True)))
    return out


@transaction.atomic
def collection_create(
    *,
    actor: Any,
    contract_id: Any,
    data: Mapping[str, Any],
    allocations: Sequence[Mapping[str, Any]] | None = None,
) -> Collection:
    """Record money received for an approved/active contract. ``data``: ``received_on``,
    ``amount`` (> 0), ``method``, ``reference``, ``prepayment``, ``note``; ``allocations``
    [{instalment_id, amount}] or none to fill the oldest open instalments first."""
    contract = contract_lock(actor, contract_id)
    if contract.status not in BINDING_STATUSES:
        raise Conflict(_("合同尚未审批通过，不能登记回款。"), field="contract_id")
    amount = money(data.get("amount"), "amount", positive=True)
    received_on = _date(data.get("received_on"), "received_on")
    assert received_on is not None  # required: _date raised otherwise
    method = data.get("method") or PaymentMethod.TRANSFER
    if method not in PaymentMethod.values:
        raise ValidationFailed({"method": _("无效的选项。")})
    prepayment = data.get("prepayment", False)
    if not isinstance(prepayment, bool):
        raise ValidationFailed({"prepayment": _("必须是 true 或 false。")})
    reference = _text(data.get("reference"), "reference", 100)
    note = _text(data.get("note"), "note", 500)
    instalments = list(open_instalments(contract))
    by_id = {i.pk: i for i in instalments}
    parts, rest = allocate(
        amount,
        [(i.pk, i.open_amount) for i in instalments],
        _requested(allocations),
        prepayment=prepayment,
    )
    collection = Collection.objects.create(
        contract=contract,
        received_on=received_on,
        amount=amount,
        method=method,
        reference=reference,
        prepayment=prepayment,
        unallocated=rest,
        note=note,
        customer_id=contract.customer_id,
        owner_id=contract.owner_id,
        team_id=contract.team_id,
        created_by=actor,
    )
    today = timezone.localdate()
    for pk, part in parts:
        instalment = by_id[pk]
        CollectionAllocation.objects.create(
            collection=collection, instalment=instalment, amount=part
        )
        before = audit.snapshot(instalment, ["received", "status"])
        instalment.received += part
        instalment.status = status_after_receipt(instalment, today)
        instalment.save(update_fields=["received", "status", "updated_at"])
        audit.audit_update(
            actor=actor, obj=instalment, before=before, customer_id=contract.customer_id
        )
    Contract.objects.filter(pk=contract.pk).update(collected=F("collected") + amount)
    contract.refresh_from_db(fields=["collected"])
    aging_refresh([contract.customer_id])
    audit.audit_create(actor=actor, obj=collection, customer_id=contract.customer_id)
    timeline(
        contract,
        actor,
        gettext_noop("合同 %(number)s 回款 ¥%(amount)s"),
        {"amount": f"{amount:,.2f}"},
    )
    emit(webhooks.COLLECTION_CREATED, webhooks.collection_payload(collection), actor=actor)
    return collection
