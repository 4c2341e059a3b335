"""Reads of quotes and price terms, scoped by the actor: a quote is seen by whoever sees its
opportunity (``accounts.permissions.record_filter`` through ``opportunity__``) and changed
by whoever may change the opportunity."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.contracts.models import DiscountLimit, ProductTerms, Quote, QuoteLine, QuoteStatus
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.limits import MAX_ID
from guanxi.orders.models import Product

DEFAULT_UNIT = "件"
DEFAULT_TAX_RATE = Decimal("13.00")  # the general VAT rate, for a product without terms
FULL = Decimal("100.00")


@dataclass(frozen=True)
class Terms:
    list_price: Decimal
    unit: str
    tax_rate: Decimal


def scoped_quotes(*, actor: Any) -> QuerySet[Quote]:
    q = permissions.record_filter(actor, prefix="opportunity__")
    qs = Quote.objects.all()
    return qs if q is None else qs.filter(q)


def quote_list(
    *, actor: Any, opportunity_id: int | None = None, status: str = ""
) -> QuerySet[Quote]:
    if status and status not in QuoteStatus.values:
        raise ValidationFailed({"status": _("无效的选项。")})
    qs = scoped_quotes(actor=actor).select_related("customer", "opportunity", "created_by")
    if opportunity_id is not None:
        qs = qs.filter(opportunity_id=opportunity_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def quote_get(*, actor: Any, quote_id: Any) -> Quote:
    try:
        pk = int(quote_id)
    except (TypeError, ValueError):
        raise NotFound(_("报价单不存在。")) from None
    if not 1 <= pk <= MAX_ID:
        raise NotFound(_("报价单不存在。"))
    row = (
        scoped_quotes(actor=actor)
        .select_related("customer", "opportunity", "created_by")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NotFound(_("报价单不存在。"))
    return row


def lines_of(*, quote: Quote) -> list[QuoteLine]:
    return list(quote.lines.select_related("product").order_by("position"))


def revisions_of(*, actor: Any, quote: Quote) -> list[Quote]:
    return list(
        scoped_quotes(actor=actor)
        .filter(number=quote.number)
        .only("id", "number", "revision", "status", "total", "created_at")
        .order_by("-revision")
    )


def can_change_quote(actor: Any, quote: Quote) -> bool:
    opportunity = quote.opportunity
    return permissions.can_change_record(
        actor, owner_id=opportunity.owner_id, team_id=opportunity.team_id
    )


def discount_limit(actor: Any) -> Decimal:
    """The largest line discount (%) the actor gives without approval."""
    if getattr(actor, "is_superuser", False):
        return FULL
    found = DiscountLimit.objects.filter(role=getattr(actor, "role", "")).first()
    return found.max_discount if found is not None else Decimal("0.00")


def needs_approval(actor: Any, quote: Quote) -> bool:
    return quote.max_discount > discount_limit(actor)


def terms_of(product: Product) -> Terms:
    """The product's price terms; without a ``ProductTerms`` row, its order price, 件 and
    the general VAT rate."""
    try:
        terms = product.terms
    except ProductTerms.DoesNotExist:
        return Terms(product.unit_price, DEFAULT_UNIT, DEFAULT_TAX_RATE)
    return Terms(terms.list_price, terms.unit, terms.tax_rate)


def quotable_products(*, actor: Any) -> QuerySet[Product]:
    if not permissions.is_staff_actor(actor):
        return Product.objects.none()
    return Product.objects.filter(active=True).select_related("terms").order_by("code")


def discount_limits(*, actor: Any) -> QuerySet[DiscountLimit]:
    if not permissions.is_staff_actor(actor):
        return DiscountLimit.objects.none()
    return DiscountLimit.objects.order_by("role")


def approval_of(*, quote: Quote) -> Any:
    """The quote's discount approval (``None`` before one was submitted)."""
    from guanxi.approvals.selectors import request_for_document

    return request_for_document(document_type="quote_discount", object_id=quote.pk)
