"""Price terms of the catalogue and quotes (报价, SPEC B7 items 1–2).

``ProductTerms`` adds what selling needs to an ``orders.Product`` (list price, unit, tax
rate) without changing the orders app; ``DiscountLimit`` is the largest line discount a
role may give without approval. A :class:`Quote` belongs to an opportunity and is seen by
whoever sees the opportunity. Revising a quote makes a new row (``revision`` + 1, same
``number``); the earlier one becomes ``superseded`` and is read-only.

Money (``guanxi.contracts.pricing``): each line's net amount is rounded once to cents
(half up), its tax once from that net; the quote's totals are exact sums of the lines.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import Role
from guanxi.core.models import TimeStampedModel, VersionedModel
from guanxi.core.money import MoneyField


class ProductTerms(VersionedModel):
    product = models.OneToOneField(
        "orders.Product", verbose_name=_("产品"), on_delete=models.CASCADE, related_name="terms"
    )
    list_price = MoneyField(_("目录价"), max_digits=12, decimal_places=2)
    unit = models.CharField(_("单位"), max_length=20, default="件")
    tax_rate = models.DecimalField(
        _("税率（%）"), max_digits=5, decimal_places=2, default=Decimal("13.00")
    )

    class Meta:
        verbose_name = _("产品价格条款")
        verbose_name_plural = _("产品价格条款")
        ordering = ["product"]
        constraints = [
            models.CheckConstraint(condition=Q(list_price__gte=0), name="terms_price_gte_0"),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="terms_tax_0_100"
            ),
        ]

    def __str__(self) -> str:
        return str(self.product)


class DiscountLimit(TimeStampedModel):
    """The largest discount (%) a role gives on a quote line on its own; above it the quote
    goes through the ``quote_discount`` approval. A role without a row may give none."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, unique=True)
    max_discount = models.DecimalField(_("最大折扣（%）"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("角色折扣上限")
        verbose_name_plural = _("角色折扣上限")
        ordering = ["role"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_discount__gte=0, max_discount__lte=100),
                name="discount_limit_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} ≤ {self.max_discount}%"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_APPROVAL = "in_approval", _("审批中")
    APPROVED = "approved", _("折扣已批准")
    SENT = "sent", _("已发送")
    ACCEPTED = "accepted", _("已接受")
    REJECTED = "rejected", _("已拒绝")
    EXPIRED = "expired", _("已过期")
    SUPERSEDED = "superseded", _("已修订")


# The states whose lines may change; every other state is read-only.
EDITABLE_STATES = frozenset({QuoteStatus.DRAFT})


class Quote(VersionedModel):
    opportunity = models.ForeignKey(
        "sales.Opportunity", verbose_name=_("商机"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.CharField(_("报价单号"), max_length=30)
    revision = models.PositiveSmallIntegerField(_("版本号"), default=1)
    previous = models.OneToOneField(
        "self",
        verbose_name=_("上一版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_revision",
    )
    title = models.CharField(_("标题"), max_length=200)
    valid_until = models.DateField(_("有效期至"))
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    note = models.CharField(_("备注"), max_length=1000, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    list_total = MoneyField(_("目录价合计"), max_digits=14, decimal_places=2, default=0)
    net_total = MoneyField(_("折后合计（不含税）"), max_digits=14, decimal_places=2, default=0)
    tax_total = MoneyField(_("税额合计"), max_digits=14, decimal_places=2, default=0)
    total = MoneyField(_("价税合计"), max_digits=14, decimal_places=2, default=0)
    max_discount = models.DecimalField(
        _("最大折扣（%）"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("客户答复时间"), null=True, blank=True)
    # The contract made from the accepted quote (a plain id: contracts are another module).
    contract_id = models.BigIntegerField(_("合同编号"), null=True, blank=True)

    class Meta:
        verbose_name = _("报价单")
        verbose_name_plural = _("报价单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number", "revision"], name="quote_number_revision"),
            models.CheckConstraint(condition=Q(revision__gte=1), name="quote_revision_gte_1"),
            models.CheckConstraint(condition=Q(total__gte=0), name="quote_total_gte_0"),
            models.CheckConstraint(
                condition=Q(max_discount__gte=0, max_discount__lte=100),
                name="quote_discount_0_100",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="quote_title_not_empty"),
        ]
        indexes = [
            models.Index(fields=["opportunity", "-revision"], name="quote_opportunity_idx"),
            models.Index(fields=["status", "valid_until"], name="quote_status_valid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} v{self.revision}"

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE_STATES


class QuoteLine(models.Model):
    quote = models.ForeignKey(
        Quote, verbose_name=_("报价单"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    product = models.ForeignKey(
        "orders.Product", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("名称"), max_length=200)
    unit = models.CharField(_("单位"), max_length=20)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=2)
    unit_price = MoneyField(_("单价"), max_digits=12, decimal_places=2)
    discount_percent = models.DecimalField(
        _("折扣（%）"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    tax_rate = models.DecimalField(_("税率（%）"), max_digits=5, decimal_places=2)
    list_amount = MoneyField(_("目录价金额"), max_digits=14, decimal_places=2)
    net_amount = MoneyField(_("折后金额"), max_digits=14, decimal_places=2)
    tax_amount = MoneyField(_("税额"), max_digits=14, decimal_places=2)
    total = MoneyField(_("价税合计"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("报价明细")
        verbose_name_plural = _("报价明细")
        ordering = ["quote", "position"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "position"], name="quoteline_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quoteline_qty_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="quoteline_price_gte_0"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100),
                name="quoteline_discount_0_100",
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="quoteline_tax_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} × {self.quantity}"
