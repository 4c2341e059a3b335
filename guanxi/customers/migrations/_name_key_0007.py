"""A frozen copy of the customer name key as migration 0007 computes it (2026-11-24):
``core.text.cleaning.normalize_name_key`` and ``core.text.keys.name_key`` as they were then.
Migrations must not import live code (it changes after them); the loader skips modules
whose names start with "_", so this is no migration itself."""

import re
from typing import Final

MIN_NAME_KEY: Final = 2
NAME_KEY_LENGTH: Final = 200

_HALFWIDTH_TABLE: Final[dict[int, int | None]] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_HALFWIDTH_TABLE.update(
    {
        0x3000: 0x20,  # ideographic space
        0x00A0: 0x20,  # no-break space
        0x202F: 0x20,  # narrow no-break space
        0x205F: 0x20,  # medium mathematical space
        0x1680: 0x20,
        **{cp: 0x20 for cp in range(0x2000, 0x200B)},  # en quad … hair space
        0x200B: None,  # zero-width space
        0x200C: None,  # zero-width non-joiner
        0x200D: None,  # zero-width joiner
        0x2060: None,  # word joiner
        0xFEFF: None,  # BOM / zero-width no-break space
        0x00AD: None,  # soft hyphen
        0x180E: None,  # Mongolian vowel separator
    }
)


def to_halfwidth(s: str) -> str:
    """Full-width ASCII (U+FF01–FF5E) and the ideographic space to ASCII; NBSP and other
    spaces to a plain space; zero-width characters, soft hyphens and BOMs removed;
    surrounding whitespace stripped. Idempotent. Chinese punctuation (``，。、``) stays."""
    if s.isascii():
        return s.strip()
    return s.translate(_HALFWIDTH_TABLE).strip()


_REGION_PAREN_RE: Final = re.compile(r"[(\[【〔]\s*(?:中国|中國|china|prc)\s*[)\]】〕]")
_NON_WORD_RE: Final = re.compile(r"[\W_]+")
_CN_SUFFIXES: Final = tuple(
    sorted(
        {
            "股份有限公司",
            "有限责任公司",
            "有限責任公司",
            "股份公司",
            "有限公司",
            "集团公司",
            "集團公司",
            "分公司",
            "集团",
            "集團",
            "公司",
        },
        key=len,
        reverse=True,
    )
)
_CN_SUFFIX_SET: Final = frozenset(_CN_SUFFIXES)
_CN_SUFFIX_ENDINGS: Final = tuple({suffix[-1] for suffix in _CN_SUFFIXES})
_CN_SUFFIX_RE_ONE: Final = re.compile("|".join(map(re.escape, _CN_SUFFIXES)))
_CN_SUFFIX_RE: Final = re.compile(f"(?:{_CN_SUFFIX_RE_ONE.pattern})+\\Z")
_EN_SUFFIXES: Final = frozenset(
    {
        "co", "corp", "corporation", "company", "ltd", "limited", "inc", "incorporated",
        "llc", "llp", "plc", "gmbh", "pte", "pty", "ag", "sa", "bv", "group",
    }
)  # fmt: skip


#: Longer names are cut before keying (bounds the work per value; no real name is longer).
MAX_NAME_KEY_INPUT: Final = 256


def normalize_name_key(name: str) -> str:
    """Key for duplicate detection of organisation/person names: half-width, case-folded,
    without spaces and punctuation, with legal-form suffixes removed (longest first,
    repeatedly: 西门子(中国)有限公司 -> 西门子; Huawei Technologies Co., Ltd. ->
    huaweitechnologies). English suffixes are removed as whole words. When stripping would
    leave nothing (a company called 集团), the unstripped key is returned."""
    return _name_key(name[:MAX_NAME_KEY_INPUT])


