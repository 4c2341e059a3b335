"""Customer-value results: the company's analytics settings, one ``CustomerValue`` row per
customer with purchases (rewritten by every recompute), dated ``ValueSnapshot`` rows for
class movement, and one ``AnalyticsRun`` per recompute. The maths is in ``compute/``; the
recompute that fills these tables is ``services.analytics_recompute``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.analytics.cost_sources import BASE_KEY, breakdown_items
from guanxi.core.models import VersionedModel


class ValueClass(models.TextChoices):
    """Seed 002 表1: five classes from purchase cycle x amount per purchase."""

    PLATINUM = "platinum", _("铂金客户")
    GOLD = "gold", _("黄金客户")
    SILVER = "silver", _("白银客户")
    DEVELOPMENT = "development", _("发展客户")
    ADJUST = "adjust", _("优化客户")
    INSUFFICIENT = "insufficient", _("购买不足两次")


class CycleBand(models.TextChoices):
    SHORT = "short", _("短周期")
    MEDIUM = "medium", _("中周期")
    LONG = "long", _("长周期")


class AmountBand(models.TextChoices):
    LARGE = "large", _("大金额")
    MEDIUM = "medium", _("中等金额")
    SMALL = "small", _("小金额")


class RFMSegment(models.TextChoices):
    # The default 5 x 5 map (compute.value.DEFAULT_SEGMENTS).
    CHAMPIONS = "champions", _("冠军客户")
    LOYAL = "loyal", _("忠诚客户")
    POTENTIAL_LOYALISTS = "potential_loyalists", _("潜在忠诚客户")
    NEW = "new", _("新客户")
    PROMISING = "promising", _("有潜力的新客户")
    NEED_ATTENTION = "need_attention", _("需要关注")
    ABOUT_TO_SLEEP = "about_to_sleep", _("即将沉睡")
    CANT_LOSE = "cant_lose", _("不能失去的客户")
    AT_RISK = "at_risk", _("有流失风险")
    HIBERNATING = "hibernating", _("沉睡客户")
    LOST = "lost", _("已流失")
    UNCLASSIFIED = "unclassified", _("未分类")
    # The eight-class R/F/M high-low model common in Chinese CRM practice.
    IMPORTANT_VALUE = "important_value", _("重要价值客户")
    IMPORTANT_DEVELOP = "important_develop", _("重要发展客户")
    IMPORTANT_RETAIN = "important_retain", _("重要保持客户")
    IMPORTANT_RECOVER = "important_recover", _("重要挽留客户")
    GENERAL_VALUE = "general_value", _("一般价值客户")
    GENERAL_DEVELOP = "general_develop", _("一般发展客户")
    GENERAL_RETAIN = "general_retain", _("一般保持客户")
    GENERAL_RECOVER = "general_recover", _("一般挽留客户")


class SegmentMap(models.TextChoices):
    DEFAULT = "default", _("RFM 5×5 细分（冠军、忠诚、流失风险……）")
    CN8 = "cn8", _("RFM 八类（重要价值、重要发展、重要保持、重要挽留……）")


# Seed 002 §三(二): what to do with each class. Silver is split by cell because the seed
# gives its large-and-long customer (A) and its small-and-short customer (C) different advice.
STRATEGIES: dict[str, Any] = {
    ValueClass.PLATINUM: _(
        "优先客户，重点锁定：铂金客户金额大、周期短，带来最大比例的收益。提供优先、优质、优惠的"
        "“三优”服务，指定专人维护，并警惕竞争对手的争夺。"
    ),
    ValueClass.GOLD: _(
        "优先客户，重点锁定：与铂金客户一起带来最大比例的收益。保持优质服务，争取缩短购买周期"
        "或提高每次金额，向铂金客户提升。"
    ),
    ValueClass.SILVER: _(
        "白银客户（中等金额、中等周期）：保持沟通与关怀，鼓励提高购买金额或频率，向黄金客户提升。"
    ),
    ValueClass.DEVELOPMENT: _(
        "发展客户：应促使其转变，最好向白银客户转化——提高购买频率（中等金额长周期）"
        "或每次金额（小金额中等周期）。"
    ),
    ValueClass.ADJUST: _(
        "优化客户（小金额、长周期）：企业必须考虑调整的客户，根据企业的客户构成进行优化，"
        "控制服务成本。"
    ),
    ValueClass.INSUFFICIENT: _("购买少于两次，还无法计算购买周期：先促成第二次购买，再评估价值。"),
}
SILVER_LARGE_LONG = _(
    "白银客户（大金额、长周期）：加强信息沟通，结合客户的年龄、职业等特征找出周期长的确切原因"
    "（产品单一、两次消费之间到别家消费、时间宝贵），开展针对性营销，如送货上门、主动提供产品"
    "或服务咨询；若能缩短其消费周期，能带来较高的利润回报。"
)
SILVER_SMALL_SHORT = _(
    "白银客户（小金额、短周期）：除产品单一或到别家消费外，也可能是消费实力较弱；相比大金额"
    "长周期的白银客户，不是营销重点，以标准化服务维持。"
)


def strategy_for(value_class: str, cycle_band: str = "", amount_band: str = "") -> str:
    if value_class == ValueClass.SILVER and amount_band == AmountBand.LARGE:
        return str(SILVER_LARGE_LONG)
    if value_class == ValueClass.SILVER and amount_band == AmountBand.SMALL:
        return str(SILVER_SMALL_SHORT)
    text = STRATEGIES.get(value_class)
    return str(text) if text is not None else ""


class AnalyticsSettings(VersionedModel):
    """The company's analytics parameters: one row (pk 1). Changing it takes effect at the
    next recompute; each run keeps a copy of the parameters it used."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    discount_rate = models.DecimalField(
        _("贴现率（每期）"), max_digits=6, decimal_places=4, default=Decimal("0.0100")
    )
    period_days = models.PositiveSmallIntegerField(_("每期天数"), default=30)
    horizon_periods = models.PositiveSmallIntegerField(_("预测期数"), default=12)
    gross_margin = models.DecimalField(
        _("毛利率"), max_digits=5, decimal_places=4, default=Decimal("1.0000")
    )
    cycle_threshold_short = models.DecimalField(
        _("短周期上限（天）"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    cycle_threshold_long = models.DecimalField(
        _("中周期上限（天）"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    amount_threshold_small = models.DecimalField(
        _("小金额上限"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    amount_threshold_large = models.DecimalField(
        _("中等金额上限"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    rfm_segment_map = models.CharField(
        _("RFM 细分方案"), max_length=10, choices=SegmentMap.choices, default=SegmentMap.DEFAULT
    )
    cost_per_order = models.DecimalField(
        _("每笔订单服务成本"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    cost_per_communication = models.DecimalField(
        _("每次沟通服务成本"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    # The effort of a service ticket (the "service.tickets" cost source, cost_sources.py).
    cost_per_ticket = models.DecimalField(
        _("每张工单服务成本"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    dormant_factor = models.DecimalField(
        _("休眠倍数"), max_digits=5, decimal_places=2, default=Decimal("3.00")
    )
    key_account_share = models.DecimalField(
        _("大客户收入占比"), max_digits=4, decimal_places=3, default=Decimal("0.800")
    )
    snapshots_kept = models.PositiveSmallIntegerField(_("保留最近快照数"), default=14)
    snapshot_months_kept = models.PositiveSmallIntegerField(_("保留月末快照月数"), default=12)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("分析设置")
        verbose_name_plural = _("分析设置")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="analytics_settings_singleton"),
            models.CheckConstraint(
                condition=Q(discount_rate__gt=-1), name="analytics_settings_rate_gt_minus_1"
            ),
            models.CheckConstraint(condition=Q(period_days__gte=1), name="analytics_period_gte_1"),
            models.CheckConstraint(
                condition=Q(horizon_periods__gte=1) & Q(horizon_periods__lte=120),
                name="analytics_horizon_1_120",
            ),
        ]

    def __str__(self) -> str:
        return str(_("分析设置"))


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("运行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class AnalyticsRun(models.Model):
    """One recompute: what it was asked to do, what it found and how long it took."""

    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    as_of = models.DateField(_("分析截止日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    duration_s = models.FloatField(_("耗时（秒）"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    parameters = models.JSONField(_("参数"), default=dict, blank=True)
    customers = models.PositiveIntegerField(_("有购买的客户数"), default=0)
    orders = models.PositiveIntegerField(_("订单数"), default=0)
    revenue = models.DecimalField(_("收入合计"), max_digits=18, decimal_places=2, default=0)
    bgnbd = models.JSONField(_("BG/NBD 参数"), null=True, blank=True)
    gamma_gamma = models.JSONField(_("Gamma-Gamma 参数"), null=True, blank=True)
    prediction_message = models.CharField(_("预测说明"), max_length=500, blank=True)
    thresholds = models.JSONField(_("分档阈值"), default=dict, blank=True)
    class_counts = models.JSONField(_("各类客户数"), default=dict, blank=True)
    pareto_top_share = models.FloatField(_("前 20% 客户收入占比"), null=True, blank=True)
    key_accounts = models.PositiveIntegerField(_("大客户数"), default=0)
    retention = models.JSONField(_("留存"), default=dict, blank=True)
    pareto_curve = models.JSONField(_("帕累托曲线"), default=list, blank=True)
    previous_run = models.ForeignKey(
        "self",
        verbose_name=_("上一次运行"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    timings = models.JSONField(_("各步耗时"), default=dict, blank=True)
    has_snapshot = models.BooleanField(_("有快照"), default=False)
    message = models.CharField(_("消息"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("分析运行")
        verbose_name_plural = _("分析运行")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-finished_at"], name="analytics_run_status_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.as_of or ''} {self.status}"


class CustomerValue(models.Model):
    """What one customer is worth, as of the last recompute. Only customers with at least
    one confirmed order have a row. A purchase is a purchase *day*: orders on the same day
    count once (docs/analytics.md). Every recompute deletes all rows and writes them anew
    in one transaction (``store.values_replace``, ADR 0004).

    The link to the customer has no database constraint: its check would cost an index
    probe and a row lock on the customer for each of a million rows at every recompute
    (4–12 s measured). The recompute writes only customers it found orders for and, in the
    same transaction, removes rows whose customer was deleted meanwhile; deleting or
    merging a customer removes its row (``on_delete``)."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("客户"),
        primary_key=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="value",
    )
    orders = models.PositiveIntegerField(_("订单数"))
    purchases = models.PositiveIntegerField(_("购买次数"))
    revenue = models.DecimalField(_("累计金额"), max_digits=16, decimal_places=2)
    first_purchase = models.DateField(_("首次购买"))
    last_purchase = models.DateField(_("最近购买"))
    average_amount = models.DecimalField(_("平均每次金额"), max_digits=16, decimal_places=2)
    average_cycle_days = models.FloatField(_("平均购买周期（天）"), null=True, blank=True)
    communications = models.PositiveIntegerField(_("沟通次数"), default=0)
    customer_value = models.DecimalField(_("客户价值（公式1）"), max_digits=16, decimal_places=2)
    value_check = models.DecimalField(
        _("核定价值（公式2）"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    value_class = models.CharField(_("价值类别"), max_length=12, choices=ValueClass.choices)
    cycle_band = models.CharField(_("周期档"), max_length=6, choices=CycleBand.choices, blank=True)
    amount_band = models.CharField(
        _("金额档"), max_length=6, choices=AmountBand.choices, blank=True
    )
    rfm_r = models.PositiveSmallIntegerField("R")
    rfm_f = models.PositiveSmallIntegerField("F")
    rfm_m = models.PositiveSmallIntegerField("M")
    rfm_fm = models.PositiveSmallIntegerField("FM")
    rfm_segment = models.CharField(_("RFM 细分"), max_length=20, choices=RFMSegment.choices)
    revenue_rank = models.PositiveIntegerField(_("收入排名"))
    # Position in the value lists' default order, "CLV high to low, customers without a CLV
    # last, then by customer": an integer index is portable and cheaper to fill than one
    # on the amount (ADR 0004).
    clv_rank = models.PositiveIntegerField(_("CLV 排名"), default=0)
    key_account = models.BooleanField(_("大客户"), default=False)
    p_alive = models.FloatField(_("活跃概率"), null=True, blank=True)
    expected_purchases = models.FloatField(_("预测购买次数"), null=True, blank=True)
    expected_spend = models.DecimalField(
        _("预测每次金额"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    clv = models.DecimalField(
        _("预测客户终身价值"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    propensity = models.FloatField(_("近期购买倾向"), null=True, blank=True)
    dormant = models.BooleanField(_("休眠"), default=False)
    cost_to_serve = models.DecimalField(_("服务成本"), max_digits=16, decimal_places=2)
    profit = models.DecimalField(_("利润"), max_digits=16, decimal_places=2)
    # The part of the cost to serve each registered cost source contributed ("service.
    # complaints": "120.00", …; non-zero amounts only, ``cost_sources.py``); the rest is
    # orders and communications.
    cost_breakdown = models.JSONField(_("服务成本构成"), default=dict, blank=True)
    # Calendar month of the first purchase (year * 12 + month - 1) and the months with a
    # purchase as bits: bit k = a purchase in the k-th month before the run's as-of month.
    cohort_month = models.IntegerField(_("首购月份"))
    activity_mask = models.BigIntegerField(_("活跃月份"), default=0)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("客户价值")
        verbose_name_plural = _("客户价值")
        # Only what the pages sort or filter by: every recompute inserts each row into
        # each index, about 1–4 s per index per 600,000 rows (ADR 0004). The customer
        # list filters by class; the value lists' default order is the CLV rank; the
        # dashboard's key-account and churn lists and the revenue sorts use the revenue
        # rank. Scoped lists (an account manager's, a team's) find their rows through the
        # customer's owner/team indexes.
        indexes = [
            models.Index(fields=["value_class", "cycle_band", "amount_band"], name="cv_class_idx"),
            models.Index(fields=["clv_rank"], name="cv_clv_rank_idx"),
            models.Index(fields=["revenue_rank"], name="cv_rank_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.value_class}"

    @property
    def history_insufficient(self) -> bool:
        """One purchase day: no evidence yet on whether the customer is still buying
        (BG/NBD would say P(alive) = 1), so no P(alive) is shown (历史不足)."""
        return self.purchases < 2

    @property
    def churn_risk(self) -> float | None:
        return None if self.p_alive is None else 1.0 - self.p_alive

    @property
    def strategy(self) -> str:
        return strategy_for(self.value_class, self.cycle_band, self.amount_band)

    @property
    def cost_items(self) -> list[tuple[str, str, Decimal]]:
        """(key, label, amount) of the cost to serve: orders and communications first, then
        each cost source (the breakdown is on the row: no query)."""
        items = breakdown_items(self.cost_breakdown or {})
        base = Decimal(self.cost_to_serve) - sum((amount for _k, _l, amount in items), Decimal(0))
        return [(BASE_KEY, str(_("订单与沟通")), base), *items]

    @property
    def cell_label(self) -> str:
        if not self.cycle_band:
            return ""
        return f"{self.get_amount_band_display()} · {self.get_cycle_band_display()}"


class ValueSnapshot(models.Model):
    """A customer's class, CLV and P(alive) as one run found them. Pruned with their run
    (``AnalyticsSettings.snapshots_kept``). Neither link has a database constraint: a
    recompute inserts a row per customer in one statement, and a per-row foreign-key check
    would cost seconds at a million rows; deleting or merging a customer must not scan this
    big table either (its old snapshots simply stop matching anything)."""

    # No index of its own: the unique key (run, customer) starts with it (one index less
    # to fill with a million rows per recompute).
    run = models.ForeignKey(
        AnalyticsRun,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="snapshots",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="value_snapshots",
    )
    value_class = models.CharField(_("价值类别"), max_length=12, choices=ValueClass.choices)
    cycle_band = models.CharField(_("周期档"), max_length=6, choices=CycleBand.choices, blank=True)
    amount_band = models.CharField(
        _("金额档"), max_length=6, choices=AmountBand.choices, blank=True
    )
    rfm_segment = models.CharField(_("RFM 细分"), max_length=20, choices=RFMSegment.choices)
    revenue = models.DecimalField(_("累计金额"), max_digits=16, decimal_places=2)
    average_amount = models.DecimalField(_("平均每次金额"), max_digits=16, decimal_places=2)
    average_cycle_days = models.FloatField(_("平均购买周期（天）"), null=True, blank=True)
    clv = models.DecimalField(
        _("预测客户终身价值"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    p_alive = models.FloatField(_("活跃概率"), null=True, blank=True)
    # The same customer in the run's previous snapshot (``run.previous_run``), copied at
    # snapshot time so that "who moved since last time" reads one table.
    previous_class = models.CharField(
        _("上次价值类别"), max_length=12, choices=ValueClass.choices, blank=True
    )
    previous_cycle_band = models.CharField(_("上次周期档"), max_length=6, blank=True)
    previous_amount_band = models.CharField(_("上次金额档"), max_length=6, blank=True)
    previous_average_cycle_days = models.FloatField(
        _("上次平均购买周期（天）"), null=True, blank=True
    )
    previous_average_amount = models.DecimalField(
        _("上次平均每次金额"), max_digits=16, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("客户价值快照")
        verbose_name_plural = _("客户价值快照")
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="snapshot_run_customer_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.customer_id} {self.value_class}"


class DashboardAggregate(models.Model):
    """The dashboard's figures for one reader's scope and filters, as of one run: prepared
    when a recompute finishes (``services.dashboard_prepare``, one row per distinct scope
    of the active staff users, unfiltered) so that the first render reads one row instead
    of scanning every customer value. Codes and numbers only, no labels: one row serves
    every language. Derived data, replaced with every run (like ``CustomerValue``)."""

    run = models.ForeignKey(AnalyticsRun, on_delete=models.CASCADE, related_name="+")
    # sha256 of the reader's scope (``selectors.scope_key``) and the filters.
    key = models.CharField(max_length=64)
    figures = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("仪表板预计算")
        verbose_name_plural = _("仪表板预计算")
        constraints = [
            models.UniqueConstraint(fields=["run", "key"], name="dashboard_aggregate_run_key_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.key[:8]}"
