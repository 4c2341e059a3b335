from hypothesis import given
from hypothesis import strategies as st

from guanxi.core.text.pinyin import _tables, normalize_query, pinyin_keys, search_text


def test_pinyin_and_initials_of_company_name():
    assert pinyin_keys("华为技术有限公司") == ("huaweijishuyouxiangongsi", "hwjsyxgs")


def test_polyphonic_characters_use_phrase_reading():
    assert pinyin_keys("中国银行")[1] == "zgyh"
    assert pinyin_keys("重庆")[0] == "chongqing"
    assert pinyin_keys("长城")[0] == "changcheng"


def test_ascii_words_kept_whole_and_lowercased():
    assert pinyin_keys("ABC 科技") == ("abckeji", "abckj")


def test_search_text_contains_name_pinyin_and_initials():
    text = search_text("华为", "Info@Huawei.com")
    assert "华为" in text and "huawei" in text and "hw" in text
    assert "info@huawei.com" in text


def test_normalize_query_folds_fullwidth_and_case():
    assert normalize_query("  ＨＷ ") == "hw"


@given(st.text(max_size=300))
def test_search_text_never_exceeds_column(value):
    assert len(search_text(value, value)) <= 1000


KNOWN_HANZI = sorted(ch for ch in _tables()[0] if 0x4E00 <= ord(ch) <= 0x9FA5)


@given(st.text(alphabet=st.sampled_from(KNOWN_HANZI), min_size=1, max_size=20))
def test_every_known_hanzi_has_one_initial(value):
    full, initials = pinyin_keys(value)
    assert len(initials) == len(value)
    assert full.isascii() and full.isalpha()
