"""The maintained receivables aging (issue 13): per customer, owner and department the open
amount of the open instalments in the aging buckets, as of one day.

``CustomerAging`` holds one row per (customer, owner, department) of the open instalments —
usually one per customer — with the same bucket sums the live aging computes
(``selectors.BUCKETS``). ``AgingState`` (one row) says which day the rows are for: the
nightly rebuild (``services.aging.aging_rebuild``) sets it, and every service that changes an
instalment's open amount, due date, status, customer or owner recomputes its customers' rows
in the same transaction. The reads use the rows only when ``AgingState.as_of`` is the day
asked for; otherwise they run the live query.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.money import MoneyField

# The model's bucket columns, by the bucket keys of ``selectors.BUCKETS``.
AGING_COLUMNS = {
    "not_due": "amount_not_due",
    "d0_30": "amount_d0_30",
    "d31_60": "amount_d31_60",
    "d61_90": "amount_d61_90",
    "d90_plus": "amount_d90_plus",
}


class AgingState(models.Model):
    """The one row saying for which day ``CustomerAging`` is complete (``as_of``); none or
    another day: the reads compute the aging live."""

    key = models.PositiveSmallIntegerField(primary_key=True, default=1)
    as_of = models.DateField(_("账龄日期"), null=True, blank=True)
    rebuilt_at = models.DateTimeField(_("重建时间"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    seconds = models.FloatField(_("用时（秒）"), default=0)

    class Meta:
        verbose_name = _("应收账龄状态")
        verbose_name_plural = _("应收账龄状态")
        constraints = [
            models.CheckConstraint(condition=models.Q(key=1), name="contracts_aging_state_one")
        ]

    def __str__(self) -> str:
        return f"{self.as_of}"


class CustomerAging(models.Model):
    """The open amount of one customer's open instalments of one owner and department, in
    the aging buckets as of ``as_of``. Derived data: rebuilt nightly, recomputed per customer
    by the services. The customer key has no database constraint and is not followed by
    the customer merge (the merge recomputes both customers' rows through its hook)."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    as_of = models.DateField(_("账龄日期"))
    amount_not_due = MoneyField(_("未到期"), max_digits=14, decimal_places=2)
    amount_d0_30 = MoneyField(_("逾期 0–30 天"), max_digits=14, decimal_places=2)
    amount_d31_60 = MoneyField(_("逾期 31–60 天"), max_digits=14, decimal_places=2)
    amount_d61_90 = MoneyField(_("逾期 61–90 天"), max_digits=14, decimal_places=2)
    amount_d90_plus = MoneyField(_("逾期 90 天以上"), max_digits=14, decimal_places=2)
    amount_open = MoneyField(_("未回款合计"), max_digits=14, decimal_places=2)
    instalments = models.PositiveIntegerField(_("未结清期数"))

    class Meta:
        verbose_name = _("客户应收账龄")
        verbose_name_plural = _("客户应收账龄")
        indexes = [models.Index(fields=["customer"], name="customer_aging_customer_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.as_of}"
