"""Complaints (SPEC C2 投诉): the record a complaint ticket carries — root cause from a
configurable tree, resolution, compensation and the department responsible."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import VersionedModel
from guanxi.core.money import MoneyField

ROOT_CAUSE_MAX_DEPTH = 5


class RootCause(VersionedModel):
    """A node of the root-cause tree (根因). Admins grow the tree; a node in use is
    switched off (``active``), not deleted, so old complaints keep their cause."""

    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级根因"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("投诉根因")
        verbose_name_plural = _("投诉根因")
        ordering = ["order", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="root_cause_name_unique_in_parent"
            ),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="root_cause_top_unique"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="root_cause_name_set"),
        ]

    def __str__(self) -> str:
        return self.name


class CompensationKind(models.TextChoices):
    REFUND = "refund", _("退款")
    VOUCHER = "voucher", _("代金券")
    SERVICE = "service", _("补偿服务")
    OTHER = "other", _("其他")


class Complaint(VersionedModel):
    ticket = models.OneToOneField(
        "service.Ticket", verbose_name=_("工单"), on_delete=models.CASCADE,
        related_name="complaint",
    )  # fmt: skip
    root_cause = models.ForeignKey(
        RootCause,
        verbose_name=_("根因"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution = models.TextField(_("处理结果"), max_length=5000, blank=True)
    compensation_amount = MoneyField(
        _("补偿金额"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    compensation_kind = models.CharField(
        _("补偿方式"), max_length=8, choices=CompensationKind.choices, blank=True
    )
    department = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The product complained about: the complaint rate per product counts these.
    product = models.ForeignKey(
        "orders.Product",
        verbose_name=_("涉及产品"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["product"], name="complaint_product_idx"),
            models.Index(fields=["root_cause"], name="complaint_root_cause_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(compensation_amount__gte=0), name="complaint_compensation_gte_0"
            ),
            # An amount says how it was paid.
            models.CheckConstraint(
                condition=Q(compensation_amount=0) | ~Q(compensation_kind=""),
                name="complaint_compensation_kind_set",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id}"
