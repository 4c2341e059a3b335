"""Invoices (发票): a customer's invoice titles (开票信息) and invoice requests against a
contract — approved through the approval engine, then issued (number recorded) and
mailed (tracking number). Guanxi does not talk to the tax system: the invoice itself is
issued outside it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from guanxi.contracts import selectors, webhooks
from guanxi.contracts.models import (
    BINDING_STATUSES,
    Contract,
    InvoiceKind,
    InvoiceRequest,
    InvoiceStatus,
    InvoiceTitle,
    InvoiceTitleKind,
)
from guanxi.contracts.services.contracts import _date, _text, contract_lock, money, timeline
from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.writes import check_version, collect_errors, reject_unknown
from guanxi.customers.services.locks import customer_lock
from guanxi.webhooks.services import emit

DOCUMENT_INVOICE = "invoice_request"
TITLE_FIELDS = frozenset({"kind", "name", "tax_id", "address", "phone", "bank", "account"})
MAX_TAX_RATE = Decimal("100")


def tax_id_clean(kind: str, value: Any) -> str:
    """A company's 纳税人识别号 is its 18-character 统一社会信用代码 (checked with
    python-stdnum, check digit included); a person's may be empty."""
    text = _text(value, "tax_id", 20).upper().replace(" ", "").replace("-", "")
    if kind == InvoiceTitleKind.PERSONAL and not text:
        return ""
    if not text:
        raise ValidationFailed({"tax_id": _("单位抬头须填写纳税人识别号。")})
    try:
        return str(uscc.validate(text))
    except StdnumError:
        raise ValidationFailed({"tax_id": _("不是有效的统一社会信用代码。")}) from None


def _title_values(data: Mapping[str, Any], current: InvoiceTitle | None = None) -> dict[str, Any]:
    reject_unknown(data, TITLE_FIELDS)
    out: dict[str, Any] = {}
    kind = data.get("kind", current.kind if current else InvoiceTitleKind.COMPANY)

    def pick(name: str) -> Any:
        return data[name] if name in data else getattr(current, name, "")

    def check_kind() -> None:
        if kind not in InvoiceTitleKind.values:
            raise ValidationFailed({"kind": _("无效的选项。")})
        out["kind"] = kind

    limits = {"name": 200, "address": 200, "phone": 40, "bank": 100, "account": 40}

    def text(name: str) -> Any:
        def check() -> None:
            out[name] = _text(pick(name), name, limits[name], required=name == "name")

        return check

    def check_tax_id() -> None:
        out["tax_id"] = tax_id_clean(kind, pick("tax_id"))

    collect_errors(check_kind, *(text(n) for n in limits), check_tax_id)
    return out


@transaction.atomic
def invoice_title_create(*, actor: Any, customer_id: Any, data: Mapping[str, Any]) -> InvoiceTitle:
    if not selectors.can_use(actor):
        raise PermissionDenied(_("你的角色不能使用合同功能。"))
    customer = customer_lock(actor, customer_id)
    title = InvoiceTitle.objects.create(customer=customer, **_title_values(data))
    audit.audit_create(actor=actor, obj=title, customer_id=customer.pk)
    return title


@transaction.atomic
def invoice_title_update(
    *, actor: Any, title_id: Any, data: Mapping[str, Any], version: int | None
) -> InvoiceTitle:
    title = (
        selectors.invoice_titles_all(actor=actor).select_for_update().filter(pk=title_id).first()
    )
    if title is None:
        raise NotFound(_("发票抬头不存在。"), field="title_id")
    customer_lock(actor, title.customer_id)
    check_version(title, version)
    before = audit.snapshot(title)
    for name, value in _title_values(data, title).items():
        setattr(title, name, value)
    if not audit.diff(before, audit.snapshot(title, before.keys())):
        return title
    title.version += 1
    title.save()
    audit.audit_update(actor=actor, obj=title, before=before, customer_id=title.customer_id)
    return title


@transaction.atomic
def invoice_request_create(
    *,
    actor: Any,
    contract_id: Any,
    title_id: Any,
    amount: Any,
    tax_rate: Any,
    kind: str = InvoiceKind.NORMAL,
    note: str = "",
) -> InvoiceRequest:
    """Request an invoice of ``amount`` (≤ the contract amount minus what is already
    requested or invoiced) on one of the contract customer's titles, and submit it to
    the invoice approval flow."""
    from guanxi.approvals.services import approval_submit

    contract = contract_lock(actor, contract_id)
    if contract.status not in BINDING_STATUSES:
        raise Conflict(_("合同尚未审批通过，不能申请开票。"), field="contract_id")
    value = money(amount, "amount", positive=True)
    rate = _tax_rate(tax_rate)
    if kind not in InvoiceKind.values:
        raise ValidationFailed({"kind": _("无效的选项。")})
    title = InvoiceTitle.objects.filter(pk=title_id, customer_id=contract.customer_id).first()
    if title is None:
        raise ValidationFailed({"title_id": _("该客户没有这个发票抬头。")})
    if kind == InvoiceKind.SPECIAL and title.kind != InvoiceTitleKind.COMPANY:
        raise ValidationFailed({"kind": _("增值税专用发票只能开给单位。")})
    available = contract.amount - contract.invoiced
    if value > available:
        raise ValidationFailed(
            {"amount": _("超过可开票金额 ¥%(available)s。") % {"available": available}}
        )
    invoice = InvoiceRequest.objects.create(
        contract=contract,
        title=title,
        kind=kind,
        amount=value,
        tax_rate=rate,
        note=_text(note, "note", 500),
        customer_id=contract.customer_id,
        owner_id=contract.owner_id,
        team_id=contract.team_id,
        created_by=actor,
    )
    Contract.objects.filter(pk=contract.pk).update(invoiced=F("invoiced") + value)
    audit.audit_create(actor=actor, obj=invoice, customer_id=contract.customer_id)
    timeline(
        contract,
        actor,
        gettext_noop("合同 %(number)s 申请开票 ¥%(amount)s"),
        {"amount": f"{value:,.2f}"},
    )
    approval_submit(actor=actor, document_type=DOCUMENT_INVOICE, object_id=invoice.pk)
    return invoice


