from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import TimeStampedModel, VersionedModel


class CustomerKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    GOVERNMENT = "government", _("政府机构")
    INVESTOR = "investor", _("资金提供方")
    SPONSOR = "sponsor", _("项目发起方")
    INDIVIDUAL = "individual", _("个人")


class CustomerStatus(models.TextChoices):
    PROSPECT = "prospect", _("潜在")
    ACTIVE = "active", _("活跃")
    DORMANT = "dormant", _("休眠")
    LOST = "lost", _("流失")


class CompanySize(models.TextChoices):
    MICRO = "micro", _("微型（<10人）")
    SMALL = "small", _("小型（10–99人）")
    MEDIUM = "medium", _("中型（100–999人）")
    LARGE = "large", _("大型（≥1000人）")


class CustomerSource(models.TextChoices):
    REFERRAL = "referral", _("转介绍")
    WEBSITE = "website", _("官网")
    EXHIBITION = "exhibition", _("展会")
    COLD_CALL = "cold_call", _("电话开发")
    TENDER = "tender", _("招投标")
    PARTNER = "partner", _("合作伙伴")
    OTHER = "other", _("其他")


class Tag(models.Model):
    name = models.CharField(_("名称"), max_length=50, unique=True)
    color = models.CharField(_("颜色"), max_length=20, default="secondary")

    class Meta:
        verbose_name = _("标签")
        verbose_name_plural = _("标签")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("文本")
    NUMBER = "number", _("数字")
    DATE = "date", _("日期")
    CHOICE = "choice", _("选项")


class CustomFieldDefinition(TimeStampedModel):
    """An admin-defined extra field of customers; values live in ``Customer.custom_fields``
    keyed by ``key`` and are validated by ``customers.services`` on every save."""

    key = models.SlugField(_("键"), max_length=50, unique=True)
    label = models.CharField(_("名称"), max_length=100)
    label_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    field_type = models.CharField(_("类型"), max_length=10, choices=CustomFieldType.choices)
    choices = models.JSONField(_("可选值"), default=list, blank=True)
    required = models.BooleanField(_("必填"), default=False)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("自定义字段")
        verbose_name_plural = _("自定义字段")
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.label


