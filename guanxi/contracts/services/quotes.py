"""Writes of quotes (报价). Each locks the quote, checks its ``version``, validates, writes in
one transaction, recomputes the totals from the lines (``contracts.pricing``), audits
old → new with the customer, and puts sending / acceptance on the customer's timeline.

Life of a quote: draft → (in approval → approved, when a line's discount is above the
sender's role limit) → sent → accepted / rejected / expired. Only a draft changes; any
other quote is revised into a new draft (``revision`` + 1) and becomes ``superseded``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from guanxi.accounts import permissions
from guanxi.approvals import services as approval_services
from guanxi.contracts import pricing
from guanxi.contracts import selectors as contract_selectors
from guanxi.contracts import selectors_quotes as selectors
from guanxi.contracts.models import Quote, QuoteLine, QuoteStatus
from guanxi.contracts.services import contracts as contract_services
from guanxi.core import audit
from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.core.limits import MAX_ID, check_date, limit
from guanxi.core.money import MAX_AMOUNT
from guanxi.core.writes import check_version, reject_unknown
from guanxi.customers.timeline import TimelineText, timeline_add
from guanxi.orders.models import Product
from guanxi.sales import selectors as sales_selectors
from guanxi.sales.models import Opportunity, OpportunityStatus

DOCUMENT_TYPE = "quote_discount"
TIMELINE_KIND = "quote"
QUOTE_FIELDS = frozenset({"title", "valid_until", "note"})
LINE_FIELDS = frozenset({"product_id", "quantity", "unit_price", "discount_percent",
                         "description"})  # fmt: skip
MAX_LINES = 100
DEFAULT_VALIDITY_DAYS = 30
MAX_QUANTITY = Decimal("9999999999.99")
MAX_UNIT_PRICE = Decimal("9999999999.99")
QUOTABLE = (OpportunityStatus.OPEN, OpportunityStatus.WON)
REVISABLE = frozenset({QuoteStatus.DRAFT, QuoteStatus.APPROVED, QuoteStatus.SENT,
                       QuoteStatus.REJECTED, QuoteStatus.EXPIRED})  # fmt: skip
TOTAL_FIELDS = ["list_total", "net_total", "tax_total", "total", "max_discount"]


# --- input ---------------------------------------------------------------------------------


def parse_decimal(
    value: Any, field: str, *, high: Decimal, positive: bool = False, places: int = 2
) -> Decimal:
    """``value`` as a Decimal of at most ``places`` places within 0…``high`` (above 0 when
    ``positive``), or ``ValidationFailed`` naming ``field``. Never rounds: 12.345 is refused,
    not silently made 12.35."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        # A float has already lost the decimal the user typed; text or Decimal only.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValidationFailed({field: _("必须是数字。")})
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed({field: _("必须是数字。")}) from None
    if not number.is_finite():
        raise ValidationFailed({field: _("必须是数字。")})
    if positive and number <= 0:
        raise ValidationFailed({field: _("必须大于 0。")})
    if number < 0:
        raise ValidationFailed({field: _("不能为负数。")})
    if number > high:
        raise ValidationFailed({field: _("不能大于 %(max)s。") % {"max": high}})
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise ValidationFailed({field: _("最多 %(n)s 位小数。") % {"n": places}})
    return number.quantize(Decimal(1).scaleb(-places))


