"""What the customer-side import kinds accept: the fields of customers (with the custom
fields an admin defined), contacts and communications, the columns that name a row's
customer (shared with the orders kind), and the words their choice columns understand."""

from __future__ import annotations

from typing import Any, Final

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from guanxi.customers.models import (
    CUSTOM_TEXT_LENGTH,
    Channel,
    CompanySize,
    CustomerKind,
    CustomerSource,
    CustomerStatus,
    CustomFieldDefinition,
    CustomFieldType,
    Direction,
    PreferredChannel,
)
from guanxi.imports.fields import (
    BOOL,
    CHOICE,
    CUSTOM_CHOICE,
    DATE,
    DATETIME,
    EMAIL,
    NUMBER,
    PHONE,
    TAGS,
    TEXT,
    USER,
    FieldSpec,
    KindSpec,
    choice_words,
)

#: the columns that name the customer a row belongs to (by name, or by a phone of the
#: customer or of one of its contacts)
CUSTOMER_REF: Final = (
    FieldSpec(
        "customer",
        _("客户名称"),
        TEXT,
        max_length=200,
        aliases=(
            "客户名称",
            "客户",
            "公司名称",
            "公司",
            "单位名称",
            "企业名称",
            "所属客户",
            "客户全称",
            "customer",
            "customername",
            "company",
            "companyname",
            "account",
            "accountname",
        ),
    ),
    FieldSpec(
        "customer_phone",
        _("客户电话"),
        PHONE,
        aliases=("客户电话", "客户手机", "公司电话", "customerphone", "companyphone"),
    ),
)
#: a file must map one of them
REQUIRED_CUSTOMER: Final = (("customer",), ("customer_phone",))
REQUIRED_CUSTOMER_ERROR: Final = ("customer", _("必须对应用于匹配客户的列：%(labels)s。"))


# --- customers --------------------------------------------------------------------------

KIND_WORDS: Final = choice_words(
    {
        "enterprise": (
            "企业",
            "公司",
            "企业客户",
            "民营企业",
            "国有企业",
            "国企",
            "外企",
            "company",
            "business",
            "corporate",
            "corporation",
        ),
        "government": (
            "政府",
            "政府机构",
            "政府部门",
            "机关",
            "事业单位",
            "gov",
            "government",
            "public sector",
        ),
        "investor": (
            "资金提供方",
            "银行",
            "投资机构",
            "投资方",
            "基金",
            "金融机构",
            "bank",
            "fund",
            "investor",
            "financier",
        ),
        "sponsor": ("项目发起方", "发起方", "业主", "业主方", "sponsor", "project sponsor"),
        "individual": ("个人", "个人客户", "自然人", "individual", "person", "personal"),
    }
)
SIZE_WORDS: Final = choice_words(
    {
        "micro": ("微型", "微型企业", "<10人", "micro"),
        "small": ("小型", "小型企业", "小", "small"),
        "medium": ("中型", "中型企业", "中", "medium"),
        "large": ("大型", "大型企业", "大", "large"),
    }
)
SOURCE_WORDS: Final = choice_words(
    {
        "referral": ("转介绍", "介绍", "推荐", "老客户介绍", "referral", "referred"),
        "website": ("官网", "网站", "网络", "website", "web", "online"),
        "exhibition": ("展会", "会展", "exhibition", "trade show", "fair"),
        "cold_call": ("电话开发", "陌拜", "电销", "cold call", "cold calling"),
        "tender": ("招投标", "招标", "投标", "tender", "bid"),
        "partner": ("合作伙伴", "渠道", "代理商", "partner", "channel partner"),
        "other": ("其他", "其它", "other"),
    }
)
STATUS_WORDS: Final = choice_words(
    {
        "prospect": ("潜在", "潜在客户", "意向", "意向客户", "prospect", "potential"),
        "active": ("活跃", "正常", "合作中", "成交客户", "active", "customer"),
        "dormant": ("休眠", "沉睡", "不活跃", "dormant", "inactive", "sleeping"),
        "lost": ("流失", "已流失", "丢失", "lost", "churned"),
    }
)

