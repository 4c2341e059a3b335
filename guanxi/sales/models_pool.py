"""The customer public pool (公海池, SPEC B6): pools with their members and rules, each
customer's pool state, and the history of claims, assignments and returns.

A customer's pool state lives here, not on the customer: ``PoolCustomer`` is one row per
customer that ever passed through a pool (pooled now when ``pool`` is set; ``locked``
customers are never recycled). A pooled customer has no owner and no department on its
customer row (the services keep the two in step, in one transaction).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.analytics.models import ValueClass
from guanxi.core.models import VersionedModel

MAX_RULE_DAYS = 3650


class Pool(VersionedModel):
    name = models.CharField(_("名称"), max_length=100)
    description = models.CharField(_("说明"), max_length=500, blank=True)
    # Customers of these departments return to this pool; none chosen = every department.
    teams = models.ManyToManyField(
        "accounts.Team", verbose_name=_("适用部门"), blank=True, related_name="+"
    )
    mask_contacts = models.BooleanField(_("领取前隐藏联系方式"), default=True)
    daily_claim_limit = models.PositiveSmallIntegerField(
        _("每人每天最多领取"), default=10, help_text=_("0 表示不限。")
    )
    reclaim_after_days = models.PositiveSmallIntegerField(
        _("原负责人再次领取间隔（天）"), default=30, help_text=_("0 表示不限。")
    )
    hold_cap = models.PositiveIntegerField(
        _("每人最多持有客户数"), default=0, help_text=_("0 表示不限。")
    )
    cap_counts_won = models.BooleanField(_("已成交客户计入持有数"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("公海池")
        verbose_name_plural = _("公海池")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="pool_name_unique"),
            models.CheckConstraint(condition=~Q(name=""), name="pool_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class PoolMember(models.Model):
    """Who may claim from a pool (members) and who runs it (admins: assign, settings)."""

    pool = models.ForeignKey(
        Pool, verbose_name=_("公海池"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("成员"), on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    is_admin = models.BooleanField(_("管理员"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("公海池成员")
        verbose_name_plural = _("公海池成员")
        constraints = [
            models.UniqueConstraint(fields=["pool", "user"], name="pool_member_unique"),
        ]
        indexes = [models.Index(fields=["user", "pool"], name="pool_member_user_idx")]

    def __str__(self) -> str:
        return f"{self.pool_id}:{self.user_id}"


class PoolRuleKind(models.TextChoices):
    NO_FOLLOW_UP = "no_follow_up", _("无新跟进")
    NO_OPEN_OPPORTUNITY = "no_open_opportunity", _("无进行中商机")
    NO_DEAL = "no_deal", _("无成交")


class PoolRule(VersionedModel):
    """Return a customer to ``pool`` after ``days`` days without what ``kind`` names,
    counted from the later of that and the day its owner got it; ``remind_days`` days
    before, its owner is reminded. ``value_class`` limits the rule to one customer level."""

    pool = models.ForeignKey(
        Pool, verbose_name=_("公海池"), on_delete=models.CASCADE, related_name="rules"
    )
    kind = models.CharField(_("规则"), max_length=20, choices=PoolRuleKind.choices)
    days = models.PositiveSmallIntegerField(_("天数"))
    value_class = models.CharField(
        _("客户等级"), max_length=12, choices=ValueClass.choices, blank=True,
        help_text=_("留空表示全部客户。"),
    )  # fmt: skip
    exempt_open_opportunity = models.BooleanField(_("有进行中商机的客户不退回"), default=True)
    exempt_deal = models.BooleanField(_("已成交客户不退回"), default=False)
    remind_days = models.PositiveSmallIntegerField(_("提前提醒天数"), default=3)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("公海规则")
        verbose_name_plural = _("公海规则")
        ordering = ["pool", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(days__gte=1, days__lte=MAX_RULE_DAYS), name="pool_rule_days_range"
            ),
            models.CheckConstraint(
                condition=Q(remind_days__lt=models.F("days")), name="pool_rule_remind_lt_days"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.days}"


class PoolCustomer(models.Model):
    """A customer's pool state: in ``pool`` now (or not, when null), locked against
    recycling, who held it last and since when the current owner holds it."""

    customer = models.OneToOneField(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE,
        primary_key=True, related_name="pool_state",
    )  # fmt: skip
    pool = models.ForeignKey(
        Pool, verbose_name=_("公海池"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="pooled_customers",
    )  # fmt: skip
    locked = models.BooleanField(_("锁定"), default=False)
    previous_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("原负责人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    # When the current owner took the customer from a pool: the rules count from here.
    owner_since = models.DateTimeField(_("领取时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("公海客户")
        verbose_name_plural = _("公海客户")
        indexes = [
            models.Index(
                fields=["pool", "-returned_at"], name="pool_customer_idx",
                condition=Q(pool__isnull=False),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.customer_id}@{self.pool_id}"


class PoolEventKind(models.TextChoices):
    CLAIM = "claim", _("领取")
    ASSIGN = "assign", _("分配")
    RETURN = "return", _("退回")
    RECYCLE = "recycle", _("自动退回")


class PoolEvent(models.Model):
    """One claim, assignment, return or recycle: the pool's history. A recycle run writes
    its events first, under one ``run`` number, and everything else of the run from them."""

    pool = models.ForeignKey(
        Pool, verbose_name=_("公海池"), on_delete=models.CASCADE, related_name="events"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("客户"), on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    kind = models.CharField(_("动作"), max_length=8, choices=PoolEventKind.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("新负责人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    previous_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("原负责人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    rule = models.ForeignKey(
        PoolRule, verbose_name=_("规则"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    # The rule as it was when it recycled (a rule edited later keeps its history's words).
    rule_kind = models.CharField(max_length=20, choices=PoolRuleKind.choices, blank=True)
    rule_days = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    run = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("公海记录")
        verbose_name_plural = _("公海记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["pool", "-at", "-id"], name="pool_event_pool_idx"),
            models.Index(fields=["customer", "-at"], name="pool_event_customer_idx"),
            models.Index(fields=["owner", "kind", "at"], name="pool_event_owner_idx"),
            models.Index(fields=["run"], name="pool_event_run_idx", condition=Q(run__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_id}"