def _tax_rate(value: Any) -> Decimal:
    if value is None or value == "" or isinstance(value, bool):
        raise ValidationFailed({"tax_rate": _("这个字段是必填项。")})
    try:
        rate = Decimal(str(value))
    except ArithmeticError:
        raise ValidationFailed({"tax_rate": _("必须是数字。")}) from None
    if not rate.is_finite() or rate < 0 or rate > MAX_TAX_RATE:
        raise ValidationFailed({"tax_rate": _("须在 0 到 100 之间。")})
    if rate != rate.quantize(Decimal("0.01")):
        raise ValidationFailed({"tax_rate": _("最多两位小数。")})
    return rate


def invoice_on_approved(invoice: InvoiceRequest, actor: Any) -> None:
    locked = InvoiceRequest.objects.select_for_update().get(pk=invoice.pk)
    before = audit.snapshot(locked)
    locked.status = InvoiceStatus.APPROVED
    locked.version += 1
    locked.save()
    audit.audit_update(actor=actor, obj=locked, before=before, customer_id=locked.customer_id)


def invoice_on_rejected(invoice: InvoiceRequest, actor: Any) -> None:
    """A rejected request no longer counts against the contract's invoiceable amount."""
    locked = InvoiceRequest.objects.select_for_update().get(pk=invoice.pk)
    before = audit.snapshot(locked)
    locked.status = InvoiceStatus.REJECTED
    locked.version += 1
    locked.save()
    Contract.objects.filter(pk=locked.contract_id).update(invoiced=F("invoiced") - locked.amount)
    audit.audit_update(actor=actor, obj=locked, before=before, customer_id=locked.customer_id)


def _invoice_lock(actor: Any, invoice_id: Any) -> tuple[InvoiceRequest, Contract]:
    invoice = selectors.invoice_get(actor=actor, invoice_id=invoice_id)
    contract = contract_lock(actor, invoice.contract_id, field="invoice_id")
    return InvoiceRequest.objects.select_for_update().get(pk=invoice.pk), contract


@transaction.atomic
def invoice_issue(
    *, actor: Any, invoice_id: Any, invoice_number: Any, issued_on: Any, version: int | None
) -> InvoiceRequest:
    """Record the invoice issued (outside Guanxi) for an approved request."""
    invoice, contract = _invoice_lock(actor, invoice_id)
    check_version(invoice, version)
    if invoice.status != InvoiceStatus.APPROVED:
        raise Conflict(_("只有已审批的开票申请可以登记开票。"), field="status")
    number = _text(invoice_number, "invoice_number", 40, required=True)
    day: dt.date | None = _date(issued_on, "issued_on", required=False)
    before = audit.snapshot(invoice)
    invoice.status = InvoiceStatus.ISSUED
    invoice.invoice_number = number
    invoice.issued_on = day or timezone.localdate()
    invoice.version += 1
    invoice.save()
    audit.audit_update(actor=actor, obj=invoice, before=before, customer_id=invoice.customer_id)
    timeline(
        contract,
        actor,
        gettext_noop("合同 %(number)s 已开票 ¥%(amount)s（%(invoice)s）"),
        {"amount": f"{invoice.amount:,.2f}", "invoice": number},
    )
    emit(webhooks.INVOICE_ISSUED, webhooks.invoice_payload(invoice), actor=actor)
    return invoice


@transaction.atomic
def invoice_mail(
    *, actor: Any, invoice_id: Any, tracking_number: Any, version: int | None
) -> InvoiceRequest:
    invoice, _contract = _invoice_lock(actor, invoice_id)
    check_version(invoice, version)
    if invoice.status != InvoiceStatus.ISSUED:
        raise Conflict(_("只有已开票的发票可以登记寄出。"), field="status")
    before = audit.snapshot(invoice)
    invoice.status = InvoiceStatus.MAILED
    invoice.tracking_number = _text(tracking_number, "tracking_number", 60, required=True)
    invoice.mailed_on = timezone.localdate()
    invoice.version += 1
    invoice.save()
    audit.audit_update(actor=actor, obj=invoice, before=before, customer_id=invoice.customer_id)
    return invoice