CUSTOMERS: Final = KindSpec(
    "customers",
    _("客户"),
    (
        FieldSpec(
            "name",
            _("客户名称"),
            TEXT,
            required=True,
            max_length=200,
            aliases=(
                "客户名称",
                "公司名称",
                "客户",
                "名称",
                "单位名称",
                "企业名称",
                "客户名",
                "客户全称",
                "公司",
                "name",
                "customer",
                "customername",
                "company",
                "companyname",
                "accountname",
                "organisation",
                "organization",
            ),
        ),
        FieldSpec(
            "kind",
            _("客户类型"),
            CHOICE,
            choices=CustomerKind,
            words=KIND_WORDS,
            aliases=("客户类型", "类型", "客户类别", "类别", "kind", "type", "customertype"),
        ),
        FieldSpec(
            "industry",
            _("行业"),
            TEXT,
            max_length=50,
            aliases=("行业", "所属行业", "行业分类", "industry", "sector"),
        ),
        FieldSpec(
            "size",
            _("规模"),
            CHOICE,
            choices=CompanySize,
            words=SIZE_WORDS,
            aliases=("规模", "企业规模", "公司规模", "人员规模", "size", "companysize"),
        ),
        FieldSpec(
            "province",
            _("省份"),
            TEXT,
            max_length=20,
            aliases=("省份", "省", "所在省份", "所在省", "province", "state"),
        ),
        FieldSpec(
            "city",
            _("城市"),
            TEXT,
            max_length=30,
            aliases=("城市", "市", "所在城市", "city"),
        ),
        FieldSpec(
            "district",
            _("区县"),
            TEXT,
            max_length=30,
            aliases=("区县", "区/县", "县区", "区", "县", "所在区县", "district", "county"),
        ),
        # Province, city and district in one cell ("浙江 杭州", "浙江省杭州市西湖区"),
        # split by the writer with ``core.regions.parse``.
        FieldSpec(
            "region",
            _("地区"),
            TEXT,
            max_length=60,
            aliases=("地区", "所在地区", "所在地", "省市", "省市区", "省/市", "region", "area"),
        ),
        FieldSpec(
            "credit_code",
            _("统一社会信用代码"),
            TEXT,
            max_length=40,
            aliases=(
                "统一社会信用代码",
                "社会信用代码",
                "信用代码",
                "统一信用代码",
                "纳税人识别号",
                "uscc",
                "creditcode",
                "unifiedsocialcreditcode",
            ),
        ),
        FieldSpec(
            "address",
            _("地址"),
            TEXT,
            max_length=200,
            aliases=("地址", "详细地址", "联系地址", "公司地址", "办公地址", "address"),
        ),
        FieldSpec(
            "source",
            _("来源"),
            CHOICE,
            choices=CustomerSource,
            words=SOURCE_WORDS,
            aliases=("来源", "客户来源", "获客渠道", "source", "leadsource"),
        ),
        FieldSpec(
            "owner",
            _("客户经理"),
            USER,
            aliases=(
                "客户经理",
                "负责人",
                "所属销售",
                "销售",
                "销售人员",
                "业务员",
                "跟进人",
                "owner",
                "accountmanager",
                "salesrep",
                "salesperson",
            ),
        ),
        FieldSpec(
            "status",
            _("状态"),
            CHOICE,
            choices=CustomerStatus,
            words=STATUS_WORDS,
            aliases=("状态", "客户状态", "生命周期", "status", "stage"),
        ),
        FieldSpec(
            "since",
            _("客户起始日期"),
            DATE,
            aliases=(
                "客户起始日期",
                "起始日期",
                "合作日期",
                "建档日期",
                "合作开始日期",
                "since",
                "customersince",
                "startdate",
            ),
        ),
        FieldSpec(
            "phone",
            _("电话"),
            PHONE,
            aliases=(
                "电话",
                "手机",
                "联系电话",
                "手机号",
                "手机号码",
                "电话号码",
                "座机",
                "固定电话",
                "phone",
                "mobile",
                "tel",
                "telephone",
                "phonenumber",
            ),
        ),
        FieldSpec(
            "email",
            _("邮箱"),
            EMAIL,
            max_length=254,
            aliases=("邮箱", "电子邮箱", "邮件", "电子邮件", "email", "e-mail", "mail"),
        ),
        FieldSpec(
            "website",
            _("网站"),
            TEXT,
            max_length=200,
            aliases=("网站", "官网", "网址", "主页", "website", "url", "web", "homepage"),
        ),
        FieldSpec(
            "notes",
            _("备注"),
            TEXT,
            max_length=5000,
            aliases=(
                "备注",
                "说明",
                "描述",
                "notes",
                "note",
                "remark",
                "remarks",
                "comment",
                "comments",
                "description",
            ),
        ),
        FieldSpec("tags", _("标签"), TAGS, aliases=("标签", "tags", "tag", "labels")),
    ),
)


