"""Contracts (合同) with their amendments, payment plans (回款计划: instalments),
collections (回款) allocated to instalments, invoice titles (开票信息) and invoice requests
(开票申请).

Scope: every row that lists or ages carries the contract's ``owner``/``team`` (and
``customer``) itself, so a scoped list or the receivables aging is one index range on
its own table, without a join (the services keep the copies in step).

An instalment's open amount is ``amount - received``; ``received`` is the sum of its
allocations, kept by the collection service under the contract's row lock.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import OwnedRecord
from guanxi.core.models import TimeStampedModel, VersionedModel
from guanxi.core.money import MoneyField

ZERO = Decimal("0.00")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_APPROVAL = "in_approval", _("审批中")
    APPROVED = "approved", _("已审批")
    REJECTED = "rejected", _("已驳回")
    ACTIVE = "active", _("执行中")
    FINISHED = "finished", _("已完成")
    TERMINATED = "terminated", _("已终止")


# A contract in these states can be edited; later ones only through an amendment.
EDITABLE_STATUSES = (ContractStatus.DRAFT, ContractStatus.REJECTED)
# Collections and invoices are taken against a contract in these states.
BINDING_STATUSES = (ContractStatus.APPROVED, ContractStatus.ACTIVE, ContractStatus.FINISHED)


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("银行转账")
    ACCEPTANCE = "acceptance", _("承兑汇票")
    CHEQUE = "cheque", _("支票")
    CASH = "cash", _("现金")
    ONLINE = "online", _("在线支付")
    OTHER = "other", _("其他")


class ContractNumberSequence(models.Model):
    """The last number given per period key (the pattern without ``{seq}``, e.g.
    ``HT-202612-``): numbering locks this row, so two contracts created at once never
    share a number."""

    key = models.CharField(max_length=60, unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("合同编号序列")
        verbose_name_plural = _("合同编号序列")

    def __str__(self) -> str:
        return f"{self.key}{self.last}"


class Contract(OwnedRecord, VersionedModel):
    number = models.CharField(_("合同编号"), max_length=60, unique=True)
    title = models.CharField(_("合同名称"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("商机"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
    )
    amount = MoneyField(_("合同金额"), max_digits=14, decimal_places=2)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    signed_on = models.DateField(_("签订日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    # The approved amendments so far (1: as first approved).
    revision = models.PositiveSmallIntegerField(_("版本号"), default=1)
    notes = models.TextField(_("备注"), max_length=5000, blank=True)
    # Kept by the collection and invoice services under the contract's lock.
    collected = MoneyField(_("已回款"), max_digits=14, decimal_places=2, default=ZERO)
    invoiced = MoneyField(_("已开票"), max_digits=14, decimal_places=2, default=ZERO)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("合同")
        verbose_name_plural = _("合同")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="contract_owner_idx"),
            models.Index(fields=["team", "-created_at"], name="contract_team_idx"),
            models.Index(fields=["customer", "-created_at"], name="contract_customer_idx"),
            models.Index(fields=["status", "-created_at"], name="contract_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="contract_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="contract_end_after_start"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="contract_title_not_empty"),
            models.CheckConstraint(
                condition=Q(invoiced__gte=0, invoiced__lte=F("amount")),
                name="contract_invoiced_within_amount",
            ),
            models.CheckConstraint(condition=Q(collected__gte=0), name="contract_collected_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("contracts:detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def collected_percent(self) -> Decimal:
        if not self.amount:
            return ZERO
        return Decimal(self.collected * 100 / self.amount).quantize(Decimal("0.1"))

    @property
    def receivable(self) -> Decimal:
        return Decimal(max(self.amount - self.collected, ZERO))


class AmendmentStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_APPROVAL = "in_approval", _("审批中")
    APPROVED = "approved", _("已生效")
    REJECTED = "rejected", _("已驳回")


class ContractAmendment(VersionedModel):
    """A change of an approved contract (合同变更): the new terms, approved like a contract;
    once approved they replace the contract's and the contract's ``revision`` moves on.
    The old terms stay here (``previous``) and in the audit trail."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="amendments"
    )
    revision = models.PositiveSmallIntegerField(_("版本号"))
    title = models.CharField(_("合同名称"), max_length=200)
    amount = MoneyField(_("合同金额"), max_digits=14, decimal_places=2)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    reason = models.CharField(_("变更原因"), max_length=500)
    status = models.CharField(
        _("状态"), max_length=12, choices=AmendmentStatus.choices, default=AmendmentStatus.DRAFT
    )
    previous = models.JSONField(_("变更前"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("合同变更")
        verbose_name_plural = _("合同变更")
        ordering = ["contract", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "revision"], name="contract_amendment_revision_unique"
            ),
            models.UniqueConstraint(
                fields=["contract"],
                condition=Q(status__in=["draft", "in_approval"]),
                name="contract_amendment_one_open",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="contract_amendment_dates"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="contract_amendment_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} V{self.revision}"

    def get_absolute_url(self) -> str:
        return self.contract.get_absolute_url()


class InstalmentStatus(models.TextChoices):
    DRAFT = "draft", _("待生效")
    PENDING = "pending", _("待回款")
    PARTLY = "partly", _("部分回款")
    RECEIVED = "received", _("已回款")
    OVERDUE = "overdue", _("已逾期")
    VOID = "void", _("已作废")


# Instalments still expecting money (the receivables).
OPEN_INSTALMENT_STATUSES = (
    InstalmentStatus.PENDING,
    InstalmentStatus.PARTLY,
    InstalmentStatus.OVERDUE,
)


class Instalment(TimeStampedModel):
    """One instalment of a contract's payment plan (回款计划)."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="instalments"
    )
    sequence = models.PositiveSmallIntegerField(_("期数"))
    due_date = models.DateField(_("计划回款日期"))
    amount = MoneyField(_("计划金额"), max_digits=14, decimal_places=2)
    received = MoneyField(_("已回款"), max_digits=14, decimal_places=2, default=ZERO)
    method = models.CharField(
        _("回款方式"), max_length=12, choices=PaymentMethod.choices, default=PaymentMethod.TRANSFER
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=InstalmentStatus.choices, default=InstalmentStatus.DRAFT
    )
    # Copies of the contract's, for scoped lists and aging without a join.
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="+"
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

    class Meta:
        verbose_name = _("回款计划")
        verbose_name_plural = _("回款计划")
        ordering = ["contract", "sequence"]
        indexes = [
            # The aging and the overdue sweep: open instalments by due date, scoped by
            # owner or department; the amounts are key columns (not INCLUDE, which SQLite
            # lacks) so PostgreSQL sums them from the index alone.
            models.Index(
                fields=["due_date", "customer", "amount", "received"],
                name="instalment_open_due_idx",
                condition=Q(status__in=["pending", "partly", "overdue"]),
            ),
            models.Index(
                fields=["owner", "due_date", "customer", "amount", "received"],
                name="instalment_owner_open_idx",
                condition=Q(status__in=["pending", "partly", "overdue"]),
            ),
            models.Index(
                fields=["team", "due_date", "customer", "amount", "received"],
                name="instalment_team_open_idx",
                condition=Q(status__in=["pending", "partly", "overdue"]),
            ),
            # The aging by customer: the same columns in customer order, so the groups
            # stream out of a sorted aggregate (no hash table spilling to disk).
            models.Index(
                fields=["customer", "due_date", "amount", "received"],
                name="instalment_customer_open_idx",
                condition=Q(status__in=["pending", "partly", "overdue"]),
            ),
            models.Index(fields=["customer", "due_date"], name="instalment_customer_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "sequence"], name="instalment_sequence_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
            models.CheckConstraint(
                condition=Q(received__gte=0, received__lte=F("amount")),
                name="instalment_received_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}#{self.sequence}"

    @property
    def open_amount(self) -> Decimal:
        return Decimal(self.amount - self.received)


class Collection(TimeStampedModel):
    """Money received (回款) for a contract, allocated to its instalments; a
    ``prepayment`` may exceed what is due (the excess is ``unallocated``)."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.PROTECT, related_name="collections"
    )
    received_on = models.DateField(_("回款日期"))
    amount = MoneyField(_("回款金额"), max_digits=14, decimal_places=2)
    method = models.CharField(
        _("回款方式"), max_length=12, choices=PaymentMethod.choices, default=PaymentMethod.TRANSFER
    )
    reference = models.CharField(_("流水号/票据号"), max_length=100, blank=True)
    prepayment = models.BooleanField(_("预收款"), default=False)
    unallocated = MoneyField(_("未分配金额"), max_digits=14, decimal_places=2, default=ZERO)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("回款")
        verbose_name_plural = _("回款")
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["contract", "received_on"], name="collection_contract_idx"),
            models.Index(fields=["customer", "received_on"], name="collection_customer_idx"),
            models.Index(fields=["owner", "received_on"], name="collection_owner_idx"),
            models.Index(fields=["team", "received_on"], name="collection_team_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="collection_amount_positive"),
            models.CheckConstraint(
                condition=Q(unallocated__gte=0, unallocated__lte=F("amount")),
                name="collection_unallocated_within",
            ),
            models.CheckConstraint(
                condition=Q(prepayment=True) | Q(unallocated=0),
                name="collection_unallocated_only_prepayment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.received_on} ¥{self.amount}"


class CollectionAllocation(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="allocations")
    instalment = models.ForeignKey(Instalment, on_delete=models.PROTECT, related_name="allocations")
    amount = MoneyField(_("分配金额"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("回款分配")
        verbose_name_plural = _("回款分配")
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "instalment"], name="collection_allocation_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.collection_id}→{self.instalment_id}: {self.amount}"


class InvoiceTitleKind(models.TextChoices):
    COMPANY = "company", _("单位")
    PERSONAL = "personal", _("个人")


class InvoiceTitle(VersionedModel):
    """A customer's invoicing details (开票信息)."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="invoice_titles",
    )
    kind = models.CharField(
        _("抬头类型"),
        max_length=10,
        choices=InvoiceTitleKind.choices,
        default=InvoiceTitleKind.COMPANY,
    )
    name = models.CharField(_("发票抬头"), max_length=200)
    tax_id = models.CharField(_("纳税人识别号"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    bank = models.CharField(_("开户行"), max_length=100, blank=True)
    account = models.CharField(_("银行账号"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("发票抬头")
        verbose_name_plural = _("发票抬头")
        ordering = ["customer", "name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="invoice_title_name_not_empty"),
            models.CheckConstraint(
                condition=Q(kind="personal") | ~Q(tax_id=""),
                name="invoice_title_company_tax_id",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class InvoiceStatus(models.TextChoices):
    REQUESTED = "requested", _("已申请")
    APPROVED = "approved", _("已审批")
    REJECTED = "rejected", _("已驳回")
    ISSUED = "issued", _("已开票")
    MAILED = "mailed", _("已寄出")


# Requests that count against the contract's invoiceable amount.
COUNTED_INVOICE_STATUSES = ("requested", "approved", "issued", "mailed")


class InvoiceKind(models.TextChoices):
    NORMAL = "normal", _("增值税普通发票")
    SPECIAL = "special", _("增值税专用发票")


class InvoiceRequest(VersionedModel):
    """A request to issue an invoice (开票申请) against a contract. No tax-system
    integration: the invoice is issued outside Guanxi and its number recorded here."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.PROTECT, related_name="invoices"
    )
    title = models.ForeignKey(
        InvoiceTitle, verbose_name=_("发票抬头"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(
        _("发票类型"), max_length=10, choices=InvoiceKind.choices, default=InvoiceKind.NORMAL
    )
    amount = MoneyField(_("开票金额"), max_digits=14, decimal_places=2)
    tax_rate = models.DecimalField(_("税率（%）"), max_digits=5, decimal_places=2)
    status = models.CharField(
        _("状态"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.REQUESTED
    )
    invoice_number = models.CharField(_("发票号码"), max_length=40, blank=True)
    issued_on = models.DateField(_("开票日期"), null=True, blank=True)
    tracking_number = models.CharField(_("快递单号"), max_length=60, blank=True)
    mailed_on = models.DateField(_("寄出日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("开票申请")
        verbose_name_plural = _("开票申请")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["contract", "status"], name="invoice_contract_idx"),
            models.Index(fields=["owner", "-created_at"], name="invoice_owner_idx"),
            models.Index(fields=["team", "-created_at"], name="invoice_team_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="invoice_tax_rate_range"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["issued", "mailed"]) | ~Q(invoice_number=""),
                name="invoice_number_when_issued",
            ),
            models.CheckConstraint(
                condition=~Q(status="mailed") | ~Q(tracking_number=""),
                name="invoice_tracking_when_mailed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} ¥{self.amount}"

    def get_absolute_url(self) -> str:
        return self.contract.get_absolute_url()
