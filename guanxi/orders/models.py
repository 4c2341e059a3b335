"""Products, orders and their lines (SPEC A5): the purchase history every value analysis
reads. The tables keep the names they had in the customers app (``customers_order`` …)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import VersionedModel
from guanxi.core.money import MoneyField


class Product(VersionedModel):
    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    category = models.CharField(_("类别"), max_length=50, blank=True)
    unit_price = MoneyField(_("单价"), max_digits=12, decimal_places=2)
    active = models.BooleanField(_("在售"), default=True)

    class Meta:
        verbose_name = _("产品")
        verbose_name_plural = _("产品")
        db_table = "customers_product"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="product_price_gte_0")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class OrderStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("已确认")
    CANCELLED = "cancelled", _("已取消")


class Order(VersionedModel):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    number = models.CharField(_("订单号"), max_length=40, unique=True)
    order_date = models.DateField(_("下单日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.CONFIRMED
    )
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    total = MoneyField(_("金额"), max_digits=14, decimal_places=2, default=Decimal("0"))
    note = models.CharField(_("备注"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        db_table = "customers_order"
        ordering = ["-order_date", "-id"]
        indexes = [
            models.Index(fields=["customer", "order_date"], name="order_customer_date_idx"),
            models.Index(fields=["order_date"], name="order_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_gte_0"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("产品"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("描述"), max_length=200)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=2)
    unit_price = MoneyField(_("单价"), max_digits=12, decimal_places=2)
    amount = MoneyField(_("金额"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("订单明细")
        verbose_name_plural = _("订单明细")
        db_table = "customers_orderline"
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_qty_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderline_price_gte_0"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="orderline_amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.description} × {self.quantity}"
