"""The name key of a customer: one function for the stored, indexed ``Customer.name_key``,
the import's duplicate matching and the duplicate scan (``customers.duplicates.scan``), so
the three agree.

A name key is half-width, case-folded, without spaces, punctuation and legal-form suffixes
(``guanxi.core.text.cleaning.normalize_name_key``), with the common traditional characters
simplified first: 華為技術有限公司, 华为技术 有限公司 and 华为技术 have one key. Pure
functions without the database, so the import's worker process and migrations use them too.
A change to the key makes the stored keys stale: the search-key rebuild
(``services.customer_rebuild_search_keys``) recomputes them.
"""

from __future__ import annotations

import unicodedata
from typing import Final, NamedTuple

from guanxi.core.text.cleaning import normalize_name_key
from guanxi.core.text.pinyin import pinyin_keys, search_text

MIN_NAME_KEY: Final = 2  # a one-character name key ("a", "华") is no evidence
NAME_KEY_LENGTH: Final = 200  # ``Customer.name_key``'s max_length

# --------------------------------------------------------------------------------------
# Traditional → simplified, for the characters common in organisation and person names.
# A full converter (OpenCC) is a dependency and a dictionary; this table is one
# ``str.translate`` and covers what names mostly use. Pinyin keys catch the rest.

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


# The scan, the import and the backfill see each name once: an LRU cache would only churn.
_normalize_name_key = getattr(normalize_name_key, "__wrapped__", normalize_name_key)


def name_key(name: str) -> str:
    """The exact-match key of a customer name (see the module docstring); ``""`` when the
    name carries no evidence (blank, or a single character). Idempotent."""
    if not name:
        return ""
    key = _normalize_name_key(to_simplified(name))
    return key if len(key) >= MIN_NAME_KEY else ""


def stored_name_key(name: str) -> str:
    """:func:`name_key` as ``Customer.name_key`` stores it and the import looks it up: cut to
    the column's length (a key is no longer than its name but for case folding: ß → ss)."""
    return name_key(name)[:NAME_KEY_LENGTH]


# --------------------------------------------------------------------------------------
# Every derived search column of a customer, computed once here: the services, the import
# writers, merge and undo, the demo and the benchmark generator all call
# :func:`customer_search_keys`, so a customer's keys cannot depend on how it was written.

PINYIN_LENGTH: Final = 200  # ``Customer.name_pinyin``
INITIALS_LENGTH: Final = 100  # ``Customer.name_initials``
SEARCH_TEXT_LENGTH: Final = 1000  # ``Customer.search_text``


class CustomerSearchKeys(NamedTuple):
    """The stored search columns of one customer (a tuple: crosses a worker's pipe cheaply)."""

    name_pinyin: str
    name_initials: str
    name_key: str
    search_text: str


def customer_search_keys(name: str, email: str = "") -> CustomerSearchKeys:
    """Pinyin, initials, name key and the search haystack of a customer's name and e-mail.

    The haystack is ``pinyin.search_text(name, email)``, built from the pinyin already
    computed for the name (the costliest step of an imported row; computing it once halves
    it). ``test_keys`` keeps the two equal."""
    pinyin, initials = pinyin_keys(name)
    pieces: list[str] = []
    if name:
        lowered = unicodedata.normalize("NFKC", name).lower().strip()
        pieces.append(lowered)
        if pinyin and pinyin != lowered:
            pieces.append(pinyin)
            if initials != pinyin:
                pieces.append(initials)
    if email:
        rest = search_text(email)
        if rest:
            pieces.append(rest)
    return CustomerSearchKeys(
        pinyin[:PINYIN_LENGTH],
        initials[:INITIALS_LENGTH],
        stored_name_key(name),
        " ".join(pieces)[:SEARCH_TEXT_LENGTH],
    )
