"""Sales (SPEC B1, B2): pipelines and their stages, opportunities with their product lines,
lost reasons, activities (跟进记录) and leads (线索) with their assignment rules.

Designed for what follows in later slices: forecast reads ``amount``, ``expected_close``,
``status`` and the stage's ``win_probability``; a score model can store its result beside an
opportunity in its own table; targets hang off ``owner``/``team``; the public pool acts on
customers, not on these tables.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any, Self

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import OwnedRecord
from guanxi.core.models import TimeStampedModel, VersionedModel
from guanxi.core.money import MoneyField
from guanxi.sales import models_forecast as forecast_rollup
from guanxi.sales.models_forecast import SHARE_FIELDS
from guanxi.sales.models_targets import ForecastCategory

# The fields a stage may require before an opportunity enters it.
REQUIRABLE_FIELDS = ("amount", "expected_close", "next_step", "next_step_due", "competitors",
                     "lines")  # fmt: skip


class Pipeline(VersionedModel):
    name = models.CharField(_("名称"), max_length=100)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_default = models.BooleanField(_("默认"), default=False)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("销售流程")
        verbose_name_plural = _("销售流程")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="pipeline_name_unique"),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="pipeline_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", _("进行中")
    WON = "won", _("赢单")
    LOST = "lost", _("输单")


class Stage(VersionedModel):
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("销售流程"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("名称"), max_length=50)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    win_probability = models.PositiveSmallIntegerField(_("赢率（%）"), default=0)
    required_fields = models.JSONField(_("进入前必填"), default=list, blank=True)
    kind = models.CharField(
        _("类型"), max_length=4, choices=StageKind.choices, default=StageKind.OPEN
    )

    class Meta:
        verbose_name = _("阶段")
        verbose_name_plural = _("阶段")
        ordering = ["pipeline", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_name_unique"),
            models.CheckConstraint(
                condition=Q(win_probability__gte=0, win_probability__lte=100),
                name="stage_probability_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LostReason(models.Model):
    """Reason codes of lost and invalid opportunities (输单原因 / 无效原因)."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    label = models.CharField(_("名称"), max_length=50)
    applies_to_invalid = models.BooleanField(_("也用于无效"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("输单原因")
        verbose_name_plural = _("输单原因")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.label


# What the forecast reads of an open opportunity (its index-only scan's columns).
FORECAST_OPEN_COLUMNS = ("amount", "probability", "stage", "owner", "team", "pipeline",
                         "forecast_category")  # fmt: skip


class OpportunityStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    WON = "won", _("赢单")
    LOST = "lost", _("输单")
    INVALID = "invalid", _("无效")


class Opportunity(OwnedRecord, VersionedModel):
    """A sales opportunity (商机). ``position`` orders the cards of a kanban column: a sparse
    rank unique within the stage (a move rewrites one row, not the column); ``None`` when
    the opportunity is off the board (closed in a stage that does not show closed ones)."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("销售流程"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("阶段"), on_delete=models.PROTECT, related_name="opportunities"
    )
    name = models.CharField(_("名称"), max_length=200)
    amount = MoneyField(_("金额"), max_digits=14, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    expected_close = models.DateField(_("预计成交日期"), null=True, blank=True)
    next_step = models.CharField(_("下一步"), max_length=200, blank=True)
    next_step_due = models.DateField(_("下一步截止日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=8,
        choices=OpportunityStatus.choices,
        default=OpportunityStatus.OPEN,
    )
    reason = models.ForeignKey(
        LostReason,
        verbose_name=_("原因"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason_note = models.CharField(_("原因说明"), max_length=500, blank=True)
    competitors = models.JSONField(_("竞争对手"), default=list, blank=True)
    position = models.BigIntegerField(_("看板位置"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # The forecast (SPEC B3): the owner's category, and the owner's own win probability,
    # which the weighted pipeline uses instead of the stage's when it is set.
    forecast_category = models.CharField(
        _("预测类别"),
        max_length=10,
        choices=ForecastCategory.choices,
        default=ForecastCategory.PIPELINE,
    )
    probability = models.PositiveSmallIntegerField(_("赢率（手动，%）"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("商机")
        verbose_name_plural = _("商机")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["stage", "position"], name="opp_stage_position_idx"),
            models.Index(fields=["owner", "stage", "position"], name="opp_owner_stage_idx"),
            models.Index(fields=["team", "stage", "position"], name="opp_team_stage_idx"),
            models.Index(fields=["customer", "-created_at"], name="opp_customer_idx"),
            models.Index(fields=["status", "expected_close"], name="opp_status_close_idx"),
            models.Index(fields=["-created_at", "-id"], name="opp_recent_idx"),
            models.Index(fields=["status", "closed_at"], name="opp_status_closed_idx"),
            # The forecast's two halves (``selectors_forecast.forecast_rows``), each an
            # index-only scan on PostgreSQL: every column the aggregation reads is here.
            models.Index(
                fields=["expected_close"],
                include=FORECAST_OPEN_COLUMNS,
                condition=Q(status="open"),
                name="opp_forecast_open_idx",
            ),
            models.Index(
                fields=["closed_at"],
                include=["amount", "owner", "team", "pipeline"],
                condition=Q(status="won"),
                name="opp_forecast_won_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="opp_amount_gte_0"),
            models.CheckConstraint(condition=~Q(name=""), name="opp_name_not_empty"),
            models.UniqueConstraint(
                fields=["stage", "position"], name="opp_position_unique_in_stage"
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | (~Q(status="open") & Q(closed_at__isnull=False)),
                name="opp_closed_at_iff_closed",
            ),
            models.CheckConstraint(
                condition=Q(probability__isnull=True) | Q(probability__lte=100),
                name="opp_probability_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # --- the forecast roll-up (``models_forecast``): kept by every save and delete -------

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kw: Any
    ) -> Self:
        obj = super().from_db(db, field_names, values, **kw)
        obj._remember_share()
        return obj

    def _remember_share(self) -> None:
        known = not set(SHARE_FIELDS) & self.get_deferred_fields()  # attnames, both
        self._share_loaded = {f: getattr(self, f) for f in SHARE_FIELDS} if known else None

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._remember_share()

    def _loaded_values(self) -> dict[str, Any] | None:
        """The row's ``SHARE_FIELDS`` as stored before this write (``None``: no row yet)."""
        if self._state.adding or self.pk is None:
            return None
        loaded: dict[str, Any] | None = getattr(self, "_share_loaded", None)
        if loaded is None:  # loaded with some of the fields deferred: read them
            loaded = Opportunity.objects.filter(pk=self.pk).values(*SHARE_FIELDS).first()
        return loaded

    def _share_before(self) -> forecast_rollup.Share | None:
        loaded = self._loaded_values()
        return None if loaded is None else forecast_rollup.share_of(loaded)

    def save(self, *args: Any, **kwargs: Any) -> None:
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            old = self._loaded_values() or {}
            before = forecast_rollup.share_of(old) if old else None
            update_fields = kwargs.get("update_fields")
            super().save(*args, **kwargs)
            if update_fields is None or not old:
                values = {f: getattr(self, f) for f in SHARE_FIELDS}
            else:  # only the named fields were written
                names = {*update_fields, *(f"{f}_id" for f in update_fields)}
                values = {f: getattr(self, f) if f in names else old[f] for f in SHARE_FIELDS}
            forecast_rollup.apply(before, forecast_rollup.share_of(values))
            self._share_loaded = values


@receiver(pre_delete, sender=Opportunity, dispatch_uid="sales_forecast_rollup_delete")
def _forecast_share_out(sender: Any, instance: Opportunity, **kwargs: Any) -> None:
    """A deleted opportunity leaves the roll-up (``delete()`` and queryset deletes alike:
    with a receiver the deletion collects the rows, in the deleting transaction)."""
    forecast_rollup.apply(instance._share_before(), None)
    instance._share_loaded = None


class OpportunityLine(models.Model):
    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("商机"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        "orders.Product", verbose_name=_("产品"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=2)
    unit_price = MoneyField(_("单价"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("商机产品")
        verbose_name_plural = _("商机产品")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="oppline_qty_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="oppline_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} × {self.quantity}"

    @property
    def subtotal(self) -> Decimal:
        total: Decimal = self.quantity * self.unit_price
        return total.quantize(Decimal("0.01"))


class ActivityKind(models.TextChoices):
    CALL = "call", _("电话")
    VISIT = "visit", _("拜访")
    EMAIL = "email", _("邮件")
    WECHAT = "wechat", _("微信")
    MEETING = "meeting", _("会议")


class Activity(TimeStampedModel):
    """A follow-up (跟进记录) on a customer, optionally about one of its opportunities."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="sales_activities",
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("商机"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    kind = models.CharField(_("方式"), max_length=8, choices=ActivityKind.choices)
    note = models.CharField(_("内容"), max_length=1000)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("跟进人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("跟进记录")
        verbose_name_plural = _("跟进记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["opportunity", "-at"], name="activity_opp_idx"),
            models.Index(fields=["customer", "-at"], name="activity_customer_idx"),
        ]
        constraints = [models.CheckConstraint(condition=~Q(note=""), name="activity_note")]

    def __str__(self) -> str:
        return self.note[:50]


class LeadSource(models.TextChoices):
    WEB = "web", _("网站表单")
    IMPORT = "import", _("导入")
    MANUAL = "manual", _("手工录入")
    CAMPAIGN = "campaign", _("营销活动")
    REFERRAL = "referral", _("转介绍")


class LeadStatus(models.TextChoices):
    NEW = "new", _("新线索")
    WORKING = "working", _("跟进中")
    QUALIFIED = "qualified", _("已确认")
    DISQUALIFIED = "disqualified", _("无效")
    CONVERTED = "converted", _("已转化")


# The qualification checklist (BANT): each item true/false in ``Lead.qualification``.
QUALIFICATION_ITEMS = ("budget", "authority", "need", "timeline")


class Lead(OwnedRecord, VersionedModel):
    source = models.CharField(_("来源"), max_length=10, choices=LeadSource.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    qualification = models.JSONField(_("资格检查"), default=dict, blank=True)
    name = models.CharField(_("姓名"), max_length=100)
    company = models.CharField(_("公司"), max_length=200, blank=True)
    company_key = models.CharField(max_length=200, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    phone_key = models.CharField(max_length=32, blank=True)
    email = models.EmailField(_("邮箱"), max_length=254, blank=True)
    region = models.CharField(_("地区"), max_length=20, blank=True)
    message = models.CharField(_("留言"), max_length=2000, blank=True)
    converted_customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("转化客户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    converted_opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("转化商机"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    converted_at = models.DateTimeField(_("转化时间"), null=True, blank=True)
    # A hash of the submitting address of a web-form lead: the per-IP rate limit counts these.
    source_ip_hash = models.CharField(max_length=64, blank=True)
    # What the import's duplicate check found for it (an existing customer or lead).
    duplicate_note = models.CharField(_("查重提示"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("线索")
        verbose_name_plural = _("线索")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "status"], name="lead_owner_status_idx"),
            models.Index(fields=["team", "status"], name="lead_team_status_idx"),
            models.Index(fields=["-created_at", "-id"], name="lead_recent_idx"),
            models.Index(fields=["phone_key"], name="lead_phone_idx", condition=~Q(phone_key="")),
            models.Index(fields=["email"], name="lead_email_idx", condition=~Q(email="")),
            models.Index(
                fields=["company_key"], name="lead_company_idx", condition=~Q(company_key="")
            ),
            models.Index(
                fields=["source_ip_hash", "created_at"],
                name="lead_ip_idx",
                condition=~Q(source_ip_hash=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="lead_name_not_empty"),
            models.CheckConstraint(
                condition=~Q(status="converted") | Q(converted_customer__isnull=False),
                name="lead_converted_has_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.company}）" if self.company else self.name


class AssignmentMethod(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("轮流分配")
    REGION = "region", _("按地区")
    LOAD = "load", _("按当前负荷")


class AssignmentRule(VersionedModel):
    """How a new lead finds its owner: the first active rule (by ``order``) that matches
    picks a member of its ``team`` — in turn, the least loaded, or (region rules, which
    match only leads of their ``regions``) in turn among the team."""

    name = models.CharField(_("名称"), max_length=100)
    method = models.CharField(_("方式"), max_length=12, choices=AssignmentMethod.choices)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("部门"), on_delete=models.CASCADE, related_name="+"
    )
    regions = models.JSONField(_("地区"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    active = models.BooleanField(_("启用"), default=True)
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("线索分配规则")
        verbose_name_plural = _("线索分配规则")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


# The win-probability model's table (``sales.scoring``), in a module of its own.
# The customer public pool (SPEC B6), in a module of its own.
from guanxi.sales.models_forecast import ForecastRollup as ForecastRollup  # noqa: E402
from guanxi.sales.models_pool import (  # noqa: E402, F401
    Pool,
    PoolCustomer,
    PoolEvent,
    PoolMember,
    PoolRule,
)
from guanxi.sales.models_scoring import WinModel as WinModel  # noqa: E402

# Targets (SPEC B4), in a module of their own.
from guanxi.sales.models_targets import Target, TargetMetric, TargetPolicy  # noqa: E402, F401