class Customer(VersionedModel):
    kind = models.CharField(
        _("类型"), max_length=12, choices=CustomerKind.choices, default=CustomerKind.ENTERPRISE
    )
    name = models.CharField(_("名称"), max_length=200)
    industry = models.CharField(_("行业"), max_length=50, blank=True)
    size = models.CharField(_("规模"), max_length=10, choices=CompanySize.choices, blank=True)
    province = models.CharField(_("省份"), max_length=20, blank=True)
    city = models.CharField(_("城市"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    source = models.CharField(_("来源"), max_length=12, choices=CustomerSource.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_customers",
        db_index=False,  # (owner, name) and (owner, created_at) lead with it
    )
    # The owner's team, kept on the row so a manager's scoped, sorted list is one index scan.
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        db_index=False,  # (team, name) and (team, created_at) lead with it
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.PROSPECT
    )
    since = models.DateField(_("客户起始日期"), null=True, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    phone_key = models.CharField(max_length=32, blank=True)
    email = models.EmailField(_("邮箱"), max_length=254, blank=True)
    website = models.CharField(_("网站"), max_length=200, blank=True)
    notes = models.TextField(_("备注"), blank=True, max_length=5000)
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), blank=True, related_name="customers")
    custom_fields = models.JSONField(_("自定义字段"), default=dict, blank=True)
    search_text = models.CharField(max_length=1000, blank=True)
    name_pinyin = models.CharField(max_length=200, blank=True)
    name_initials = models.CharField(max_length=100, blank=True)
    # ``keys.stored_name_key(name)``, for every kind of customer: the import's duplicate
    # matching looks it up (华为技术 for 華為技術有限公司); "" for a name without one.
    name_key = models.CharField(max_length=200, blank=True)
    # Not indexed: read only when a user is deleted (rare; a scan then is fine), while every
    # index costs each imported row its maintenance (see docs/benchmarks.md).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        indexes = [
            models.Index(fields=["owner", "name"], name="customer_owner_name_idx"),
            models.Index(fields=["team", "name"], name="customer_team_name_idx"),
            models.Index(fields=["owner", "-created_at", "-id"], name="customer_owner_recent_idx"),
            models.Index(fields=["team", "-created_at", "-id"], name="customer_team_recent_idx"),
            models.Index(fields=["name"], name="customer_name_idx"),
            models.Index(fields=["-created_at"], name="customer_created_idx"),
            models.Index(fields=["status"], name="customer_status_idx"),
            models.Index(fields=["province", "city"], name="customer_region_idx"),
            # Pattern operator classes (PostgreSQL; ignored elsewhere): one index serves
            # both ``=`` (import and duplicate matching) and ``LIKE 'prefix%'`` (search)
            # under any collation, so no second copy is kept for prefixes.
            models.Index(
                fields=["phone_key"], name="customer_phone_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["email"], name="customer_email_idx"),
            models.Index(
                fields=["name_initials"],
                name="customer_initials_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(
                fields=["name_pinyin"],
                name="customer_pinyin_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            # Only looked up with a key, never for "": empty keys (one-character names) stay
            # out of the index.
            models.Index(
                fields=["name_key"], name="customer_name_key_idx", condition=~Q(name_key="")
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="customer_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("customers:detail", args=[self.pk])


class PreferredChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    EMAIL = "email", _("邮件")
    WECHAT = "wechat", _("微信")
    SMS = "sms", _("短信")
    VISIT = "visit", _("拜访")


class Contact(VersionedModel):
    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("姓名"), max_length=100)
    title = models.CharField(_("职务"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    phone_key = models.CharField(max_length=32, blank=True)
    mobile = models.CharField(_("手机"), max_length=40, blank=True)
    mobile_key = models.CharField(max_length=32, blank=True)
    email = models.EmailField(_("邮箱"), max_length=254, blank=True)
    wechat = models.CharField(_("微信"), max_length=64, blank=True)
    birthday = models.DateField(_("生日"), null=True, blank=True)
    preferred_channel = models.CharField(
        _("偏好渠道"), max_length=10, choices=PreferredChannel.choices, blank=True
    )
    consent_marketing = models.BooleanField(_("同意营销联系"), default=False)
    consent_updated_at = models.DateTimeField(_("同意更新时间"), null=True, blank=True)
    is_primary = models.BooleanField(_("主要联系人"), default=False)
    notes = models.TextField(_("备注"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["-is_primary", "name"]
        indexes = [
            models.Index(fields=["phone_key"], name="contact_phone_idx"),
            models.Index(fields=["mobile_key"], name="contact_mobile_idx"),
            models.Index(fields=["email"], name="contact_email_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class PreferenceCategory(models.TextChoices):
    DIET = "diet", _("饮食")
    HOBBY = "hobby", _("爱好")
    COMMUNICATION = "communication", _("沟通习惯")
    SERVICE = "service", _("服务要求")
    GIFT = "gift", _("礼品")
    SCHEDULE = "schedule", _("时间安排")
    OTHER = "other", _("其他")


class Preference(VersionedModel):
    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="preferences"
    )
    category = models.CharField(_("类别"), max_length=15, choices=PreferenceCategory.choices)
    key = models.CharField(_("项目"), max_length=100)
    value = models.CharField(_("内容"), max_length=300)
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("偏好")
        verbose_name_plural = _("偏好")
        ordering = ["category", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "category", "key"], name="preference_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.value}"


class Channel(models.TextChoices):
    PHONE = "phone", _("电话")
    EMAIL = "email", _("邮件")
    VISIT = "visit", _("拜访")
    WECHAT = "wechat", _("微信")
    MEETING = "meeting", _("会议")
    CARD = "card", _("贺卡")
    SMS = "sms", _("短信")


class Direction(models.TextChoices):
    INBOUND = "in", _("客户来访/来电")
    OUTBOUND = "out", _("我方联系")


class Communication(VersionedModel):
    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="communications"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("联系人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="communications",
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    direction = models.CharField(
        _("方向"), max_length=3, choices=Direction.choices, default=Direction.OUTBOUND
    )
    occurred_at = models.DateTimeField(_("时间"))
    summary = models.TextField(_("摘要"), max_length=5000)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("员工"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="communications",
    )
    next_follow_up = models.DateField(_("下次跟进日期"), null=True, blank=True)
    follow_up_done = models.BooleanField(_("跟进已完成"), default=False)

    class Meta:
        verbose_name = _("沟通记录")
        verbose_name_plural = _("沟通记录")
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="comm_customer_time_idx"),
            models.Index(
                fields=["next_follow_up"],
                name="comm_open_followup_idx",
                condition=Q(follow_up_done=False, next_follow_up__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"


class Product(VersionedModel):
    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    category = models.CharField(_("类别"), max_length=50, blank=True)
    unit_price = models.DecimalField(_("单价"), max_digits=12, decimal_places=2)
    active = models.BooleanField(_("在售"), default=True)

    class Meta:
        verbose_name = _("产品")
        verbose_name_plural = _("产品")
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
        Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="orders"
    )
    number = models.CharField(_("订单号"), max_length=40, unique=True)
    order_date = models.DateField(_("下单日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.CONFIRMED
    )
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    total = models.DecimalField(_("金额"), max_digits=14, decimal_places=2, default=Decimal("0"))
    note = models.CharField(_("备注"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
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
    unit_price = models.DecimalField(_("单价"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("订单明细")
        verbose_name_plural = _("订单明细")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_qty_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderline_price_gte_0"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="orderline_amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.description} × {self.quantity}"


class TimelineEntry(models.Model):
    """One event on a customer's timeline (客史). Every kind of event — communications,
    orders, changes, later tickets and projects — writes a row here through
    ``customers.timeline.timeline_add``; the feed reads only this table, and how a kind is
    shown is registered per ``kind`` so new kinds plug in without touching the feed."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="timeline",
        db_index=False,  # timeline_feed_idx leads with it
    )
    kind = models.CharField(_("类型"), max_length=30)
    occurred_at = models.DateTimeField(_("时间"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_model = models.CharField(max_length=60, blank=True)
    subject_id = models.CharField(max_length=40, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("时间线")
        verbose_name_plural = _("时间线")
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="timeline_feed_idx"),
            models.Index(fields=["subject_model", "subject_id"], name="timeline_subject_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        """The title in the reader's language (see ``customers.timeline``)."""
        from guanxi.customers.timeline import display_title

        return display_title(self)


# Models of the import pipeline and of duplicate merging live in their own modules.
from guanxi.customers.import_models import *  # noqa: E402,F403
from guanxi.customers.merge_models import *  # noqa: E402,F403
