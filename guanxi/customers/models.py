from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.core.models import TimeStampedModel, VersionedModel
from guanxi.core.text import keys


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


#: The longest value of a text custom field (services, forms and the import check it).
CUSTOM_TEXT_LENGTH = 500


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


class LiveCustomerManager(models.Manager["Customer"]):
    """Customers not in the recycle bin (回收站). The default manager, so every list,
    search, API answer, export, 360 page, scan and count leaves deleted customers out
    without each of them remembering to; ``Customer.all_objects`` sees the bin too."""

    def get_queryset(self) -> models.QuerySet[Customer]:
        return super().get_queryset().filter(deleted_at__isnull=True)


#: How long a deleted customer stays restorable in the recycle bin before the purge rule
#: removes it for good.
RECYCLE_BIN_DAYS = 30


class Customer(VersionedModel):
    kind = models.CharField(
        _("类型"), max_length=12, choices=CustomerKind.choices, default=CustomerKind.ENTERPRISE
    )
    name = models.CharField(_("名称"), max_length=200)
    industry = models.CharField(_("行业"), max_length=50, blank=True)
    size = models.CharField(_("规模"), max_length=10, choices=CompanySize.choices, blank=True)
    province = models.CharField(_("省份"), max_length=20, blank=True)
    city = models.CharField(_("城市"), max_length=30, blank=True)
    # GB/T 2260 names (core.regions): province and city short (浙江, 杭州), district full.
    district = models.CharField(_("区县"), max_length=30, blank=True)
    # 统一社会信用代码 of an organisation, 18 characters with its check digit (GB 32100).
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
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
    # The owner's department (``Team``), kept on the row so a department's scoped, sorted
    # list is one index scan.
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("部门"),
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
    search_text = models.CharField(max_length=keys.SEARCH_TEXT_LENGTH, blank=True)
    name_pinyin = models.CharField(max_length=keys.PINYIN_LENGTH, blank=True)
    name_initials = models.CharField(max_length=keys.INITIALS_LENGTH, blank=True)
    # ``keys.stored_name_key(name)``, for every kind of customer: the import's duplicate
    # matching looks it up (华为技术 for 華為技術有限公司); "" for a name without one.
    name_key = models.CharField(max_length=keys.NAME_KEY_LENGTH, blank=True)
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
    # Why the user saved it although the entry check named likely duplicates (查重);
    # the latest reason, its history in the audit log.
    duplicate_note = models.CharField(
        _("重复说明"), max_length=500, blank=True, default="", db_default=""
    )
    # Soft delete (回收站): set by ``customer_delete``, cleared by ``customer_restore``;
    # the purge rule removes customers deleted more than RECYCLE_BIN_DAYS ago.
    deleted_at = models.DateTimeField(_("删除时间"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("删除人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    objects = LiveCustomerManager()
    all_objects = models.Manager()

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        indexes = [
            models.Index(fields=["owner", "name"], name="customer_owner_name_idx"),
            models.Index(fields=["team", "name"], name="customer_team_name_idx"),
            # The bin's column rides along in the scope indexes (PostgreSQL INCLUDE): a
            # scoped count of live customers is then an index-only scan (3 ms for an
            # account manager's 100,000, against a 40 ms heap scan without it).
            models.Index(
                fields=["owner", "-created_at", "-id"],
                name="customer_owner_recent_idx",
                include=["deleted_at"],
            ),
            models.Index(
                fields=["team", "-created_at", "-id"],
                name="customer_team_recent_idx",
                include=["deleted_at"],
            ),
            models.Index(fields=["name"], name="customer_name_idx"),
            models.Index(
                fields=["-created_at"], name="customer_created_idx", include=["deleted_at"]
            ),
            models.Index(fields=["status"], name="customer_status_idx"),
            models.Index(fields=["province", "city"], name="customer_region_idx"),
            models.Index(
                fields=["credit_code"],
                name="customer_credit_code_idx",
                condition=~Q(credit_code=""),
            ),
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
            # The recycle bin and its purge read only deleted rows: a small partial index.
            models.Index(
                fields=["-deleted_at"],
                name="customer_deleted_idx",
                condition=Q(deleted_at__isnull=False),
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
    # Why the user saved it although the entry check named likely duplicate contacts (查重).
    duplicate_note = models.CharField(
        _("重复说明"), max_length=500, blank=True, default="", db_default=""
    )

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
    key = models.CharField(pgettext_lazy("preference", "项目"), max_length=100)
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
            # "My day": open follow-ups of one customer / logged by one person, by date.
            models.Index(
                fields=["customer", "next_follow_up"],
                name="comm_open_fu_customer_idx",
                condition=Q(follow_up_done=False, next_follow_up__isnull=False),
            ),
            models.Index(
                fields=["staff", "next_follow_up"],
                name="comm_open_fu_staff_idx",
                condition=Q(follow_up_done=False, next_follow_up__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"


class CollaboratorAccess(models.TextChoices):
    READ = "read", _("只读")
    WRITE = "write", _("可编辑")


class CustomerCollaborator(models.Model):
    """A user the customer is shared with (团队成员) beyond its owner's scope: they see
    it, and with ``write`` access change it, like its account manager (``accounts.
    permissions`` reads these rows; ``customers.services`` writes them)."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="collaborators",
        db_index=False,  # the unique (customer, user) leads with it
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("成员"),
        on_delete=models.CASCADE,
        related_name="shared_customers",
    )
    access = models.CharField(
        _("权限"), max_length=5, choices=CollaboratorAccess.choices, default=CollaboratorAccess.READ
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("添加人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("添加时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("团队成员")
        verbose_name_plural = _("团队成员")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "user"], name="customer_collaborator_unique"
            ),
            models.CheckConstraint(
                condition=Q(access__in=["read", "write"]), name="customer_collaborator_access"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_access_display()}"


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


# Models of duplicate merging live in their own module.
from guanxi.customers.duplicates.models import *  # noqa: E402,F403