# --- custom fields ----------------------------------------------------------------------

#: A customer custom field's import field name: ``custom.<definition key>``.
CUSTOM_PREFIX: Final = "custom."
CUSTOM_TEXT_MAX: Final = CUSTOM_TEXT_LENGTH  # as ``services.custom_fields.validate_custom_fields``


def custom_fields() -> tuple[FieldSpec, ...]:
    """One field per active custom field an admin has defined (``custom.<key>``), typed
    like the definition and suggested for headers that name its label (Chinese or
    English) or key; after the fixed fields."""
    types: dict[str, str] = {
        CustomFieldType.TEXT: TEXT,
        CustomFieldType.NUMBER: NUMBER,
        CustomFieldType.DATE: DATE,
        CustomFieldType.CHOICE: CUSTOM_CHOICE,
    }
    return tuple(
        FieldSpec(
            CUSTOM_PREFIX + d.key,
            _custom_label(d),
            types[d.field_type],
            required=d.required,  # as in the form and the API: every row must have it
            max_length=CUSTOM_TEXT_MAX if d.field_type == CustomFieldType.TEXT else None,
            aliases=tuple(a for a in (d.label, d.label_en, d.key) if a),
            choices=tuple(str(c) for c in d.choices)
            if d.field_type == CustomFieldType.CHOICE
            else None,
        )
        for d in CustomFieldDefinition.objects.filter(active=True).order_by("position", "key")
        if d.field_type in types
    )


def _custom_label(definition: Any) -> str:
    """The label in the active language (the English label when there is one)."""
    language = translation.get_language() or ""
    return str(
        definition.label_en
        if (language.startswith("en") and definition.label_en)
        else definition.label
    )


def custom_key(field_name: str) -> str | None:
    """``"custom.budget"`` → ``"budget"``; ``None`` for a fixed field."""
    return field_name[len(CUSTOM_PREFIX) :] if field_name.startswith(CUSTOM_PREFIX) else None


# --- contacts ---------------------------------------------------------------------------

PREFERRED_CHANNEL_WORDS: Final = choice_words(
    {
        "phone": ("电话", "phone", "call"),
        "email": ("邮件", "电子邮件", "email", "e-mail", "mail"),
        "wechat": ("微信", "wechat", "weixin"),
        "sms": ("短信", "sms", "text"),
        "visit": ("拜访", "上门", "visit"),
    }
)

CONTACTS: Final = KindSpec(
    "contacts",
    _("联系人"),
    (
        *CUSTOMER_REF,
        FieldSpec(
            "name",
            _("姓名"),
            TEXT,
            required=True,
            max_length=100,
            aliases=(
                "姓名",
                "联系人",
                "联系人姓名",
                "名字",
                "name",
                "contact",
                "contactname",
                "fullname",
            ),
        ),
        FieldSpec(
            "title",
            _("职务"),
            TEXT,
            max_length=100,
            aliases=("职务", "职位", "头衔", "title", "position", "jobtitle"),
        ),
        FieldSpec(
            "mobile",
            _("手机"),
            PHONE,
            aliases=("手机", "手机号", "手机号码", "移动电话", "mobile", "cell", "mobilephone"),
        ),
        FieldSpec(
            "phone",
            _("电话"),
            PHONE,
            aliases=(
                "电话",
                "座机",
                "办公电话",
                "联系电话",
                "固定电话",
                "phone",
                "tel",
                "telephone",
                "officephone",
            ),
        ),
        FieldSpec(
            "email",
            _("邮箱"),
            EMAIL,
            max_length=254,
            aliases=("邮箱", "电子邮箱", "邮件", "email", "e-mail", "mail"),
        ),
        FieldSpec(
            "wechat", _("微信"), TEXT, max_length=64, aliases=("微信", "微信号", "wechat", "weixin")
        ),
        FieldSpec(
            "birthday",
            _("生日"),
            DATE,
            aliases=("生日", "出生日期", "birthday", "birthdate", "dateofbirth"),
        ),
        FieldSpec(
            "preferred_channel",
            _("偏好渠道"),
            CHOICE,
            choices=PreferredChannel,
            words=PREFERRED_CHANNEL_WORDS,
            aliases=("偏好渠道", "联系偏好", "首选联系方式", "preferredchannel"),
        ),
        FieldSpec(
            "consent_marketing",
            _("同意营销联系"),
            BOOL,
            aliases=("同意营销联系", "同意营销", "营销许可", "consent", "marketingconsent"),
        ),
        FieldSpec(
            "is_primary",
            _("主要联系人"),
            BOOL,
            aliases=("主要联系人", "是否主要联系人", "primary", "isprimary"),
        ),
        FieldSpec(
            "notes",
            _("备注"),
            TEXT,
            max_length=2000,
            aliases=("备注", "说明", "notes", "note", "remark", "remarks"),
        ),
    ),
    required_any=REQUIRED_CUSTOMER,
    required_any_error=REQUIRED_CUSTOMER_ERROR,
)