def _text(value: Any, field: str, model: type[Any], *, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise ValidationFailed({field: _("此项必填。")})
    if len(text) > limit(model, field):
        raise ValidationFailed({field: _("不能超过 %(n)s 个字符。") % {"n": limit(model, field)}})
    return text


def _valid_until(value: Any, today: dt.date) -> dt.date:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ValidationFailed({"valid_until": _("须为 YYYY-MM-DD 格式的日期。")}) from None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationFailed({"valid_until": _("须为 YYYY-MM-DD 格式的日期。")})
    try:
        check_date(value)
    except ValueError as exc:
        raise ValidationFailed({"valid_until": str(exc)}) from None
    if value < today:
        raise ValidationFailed({"valid_until": _("有效期不能早于今天。")})
    return value


def _id(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ValidationFailed({field: _("必须是 1 到 %(max)s 之间的整数。") % {"max": MAX_ID}})
    return value


def _today() -> dt.date:
    return timezone.localdate()


def default_valid_until() -> dt.date:
    return _today() + dt.timedelta(days=DEFAULT_VALIDITY_DAYS)


# --- locks -----------------------------------------------------------------------------------


def quote_lock(actor: Any, quote_id: Any) -> Quote:
    """The quote, locked: 404 when missing or outside the actor's read scope, 403 when the
    actor may read but not change its opportunity."""
    try:
        pk = int(quote_id)
    except (TypeError, ValueError):
        raise NotFound(_("报价单不存在。")) from None
    row = (
        selectors.scoped_quotes(actor=actor)
        .select_for_update(of=("self",))
        .select_related("opportunity")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NotFound(_("报价单不存在。"))
    if not selectors.can_change_quote(actor, row):
        raise PermissionDenied(_("你没有修改该报价单的权限。"))
    return row


def _editable(quote: Quote) -> None:
    if not quote.editable:
        raise Conflict(
            _("报价单当前状态为“%(status)s”，只读；请修订为新版本后再修改。")
            % {"status": quote.get_status_display()},
            field="status",
        )


def _bump(quote: Quote, fields: Sequence[str]) -> None:
    quote.version += 1
    quote.save(update_fields=[*fields, "version", "updated_at"])


# --- totals --------------------------------------------------------------------------------


def _recompute(quote: Quote) -> None:
    lines = list(quote.lines.all())
    figures = pricing.quote_figures(
        (
            pricing.LineFigures(line.list_amount, line.net_amount, line.tax_amount, line.total),
            line.discount_percent,
        )
        for line in lines
    )
    if max(figures.list_total, figures.total) > MAX_AMOUNT:
        # Refused before the write: the columns hold 14 digits (a DataError would be a 500).
        raise ValidationFailed({"quantity": _("报价单合计金额过大。")})
    quote.list_total = figures.list_total
    quote.net_total = figures.net_total
    quote.tax_total = figures.tax_total
    quote.total = figures.total
    quote.max_discount = figures.max_discount


def _fill_line(line: QuoteLine, data: Mapping[str, Any], *, creating: bool) -> None:
    reject_unknown(data, LINE_FIELDS)
    errors: dict[str, list[str]] = {}

    def check(name: str, parse: Any) -> None:
        if name not in data:
            return
        try:
            setattr(line, name, parse(data[name]))
        except ValidationFailed as exc:
            for key, messages in exc.errors.items():
                errors.setdefault(key, []).extend(messages)

    if creating or "product_id" in data:
        if "product_id" not in data:
            errors["product_id"] = [_("此项必填。")]
        else:
            try:
                product = (
                    Product.objects.select_related("terms")
                    .filter(pk=_id(data["product_id"], "product_id"), active=True)
                    .first()
                )
            except ValidationFailed as exc:
                errors.update(exc.errors)
                product = None
            else:
                if product is None:
                    errors["product_id"] = [_("产品不存在或已停售。")]
            if product is not None:
                terms = selectors.terms_of(product)
                line.product = product
                line.unit = terms.unit
                line.tax_rate = terms.tax_rate
                if "unit_price" not in data:
                    line.unit_price = terms.list_price
                if not data.get("description"):
                    line.description = product.name[: limit(QuoteLine, "description")]
    if creating and "quantity" not in data:
        errors["quantity"] = [_("此项必填。")]
    check("quantity", lambda v: parse_decimal(v, "quantity", high=MAX_QUANTITY, positive=True))
    check("unit_price", lambda v: parse_decimal(v, "unit_price", high=MAX_UNIT_PRICE))
    check(
        "discount_percent",
        lambda v: parse_decimal(v, "discount_percent", high=pricing.HUNDRED),
    )
    if data.get("description"):
        check("description", lambda v: _text(v, "description", QuoteLine))
    if errors:
        raise ValidationFailed(errors)
    figures = pricing.line_figures(
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        tax_rate=line.tax_rate,
    )
    if max(figures.list_amount, figures.total) > MAX_AMOUNT:
        raise ValidationFailed({"quantity": _("金额过大。")})
    line.list_amount = figures.list_amount
    line.net_amount = figures.net_amount
    line.tax_amount = figures.tax_amount
    line.total = figures.total


def _add_lines(actor: Any, quote: Quote, lines: Sequence[Mapping[str, Any]]) -> list[QuoteLine]:
    if not isinstance(lines, list | tuple):
        raise ValidationFailed({"lines": _("必须是列表。")})
    start = quote.lines.aggregate(m=Max("position"))["m"] or 0
    if start + len(lines) > MAX_LINES:
        raise ValidationFailed({"lines": _("一张报价单最多 %(n)s 行。") % {"n": MAX_LINES}})
    made = []
    errors: dict[str, list[str]] = {}
    for index, data in enumerate(lines):
        line = QuoteLine(quote=quote, position=start + index + 1)
        try:
            if not isinstance(data, Mapping):
                raise ValidationFailed({"lines": _("必须是对象。")})
            _fill_line(line, data, creating=True)
        except ValidationFailed as exc:
            for name, messages in exc.errors.items():
                key = f"lines[{index}].{name}" if len(lines) > 1 else name
                errors.setdefault(key, []).extend(messages)
            continue
        made.append(line)
    if errors:
        raise ValidationFailed(errors)
    for line in made:
        line.save()
        audit.audit_create(actor=actor, obj=line, customer_id=quote.customer_id)
    return made


# --- create and edit ----------------------------------------------------------------------


def _opportunity(actor: Any, opportunity_id: Any) -> Opportunity:
    try:
        opportunity = sales_selectors.opportunity_get(
            actor=actor, opportunity_id=_id(opportunity_id, "opportunity_id")
        )
    except NotFound:
        raise NotFound(_("商机不存在。"), field="opportunity_id") from None
    if not sales_selectors.can_change(actor, opportunity):
        raise PermissionDenied(_("你没有为该商机报价的权限。"))
    if opportunity.status not in QUOTABLE:
        raise ValidationFailed({"opportunity_id": _("该商机已输单或无效，不能报价。")})
    return opportunity


@transaction.atomic
def quote_create(
    *,
    actor: Any,
    opportunity_id: Any,
    title: str | None = None,
    valid_until: Any = None,
    note: str = "",
    lines: Sequence[Mapping[str, Any]] = (),
) -> Quote:
    """A draft quote (revision 1) for an opportunity the actor may change, with lines."""
    if not permissions.is_staff_actor(actor):
        raise PermissionDenied(_("你不能创建报价单。"))
    opportunity = _opportunity(actor, opportunity_id)
    today = _today()
    quote = Quote(
        opportunity=opportunity,
        customer_id=opportunity.customer_id,
        number=f"tmp-{uuid.uuid4().hex}"[: limit(Quote, "number")],
        title=_text(title or opportunity.name, "title", Quote, required=True),
        valid_until=_valid_until(valid_until or default_valid_until(), today),
        currency=opportunity.currency,
        note=_text(note, "note", Quote),
        created_by=actor,
    )
    quote.save()
    quote.number = f"BJ{timezone.localtime(quote.created_at):%Y%m}-{quote.pk:05d}"
    quote.save(update_fields=["number"])
    if lines:
        _add_lines(actor, quote, lines)
        _recompute(quote)
        quote.save(update_fields=TOTAL_FIELDS)
    audit.audit_create(actor=actor, obj=quote, customer_id=quote.customer_id)
    return quote


@transaction.atomic
def quote_update(
    *, actor: Any, quote_id: Any, version: int | None, data: Mapping[str, Any]
) -> Quote:
    quote = quote_lock(actor, quote_id)
    check_version(quote, version)
    _editable(quote)
    reject_unknown(data, QUOTE_FIELDS)
    before = audit.snapshot(quote, list(data))
    if "title" in data:
        quote.title = _text(data["title"], "title", Quote, required=True)
    if "valid_until" in data:
        quote.valid_until = _valid_until(data["valid_until"], _today())
    if "note" in data:
        quote.note = _text(data["note"], "note", Quote)
    _bump(quote, list(data))
    audit.audit_update(actor=actor, obj=quote, before=before, customer_id=quote.customer_id)
    return quote


def _line_write(actor: Any, quote: Quote, before: dict[str, Any]) -> None:
    _recompute(quote)
    _bump(quote, TOTAL_FIELDS)
    audit.audit_update(actor=actor, obj=quote, before=before, customer_id=quote.customer_id)


@transaction.atomic
def quote_line_add(
    *, actor: Any, quote_id: Any, version: int | None, data: Mapping[str, Any]
) -> QuoteLine:
    quote = quote_lock(actor, quote_id)
    check_version(quote, version)
    _editable(quote)
    before = audit.snapshot(quote, TOTAL_FIELDS)
    (line,) = _add_lines(actor, quote, [data])
    _line_write(actor, quote, before)
    return line


def _line(quote: Quote, line_id: Any) -> QuoteLine:
    try:
        pk = int(line_id)
    except (TypeError, ValueError):
        raise NotFound(_("报价明细不存在。"), field="line_id") from None
    line = quote.lines.select_related("product").filter(pk=pk).first()
    if line is None:
        raise NotFound(_("报价明细不存在。"), field="line_id")
    return line


@transaction.atomic
def quote_line_update(
    *, actor: Any, quote_id: Any, line_id: Any, version: int | None, data: Mapping[str, Any]
) -> QuoteLine:
    quote = quote_lock(actor, quote_id)
    check_version(quote, version)
    _editable(quote)
    line = _line(quote, line_id)
    before_quote = audit.snapshot(quote, TOTAL_FIELDS)
    before = audit.snapshot(line)
    _fill_line(line, data, creating=False)
    line.save()
    audit.audit_update(actor=actor, obj=line, before=before, customer_id=quote.customer_id)
    _line_write(actor, quote, before_quote)
    return line


@transaction.atomic
def quote_line_remove(*, actor: Any, quote_id: Any, line_id: Any, version: int | None) -> Quote:
    quote = quote_lock(actor, quote_id)
    check_version(quote, version)
    _editable(quote)
    line = _line(quote, line_id)
    before_quote = audit.snapshot(quote, TOTAL_FIELDS)
    audit.audit_delete(actor=actor, obj=line, customer_id=quote.customer_id)
    line.delete()
    _line_write(actor, quote, before_quote)
    return quote


# --- the way to the customer ----------------------------------------------------------------


def _has_lines(quote: Quote) -> None:
    if not quote.lines.exists():
        raise ValidationFailed({"lines": _("报价单至少需要一行产品。")})


def _status(actor: Any, quote: Quote, status: str, fields: Sequence[str] = ()) -> None:
    before = audit.snapshot(quote, ["status", *fields])
    quote.status = status
    _bump(quote, ["status", *fields])
    audit.audit_update(actor=actor, obj=quote, before=before, customer_id=quote.customer_id)


def _timeline(actor: Any, quote: Quote, msgid: str) -> None:
    timeline_add(
        customer_id=quote.customer_id,
        kind=TIMELINE_KIND,
        occurred_at=timezone.now(),
        title=TimelineText(
            msgid,
            {"number": str(quote), "title": quote.title, "total": f"{quote.total:,.2f}"},
        ),
        actor=actor,
        subject=quote,
    )


@transaction.atomic
def quote_submit(*, actor: Any, quote_id: Any, version: int | None) -> Quote:
    """Send a draft whose discount is above the actor's limit into the approval flow."""
    quote = quote_lock(actor, quote_id)
    check_version(quote, version)
    _editable(quote)
    _has_lines(quote)
    if not selectors.needs_approval(actor, quote):
        raise ValidationFailed(
            {"discount_percent": _("折扣未超过你的上限，无需审批，可直接发送。")}
        )
    _status(actor, quote, QuoteStatus.IN_APPROVAL)
    approval_services.approval_submit(actor=actor, document_type=DOCUMENT_TYPE, object_id=quote.pk)
    quote.refresh_from_db()  # an automatic approval has already moved it on
    return quote


@transaction.atomic
def quote_send(*, actor: Any, quote_id: Any, version: int | None) -> Quote:
    """Draft (within the actor's discount limit) or approved → sent."""
    quote = quote_lock(actor, quote_id)
    check_version(quote, version)
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.APPROVED):
        raise Conflict(
            _("报价单当前状态为“%(status)s”，不能发送。") % {"status": quote.get_status_display()},
            field="status",
        )
    _has_lines(quote)
    if quote.status == QuoteStatus.DRAFT and selectors.needs_approval(actor, quote):
        raise ValidationFailed(
            {
                "discount_percent": _(
                    "最大折扣 %(discount)s%% 超过你的上限 %(limit)s%%，请先提交折扣审批。"
                )
                % {"discount": quote.max_discount, "limit": selectors.discount_limit(actor)}
            }
        )
    if quote.valid_until < _today():
        raise ValidationFailed({"valid_until": _("报价已过有效期，请修订后再发送。")})
    quote.sent_at = timezone.now()
    _status(actor, quote, QuoteStatus.SENT, ["sent_at"])
    _timeline(actor, quote, gettext_noop("报价已发送：%(number)s %(title)s，价税合计 ¥%(total)s"))
    return quote


def _answer(actor: Any, quote_id: Any, version: int | None, status: str) -> Quote:
    quote = quote_lock(actor, quote_id)
    check_version(quote, version)
    if quote.status != QuoteStatus.SENT:
        raise Conflict(
            _("只有已发送的报价单可以记录客户答复（当前：%(status)s）。")
            % {"status": quote.get_status_display()},
            field="status",
        )
    quote.decided_at = timezone.now()
    _status(actor, quote, status, ["decided_at"])
    return quote


@transaction.atomic
def quote_accept(*, actor: Any, quote_id: Any, version: int | None) -> Quote:
    """The customer accepted: sent → accepted, on the customer's timeline; when the actor
    works with contracts, a draft contract for the quote's total follows (starting today,
    for a year: the draft is edited before it goes to approval)."""
    quote = _answer(actor, quote_id, version, QuoteStatus.ACCEPTED)
    _timeline(actor, quote, gettext_noop("报价已接受：%(number)s %(title)s，价税合计 ¥%(total)s"))
    if contract_selectors.can_use(actor):
        today = _today()
        contract = contract_services.contract_create(
            actor=actor,
            customer_id=quote.customer_id,
            opportunity_id=quote.opportunity_id,
            data={
                "title": quote.title,
                "amount": quote.total,
                "start_date": today,
                "end_date": today + dt.timedelta(days=364),
            },
            source=f"quote:{quote.pk}",
        )
        before = audit.snapshot(quote, ["contract_id"])
        quote.contract_id = contract.pk
        quote.save(update_fields=["contract_id", "updated_at"])
        audit.audit_update(actor=actor, obj=quote, before=before, customer_id=quote.customer_id)
    return quote


@transaction.atomic
def quote_reject(*, actor: Any, quote_id: Any, version: int | None) -> Quote:
    quote = _answer(actor, quote_id, version, QuoteStatus.REJECTED)
    _timeline(actor, quote, gettext_noop("报价被拒绝：%(number)s %(title)s"))
    return quote


@transaction.atomic
def quote_revise(*, actor: Any, quote_id: Any, version: int | None) -> Quote:
    """A new draft revision with the same lines; the quote revised becomes read-only."""
    quote = quote_lock(actor, quote_id)
    check_version(quote, version)
    if quote.status not in REVISABLE:
        raise Conflict(
            _("报价单当前状态为“%(status)s”，不能修订。") % {"status": quote.get_status_display()},
            field="status",
        )
    if Quote.objects.filter(previous=quote).exists():
        raise Conflict(_("该版本已被修订。"), field="status")
    lines = list(quote.lines.order_by("position"))
    _status(actor, quote, QuoteStatus.SUPERSEDED)
    today = _today()
    fresh = Quote.objects.create(
        opportunity_id=quote.opportunity_id,
        customer_id=quote.customer_id,
        number=quote.number,
        revision=quote.revision + 1,
        previous=quote,
        title=quote.title,
        valid_until=max(quote.valid_until, today),
        currency=quote.currency,
        note=quote.note,
        created_by=actor,
        **{name: getattr(quote, name) for name in TOTAL_FIELDS},
    )
    for line in lines:
        line.pk = None
        line.quote = fresh
    QuoteLine.objects.bulk_create(lines)
    audit.audit_create(actor=actor, obj=fresh, customer_id=fresh.customer_id)
    audit.audit_bulk_create(actor=actor, objs=lines, customer_attr=None)
    return fresh


def quotes_expire(*, today: dt.date | None = None) -> int:
    """Sent quotes past their validity date become expired (the periodic job)."""
    day = today or _today()
    count = 0
    for pk in Quote.objects.filter(status=QuoteStatus.SENT, valid_until__lt=day).values_list(
        "pk", flat=True
    )[:1000]:
        with transaction.atomic():
            quote = (
                Quote.objects.select_for_update()
                .filter(pk=pk, status=QuoteStatus.SENT, valid_until__lt=day)
                .first()
            )
            if quote is None:
                continue
            _status(None, quote, QuoteStatus.EXPIRED)
            count += 1
    return count


# --- the approval's hooks (``quote_registry``) ----------------------------------------------


def approval_settled(*, quote_id: int, status: str) -> None:
    """The discount approval ended: approved → approved; rejected or withdrawn → draft.
    Called inside the approval's transaction."""
    quote = Quote.objects.select_for_update().filter(pk=quote_id).first()
    if quote is None or quote.status != QuoteStatus.IN_APPROVAL:
        return
    _status(None, quote, status)
