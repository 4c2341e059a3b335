"""``customer_search_keys``: the one computation of a customer's search columns."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.core.text.keys import (
    INITIALS_LENGTH,
    PINYIN_LENGTH,
    customer_search_keys,
    stored_name_key,
)
from guanxi.core.text.pinyin import pinyin_keys, search_text

NAMES = st.one_of(
    st.sampled_from(
        ["华为技术有限公司", "重庆银行", "ABC Trading Co.", "Ｈｕａｗｅｉ（中国）", "", "张三"]
    ),
    st.text(alphabet=st.sampled_from("华为银行重庆abcXYZ 12（）-·"), max_size=20),
)
EMAILS = st.sampled_from(["", "hw@huawei.com", "zhang.san@qq.com"])


@settings(deadline=None, max_examples=300)
@given(name=NAMES, email=EMAILS)
def test_customer_search_keys_equal_the_general_functions(name, email):
    pinyin, initials = pinyin_keys(name)

    keys = customer_search_keys(name, email)

    assert keys.search_text == search_text(name, email)
    assert keys.name_pinyin == pinyin[:PINYIN_LENGTH]
    assert keys.name_initials == initials[:INITIALS_LENGTH]
    assert keys.name_key == stored_name_key(name)


def test_customer_search_keys_of_a_chinese_name():
    keys = customer_search_keys("華為技術有限公司", "hw@huawei.com")

    assert keys.name_pinyin == "huaweijishuyouxiangongsi"
    assert keys.name_initials == "hwjsyxgs"
    assert keys.name_key == stored_name_key("华为技术")
    assert keys.search_text.startswith("華為技術有限公司 huaweijishuyouxiangongsi hwjsyxgs ")


def test_customer_search_keys_cut_to_the_columns():
    keys = customer_search_keys("银" * 500)

    assert len(keys.name_pinyin) == PINYIN_LENGTH
    assert len(keys.name_initials) == INITIALS_LENGTH
    assert len(keys.search_text) <= 1000
