"""What each import kind accepts: its fields, the headers that suggest them, and the words
each choice column understands.

Header aliases are compared after :func:`header_key` (half-width, case-folded, without
spaces, punctuation and bracketed remarks such as ``（必填）``). Choice words add to each
choice's Chinese label, its English label and its code, which are always accepted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guanxi.core.cleaning import ChoiceMatcher, to_halfwidth
from guanxi.customers.models import (
    Channel,
    CompanySize,
    CustomerKind,
    CustomerSource,
    CustomerStatus,
    CustomFieldDefinition,
    CustomFieldType,
    Direction,
    ImportKind,
    OrderStatus,
    PreferredChannel,
)

# Field types: how a cell is parsed (see ``rows.py``).
TEXT, CHOICE, DATE, DATETIME, PHONE, EMAIL, AMOUNT, QUANTITY, BOOL, USER, TAGS = (
    "text",
    "choice",
    "date",
    "datetime",
    "phone",
    "email",
    "amount",
    "quantity",
    "bool",
    "user",
    "tags",
)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Promise | str
    type: str = TEXT
    required: bool = False
    max_length: int | None = None
    aliases: tuple[str, ...] = ()
    choices: Any = None  # a TextChoices class for CHOICE fields


@dataclass(frozen=True)
class KindSpec:
    kind: str
    label: Promise | str
    fields: tuple[FieldSpec, ...]
    #: any one of these groups must be fully mapped (e.g. the customer by name or phone)
    required_any: tuple[tuple[str, ...], ...] = ()
    by_name: dict[str, FieldSpec] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_name.update({f.name: f for f in self.fields})


_CUSTOMER_REF = (
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

CUSTOMERS = KindSpec(
    ImportKind.CUSTOMERS,
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
            aliases=("城市", "市", "所在城市", "所在地", "地区", "city", "region"),
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

CONTACTS = KindSpec(
    ImportKind.CONTACTS,
    _("联系人"),
    (
        *_CUSTOMER_REF,
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
    required_any=(("customer",), ("customer_phone",)),
)

ORDERS = KindSpec(
    ImportKind.ORDERS,
    _("订单"),
    (
        FieldSpec(
            "number",
            _("订单号"),
            TEXT,
            required=True,
            max_length=40,
            aliases=(
                "订单号",
                "订单编号",
                "单号",
                "订单",
                "ordernumber",
                "orderno",
                "order",
                "orderid",
                "number",
            ),
        ),
        *_CUSTOMER_REF,
        FieldSpec(
            "order_date",
            _("下单日期"),
            DATE,
            required=True,
            aliases=("下单日期", "订单日期", "日期", "成交日期", "orderdate", "date"),
        ),
        FieldSpec(
            "status",
            _("订单状态"),
            CHOICE,
            choices=OrderStatus,
            aliases=("订单状态", "状态", "status", "orderstatus"),
        ),
        FieldSpec(
            "note",
            _("备注"),
            TEXT,
            max_length=500,
            aliases=("备注", "订单备注", "note", "notes", "remark"),
        ),
        FieldSpec(
            "product",
            _("产品编码"),
            TEXT,
            max_length=40,
            aliases=(
                "产品编码",
                "商品编码",
                "产品代码",
                "物料编码",
                "sku",
                "productcode",
                "itemcode",
            ),
        ),
        FieldSpec(
            "description",
            _("产品名称"),
            TEXT,
            max_length=200,
            aliases=(
                "产品名称",
                "商品名称",
                "品名",
                "产品",
                "商品",
                "明细",
                "描述",
                "description",
                "product",
                "item",
                "productname",
            ),
        ),
        FieldSpec("quantity", _("数量"), QUANTITY, aliases=("数量", "件数", "quantity", "qty")),
        FieldSpec("unit_price", _("单价"), AMOUNT, aliases=("单价", "价格", "unitprice", "price")),
        FieldSpec(
            "amount",
            _("金额"),
            AMOUNT,
            aliases=("金额", "小计", "行金额", "amount", "linetotal", "subtotal"),
        ),
    ),
    required_any=(("customer",), ("customer_phone",)),
)

COMMUNICATIONS = KindSpec(
    ImportKind.COMMUNICATIONS,
    _("沟通记录"),
    (
        *_CUSTOMER_REF,
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
            aliases=("渠道", "沟通方式", "方式", "联系方式", "类型", "channel", "type"),
        ),
        FieldSpec(
            "direction",
            _("方向"),
            CHOICE,
            choices=Direction,
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
    required_any=(("customer",), ("customer_phone",)),
)

KINDS: Final[dict[str, KindSpec]] = {
    s.kind: s for s in (CUSTOMERS, CONTACTS, ORDERS, COMMUNICATIONS)
}

# --- custom fields ----------------------------------------------------------------------

#: A customer custom field's import field name: ``custom.<definition key>``.
CUSTOM_PREFIX: Final = "custom."
NUMBER, CUSTOM_CHOICE = "number", "custom_choice"
CUSTOM_TEXT_MAX: Final = 500  # as ``services._validate_custom_fields``


def kind_spec(kind: str) -> KindSpec:
    """The fields of ``kind`` as of now: for customers, the fixed fields and then one field
    per active custom field an admin has defined (``custom.<key>``), typed like the
    definition and suggested for headers that name its label (Chinese or English) or key."""
    spec = KINDS[kind]
    if kind != ImportKind.CUSTOMERS:
        return spec
    types = {
        CustomFieldType.TEXT: TEXT,
        CustomFieldType.NUMBER: NUMBER,
        CustomFieldType.DATE: DATE,
        CustomFieldType.CHOICE: CUSTOM_CHOICE,
    }
    extra = tuple(
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
    if not extra:
        return spec
    return KindSpec(spec.kind, spec.label, spec.fields + extra, spec.required_any)


def _custom_label(definition: Any) -> str:
    """The label in the active language (the English label when there is one)."""
    language = translation.get_language() or ""
    return (
        definition.label_en
        if (language.startswith("en") and definition.label_en)
        else (definition.label)
    )


def custom_key(field_name: str) -> str | None:
    """``"custom.budget"`` → ``"budget"``; ``None`` for a fixed field."""
    return field_name[len(CUSTOM_PREFIX) :] if field_name.startswith(CUSTOM_PREFIX) else None


# --- choices ---------------------------------------------------------------------------

#: Words accepted for a choice besides its labels and code.
CHOICE_SYNONYMS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "CustomerKind": {
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
    },
    "CustomerStatus": {
        "prospect": ("潜在", "潜在客户", "意向", "意向客户", "prospect", "potential"),
        "active": ("活跃", "正常", "合作中", "成交客户", "active", "customer"),
        "dormant": ("休眠", "沉睡", "不活跃", "dormant", "inactive", "sleeping"),
        "lost": ("流失", "已流失", "丢失", "lost", "churned"),
    },
    "CompanySize": {
        "micro": ("微型", "微型企业", "<10人", "micro"),
        "small": ("小型", "小型企业", "小", "small"),
        "medium": ("中型", "中型企业", "中", "medium"),
        "large": ("大型", "大型企业", "大", "large"),
    },
    "CustomerSource": {
        "referral": ("转介绍", "介绍", "推荐", "老客户介绍", "referral", "referred"),
        "website": ("官网", "网站", "网络", "website", "web", "online"),
        "exhibition": ("展会", "会展", "exhibition", "trade show", "fair"),
        "cold_call": ("电话开发", "陌拜", "电销", "cold call", "cold calling"),
        "tender": ("招投标", "招标", "投标", "tender", "bid"),
        "partner": ("合作伙伴", "渠道", "代理商", "partner", "channel partner"),
        "other": ("其他", "其它", "other"),
    },
    "Channel": {
        "phone": ("电话", "来电", "去电", "phone", "call", "telephone"),
        "email": ("邮件", "电子邮件", "邮箱", "email", "e-mail", "mail"),
        "visit": ("拜访", "上门", "面谈", "visit"),
        "wechat": ("微信", "wechat", "weixin"),
        "meeting": ("会议", "开会", "meeting"),
        "card": ("贺卡", "card"),
        "sms": ("短信", "sms", "text"),
    },
    "Direction": {
        "in": ("呼入", "客户来访/来电", "来访", "inbound", "incoming"),
        "out": ("呼出", "我方联系", "拜访客户", "outbound", "outgoing"),
    },
    "PreferredChannel": {
        "phone": ("电话", "phone", "call"),
        "email": ("邮件", "电子邮件", "email", "e-mail", "mail"),
        "wechat": ("微信", "wechat", "weixin"),
        "sms": ("短信", "sms", "text"),
        "visit": ("拜访", "上门", "visit"),
    },
    "OrderStatus": {
        "confirmed": ("已确认", "确认", "正常", "完成", "已完成", "confirmed", "completed"),
        "cancelled": ("已取消", "取消", "作废", "cancelled", "canceled", "void"),
    },
}


CHOICE_CLASSES: Final[dict[str, Any]] = {
    c.__name__: c
    for c in (
        CustomerKind,
        CustomerStatus,
        CompanySize,
        CustomerSource,
        Channel,
        Direction,
        PreferredChannel,
        OrderStatus,
    )
}


def _label_in(label: Any, language: str) -> str:
    with translation.override(language):
        return str(label)


@cache
def choice_matcher(choices: Any) -> ChoiceMatcher:
    """The matcher of a TextChoices class: code, Chinese and English labels, synonyms."""
    synonyms = CHOICE_SYNONYMS.get(choices.__name__, {})
    words: dict[str, list[str]] = {}
    for code, label in zip(choices.values, choices.labels, strict=True):
        names = [_label_in(label, "zh-hans"), _label_in(label, "en"), *synonyms.get(code, ())]
        words[code] = list(dict.fromkeys(names))
    return ChoiceMatcher(words)


def choice_labels(choices: Any, codes: list[str] | None = None) -> list[str]:
    """Labels (in the active language) of ``codes`` or of every choice."""
    labels = dict(zip(choices.values, choices.labels, strict=True))
    return [str(labels[c]) for c in (codes if codes is not None else choices.values)]


# --- headers ---------------------------------------------------------------------------

_BRACKETS_RE: Final = re.compile(r"[(\[（【<《].*?[)\]）】>》]")
_HEADER_DROP_RE: Final = re.compile(r"[\s\W_]+")


def header_key(header: str) -> str:
    """``" 客户名称（必填）"`` → ``"客户名称"``; ``"E-Mail Address"`` → ``"emailaddress"``."""
    text = to_halfwidth(header).casefold()
    stripped = _BRACKETS_RE.sub("", text)
    return _HEADER_DROP_RE.sub("", stripped or text)


def alias_index(spec: KindSpec) -> Mapping[str, str]:
    """Alias key → field name (the first field listing an alias wins: a fixed field before
    a custom one)."""
    fixed = _alias_index(spec.kind)
    custom = [f for f in spec.fields if custom_key(f.name) is not None]
    if not custom:
        return fixed
    index = dict(fixed)
    for f in custom:
        for alias in (f.name, *f.aliases):
            index.setdefault(header_key(alias), f.name)
    return index


@cache
def _alias_index(kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for f in KINDS[kind].fields:
        for alias in (f.name, *f.aliases):
            index.setdefault(header_key(alias), f.name)
    return index
