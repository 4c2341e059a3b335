"""The demo's word pools and generators: cities with their area codes and sales regions,
company and person names, addresses, phone numbers, products, tags, preferences and what
people say in a call. Shared with ``bench/`` (``bench.generate``, ``bench.dedup_bench``,
``bench.import_bench``), which builds its large data sets from the same words.

The generators draw from the ``random.Random`` they are given and nothing else.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from guanxi.core.text.pinyin import pinyin_keys
from guanxi.customers.models import (
    Channel,
    CompanySize,
    CustomerKind,
    CustomerSource,
    CustomerStatus,
    PreferenceCategory,
)

# The sales departments (under SALES), which are also the regions of CITIES.
SALES = "销售部"
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
TITLES: dict[str, list[str]] = {
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