# --- communications ---------------------------------------------------------------------

CHANNEL_WORDS: Final = choice_words(
    {
        "phone": ("电话", "来电", "去电", "phone", "call", "telephone"),
        "email": ("邮件", "电子邮件", "邮箱", "email", "e-mail", "mail"),
        "visit": ("拜访", "上门", "面谈", "visit"),
        "wechat": ("微信", "wechat", "weixin"),
        "meeting": ("会议", "开会", "meeting"),
        "card": ("贺卡", "card"),
        "sms": ("短信", "sms", "text"),
    }
)

DIRECTION_WORDS: Final = choice_words(
    {
        "in": ("呼入", "客户来访/来电", "来访", "inbound", "incoming"),
        "out": ("呼出", "我方联系", "拜访客户", "outbound", "outgoing"),
    }
)

COMMUNICATIONS: Final = KindSpec(
    "communications",
    _("沟通记录"),
    (
        *CUSTOMER_REF,
        FieldSpec(
            "contact",
            _("联系人"),
            TEXT,
            max_length=100,
            aliases=("联系人", "联系人姓名", "对接人", "contact", "contactname"),
        ),
        FieldSpec(
            "channel",
            _("渠道"),
            CHOICE,
            required=True,
            choices=Channel,
            words=CHANNEL_WORDS,
            aliases=("渠道", "沟通方式", "方式", "联系方式", "类型", "channel", "type"),
        ),
        FieldSpec(
            "direction",
            _("方向"),
            CHOICE,
            choices=Direction,
            words=DIRECTION_WORDS,
            aliases=("方向", "呼入呼出", "direction"),
        ),
        FieldSpec(
            "occurred_at",
            _("时间"),
            DATETIME,
            required=True,
            aliases=(
                "时间",
                "沟通时间",
                "日期",
                "沟通日期",
                "联系时间",
                "联系日期",
                "occurredat",
                "date",
                "time",
                "datetime",
            ),
        ),
        FieldSpec(
            "summary",
            _("摘要"),
            TEXT,
            required=True,
            max_length=5000,
            aliases=(
                "摘要",
                "内容",
                "沟通内容",
                "记录",
                "纪要",
                "summary",
                "content",
                "notes",
                "note",
                "subject",
            ),
        ),
        FieldSpec(
            "staff",
            _("员工"),
            USER,
            aliases=("员工", "跟进人", "负责人", "客户经理", "记录人", "staff", "owner", "user"),
        ),
        FieldSpec(
            "next_follow_up",
            _("下次跟进日期"),
            DATE,
            aliases=("下次跟进日期", "下次跟进", "跟进日期", "nextfollowup", "followup"),
        ),
        FieldSpec(
            "follow_up_done",
            _("跟进已完成"),
            BOOL,
            aliases=("跟进已完成", "已跟进", "followupdone"),
        ),
    ),
    required_any=REQUIRED_CUSTOMER,
    required_any_error=REQUIRED_CUSTOMER_ERROR,
)
