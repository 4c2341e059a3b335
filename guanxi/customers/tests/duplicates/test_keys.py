"""Match keys and scoring of duplicate detection (``customers.duplicates.scan``): pure functions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.core.text import keys
from guanxi.core.text.cleaning import normalize_phone
from guanxi.customers.duplicates import scan
from guanxi.customers.duplicates.models import DuplicateReason as R

NAMES = st.one_of(
    st.sampled_from(
        [
            "华为技术有限公司",
            "華為技術",
            "Huawei",
            "ＨＵＡＷＥＩ",
            "重庆银行股份有限公司",
            "ABC Trading Co., Ltd.",
            "西门子(中国)有限公司",
            "集团",
            "张三",
            "",
        ]
    ),
    st.text(alphabet=st.sampled_from("华为華為银行重庆abcXYZ 12（）-·有限公司Ｈｕ"), max_size=20),
)
KEYS = st.frozensets(st.sampled_from(["13800138000", "01065521234", "4008108888"]), max_size=2)
EMAILS = st.frozensets(st.sampled_from(["a@x.com", "b@y.cn"]), max_size=2)


@st.composite
def match_keys(draw: st.DrawFn) -> scan.MatchKeys:
    return scan.match_keys(
        name=draw(NAMES),
        phone_keys=draw(KEYS),
        emails=draw(EMAILS),
        contact_phone_keys=draw(KEYS),
        contact_emails=draw(EMAILS),
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("华为技术有限公司", "华为技术"),
        ("华为技术股份有限公司", "华为技术 有限公司"),
        ("ＨＵＡＷＥＩ Technologies Co., Ltd.", "huawei technologies"),
        ("華為技術有限公司", "华为技术"),
        ("西门子（中国）有限公司", "西门子"),
        ("  Zhong  Xin  ", "zhongxin"),
    ],
)
def test_name_key_ignores_case_width_spaces_suffixes_and_traditional_forms(a, b):
    assert scan.name_key(a) == scan.name_key(b) != ""


def test_name_key_keeps_different_names_apart():
    assert scan.name_key("华为技术") != scan.name_key("中兴通讯")


def test_single_character_names_carry_no_evidence():
    assert scan.name_key("华") == ""
    assert scan.name_key("") == ""


@given(NAMES)
def test_name_key_is_idempotent(name):
    key = scan.name_key(name)
    assert scan.name_key(key) == key


def test_simplification_table_maps_only_to_characters_it_does_not_change():
    targets = {chr(v) for v in keys.TRAD_TO_SIMP.values()}
    sources = {chr(k) for k in keys.TRAD_TO_SIMP}
    assert targets.isdisjoint(sources)


def test_pinyin_key_matches_latin_spelling_and_traditional_characters():
    assert scan.pinyin_key(scan.name_key("华为")) == "huawei"
    assert scan.pinyin_key(scan.name_key("Huawei")) == "huawei"
    assert scan.pinyin_key(scan.name_key("華為")) == "huawei"


def test_phone_keys_of_one_number_written_differently_are_equal():
    forms = ["+86 138-0013-8000", "138 0013 8000", "13800138000", "１３８００１３８０００"]
    assert {normalize_phone(f) for f in forms} == {"13800138000"}


@given(match_keys(), match_keys())
def test_match_reasons_are_symmetric(a, b):
    assert scan.match_reasons(a, b) == scan.match_reasons(b, a)


@given(match_keys())
def test_a_customer_matches_itself_on_every_key_it_has(a):
    mask = scan.match_reasons(a, a)
    assert bool(mask & R.NAME) == bool(a.name)
    assert bool(mask & R.PHONE) == bool(a.phones)
    assert bool(mask & R.EMAIL) == bool(a.emails)


def test_own_phone_against_a_contacts_phone_is_a_phone_match():
    a = scan.match_keys(name="甲", phone_keys=["13800138000"])
    b = scan.match_keys(name="乙", contact_phone_keys=["13800138000"])
    assert scan.match_reasons(a, b) == R.PHONE


def test_contacts_sharing_a_phone_is_the_weaker_contact_reason():
    a = scan.match_keys(name="甲", contact_phone_keys=["13800138000"])
    b = scan.match_keys(name="乙", contact_phone_keys=["13800138000"])
    assert scan.match_reasons(a, b) == R.CONTACT_PHONE


def test_pinyin_counts_between_latin_and_chinese_names_only():
    latin, chinese = scan.match_keys(name="Huawei"), scan.match_keys(name="华为")
    homophone = scan.match_keys(name="华威")  # huawei too, another company
    assert scan.match_reasons(latin, chinese) == R.NAME_PINYIN
    assert scan.match_reasons(chinese, homophone) == 0


masks = st.integers(min_value=0, max_value=63)


@given(masks, masks)
def test_score_never_drops_when_evidence_is_added(m1, m2):
    assert scan.score(m1 | m2) >= max(scan.score(m1), scan.score(m2))


@given(masks)
def test_score_is_between_0_and_100(mask):
    assert 0 <= scan.score(mask) <= 100
    assert (scan.score(mask) == 0) == (mask == 0)


@given(masks, st.integers(min_value=2, max_value=50), st.integers(min_value=2, max_value=50))
def test_a_key_shared_by_more_customers_is_weaker_evidence(mask, n, m):
    lo, hi = sorted((n, m))
    shared_lo = {bit: lo for bit in scan.WEIGHTS}
    shared_hi = {bit: hi for bit in scan.WEIGHTS}
    assert scan.score(mask, shared_hi) <= scan.score(mask, shared_lo)


@pytest.mark.parametrize(
    ("mask", "candidate"),
    [
        (R.PHONE, True),
        (R.EMAIL, True),
        (R.NAME, True),
        (R.NAME_PINYIN, True),
        (R.CONTACT_PHONE, False),  # one shared contact alone: a consultant, not a duplicate
        (R.CONTACT_PHONE | R.CONTACT_EMAIL, True),  # the same person at both
        (R.CONTACT_EMAIL | R.NAME_PINYIN, True),
    ],
)
def test_which_evidence_makes_a_candidate(mask, candidate):
    assert (scan.score(mask) >= scan.MIN_SCORE) is candidate
