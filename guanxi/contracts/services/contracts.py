"""Writes of contracts: create (numbered race-safe), edit while draft or rejected, submit
for the internal approval, the approval's outcome, activate / finish / terminate, and
amendments (合同变更) — the only way to change an approved contract.

Status flow: draft → in approval → approved / rejected (→ edited, submitted again);
approved → active → finished; approved or active → terminated.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.accounts.models import User
from guanxi.contracts import selectors, webhooks
from guanxi.contracts.models import (
    EDITABLE_STATUSES,
    AmendmentStatus,
    Contract,
    ContractAmendment,
    ContractNumberSequence,
    ContractStatus,
    Instalment,
    InstalmentStatus,
)
from guanxi.contracts.services.aging import aging_refresh
from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.limits import check_date
from guanxi.core.money import parse_money
from guanxi.core.writes import check_version, collect_errors, reject_unknown
from guanxi.customers.models import Customer
from guanxi.customers.timeline import ChoiceLabel, TimelineText, timeline_add
from guanxi.webhooks.services import emit

DEFAULT_NUMBER_PATTERN = "HT-{yyyy}{mm}-{seq:04d}"
CONTRACT_FIELDS = frozenset({"title", "amount", "start_date", "end_date", "signed_on", "notes"})
AMENDMENT_FIELDS = frozenset({"title", "amount", "start_date", "end_date", "reason"})
DOCUMENT_CONTRACT = "contract"
DOCUMENT_AMENDMENT = "contract_amendment"
_SEQ = re.compile(r"\{seq(?::[^}]*)?\}")

S = ContractStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.APPROVED: frozenset({S.ACTIVE, S.TERMINATED}),
    S.ACTIVE: frozenset({S.FINISHED, S.TERMINATED}),
}


# --- numbering -----------------------------------------------------------------------------


def number_pattern() -> str:
    return str(getattr(settings, "GUANXI_CONTRACT_NUMBER_PATTERN", DEFAULT_NUMBER_PATTERN))


def next_number(on: dt.date | None = None) -> str:
    """The next contract number of the configured pattern (``{yyyy}``, ``{yy}``, ``{mm}``,
    ``{dd}``, ``{seq:04d}``). The sequence is per period (the pattern's text without
    ``{seq}``) and taken under that row's lock: concurrent creations wait, never clash.
    Call inside the creating transaction (a rolled-back creation gives its number back)."""
    day = on or timezone.localdate()
    pattern = number_pattern()
    parts = {"yyyy": f"{day:%Y}", "yy": f"{day:%y}", "mm": f"{day:%m}", "dd": f"{day:%d}"}
    key = _SEQ.sub("", pattern).format(**parts)[:60]
    row = ContractNumberSequence.objects.select_for_update().filter(key=key).first()
    if row is None:
        try:
            with transaction.atomic():
                row = ContractNumberSequence.objects.create(key=key, last=0)
        except IntegrityError:  # created by a concurrent transaction: wait for its lock
            row = ContractNumberSequence.objects.select_for_update().get(key=key)
        row = ContractNumberSequence.objects.select_for_update().get(pk=row.pk)
    row.last += 1
    row.save(update_fields=["last"])
    return pattern.format(seq=row.last, **parts)


# --- checks --------------------------------------------------------------------------------


def _date(value: Any, name: str, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise ValidationFailed({name: _("这个字段是必填项。")})
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ValidationFailed({name: _("须为 YYYY-MM-DD 格式的日期。")}) from None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationFailed({name: _("须为 YYYY-MM-DD 格式的日期。")})
    try:
        return check_date(value)
    except ValueError as exc:
        raise ValidationFailed({name: str(exc)}) from None


def money(value: Any, name: str, *, positive: bool = False) -> Decimal:
    """An amount: a number, not negative, at most two decimal places (never rounded
    silently: ``1.005`` is refused naming the field)."""
    if value is None or value == "":
        raise ValidationFailed({name: _("这个字段是必填项。")})
    amount = parse_money(value, name, positive=positive)
    if Decimal(str(value)) != amount:
        raise ValidationFailed({name: _("最多两位小数。")})
    return amount


def _text(value: Any, name: str, max_length: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed({name: _("必须是文字。")})
    text = value.replace("\x00", "").strip()
    if required and not text:
        raise ValidationFailed({name: _("这个字段是必填项。")})
    if len(text) > max_length:
        raise ValidationFailed({name: _("不能超过 %(n)s 个字符。") % {"n": max_length}})
    return text


def _terms(
    data: Mapping[str, Any], names: frozenset[str] | set[str], current: Any = None
) -> dict[str, Any]:
    """The checked values of ``names`` (from ``data``, else ``current``), every bad field
    reported at once; the end date may not precede the start date."""
    out: dict[str, Any] = {}

    def pick(name: str) -> Any:
        return data[name] if name in data else getattr(current, name, None)

    checks: dict[str, Callable[[], Any]] = {
        "title": lambda: _text(pick("title"), "title", 200, required=True),
        "amount": lambda: money(pick("amount"), "amount"),
        "start_date": lambda: _date(pick("start_date"), "start_date"),
        "end_date": lambda: _date(pick("end_date"), "end_date"),
        "signed_on": lambda: _date(pick("signed_on"), "signed_on", required=False),
        "notes": lambda: _text(pick("notes"), "notes", 5000),
        "reason": lambda: _text(pick("reason"), "reason", 500, required=True),
    }

    def run(name: str) -> Callable[[], None]:
        def check() -> None:
            out[name] = checks[name]()

        return check

    collect_errors(*(run(n) for n in checks if n in names))
    start = out.get("start_date", getattr(current, "start_date", None))
    end = out.get("end_date", getattr(current, "end_date", None))
    if start and end and end < start:
        raise ValidationFailed({"end_date": _("结束日期不能早于开始日期。")})
    return out


def _owner(actor: Any, owner_id: Any) -> User:
    if owner_id is None or owner_id == actor.pk:
        return actor
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None or not permissions.can_assign_owner_to(
        actor, owner_id=owner.pk, team_id=owner.team_id, owner_role=owner.role
    ):
        raise ValidationFailed({"owner_id": _("不能把合同分配给该用户。")})
    return owner


def _customer(actor: Any, customer_id: Any) -> Customer:
    qs = permissions.scope_customers(actor, Customer.objects.all(), one=True)
    customer = qs.filter(pk=customer_id).first() if customer_id is not None else None
    if customer is None:
        raise NotFound(_("客户不存在。"), field="customer_id")
    return customer


def _opportunity(actor: Any, customer: Customer, opportunity_id: Any) -> Any:
    if opportunity_id is None:
        return None
    from guanxi.sales import selectors as sales_selectors

    found = (
        sales_selectors.scoped_opportunities(actor=actor)
        .filter(pk=opportunity_id, customer=customer)
        .first()
    )
    if found is None:
        raise ValidationFailed({"opportunity_id": _("该客户没有这个商机。")})
    return found


def contract_lock(actor: Any, contract_id: Any, *, field: str = "contract_id") -> Contract:
    """The contract, locked: 404 naming ``field`` when missing or out of the actor's read
    scope, 403 when readable but not changeable by the actor."""
    q = selectors.contract_filter(actor)
    qs = Contract.objects.select_for_update(of=("self",))
    if q is not None:
        qs = qs.filter(q)
    try:
        contract = qs.get(pk=contract_id)
    except (Contract.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("合同不存在。"), field=field) from None
    if not selectors.can_change(actor, contract):
        raise PermissionDenied(_("你没有修改该合同的权限。"))
    return contract


def timeline(
    contract: Contract, actor: Any, msgid: str, params: Mapping[str, Any] | None = None
) -> None:
    timeline_add(
        customer_id=contract.customer_id,
        kind="contract",
        occurred_at=timezone.now(),
        title=TimelineText(
            msgid, {"number": contract.number, "title": contract.title, **(params or {})}
        ),
        actor=actor,
        subject=contract,
        data={"status": contract.status, "amount": str(contract.amount)},
    )


# --- create and edit -----------------------------------------------------------------------


@transaction.atomic
def contract_create(
    *,
    actor: Any,
    customer_id: int,
    data: Mapping[str, Any],
    opportunity_id: int | None = None,
    owner_id: int | None = None,
    source: str = "",
) -> Contract:
    """A new draft contract of ``customer_id`` (which the actor must be able to read),
    numbered by the configured pattern. ``data``: ``title``, ``amount`` (Decimal or its
    text, ≥ 0, two places at most), ``start_date``, ``end_date`` (≥ start), optional
    ``signed_on`` and ``notes``. ``opportunity_id`` must be one of that customer's
    opportunities the actor reads; ``owner_id`` defaults to the actor (assigning someone
    else needs ``permissions.can_assign_owner_to``). ``source`` (e.g. ``"quote:42"``) is
    noted in the audit trail — "accepted quote → contract" calls this with the quote's
    customer, opportunity, total and validity dates.

    Errors: ``ValidationFailed`` naming the field, ``NotFound`` (customer_id),
    ``PermissionDenied`` for a role without contracts."""
    if not selectors.can_use(actor):
        raise PermissionDenied(_("你的角色不能使用合同功能。"))
    reject_unknown(data, CONTRACT_FIELDS)
    customer = _customer(actor, customer_id)
    terms = _terms(data, CONTRACT_FIELDS)
    opportunity = _opportunity(actor, customer, opportunity_id)
    owner = _owner(actor, owner_id)
    contract = Contract(
        number=next_number(),
        customer=customer,
        opportunity=opportunity,
        owner=owner,
        team_id=owner.team_id,
        created_by=actor,
        status=ContractStatus.DRAFT,
        **terms,
    )
    contract.save()
    audit.audit_create(actor=actor, obj=contract, customer_id=customer.pk)
    if source:
        audit.record(
            actor=actor,
            action="update",
            obj=contract,
            changes={"source": [None, source[:100]]},
            customer_id=customer.pk,
        )
    timeline(contract, actor, gettext_noop("新建合同 %(number)s：%(title)s"))
    emit(webhooks.CONTRACT_CREATED, webhooks.payload(contract), actor=actor)
    return contract


def _refuse_if_locked(contract: Contract) -> None:
    if contract.status not in EDITABLE_STATUSES:
        raise Conflict(
            _("合同“%(number)s”状态为“%(status)s”，不能直接修改；已审批的合同请发起合同变更。")
            % {"number": contract.number, "status": ContractStatus(contract.status).label},
            field="status",
        )


@transaction.atomic
def contract_update(
    *,
    actor: Any,
    contract_id: int,
    data: Mapping[str, Any],
    version: int | None,
    owner_id: Any = ...,
) -> Contract:
    """Edit a draft or rejected contract; any later status answers 409 (amend instead)."""
    reject_unknown(data, CONTRACT_FIELDS)
    contract = contract_lock(actor, contract_id)
    check_version(contract, version)
    _refuse_if_locked(contract)
    terms = _terms(data, set(data), contract)
    before = audit.snapshot(contract)
    for name, value in terms.items():
        setattr(contract, name, value)
    if owner_id is not ... and owner_id != contract.owner_id:
        owner = _owner(actor, owner_id)
        contract.owner, contract.team_id = owner, owner.team_id
        Instalment.objects.filter(contract=contract).update(owner=owner, team_id=owner.team_id)
        aging_refresh([contract.customer_id])
    if not audit.diff(before, audit.snapshot(contract, before.keys())):
        return contract
    contract.version += 1
    contract.save()
    audit.audit_update(actor=actor, obj=contract, before=before, customer_id=contract.customer_id)
    return contract


# --- approval ------------------------------------------------------------------------------


@transaction.atomic
def contract_submit(*, actor: Any, contract_id: int, version: int | None) -> Contract:
    """Send a draft (or rejected, edited) contract to its internal approval flow. Its
    payment plan, if any, waits (``draft``) until the contract is approved."""
    from guanxi.approvals.services import approval_submit

    contract = contract_lock(actor, contract_id)
    check_version(contract, version)
    _refuse_if_locked(contract)
    if contract.amount <= 0:
        raise ValidationFailed({"amount": _("合同金额必须大于 0。")})
    before = audit.snapshot(contract)
    contract.status = ContractStatus.IN_APPROVAL
    contract.version += 1
    contract.save()
    Instalment.objects.filter(contract=contract, status=InstalmentStatus.VOID).update(
        status=InstalmentStatus.DRAFT
    )
    audit.audit_update(actor=actor, obj=contract, before=before, customer_id=contract.customer_id)
    approval_submit(actor=actor, document_type=DOCUMENT_CONTRACT, object_id=contract.pk)
    return contract


def on_approved(contract: Contract, actor: Any) -> None:
    """The contract's approval passed (called in the deciding transaction): it binds, and
    its payment plan becomes active."""
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    before = audit.snapshot(locked)
    locked.status = ContractStatus.APPROVED
    locked.version += 1
    locked.save()
    Instalment.objects.filter(contract=locked, status=InstalmentStatus.DRAFT).update(
        status=InstalmentStatus.PENDING
    )
    aging_refresh([locked.customer_id])
    audit.audit_update(actor=actor, obj=locked, before=before, customer_id=locked.customer_id)
    timeline(locked, actor, gettext_noop("合同 %(number)s 审批通过：%(title)s"))
    emit(webhooks.CONTRACT_APPROVED, webhooks.payload(locked), actor=actor)
    contract.status, contract.version = locked.status, locked.version


def on_rejected(contract: Contract, actor: Any) -> None:
    """The approval was rejected: the contract may be edited and submitted again; its
    plan is void meanwhile."""
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    before = audit.snapshot(locked)
    locked.status = ContractStatus.REJECTED
    locked.version += 1
    locked.save()
    Instalment.objects.filter(contract=locked, status=InstalmentStatus.DRAFT).update(
        status=InstalmentStatus.VOID
    )
    audit.audit_update(actor=actor, obj=locked, before=before, customer_id=locked.customer_id)
    timeline(locked, actor, gettext_noop("合同 %(number)s 审批被驳回：%(title)s"))
    contract.status, contract.version = locked.status, locked.version


@transaction.atomic
def contract_transition(
    *, actor: Any, contract_id: int, status: Any, version: int | None
) -> Contract:
    """approved → active → finished; approved/active → terminated (open instalments
    become void)."""
    contract = contract_lock(actor, contract_id)
    check_version(contract, version)
    if status not in ContractStatus.values:
        raise ValidationFailed({"status": _("无效的选项。")})
    if status not in TRANSITIONS.get(contract.status, frozenset()):
        raise ValidationFailed(
            {
                "status": _("合同不能从“%(from)s”变为“%(to)s”。")
                % {
                    "from": ContractStatus(contract.status).label,
                    "to": ContractStatus(status).label,
                }
            }
        )
    before = audit.snapshot(contract)
    contract.status = status
    contract.version += 1
    contract.save()
    if status == S.TERMINATED:
        Instalment.objects.filter(
            contract=contract, status__in=["pending", "overdue"], received=0
        ).update(status=InstalmentStatus.VOID)
        aging_refresh([contract.customer_id])
    audit.audit_update(actor=actor, obj=contract, before=before, customer_id=contract.customer_id)
    timeline(
        contract,
        actor,
        gettext_noop("合同 %(number)s 状态变为%(status)s"),
        {"status": ChoiceLabel("contracts.contract", "status", status)},
    )
    return contract


# --- amendments ----------------------------------------------------------------------------


@transaction.atomic
def amendment_create(
    *, actor: Any, contract_id: int, data: Mapping[str, Any], version: int | None
) -> ContractAmendment:
    """Propose new terms for an approved or active contract and submit them to approval
    (the contract's document flow for amendments). The new amount may not fall below
    what was already collected or invoiced."""
    from guanxi.approvals.services import approval_submit

    reject_unknown(data, AMENDMENT_FIELDS)
    contract = contract_lock(actor, contract_id)
    check_version(contract, version)
    if contract.status not in (S.APPROVED, S.ACTIVE):
        raise Conflict(_("只有已审批或执行中的合同可以变更。"), field="status")
    if ContractAmendment.objects.filter(
        contract=contract, status__in=[AmendmentStatus.DRAFT, AmendmentStatus.IN_APPROVAL]
    ).exists():
        raise Conflict(_("该合同已有一个审批中的变更。"), field="status")
    merged = {k: data.get(k, getattr(contract, k, None)) for k in AMENDMENT_FIELDS}
    terms = _terms(merged, AMENDMENT_FIELDS)
    floor = max(contract.collected, contract.invoiced)
    if terms["amount"] < floor:
        raise ValidationFailed(
            {"amount": _("变更后的金额不能低于已回款或已开票金额 ¥%(floor)s。") % {"floor": floor}}
        )
    amendment = ContractAmendment.objects.create(
        contract=contract,
        revision=contract.revision + 1,
        status=AmendmentStatus.IN_APPROVAL,
        created_by=actor,
        previous={k: audit.snapshot(contract, [k])[k] for k in AMENDMENT_FIELDS - {"reason"}},
        **terms,
    )
    audit.audit_create(actor=actor, obj=amendment, customer_id=contract.customer_id)
    timeline(
        contract,
        actor,
        gettext_noop("合同 %(number)s 发起变更 V%(revision)s：%(title)s"),
        {"revision": amendment.revision},
    )
    approval_submit(actor=actor, document_type=DOCUMENT_AMENDMENT, object_id=amendment.pk)
    return amendment


def amendment_on_approved(amendment: ContractAmendment, actor: Any) -> None:
    """Apply the approved terms to the contract; the plan follows the new amount (the
    last instalments absorb the difference, never below what they received)."""
    from guanxi.contracts.services.plans import plan_follow_amount

    amendment = ContractAmendment.objects.select_for_update().get(pk=amendment.pk)
    contract = Contract.objects.select_for_update().get(pk=amendment.contract_id)
    before = audit.snapshot(contract)
    for name in ("title", "amount", "start_date", "end_date"):
        setattr(contract, name, getattr(amendment, name))
    contract.revision = amendment.revision
    contract.version += 1
    contract.save()
    amendment.status = AmendmentStatus.APPROVED
    amendment.version += 1
    amendment.save()
    plan_follow_amount(contract=contract)
    audit.audit_update(
        actor=actor,
        obj=contract,
        before=before,
        customer_id=contract.customer_id,
        extra={"amendment": [None, amendment.pk]},
    )
    timeline(
        contract,
        actor,
        gettext_noop("合同 %(number)s 变更 V%(revision)s 已生效"),
        {"revision": amendment.revision},
    )
    emit(webhooks.CONTRACT_AMENDED, webhooks.payload(contract), actor=actor)


def amendment_on_rejected(amendment: ContractAmendment, actor: Any) -> None:
    locked = ContractAmendment.objects.select_for_update().get(pk=amendment.pk)
    before = audit.snapshot(locked)
    locked.status = AmendmentStatus.REJECTED
    locked.version += 1
    locked.save()
    audit.audit_update(
        actor=actor, obj=locked, before=before, customer_id=locked.contract.customer_id
    )
