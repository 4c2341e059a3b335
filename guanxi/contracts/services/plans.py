"""Payment plans (回款计划): splitting an amount into instalments, setting a contract's
plan while the contract is editable, keeping it in step with an amended amount, the
status of an instalment after money came in, and the overdue sweep."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.contracts.models import (
    OPEN_INSTALMENT_STATUSES,
    Contract,
    Instalment,
    InstalmentStatus,
    PaymentMethod,
)
from guanxi.contracts.services.aging import aging_refresh
from guanxi.contracts.services.contracts import (
    _date,
    _refuse_if_locked,
    contract_lock,
    money,
)
from guanxi.core import audit
from guanxi.core.errors import ValidationFailed
from guanxi.core.money import CENT
from guanxi.core.writes import check_version

MAX_INSTALMENTS = 120
OVERDUE_KIND = "contracts_instalment_overdue"
DUE_SOON_KIND = "contracts_instalment_due_soon"


def split_amount(amount: Decimal, count: int) -> list[Decimal]:
    """``amount`` in ``count`` instalments of equal cents, the last absorbing the
    rounding: the parts always sum to ``amount`` exactly."""
    if count < 1:
        raise ValidationFailed({"count": _("期数至少为 1。")})
    if count > MAX_INSTALMENTS:
        raise ValidationFailed({"count": _("期数不能超过 %(n)s。") % {"n": MAX_INSTALMENTS}})
    share = (amount / count).quantize(CENT, rounding=ROUND_DOWN)
    parts = [share] * (count - 1)
    return [*parts, amount - share * (count - 1)]


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def split_plan(
    *,
    amount: Decimal,
    count: int,
    first_due: dt.date,
    every_months: int = 1,
    method: str = PaymentMethod.TRANSFER,
) -> list[dict[str, Any]]:
    """Rows for ``plan_set``: ``count`` instalments, one every ``every_months`` months."""
    return [
        {"due_date": _add_months(first_due, i * every_months), "amount": part, "method": method}
        for i, part in enumerate(split_amount(amount, count))
    ]


def _rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not isinstance(rows, list | tuple) or not rows:
        raise ValidationFailed({"instalments": _("至少需要一期。")})
    if len(rows) > MAX_INSTALMENTS:
        raise ValidationFailed({"instalments": _("期数不能超过 %(n)s。") % {"n": MAX_INSTALMENTS}})
    out = []
    for i, row in enumerate(rows):
        prefix = f"instalments[{i}]."
        method = row.get("method") or PaymentMethod.TRANSFER
        if method not in PaymentMethod.values:
            raise ValidationFailed({f"{prefix}method": _("无效的选项。")})
        out.append(
            {
                "due_date": _date(row.get("due_date"), f"{prefix}due_date"),
                "amount": money(row.get("amount"), f"{prefix}amount", positive=True),
                "method": method,
            }
        )
    return out


@transaction.atomic
def plan_set(
    *, actor: Any, contract_id: int, rows: Sequence[Mapping[str, Any]], version: int | None
) -> list[Instalment]:
    """Replace the payment plan of a draft or rejected contract. The instalments must sum
    to the contract amount exactly and fall in order of date; they wait (``draft``) until
    the contract is approved."""
    contract = contract_lock(actor, contract_id)
    check_version(contract, version)
    _refuse_if_locked(contract)
    parsed = _rows(rows)
    total = sum((r["amount"] for r in parsed), Decimal("0"))
    if total != contract.amount:
        raise ValidationFailed(
            {
                "instalments": _("各期金额合计 ¥%(total)s，须等于合同金额 ¥%(amount)s。")
                % {"total": total, "amount": contract.amount}
            }
        )
    dates = [r["due_date"] for r in parsed]
    if dates != sorted(dates):
        raise ValidationFailed({"instalments": _("各期计划日期须按先后顺序排列。")})
    before = {"instalments": [[str(i.due_date), str(i.amount)] for i in contract.instalments.all()]}
    Instalment.objects.filter(contract=contract).delete()
    created = Instalment.objects.bulk_create(
        Instalment(
            contract=contract,
            sequence=n,
            status=InstalmentStatus.DRAFT,
            customer_id=contract.customer_id,
            owner_id=contract.owner_id,
            team_id=contract.team_id,
            **row,
        )
        for n, row in enumerate(parsed, start=1)
    )
    contract.version += 1
    contract.save(update_fields=["version", "updated_at"])
    aging_refresh([contract.customer_id])
    audit.record(
        actor=actor,
        action="update",
        obj=contract,
        customer_id=contract.customer_id,
        changes={
            "instalments": [
                before["instalments"],
                [[str(r["due_date"]), str(r["amount"])] for r in parsed],
            ]
        },
    )
    return created


def status_after_receipt(instalment: Instalment, today: dt.date) -> str:
    if instalment.received >= instalment.amount:
        return InstalmentStatus.RECEIVED
    if instalment.due_date < today:
        return InstalmentStatus.OVERDUE
    if instalment.received > 0:
        return InstalmentStatus.PARTLY
    return InstalmentStatus.PENDING


def plan_follow_amount(*, contract: Contract) -> None:
    """After an amendment changed the amount (contract locked by the caller): the last
    open instalments absorb the difference — a rise goes to the last open one (or a new
    instalment on the end date), a cut is taken from the last ones down to what each
    received. The customer's maintained aging follows."""
    if _follow_amount(contract):
        aging_refresh([contract.customer_id])