def _name_key(name: str) -> str:
    s = to_halfwidth(name).casefold()
    if not s:
        return ""
    if "(" in s or "[" in s or "【" in s or "〔" in s:
        s = _REGION_PAREN_RE.sub(" ", s)
    words = _NON_WORD_RE.sub(" ", s).split()
    full = "".join(words)
    while len(words) > 1 and words[-1] in _EN_SUFFIXES:
        words.pop()
    key = "".join(words)
    if key in _CN_SUFFIX_SET or not key.endswith(_CN_SUFFIX_ENDINGS):
        return key or full
    match = _CN_SUFFIX_RE.search(key)
    if match is not None:
        start = match.start()
        if start == 0:  # the name is only suffixes (集团有限公司): keep the first one
            first = _CN_SUFFIX_RE_ONE.match(key)
            start = first.end() if first is not None else len(key)
        key = key[:start]
    return key or full


_TRAD_SIMP_PAIRS: Final = (
    "華华為为東东國国電电發发業业機机貿贸銀银資资產产開开實实團团務务術术網网絡络訊讯數数"
    "據据醫医藥药療疗車车門门廣广灣湾臺台陽阳長长豐丰興兴達达遠远際际聯联頭头號号島岛蘇苏"
    "濟济億亿來来風风雲云飛飞龍龙鳳凤寶宝貴贵錦锦順顺匯汇滙汇運运輸输鐵铁鋼钢礦矿氣气設设"
    "計计裝装飾饰樂乐葉叶環环綠绿農农漁渔傳传視视聽听廳厅學学書书園园區区縣县鄉乡鎮镇廠厂"
    "莊庄時时間间問问從从會会場场專专線线經经營营銷销購购買买賣卖貨货歸归關关係系紀纪層层"
    "價价條条萬万與与創创鴻鸿圖图盤盘碼码義义勝胜進进連连鏈链軟软體体碩硕賢贤寧宁滬沪廈厦"
    "蘭兰紅红麗丽劉刘陳陈張张楊杨黃黄趙赵吳吴孫孙馬马鄭郑謝谢韓韩馮冯鄧邓蕭萧許许羅罗蔣蒋"
    "餘余呂吕藝艺館馆處处訂订單单總总監监員员項项標标準准質质檢检測测試试驗验點点優优選选"
    "擇择雙双對对鳴鸣澤泽濤涛齊齐衛卫韋韦偉伟軍军強强靜静靈灵鐘钟錢钱鏡镜陸陆隊队險险陰阴"
    "陣阵醬酱釀酿鄰邻郵邮遷迁還还過过邊边邏逻樓楼證证壽寿財财礎础腦脑聞闻報报紙纸誌志讀读"
    "語语譯译師师範范導导課课題题類类種种糧粮麵面飯饭飲饮廚厨燈灯爐炉熱热煙烟橋桥構构築筑"
    "膠胶紡纺織织綢绸緞缎紗纱絲丝衝冲擊击動动態态勢势權权徵征稅税貸贷幣币兌兑盧卢戶户帳账"
    "賬账貝贝負负責责頓顿穩稳漢汉陝陕遼辽閩闽贛赣魯鲁粵粤瓊琼慶庆濱滨嶺岭嶽岳巖岩灘滩壩坝"
    "閣阁樞枢紐纽鋁铝銅铜錫锡鎳镍鑄铸鍛锻輪轮軸轴閥阀儀仪錶表後后於于複复復复"
)
TRAD_TO_SIMP: Final[dict[int, int]] = {
    ord(_TRAD_SIMP_PAIRS[i]): ord(_TRAD_SIMP_PAIRS[i + 1])
    for i in range(0, len(_TRAD_SIMP_PAIRS), 2)
}


def to_simplified(text: str) -> str:
    """``text`` with the traditional characters of :data:`TRAD_TO_SIMP` simplified."""
    return text if text.isascii() else text.translate(TRAD_TO_SIMP)


def name_key(name: str) -> str:
    """The exact-match key of a customer name (see the module docstring); ``""`` when the
    name carries no evidence (blank, or a single character). Idempotent."""
    if not name:
        return ""
    key = normalize_name_key(to_simplified(name))
    return key if len(key) >= MIN_NAME_KEY else ""


def stored_name_key(name: str) -> str:
    """:func:`name_key` as ``Customer.name_key`` stores it and the import looks it up: cut to
    the column's length (a key is no longer than its name but for case folding: ß → ss)."""
    return name_key(name)[:NAME_KEY_LENGTH]


def stored_name_key(name: str) -> str:
    return name_key(name)[:NAME_KEY_LENGTH]
