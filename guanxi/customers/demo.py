"""Demo data: a believable Chinese company and its customers, built in one transaction.

``build_demo`` writes what the services would have written — customers with search and
phone keys, contacts, preferences, products, two years of orders, communications, the
timeline entries and the audit entries (actor: system) — but with ``bulk_create``, so
2,000 customers load in seconds. Everything comes from one seeded ``random.Random``:
the same seed and ``today`` give the same data.

The word pools are shared with ``bench/generate.py``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from guanxi.accounts.models import Role, Team, User
from guanxi.core import audit
from guanxi.core.cleaning import normalize_phone
from guanxi.core.models import AuditAction, AuditEntry, AuditSource
from guanxi.core.search import pinyin_keys, search_text
from guanxi.customers.keys import stored_name_key
from guanxi.customers.models import (
    Channel,
    Communication,
    CompanySize,
    Contact,
    Customer,
    CustomerKind,
    CustomerSource,
    CustomerStatus,
    Direction,
    Order,
    OrderLine,
    Preference,
    PreferenceCategory,
    PreferredChannel,
    Product,
    Tag,
    TimelineEntry,
)
from guanxi.customers.timeline import ChoiceLabel, TimelineText, timeline_entry

COMPANY = "上海瀚海信息科技有限公司"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "demo-admin-2026"  # noqa: S105 - documented in README and printed by `load_demo`
USER_PASSWORD = "demo-user-2026"  # noqa: S105 - every other demo user
DEFAULT_CUSTOMERS = 2000
DEFAULT_SEED = 2026
MARKER_TEAM = "华东销售部"

# --- word pools ----------------------------------------------------------------------------

EAST, SOUTH, KEY = "华东销售部", "华南销售部", "大客户部"

# (province, city, area code, weight, sales region)
CITIES: list[tuple[str, str, str, int, str]] = [
    ("上海", "上海", "021", 22, EAST),
    ("江苏", "南京", "025", 6, EAST),
    ("江苏", "苏州", "0512", 8, EAST),
    ("江苏", "无锡", "0510", 4, EAST),
    ("江苏", "常州", "0519", 2, EAST),
    ("浙江", "杭州", "0571", 8, EAST),
    ("浙江", "宁波", "0574", 4, EAST),
    ("浙江", "温州", "0577", 2, EAST),
    ("安徽", "合肥", "0551", 3, EAST),
    ("山东", "济南", "0531", 2, EAST),
    ("山东", "青岛", "0532", 3, EAST),
    ("广东", "广州", "020", 7, SOUTH),
    ("广东", "深圳", "0755", 8, SOUTH),
    ("广东", "东莞", "0769", 3, SOUTH),
    ("广东", "佛山", "0757", 3, SOUTH),
    ("福建", "厦门", "0592", 2, SOUTH),
    ("福建", "福州", "0591", 2, SOUTH),
    ("广西", "南宁", "0771", 1, SOUTH),
    ("海南", "海口", "0898", 1, SOUTH),
    ("北京", "北京", "010", 6, KEY),
    ("天津", "天津", "022", 1, KEY),
    ("四川", "成都", "028", 2, KEY),
    ("湖北", "武汉", "027", 2, KEY),
    ("湖南", "长沙", "0731", 1, KEY),
    ("河南", "郑州", "0371", 1, KEY),
    ("陕西", "西安", "029", 1, KEY),
    ("重庆", "重庆", "023", 1, KEY),
    ("辽宁", "大连", "0411", 1, KEY),
]
DISTRICTS = ["高新区", "经济开发区", "新区", "工业园区", "中心城区", "滨江区", "科技城"]
ROADS = [
    "人民路",
    "中山路",
    "解放路",
    "建设路",
    "科技路",
    "创新大道",
    "世纪大道",
    "长江路",
    "黄河路",
    "滨江大道",
    "高新大道",
    "文化路",
    "学府路",
    "金融街",
    "迎宾大道",
]
BUILDINGS = ["科技大厦", "国际中心", "创业园", "金融广场", "软件园", "商务中心", "产业园"]

BRAND_FIRST = "华宏鼎恒金天博嘉中锦启泰新云智晨远众德精海东长瑞凯九星盛永明致蓝同银联安信达鑫源"
BRAND_SECOND = "信达盛通桥元远禾科程明和立帆联光航诚润纳方青丰晟州辰世安德泰创新业汇峰宇邦泽瑞成"

# (word in the company name, industry)
COMPANY_TRADES: list[tuple[str, str]] = [
    ("信息科技", "信息技术"),
    ("网络科技", "信息技术"),
    ("软件", "信息技术"),
    ("数据服务", "信息技术"),
    ("电子", "电子制造"),
    ("智能制造", "制造业"),
    ("精密机械", "制造业"),
    ("新材料", "新材料"),
    ("生物医药", "医疗健康"),
    ("医疗器械", "医疗健康"),
    ("物流", "物流"),
    ("供应链管理", "物流"),
    ("贸易", "贸易"),
    ("食品", "食品饮料"),
    ("建设工程", "建筑"),
    ("环保科技", "环保"),
    ("新能源", "能源"),
    ("汽车零部件", "汽车"),
    ("文化传媒", "文化传媒"),
    ("教育科技", "教育"),
    ("商业管理", "零售"),
    ("电气", "制造业"),
    ("化工", "化工"),
    ("纺织", "纺织服装"),
    ("家居", "家居建材"),
    ("餐饮管理", "餐饮"),
    ("实业", "综合"),
    ("咨询", "专业服务"),
]
BUREAUS = [
    "教育局",
    "卫生健康委员会",
    "工业和信息化局",
    "大数据管理局",
    "交通运输局",
    "市场监督管理局",
    "人力资源和社会保障局",
    "住房和城乡建设局",
    "生态环境局",
    "商务局",
    "科学技术局",
    "财政局",
    "政务服务管理局",
    "应急管理局",
]
BANKS = [
    "中国工商银行",
    "中国建设银行",
    "中国银行",
    "中国农业银行",
    "交通银行",
    "招商银行",
    "浦发银行",
    "兴业银行",
    "中信银行",
    "平安银行",
    "宁波银行",
    "江苏银行",
]
SPONSOR_FORMS = [
    "城市建设投资集团有限公司",
    "高新技术产业开发区管理委员会",
    "轨道交通集团有限公司",
    "第一人民医院",
    "国际会展中心有限公司",
    "产业园开发有限公司",
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
    "肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
FREE_MAIL = ("qq.com", "163.com", "126.com")
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文",
    "华",
    "红",
    "志强",
    "晓东",
    "海燕",
    "子涵",
    "浩然",
    "思远",
    "雨桐",
    "欣怡",
    "俊杰",
    "梓轩",
    "嘉怡",
    "宇航",
    "佳琪",
    "晨曦",
    "一鸣",
    "诗涵",
    "建国",
    "国强",
    "丽华",
    "玉兰",
    "春梅",
    "立新",
    "振华",
    "永红",
]
TITLES = {
    CustomerKind.ENTERPRISE: [
        "总经理",
        "副总经理",
        "采购经理",
        "采购总监",
        "IT经理",
        "信息中心主任",
        "财务总监",
        "行政主管",
        "董事长助理",
        "技术总监",
        "运营总监",
    ],
    CustomerKind.GOVERNMENT: ["局长", "副局长", "处长", "科长", "办公室主任", "信息中心主任"],
    CustomerKind.INVESTOR: [
        "行长",
        "副行长",
        "科技部总经理",
        "运营主管",
        "投资总监",
        "合伙人",
        "投资经理",
    ],
    CustomerKind.SPONSOR: ["项目总监", "基建处处长", "工程部经理", "信息科科长", "总工程师"],
    CustomerKind.INDIVIDUAL: [""],
}
TAGS = [
    ("重点客户", "danger"),
    ("VIP", "warning"),
    ("老客户", "primary"),
    ("新客户", "info"),
    ("政府项目", "dark"),
    ("招投标", "secondary"),
    ("战略合作", "success"),
    ("价格敏感", "secondary"),
    ("需回访", "info"),
    ("潜在大单", "warning"),
    ("续费关注", "primary"),
    ("转介绍来源", "success"),
]
PREFERENCES: dict[str, list[tuple[str, list[str]]]] = {
    PreferenceCategory.DIET: [
        ("茶饮", ["只喝普洱茶", "喜欢西湖龙井", "喝铁观音"]),
        ("饮食禁忌", ["不吃辣", "素食", "清真饮食", "海鲜过敏"]),
        ("饮酒", ["不喝酒", "喜欢黄酒", "只喝红酒"]),
    ],
    PreferenceCategory.HOBBY: [
        ("运动", ["喜欢打高尔夫", "爱好钓鱼", "每周打羽毛球", "跑马拉松"]),
        ("文化", ["喜欢书法", "喜欢听京剧", "收藏紫砂壶", "爱读历史书"]),
        ("旅行", ["喜欢自驾游", "常去日本旅行"]),
    ],
    PreferenceCategory.COMMUNICATION: [
        ("来电时间", ["上午不接电话", "下午三点后方便通话"]),
        ("联系方式", ["偏好微信沟通", "只接受邮件正式沟通"]),
        ("确认方式", ["重要事项需邮件确认", "报价需盖章扫描件"]),
        ("语言", ["可用粤语沟通", "习惯说上海话"]),
    ],
    PreferenceCategory.SERVICE: [
        ("响应时间", ["要求4小时内响应", "要求当天上门"]),
        ("对接人", ["需要专属客服", "只与技术负责人对接"]),
        ("发票", ["每月25日前开票", "需要增值税专用发票"]),
    ],
    PreferenceCategory.GIFT: [
        ("节日", ["中秋节送月饼", "春节送年货礼盒"]),
        ("礼品", ["喜欢茶叶礼盒", "不收贵重礼品"]),
    ],
    PreferenceCategory.SCHEDULE: [
        ("拜访时间", ["每周三下午方便拜访", "周一上午例会勿约"]),
        ("出差", ["每月下旬常出差", "暑假期间休假"]),
    ],
}

# (code, name, category, unit price)
PRODUCTS: list[tuple[str, str, str, str]] = [
    ("HH-CRM-STD", "瀚海CRM 标准版（10用户/年）", "软件", "19800"),
    ("HH-CRM-PRO", "瀚海CRM 专业版（50用户/年）", "软件", "49800"),
    ("HH-CRM-ENT", "瀚海CRM 企业版（不限用户/年）", "软件", "128000"),
    ("HH-MOB", "移动办公模块（年）", "软件", "8800"),
    ("HH-BI", "BI 经营分析模块（年）", "软件", "36000"),
    ("HH-API", "数据接口模块（年）", "软件", "15000"),
    ("HH-ESIGN", "电子签章模块（年）", "软件", "12000"),
    ("HH-WX", "企业微信集成模块（年）", "软件", "9800"),
    ("SV-IMPL", "实施服务（人天）", "服务", "2500"),
    ("SV-DEV", "定制开发（人天）", "服务", "3200"),
    ("SV-MIG", "数据迁移服务（项）", "服务", "20000"),
    ("SV-TRAIN", "培训服务（场）", "服务", "6000"),
    ("SV-ONSITE", "驻场运维（月）", "服务", "28000"),
    ("SV-MAINT", "年度维保服务", "服务", "18000"),
    ("SV-SEC", "等保测评咨询", "服务", "45000"),
    ("SV-SI", "系统集成服务（项）", "服务", "80000"),
    ("HW-SRV", "服务器（2U机架式）", "硬件", "58000"),
    ("HW-STOR", "存储阵列（50TB）", "硬件", "120000"),
    ("HW-SW", "万兆网络交换机", "硬件", "12500"),
    ("HW-FW", "下一代防火墙", "硬件", "36800"),
    ("HW-NB", "商务笔记本电脑", "硬件", "7200"),
    ("HW-WS", "图形工作站", "硬件", "9600"),
    ("HW-PAD", "智能会议平板（86寸）", "硬件", "23000"),
    ("HW-AP", "企业级无线AP", "硬件", "1280"),
    ("CL-VM", "云主机（4核16G/年）", "云服务", "6800"),
    ("CL-OSS", "对象存储（TB/年）", "云服务", "1500"),
    ("CL-SMS", "短信服务包（10万条）", "云服务", "4500"),
    ("CS-DX", "数字化转型咨询（项目）", "咨询", "150000"),
    ("CS-PLAN", "IT 规划咨询（项目）", "咨询", "88000"),
    ("CS-PMO", "项目管理外包（月）", "咨询", "35000"),
]

SUMMARIES: dict[str, list[str]] = {
    Channel.PHONE: [
        "电话沟通{product}续费事宜，客户表示预算已批，下周确认。",
        "{contact}来电咨询{product}的价格和交付周期。",
        "回访上次实施效果，{contact}整体满意，提出报表导出的优化需求。",
        "电话确认{product}到货时间，客户要求月底前完成安装。",
        "{contact}反映系统偶有卡顿，已登记并转技术支持。",
    ],
    Channel.VISIT: [
        "拜访{contact}，介绍{product}方案，客户对移动端很感兴趣。",
        "上门拜访，与{contact}讨论明年信息化预算，初步意向约{amount}万元。",
        "陪同技术总监拜访客户，现场演示{product}。",
    ],
    Channel.WECHAT: [
        "微信发送{product}报价单，{contact}已读，约定周五回复。",
        "{contact}微信反馈登录缓慢，已转技术支持处理。",
        "微信沟通合同付款节点，客户同意分两期付款。",
        "{contact}在微信上询问{product}的试用账号，已开通。",
    ],
    Channel.EMAIL: [
        "邮件发送{product}合同草稿，等待客户法务审核。",
        "发送季度服务报告，附系统使用情况统计。",
        "邮件回复{contact}关于数据安全的问卷。",
    ],
    Channel.MEETING: [
        "参加{contact}组织的项目启动会，明确了里程碑和验收标准。",
        "季度业务回顾会议，客户希望扩展到更多部门。",
        "与客户召开{product}需求评审会。",
    ],
    Channel.SMS: ["短信提醒{product}年度维保即将到期。", "短信通知系统升级维护时间。"],
    Channel.CARD: ["寄送中秋贺卡及月饼礼盒。", "寄送新年贺卡。", "寄送生日贺卡给{contact}。"],
}

KIND_WEIGHTS = [
    (CustomerKind.ENTERPRISE, 70),
    (CustomerKind.GOVERNMENT, 8),
    (CustomerKind.INVESTOR, 6),
    (CustomerKind.SPONSOR, 4),
    (CustomerKind.INDIVIDUAL, 12),
]
STATUS_WEIGHTS = [
    (CustomerStatus.ACTIVE, 45),
    (CustomerStatus.PROSPECT, 28),
    (CustomerStatus.DORMANT, 17),
    (CustomerStatus.LOST, 10),
]
SOURCE_WEIGHTS = [
    (CustomerSource.REFERRAL, 25),
    (CustomerSource.WEBSITE, 20),
    (CustomerSource.EXHIBITION, 15),
    (CustomerSource.COLD_CALL, 15),
    (CustomerSource.TENDER, 10),
    (CustomerSource.PARTNER, 10),
    (CustomerSource.OTHER, 5),
]
SIZE_WEIGHTS = [
    (CompanySize.MICRO, 15),
    (CompanySize.SMALL, 40),
    (CompanySize.MEDIUM, 30),
    (CompanySize.LARGE, 15),
]
CHANNEL_WEIGHTS = [
    (Channel.PHONE, 35),
    (Channel.WECHAT, 30),
    (Channel.VISIT, 15),
    (Channel.EMAIL, 10),
    (Channel.MEETING, 7),
    (Channel.SMS, 2),
    (Channel.CARD, 1),
]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "199",
]


def weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def brand(rng: random.Random) -> str:
    return rng.choice(BRAND_FIRST) + rng.choice(BRAND_SECOND)


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def format_mobile(digits: str, style: int) -> str:
    """The same mobile number as people type it: 0 plain, 1 spaced, 2 dashed, 3 +86."""
    if style == 1:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if style == 2:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if style == 3:
        return f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}"
    return digits


def landline(rng: random.Random, area: str) -> str:
    return f"{area}-{local_number(rng, area)}"


SEVEN_DIGIT_AREAS = frozenset({"0592", "0771"})  # the rest of CITIES dial 8-digit numbers


def local_number(rng: random.Random, area: str) -> str:
    if area in SEVEN_DIGIT_AREAS:
        return f"{rng.choice('234567')}{rng.randrange(1_000_000):06d}"
    return f"{rng.choice('234567')}{rng.randrange(10_000_000):07d}"


def customer_name(rng: random.Random, kind: str, city: str) -> tuple[str, str]:
    """(name, industry) of a customer of ``kind`` located in ``city``."""
    if kind == CustomerKind.GOVERNMENT:
        return f"{city}市{rng.choice(BUREAUS)}", "政府/公共事业"
    if kind == CustomerKind.INVESTOR:
        r = rng.random()
        if r < 0.5:
            return f"{rng.choice(BANKS)}{city}分行", "金融"
        if r < 0.8:
            return f"{brand(rng)}资本", "金融"
        return f"{city}{brand(rng)}产业投资基金（有限合伙）", "金融"
    if kind == CustomerKind.SPONSOR:
        form = rng.choice(SPONSOR_FORMS)
        industry = "医疗健康" if "医院" in form else "政府/公共事业" if "委员会" in form else "建筑"
        return (
            f"{city}{form}" if "医院" in form or "委员会" in form else f"{city}{brand(rng)}{form}",
            industry,
        )
    if kind == CustomerKind.INDIVIDUAL:
        return person_name(rng), "个人"
    trade, industry = rng.choice(COMPANY_TRADES)
    suffix = "股份有限公司" if rng.random() < 0.15 else "有限公司"
    return f"{city}{brand(rng)}{trade}{suffix}", industry


def address(rng: random.Random, city: str) -> str:
    building = f"{rng.choice(BUILDINGS)}{rng.randint(1, 20)}楼" if rng.random() < 0.6 else ""
    return f"{city}市{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randint(1, 999)}号{building}"


def email_domain(name: str, kind: str) -> str:
    initials = pinyin_keys(name)[1][:8] or "corp"
    if kind == CustomerKind.GOVERNMENT:
        return f"{initials}.gov.cn"
    return f"{initials}.com.cn" if len(initials) % 2 else f"{initials}.com"


# --- the builder -----------------------------------------------------------------------------


@dataclass
class DemoResult:
    created: bool
    counts: dict[str, int] = field(default_factory=dict)
    users: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # username, name, role, team


def demo_exists() -> bool:
    """The demo is loaded once; a database with customers or an ``admin`` is left alone."""
    return (
        Team.objects.filter(name=MARKER_TEAM).exists()
        or Customer.objects.exists()
        or User.objects.filter(username=ADMIN_USERNAME).exists()
    )


# (username, display name, role, team)
STAFF: list[tuple[str, str, str, str | None]] = [
    (ADMIN_USERNAME, "系统管理员", Role.ADMIN, None),
    ("zhangwei", "张伟", Role.MANAGER, EAST),
    ("lina", "李娜", Role.ACCOUNT_MANAGER, EAST),
    ("wangfang", "王芳", Role.ACCOUNT_MANAGER, EAST),
    ("chenjie", "陈杰", Role.MANAGER, SOUTH),
    ("huangmin", "黄敏", Role.ACCOUNT_MANAGER, SOUTH),
    ("liuyang", "刘洋", Role.MANAGER, KEY),
    ("zhaolei", "赵磊", Role.ACCOUNT_MANAGER, KEY),
    ("sunli", "孙丽", Role.SERVICE_AGENT, None),
    ("zhoutao", "周涛", Role.PROJECT_MANAGER, EAST),
    ("wujing", "吴静", Role.PROJECT_MANAGER, KEY),
    ("huawei_it", "华为信息中心（门户）", Role.PORTAL, None),
]


def build_demo(
    *,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
    log: Callable[[str], None] | None = None,
) -> DemoResult:
    """Load the demo unless it (or any customer) is already there."""
    if demo_exists():
        return DemoResult(created=False)
    with (
        translation.override("zh-hans"),
        audit.audit_source(AuditSource.SYSTEM),
        transaction.atomic(),
    ):
        builder = _Builder(rng=random.Random(seed), today=today or timezone.localdate(), log=log)
        return builder.run(customers)


class _Builder:
    def __init__(self, *, rng: random.Random, today: dt.date, log: Callable[[str], None] | None):
        self.rng = rng
        self.today = today
        self.log = log or (lambda _msg: None)
        self.counts: Counter[str] = Counter()
        self.timeline: list[TimelineEntry] = []
        self.extra_audit: list[AuditEntry] = []
        self.used_names: set[str] = set()

    # helpers
    def _at(self, day: dt.date, hour: int | None = None) -> dt.datetime:
        hour = self.rng.randint(9, 17) if hour is None else hour
        minute = self.rng.randrange(0, 60, 5) if hour != 12 else 0
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))

    def _day_between(self, start: dt.date, end: dt.date) -> dt.date:
        span = max(0, (end - start).days)
        return start + dt.timedelta(days=self.rng.randint(0, span))

    def run(self, n_customers: int) -> DemoResult:
        teams, users = self._staff()
        tags = self._tags()
        products = self._products()
        customers = self._customers(n_customers, teams, users, tags)
        contacts = self._contacts(customers)
        self._preferences(customers)
        self._orders(customers, products)
        self._communications(customers, contacts, users)
        TimelineEntry.objects.bulk_create(self.timeline, batch_size=2000)
        AuditEntry.objects.bulk_create(self.extra_audit, batch_size=1000)
        self.counts["timeline"] = len(self.timeline)
        self.counts["audit"] = AuditEntry.objects.count()
        staff = [
            (u.username, u.display_name, u.get_role_display(), u.team.name if u.team else "")
            for u in users.values()
        ]
        return DemoResult(created=True, counts=dict(self.counts), users=staff)

    def _staff(self) -> tuple[dict[str, Team], dict[str, User]]:
        teams = {name: Team(name=name) for name in (EAST, SOUTH, KEY)}
        Team.objects.bulk_create(teams.values())
        audit.audit_bulk_create(actor=None, objs=teams.values(), customer_attr=None)
        # Hash each password once: PBKDF2 is deliberately slow, and the demo users share one.
        admin_hash, user_hash = make_password(ADMIN_PASSWORD), make_password(USER_PASSWORD)
        users: dict[str, User] = {}
        for i, (username, display, role, team) in enumerate(STAFF):
            users[username] = User(
                username=username,
                display_name=display,
                first_name=display[1:] if role != Role.PORTAL else "",
                last_name=display[:1] if role != Role.PORTAL else "",
                email=f"{username}@hanhai-tech.com.cn",
                phone=f"1391{i:03d}{self.rng.randrange(10_000):04d}",
                role=role,
                team=teams[team] if team else None,
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
                password=admin_hash if username == ADMIN_USERNAME else user_hash,
            )
        User.objects.bulk_create(users.values())
        audit.audit_bulk_create(actor=None, objs=users.values(), customer_attr=None)
        self.counts["teams"], self.counts["users"] = len(teams), len(users)
        self.log(f"团队 {len(teams)}，员工 {len(users)}")
        return teams, users

    def _tags(self) -> dict[str, Tag]:
        tags = {name: Tag(name=name, color=color) for name, color in TAGS}
        Tag.objects.bulk_create(tags.values())
        audit.audit_bulk_create(actor=None, objs=tags.values(), customer_attr=None)
        self.counts["tags"] = len(tags)
        return tags

    def _products(self) -> list[Product]:
        products = [
            Product(code=c, name=n, category=cat, unit_price=Decimal(p))
            for c, n, cat, p in PRODUCTS
        ]
        Product.objects.bulk_create(products)
        audit.audit_bulk_create(actor=None, objs=products, customer_attr=None)
        self.counts["products"] = len(products)
        return products

    def _owner_for(self, kind: str, size: str, region: str, users: dict[str, User]) -> User:
        rng = self.rng
        key_account = (
            kind in (CustomerKind.GOVERNMENT, CustomerKind.INVESTOR, CustomerKind.SPONSOR)
            or size == CompanySize.LARGE
            or region == KEY
        )
        if key_account:
            return users["zhaolei"] if rng.random() < 0.75 else users["liuyang"]
        if region == SOUTH:
            return users["huangmin"] if rng.random() < 0.8 else users["chenjie"]
        return users[rng.choice(["lina", "lina", "wangfang", "wangfang", "zhangwei"])]

    def _customers(
        self, n: int, teams: dict[str, Team], users: dict[str, User], tags: dict[str, Tag]
    ) -> list[Customer]:
        rng = self.rng
        rows: list[Customer] = []
        tag_links: list[tuple[Customer, list[Tag]]] = []
        city_weights = [c[3] for c in CITIES]
        for i in range(n):
            if i == 0:
                kind, (province, city, area, _w, region) = CustomerKind.ENTERPRISE, CITIES[12]
                name, industry = "华为技术有限公司", "信息技术"
            else:
                kind = weighted(rng, KIND_WEIGHTS)
                province, city, area, _w, region = rng.choices(CITIES, weights=city_weights)[0]
                for _attempt in range(20):
                    name, industry = customer_name(rng, kind, city)
                    if name not in self.used_names or kind == CustomerKind.INDIVIDUAL:
                        break
            self.used_names.add(name)
            size = "" if kind == CustomerKind.INDIVIDUAL else weighted(rng, SIZE_WEIGHTS)
            status = weighted(rng, STATUS_WEIGHTS)
            if i == 0:
                size, status = CompanySize.LARGE, CustomerStatus.ACTIVE
            owner = self._owner_for(kind, size, region, users)
            since = self.today - dt.timedelta(days=rng.randint(30, 365 * 6))
            if status == CustomerStatus.PROSPECT:
                since = self.today - dt.timedelta(days=rng.randint(1, 300))
            if i == 0:
                phone = "13800138000"
            elif kind == CustomerKind.INDIVIDUAL:
                phone = format_mobile(mobile(rng), rng.randrange(4))
            else:
                phone = landline(rng, area) if rng.random() < 0.9 else ""
            if kind == CustomerKind.INDIVIDUAL:
                email = f"{pinyin_keys(name)[0]}{rng.randint(1, 9999)}@{rng.choice(FREE_MAIL)}"
                website = ""
            else:
                domain = email_domain(name, kind)
                email = f"{rng.choice(['info', 'contact', 'service', 'office'])}@{domain}"
                website = f"https://www.{domain}" if rng.random() < 0.7 else ""
            customer = Customer(
                kind=kind,
                name=name,
                industry=industry,
                size=size,
                province=province,
                city=city,
                address=address(rng, city),
                source=weighted(rng, SOURCE_WEIGHTS),
                owner=owner,
                team_id=owner.team_id,
                status=status,
                since=since,
                phone=phone,
                email=email.lower(),
                website=website,
                notes=rng.choice(
                    [
                        "",
                        "",
                        "年度预算通常在每年11月确定。",
                        "由合作伙伴推荐，决策链较长。",
                        "对价格敏感，注重售后服务。",
                        "集团总部统一采购。",
                    ]
                ),
            )
            customer.name_pinyin, customer.name_initials = pinyin_keys(name)
            customer.name_pinyin = customer.name_pinyin[:200]
            customer.name_initials = customer.name_initials[:100]
            customer.name_key = stored_name_key(name)
            customer.search_text = search_text(customer.name, customer.email)
            customer.phone_key = normalize_phone(phone) if phone else ""
            rows.append(customer)
            chosen: list[Tag] = []
            if i == 0:
                chosen = [tags["重点客户"], tags["战略合作"], tags["VIP"]]
            elif rng.random() < 0.45:
                chosen = rng.sample(list(tags.values()), rng.choice([1, 1, 2, 3]))
            if kind == CustomerKind.GOVERNMENT and rng.random() < 0.7:
                chosen = list(dict.fromkeys([*chosen, tags["政府项目"]]))
            if chosen:
                tag_links.append((customer, sorted(chosen, key=lambda t: t.name)))
        Customer.objects.bulk_create(rows, batch_size=500)
        audit.audit_bulk_create(actor=None, objs=rows, customer_attr="pk")
        through = Customer.tags.through
        through.objects.bulk_create(
            [through(customer_id=c.pk, tag_id=t.pk) for c, ts in tag_links for t in ts],
            batch_size=2000,
        )
        now = timezone.now()
        for c, ts in tag_links:
            # customer_create records the tags as a second, "update" audit entry.
            self.extra_audit.append(
                AuditEntry(
                    actor=None,
                    actor_label="system",
                    source=AuditSource.SYSTEM,
                    action=AuditAction.UPDATE,
                    model="customers.customer",
                    object_id=str(c.pk),
                    object_repr=str(c)[:200],
                    customer_id=c.pk,
                    changes={"tags": [[], [t.name for t in ts]]},
                    created_at=now,
                )
            )
        for c in rows:
            self.timeline.append(
                timeline_entry(
                    customer_id=c.pk,
                    kind="customer",
                    occurred_at=self._at(c.since, 9),
                    title=TimelineText(gettext_noop("新建客户 %(name)s"), {"name": c.name}),
                    subject=c,
                )
            )
        self.counts["customers"] = len(rows)
        self.log(f"客户 {len(rows)}")
        return rows

    def _contacts(self, customers: list[Customer]) -> dict[int, list[Contact]]:
        rng = self.rng
        rows: list[Contact] = []
        by_customer: dict[int, list[Contact]] = defaultdict(list)
        for c in customers:
            n = 1 if c.kind == CustomerKind.INDIVIDUAL else rng.choice([1, 1, 2, 2, 2, 3])
            domain = c.email.split("@", 1)[1] if "@" in c.email else "example.cn"
            for j in range(n):
                name = c.name if c.kind == CustomerKind.INDIVIDUAL else person_name(rng)
                full = pinyin_keys(name)[0]
                digits = mobile(rng)
                if c.name == "华为技术有限公司" and j == 0:
                    digits = "13800138000"
                contact = Contact(
                    customer_id=c.pk,
                    name=name,
                    title=rng.choice(TITLES[c.kind]),
                    mobile=format_mobile(digits, rng.randrange(4)),
                    phone=c.phone if j == 0 and c.kind != CustomerKind.INDIVIDUAL else "",
                    email=c.email if c.kind == CustomerKind.INDIVIDUAL else f"{full}@{domain}",
                    wechat=f"{full}{rng.randint(10, 9999)}"
                    if rng.random() < 0.6
                    else f"wxid_{rng.randrange(16**10):010x}",
                    birthday=dt.date(
                        rng.randint(1962, 1998), rng.randint(1, 12), rng.randint(1, 28)
                    )
                    if rng.random() < 0.7
                    else None,
                    preferred_channel=rng.choice(
                        [
                            PreferredChannel.WECHAT,
                            PreferredChannel.WECHAT,
                            PreferredChannel.PHONE,
                            PreferredChannel.EMAIL,
                            PreferredChannel.VISIT,
                            "",
                        ]
                    ),
                    consent_marketing=rng.random() < 0.55,
                    is_primary=j == 0,
                )
                if contact.consent_marketing:
                    contact.consent_updated_at = self._at(c.since)
                contact.email = contact.email.lower()
                contact.phone_key = normalize_phone(contact.phone) if contact.phone else ""
                contact.mobile_key = normalize_phone(contact.mobile)
                rows.append(contact)
                by_customer[c.pk].append(contact)
        Contact.objects.bulk_create(rows, batch_size=500)
        audit.audit_bulk_create(actor=None, objs=rows)
        since = {c.pk: c.since for c in customers}
        for ct in rows:
            self.timeline.append(
                timeline_entry(
                    customer_id=ct.customer_id,
                    kind="contact",
                    occurred_at=self._at(since[ct.customer_id], 10),
                    title=TimelineText(gettext_noop("新增联系人 %(name)s"), {"name": ct.name}),
                    subject=ct,
                )
            )
        self.counts["contacts"] = len(rows)
        self.log(f"联系人 {len(rows)}")
        return by_customer

    def _preferences(self, customers: list[Customer]) -> None:
        rng = self.rng
        rows: list[Preference] = []
        options = [
            (cat, key, values) for cat, items in PREFERENCES.items() for key, values in items
        ]
        for c in customers:
            if c.name == "华为技术有限公司":
                picks = [
                    (PreferenceCategory.DIET, "茶饮", ["只喝普洱茶"]),
                    (PreferenceCategory.HOBBY, "运动", ["喜欢打高尔夫"]),
                    (PreferenceCategory.COMMUNICATION, "来电时间", ["上午不接电话"]),
                ]
            elif rng.random() < 0.55:
                picks = rng.sample(options, rng.choice([1, 1, 2, 3]))
            else:
                continue
            for cat, key, values in picks:
                rows.append(
                    Preference(customer_id=c.pk, category=cat, key=key, value=rng.choice(values))
                )
        Preference.objects.bulk_create(rows, batch_size=1000)
        audit.audit_bulk_create(actor=None, objs=rows)
        since = {c.pk: c.since for c in customers}
        for p in rows:
            self.timeline.append(
                timeline_entry(
                    customer_id=p.customer_id,
                    kind="preference",
                    occurred_at=self._at(self._day_between(since[p.customer_id], self.today)),
                    title=TimelineText(
                        gettext_noop("记录偏好：%(key)s = %(value)s"),
                        {"key": p.key, "value": p.value},
                    ),
                    subject=p,
                )
            )
        self.counts["preferences"] = len(rows)

    def _activity_window(self, c: Customer) -> tuple[dt.date, dt.date] | None:
        rng = self.rng
        start = max(c.since, self.today - dt.timedelta(days=730))
        if c.status == CustomerStatus.DORMANT:
            end = self.today - dt.timedelta(days=rng.randint(180, 420))
        elif c.status == CustomerStatus.LOST:
            end = self.today - dt.timedelta(days=rng.randint(400, 700))
        else:
            end = self.today
        return (start, end) if start < end else None

    def _orders(self, customers: list[Customer], products: list[Product]) -> None:
        rng = self.rng
        by_cat: dict[str, list[Product]] = defaultdict(list)
        for p in products:
            by_cat[p.category].append(p)
        planned: list[tuple[dt.date, Customer, list[OrderLine]]] = []
        for c in customers:
            if c.status == CustomerStatus.PROSPECT:
                continue
            window = self._activity_window(c)
            if window is None:
                continue
            start, end = window
            r = rng.random()
            if c.name == "华为技术有限公司" or r < 0.06:
                gap, big = (14, 45), True  # frequent big buyer
            elif r < 0.35:
                gap, big = (60, 120), False  # regular
            else:
                gap, big = (0, 0), False  # occasional: 1–3 orders in the window
            if c.kind == CustomerKind.GOVERNMENT:
                gap = (150, 300) if gap != (0, 0) else gap
            if gap == (0, 0):
                dates = sorted(
                    self._day_between(start, end) for _ in range(rng.choice([1, 1, 2, 3]))
                )
            else:
                dates, day = [], start + dt.timedelta(days=rng.randint(0, gap[0]))
                while day <= end:
                    dates.append(day)
                    day += dt.timedelta(days=rng.randint(*gap))
            for day in dates:
                planned.append((day, c, self._lines(c, by_cat, big)))
        planned.sort(key=lambda t: (t[0], t[1].pk))
        seq: Counter[dt.date] = Counter()
        orders: list[Order] = []
        for day, c, lines in planned:
            seq[day] += 1
            total = sum((li.amount for li in lines), Decimal("0"))
            orders.append(
                Order(
                    customer_id=c.pk,
                    number=f"SO{day:%Y%m%d}-{seq[day]:05d}",
                    order_date=day,
                    total=total,
                )
            )
        Order.objects.bulk_create(orders, batch_size=1000)
        all_lines: list[OrderLine] = []
        for order, (_day, _c, lines) in zip(orders, planned, strict=True):
            for li in lines:
                li.order_id = order.pk
            all_lines.extend(lines)
        OrderLine.objects.bulk_create(all_lines, batch_size=2000)
        now = timezone.now()
        for order, (day, _c, lines) in zip(orders, planned, strict=True):
            changes = {
                k: [None, v] for k, v in audit.snapshot(order).items() if v not in (None, "")
            }
            changes["lines"] = [
                None,
                [
                    audit.snapshot(li, ["description", "quantity", "unit_price", "amount"])
                    for li in lines
                ],
            ]
            self.extra_audit.append(
                AuditEntry(
                    actor=None,
                    actor_label="system",
                    source=AuditSource.SYSTEM,
                    action=AuditAction.CREATE,
                    model="customers.order",
                    object_id=str(order.pk),
                    object_repr=order.number,
                    customer_id=order.customer_id,
                    changes=changes,
                    created_at=now,
                )
            )
            self.timeline.append(
                timeline_entry(
                    customer_id=order.customer_id,
                    kind="order",
                    occurred_at=self._at(day, 12),
                    title=TimelineText(
                        gettext_noop("订单 %(number)s，金额 ¥%(total)s"),
                        {"number": order.number, "total": f"{order.total:,.2f}"},
                    ),
                    body="；".join(
                        f"{li.description} × {li.quantity.normalize():f}" for li in lines[:10]
                    ),
                    subject=order,
                    data={"total": str(order.total)},
                )
            )
        self.counts["orders"], self.counts["order_lines"] = len(orders), len(all_lines)
        self.log(f"订单 {len(orders)}，明细 {len(all_lines)}")

    def _lines(self, c: Customer, by_cat: dict[str, list[Product]], big: bool) -> list[OrderLine]:
        rng = self.rng
        if c.kind == CustomerKind.INDIVIDUAL:
            cats = ["硬件", "云服务", "服务"]
            n = 1
        elif big:
            cats = ["软件", "服务", "硬件", "硬件", "云服务", "咨询"]
            n = rng.randint(2, 5)
        else:
            cats = ["软件", "软件", "服务", "服务", "硬件", "云服务"]
            n = rng.choice([1, 1, 2, 3])
        chosen: dict[str, Product] = {}
        for _i in range(n):
            p = rng.choice(by_cat[rng.choice(cats)])
            chosen[p.code] = p
        lines = []
        for p in chosen.values():
            price = p.unit_price
            if price < 5000:
                qty = Decimal(rng.randint(1, 40 if big else 10))
            elif price < 30000:
                qty = Decimal(rng.randint(1, 10 if big else 3))
            else:
                qty = Decimal(rng.randint(1, 2))
            if c.kind == CustomerKind.INDIVIDUAL:
                qty = Decimal(1)
            if rng.random() < 0.3:  # negotiated discount
                price = (price * Decimal(rng.choice(["0.95", "0.9", "0.85", "0.8"]))).quantize(
                    Decimal("0.01")
                )
            lines.append(
                OrderLine(
                    product=p,
                    description=p.name,
                    quantity=qty,
                    unit_price=price,
                    amount=(qty * price).quantize(Decimal("0.01")),
                )
            )
        return lines

    def _communications(
        self, customers: list[Customer], contacts: dict[int, list[Contact]], users: dict[str, User]
    ) -> None:
        rng = self.rng
        agent = users["sunli"]
        product_names = [p[1].split("（")[0] for p in PRODUCTS]
        rows: list[Communication] = []
        for c in customers:
            window = self._activity_window(c) or (c.since, c.since)
            start, end = window
            if c.status == CustomerStatus.PROSPECT:
                start, end = c.since, self.today
            n = {
                CustomerStatus.ACTIVE: rng.randint(3, 12),
                CustomerStatus.PROSPECT: rng.randint(1, 6),
                CustomerStatus.DORMANT: rng.randint(1, 5),
                CustomerStatus.LOST: rng.randint(1, 3),
            }[c.status]
            if c.name == "华为技术有限公司":
                n = 20
            days = sorted(self._day_between(start, end) for _ in range(n))
            people = contacts.get(c.pk, [])
            for k, day in enumerate(days):
                channel = weighted(rng, CHANNEL_WEIGHTS)
                contact = rng.choice(people) if people else None
                inbound = (
                    channel in (Channel.PHONE, Channel.WECHAT, Channel.EMAIL) and rng.random() < 0.3
                )
                summary = rng.choice(SUMMARIES[channel]).format(
                    contact=contact.name if contact else "客户",
                    product=rng.choice(product_names),
                    amount=rng.choice([20, 35, 50, 80, 120, 200]),
                )
                comm = Communication(
                    customer_id=c.pk,
                    contact=contact,
                    channel=channel,
                    direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
                    occurred_at=self._at(day),
                    summary=summary,
                    staff=agent if inbound and rng.random() < 0.5 else c.owner,
                )
                last = k == len(days) - 1
                if (
                    last
                    and c.status in (CustomerStatus.ACTIVE, CustomerStatus.PROSPECT)
                    and (rng.random() < 0.4 or c.name == "华为技术有限公司")
                ):
                    comm.next_follow_up = self.today + dt.timedelta(days=rng.randint(-10, 21))
                elif not last and rng.random() < 0.2:
                    comm.next_follow_up = day + dt.timedelta(days=rng.randint(3, 14))
                    comm.follow_up_done = True
                rows.append(comm)
        Communication.objects.bulk_create(rows, batch_size=1000)
        audit.audit_bulk_create(actor=None, objs=rows)
        for comm in rows:
            self.timeline.append(
                timeline_entry(
                    customer_id=comm.customer_id,
                    kind="communication",
                    occurred_at=comm.occurred_at,
                    title=TimelineText(
                        gettext_noop("%(channel)s · %(direction)s"),
                        {
                            "channel": ChoiceLabel.of(comm, "channel"),
                            "direction": ChoiceLabel.of(comm, "direction"),
                        },
                    ),
                    body=comm.summary,
                    subject=comm,
                    data={
                        "channel": comm.channel,
                        "next_follow_up": comm.next_follow_up.isoformat()
                        if comm.next_follow_up
                        else None,
                    },
                )
            )
        self.counts["communications"] = len(rows)
        self.counts["open_follow_ups"] = sum(
            1 for r in rows if r.next_follow_up and not r.follow_up_done
        )
        self.log(f"沟通记录 {len(rows)}")