def _follow_amount(contract: Contract) -> bool:
    """``plan_follow_amount``'s work; whether an instalment changed."""
    live = list(
        Instalment.objects.select_for_update()
        .filter(contract=contract)
        .exclude(status=InstalmentStatus.VOID)
        .order_by("sequence")
    )
    difference = contract.amount - sum((i.amount for i in live), Decimal("0"))
    if difference == 0 or (not live and difference < 0):
        return False
    today = timezone.localdate()
    if difference > 0:
        target = next((i for i in reversed(live) if i.received < i.amount), None)
        if target is None:
            last = Instalment.objects.filter(contract=contract).order_by("-sequence").first()
            Instalment.objects.create(
                contract=contract,
                sequence=(last.sequence if last else 0) + 1,
                due_date=contract.end_date,
                amount=difference,
                status=InstalmentStatus.PENDING,
                customer_id=contract.customer_id,
                owner_id=contract.owner_id,
                team_id=contract.team_id,
            )
            return True
        target.amount += difference
        target.status = status_after_receipt(target, today)
        target.save(update_fields=["amount", "status", "updated_at"])
        return True
    remaining = -difference
    for instalment in reversed(live):
        cut = min(remaining, instalment.amount - instalment.received)
        if cut <= 0:
            continue
        instalment.amount -= cut
        remaining -= cut
        if instalment.amount == 0:
            instalment.delete()
        else:
            instalment.status = status_after_receipt(instalment, today)
            instalment.save(update_fields=["amount", "status", "updated_at"])
        if remaining == 0:
            break
    return True


def open_instalments(contract: Contract) -> Iterable[Instalment]:
    return (
        Instalment.objects.select_for_update()
        .filter(contract=contract, status__in=OPEN_INSTALMENT_STATUSES)
        .order_by("due_date", "sequence")
    )


def overdue_mark(*, today: dt.date | None = None) -> int:
    """Mark open instalments past their planned date ``overdue`` (set-based, idempotent);
    returns how many changed. Their owners are told by the daily rule."""
    day = today or timezone.localdate()
    return Instalment.objects.filter(
        Q(status__in=[InstalmentStatus.PENDING, InstalmentStatus.PARTLY]),
        due_date__lt=day,
        received__lt=F("amount"),
    ).update(status=InstalmentStatus.OVERDUE, updated_at=timezone.now())
