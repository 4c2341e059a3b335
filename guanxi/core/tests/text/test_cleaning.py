"""Tests for guanxi.core.text.cleaning (pure Python: no Django needed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.core.text.cleaning import (
    MESSAGES,
    ChoiceMatcher,
    CleaningError,
    match_choice,
    normalize_email,
    normalize_name_key,
    normalize_phone,
    parse_amount,
    parse_bool,
    parse_date,
    parse_int,
    parse_phone,
    phone_search_key,
    split_phones,
    to_halfwidth,
)


def error_of(func: object, *args: object, **kwargs: object) -> CleaningError:
    with pytest.raises(CleaningError) as info:
        func(*args, **kwargs)  # type: ignore[operator]
    return info.value


# --------------------------------------------------------------------------------------
# to_halfwidth


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("１３８００１３８０００", "13800138000"),
        ("ＡＢＣ＠ｑｑ．ｃｏｍ", "ABC@qq.com"),
        ("（北京）", "(北京)"),
        ("\u3000张三\u3000", "张三"),
        ("\u00a0a\u00a0b\u00a0", "a b"),
        ("\ufeff\u200b名称\u200d", "名称"),
        ("中文，标点。保留", "中文,标点。保留"),
        ("  plain ascii  ", "plain ascii"),
        ("！＂＃＄％＆＇～", "!\"#$%&'~"),
    ],
)
def test_to_halfwidth(raw: str, expected: str) -> None:
    assert to_halfwidth(raw) == expected


@given(st.text())
def test_to_halfwidth_idempotent(s: str) -> None:
    once = to_halfwidth(s)
    assert to_halfwidth(once) == once
    assert not any(0xFF01 <= ord(c) <= 0xFF5E for c in once)
    assert "\u3000" not in once and "\u200b" not in once and "\ufeff" not in once


# --------------------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize(
    "raw",
    [
        "2024-03-05",
        "2024/3/5",
        "2024.3.5",
        "2024年3月5日",
        "2024 年 3 月 5 日",
        "2024年03月05号",
        "20240305",
        "２０２４－０３－０５",
        "２０２４年３月５日",
        "2024-03-05 14:30:00",
        "2024-03-05T14:30:00+08:00",
        "2024/3/5 0:00",
        45356,
        45356.75,
        "45356",
        Decimal("45356"),
        dt.date(2024, 3, 5),
        dt.datetime(2024, 3, 5, 23, 59),
    ],
)
def test_parse_date_formats(raw: object) -> None:
    assert parse_date(raw) == dt.date(2024, 3, 5)


def test_excel_serials_1900_system_with_lotus_bug() -> None:
    assert parse_date(1) == dt.date(1900, 1, 1)
    assert parse_date(59) == dt.date(1900, 2, 28)
    assert parse_date(61) == dt.date(1900, 3, 1)
    assert parse_date(2958465) == dt.date(9999, 12, 31)
    for bad in (60, 0, -1, 2958466, float("nan"), float("inf")):
        assert error_of(parse_date, bad).message_code == "invalid_date"


@pytest.mark.parametrize(
    "raw",
    [
        "2024-02-30",
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "03/05/2024",
        "5.3.2024",
        "昨天",
        "24-3-5",
        "2024年3月",
        "20241301",
        True,
    ],
)
def test_parse_date_rejects(raw: object) -> None:
    err = error_of(parse_date, raw)
    assert err.message_code == "invalid_date"
    assert err.params["value"] == raw


def test_parse_date_empty() -> None:
    assert error_of(parse_date, "  ").message_code == "empty"
    assert error_of(parse_date, None).message_code == "empty"


def test_leap_day_ok() -> None:
    assert parse_date("2024-02-29") == dt.date(2024, 2, 29)


# --------------------------------------------------------------------------------------
# Amounts


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("¥1,200.50", "1200.50"),
        ("￥1200", "1200.00"),
        ("￥１，２００．５０", "1200.50"),
        ("1 200,50", "1200.50"),
        ("1.200,50", "1200.50"),
        ("1,234,567.891", "1234567.89"),
        ("12,5", "12.50"),
        ("1,200", "1200.00"),
        ("1.200.000", "1200000.00"),
        ("1.2", "1.20"),
        ("RMB 300", "300.00"),
        ("CNY300", "300.00"),
        ("300元", "300.00"),
        ("人民币300元整", "300.00"),
        ("1.2万", "12000.00"),
        ("1.2万元", "12000.00"),
        ("1.5w", "15000.00"),
        ("3亿", "300000000.00"),
        ("2千", "2000.00"),
        ("5k", "5000.00"),
        ("1.5百万", "1500000.00"),
        ("(100)", "-100.00"),
        ("（100）", "-100.00"),
        ("(¥1,200.50)", "-1200.50"),
        ("-100", "-100.00"),
        ("−100", "-100.00"),
        ("-¥5", "-5.00"),
        ("¥-5", "-5.00"),
        ("100-", "-100.00"),
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("-0.001", "0.00"),
        ("2.675", "2.68"),
        (".5", "0.50"),
        ("999999999999.99", "999999999999.99"),
        (1200, "1200.00"),
        (1200.5, "1200.50"),
        (0.1 + 0.2, "0.30"),
        (Decimal("1.005"), "1.01"),
    ],
)
def test_parse_amount(raw: object, expected: str) -> None:
    result = parse_amount(raw)
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("abc", "invalid_amount"),
        ("1e5", "invalid_amount"),
        ("NaN", "invalid_amount"),
        ("Infinity", "invalid_amount"),
        ("USD 100", "invalid_amount"),
        ("$100", "invalid_amount"),
        ("1,2,3", "invalid_amount"),
        ("1,2345.00", "invalid_amount"),
        ("1..2", "invalid_amount"),
        ("--5", "invalid_amount"),
        ("-(5)", "invalid_amount"),
        ("1.2.3万", "invalid_amount"),
        ("9" * 13, "amount_too_large"),
        ("1万亿", "amount_too_large"),
        ("999999999999.995", "amount_too_large"),
        ("9" * 100, "invalid_amount"),
        (float("nan"), "invalid_amount"),
        (Decimal("Infinity"), "invalid_amount"),
        (10**12, "amount_too_large"),
        (True, "invalid_amount"),
        ("", "empty"),
        (None, "empty"),
    ],
)
def test_parse_amount_rejects(raw: object, code: str) -> None:
    assert error_of(parse_amount, raw).message_code == code


def test_amount_too_large_message() -> None:
    err = error_of(parse_amount, "9" * 13)
    assert err.params["max_digits"] == 12
    assert "12 digits" in err.message


amounts = st.decimals(
    min_value=Decimal("-999999999999.99"),
    max_value=Decimal("999999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@given(
    amounts,
    st.sampled_from(["{:,.2f}", "{:.2f}", "¥{:,.2f}", "￥{:.2f}", "RMB {:,.2f}", "{:,.2f}元"]),
)
def test_parse_amount_round_trips_formatted_decimal(amount: Decimal, template: str) -> None:
    if template.startswith(("¥", "￥", "RMB")) and amount < 0:
        text = "-" + template.format(-amount)
    else:
        text = template.format(amount)
    assert parse_amount(text) == amount


@given(amounts)
def test_parse_amount_parenthesised_negative(amount: Decimal) -> None:
    text = f"({abs(amount):,.2f})"
    assert parse_amount(text) == -abs(amount)


# --------------------------------------------------------------------------------------
# Integers and booleans


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        ("１２", 12),
        ("1,234", 1234),
        ("+5", 5),
        ("-5", -5),
        ("12.0", 12),
        (7, 7),
        (3.0, 3),
        (Decimal("4"), 4),
        (" 1 000 ", 1000),
    ],
)
def test_parse_int(raw: object, expected: int) -> None:
    assert parse_int(raw) == expected


def test_parse_int_rejects_and_bounds() -> None:
    for bad in ("1.5", "abc", "1,23", 2.5, True, "1e3"):
        assert error_of(parse_int, bad).message_code == "invalid_integer"
    err = error_of(parse_int, "150", min_value=0, max_value=100)
    assert err.message_code == "integer_out_of_range"
    assert err.params["max_value"] == 100
    assert error_of(parse_int, str(2**63)).message_code == "integer_out_of_range"


@pytest.mark.parametrize(
    "raw",
    [
        "是",
        "Y",
        "y",
        "yes",
        "YES",
        "true",
        "TRUE",
        "T",
        "1",
        "有",
        "对",
        "√",
        "✓",
        "on",
        "Ｙ",
        1,
        True,
    ],
)
def test_parse_bool_true(raw: object) -> None:
    assert parse_bool(raw) is True


@pytest.mark.parametrize(
    "raw",
    [
        "否",
        "N",
        "n",
        "no",
        "false",
        "FALSE",
        "F",
        "0",
        "无",
        "没有",
        "不",
        "×",
        "off",
        0,
        False,
        0.0,
    ],
)
def test_parse_bool_false(raw: object) -> None:
    assert parse_bool(raw) is False


def test_parse_bool_rejects() -> None:
    assert error_of(parse_bool, "也许").message_code == "invalid_boolean"
    assert error_of(parse_bool, 2).message_code == "invalid_boolean"
    assert error_of(parse_bool, "").message_code == "empty"


# --------------------------------------------------------------------------------------
# Phones


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86-13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086 138 0013 8000", "13800138000"),
        ("86 13800138000", "13800138000"),
        ("(+86) 138.0013.8000", "13800138000"),
        ("013800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("＋８６ １３８ ００１３ ８０００", "13800138000"),
        ("手机：13800138000", "13800138000"),
        ("Tel: 138 0013 8000", "13800138000"),
        (13800138000, "13800138000"),
        (13800138000.0, "13800138000"),
        ("(010) 6552-1234", "01065521234"),
        ("010-65521234", "01065521234"),
        ("010 6552 1234", "01065521234"),
        ("+86 10 6552 1234", "01065521234"),
        ("+86 (0)10 6552 1234", "01065521234"),
        ("0086-10-65521234", "01065521234"),
        ("0755-12345678", "075512345678"),
        ("(0755)12345678", "075512345678"),
        ("400-810-8888", "4008108888"),
        ("4008108888", "4008108888"),
        ("+1 415 555 2671", "+14155552671"),
        ("001 (415) 555-2671", "+14155552671"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+852 2123 4567", "+85221234567"),
    ],
)
def test_normalize_phone(raw: object, key: str) -> None:
    assert normalize_phone(raw) == key


@pytest.mark.parametrize(
    ("raw", "key", "ext"),
    [
        ("010-65521234-808", "01065521234", "808"),
        ("010-65521234 转 808", "01065521234", "808"),
        ("010-65521234转808", "01065521234", "808"),
        ("(010) 6552-1234 ext. 808", "01065521234", "808"),
        ("010 6552 1234 x808", "01065521234", "808"),
        ("010-65521234#808", "01065521234", "808"),
        ("010-65521234 分机 8", "01065521234", "8"),
        ("+1 415 555 2671 ext 12", "+14155552671", "12"),
    ],
)
def test_phone_extensions(raw: str, key: str, ext: str) -> None:
    phone = parse_phone(raw)
    assert (phone.key, phone.extension) == (key, ext)
    assert normalize_phone(raw) == f"{key};ext={ext}"


def test_phone_kinds() -> None:
    assert parse_phone("13800138000").kind == "mobile"
    assert parse_phone("010-65521234").kind == "landline"
    assert parse_phone("400-810-8888").kind == "service"
    assert parse_phone("+1 415 555 2671").kind == "international"


def test_local_landline_needs_area_code() -> None:
    err = error_of(normalize_phone, "6552 1234")
    assert err.message_code == "phone_needs_area_code"
    assert normalize_phone("6552 1234", default_area_code="010") == "01065521234"
    assert normalize_phone("65521234", default_area_code="10") == "01065521234"


@pytest.mark.parametrize(
    "raw",
    [
        "12345",
        "abc",
        "138001380001",
        "1380013800",
        "23800138000",
        "010-123",
        "+1 123",
        "13800138000 / 13900139000",
        "电话",
        "+86 12 3456 7890",
        "1" * 70,
    ],
)
def test_invalid_phones(raw: str) -> None:
    assert error_of(normalize_phone, raw).message_code == "invalid_phone"


def test_split_phones() -> None:
    assert split_phones("13800138000/13900139000") == ["13800138000", "13900139000"]
    assert split_phones("13800138000、010-65521234；13900139000") == [
        "13800138000",
        "010-65521234",
        "13900139000",
    ]
    assert split_phones("138 0013 8000") == ["138 0013 8000"]


_MOBILES = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
_SEPARATORS = st.sampled_from(["", " ", "-", ".", "  ", " - ", "\u3000", "\u00a0"])


@st.composite
def formatted_mobile(draw: st.DrawFn) -> tuple[str, str]:
    digits = draw(_MOBILES)
    sep = draw(_SEPARATORS)
    grouping = draw(st.sampled_from([(3, 4, 4), (3, 8), (11,), (3, 3, 5), (7, 4)]))
    parts, i = [], 0
    for size in grouping:
        parts.append(digits[i : i + size])
        i += size
    body = sep.join(parts)
    prefix = draw(
        st.sampled_from(
            ["", "+86", "+86 ", "+86-", "0086 ", "0086-", "86 ", "(+86) ", "0", "手机:", "Tel: "]
        )
    )
    text = prefix + body
    if draw(st.booleans()):
        text = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    if draw(st.booleans()):
        text = f"  {text}\t"
    return digits, text


@given(formatted_mobile())
@settings(max_examples=300)
def test_phone_same_key_for_any_mobile_format(sample: tuple[str, str]) -> None:
    digits, text = sample
    assert normalize_phone(text) == digits
    assert phone_search_key(text) == digits


@st.composite
def formatted_landline(draw: st.DrawFn) -> tuple[str, str]:
    area, subscriber = draw(
        st.sampled_from(
            [("10", "65521234"), ("21", "63218888"), ("755", "86013388"), ("571", "87654321")]
        )
    )
    style = draw(st.integers(0, 5))
    sep = draw(st.sampled_from(["-", " ", "", " - "]))
    half = len(subscriber) // 2
    sub = draw(st.sampled_from([subscriber, subscriber[:half] + sep + subscriber[half:]]))
    text = [
        f"0{area}{sep}{sub}",
        f"(0{area}) {sub}",
        f"+86 {area} {sub}",
        f"+86-{area}-{sub}",
        f"0086 {area} {sub}",
        f"+86 (0){area} {sub}",
    ][style]
    return f"0{area}{subscriber}", text


@given(formatted_landline())
def test_phone_same_key_for_any_landline_format(sample: tuple[str, str]) -> None:
    key, text = sample
    assert normalize_phone(text) == key


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("138 0013", "1380013"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("+86 138", "138"),
        ("010-6552", "0106552"),
        ("6552 1234", "65521234"),
        ("+86 10 6552 1234", "01065521234"),
        ("(010) 6552-1234 转 808", "01065521234"),
        ("８０００", "8000"),
        ("张三", None),
        ("华为2号楼", None),
        ("12", None),
        ("", None),
        ("   ", None),
    ],
)
def test_phone_search_key(query: str, expected: str | None) -> None:
    assert phone_search_key(query) == expected


def test_search_key_is_substring_of_stored_key() -> None:
    stored = normalize_phone("(010) 6552-1234-808")
    for query in ("010-6552", "6552 1234", "0106552", "65521234", "010 6552 1234"):
        key = phone_search_key(query)
        assert key is not None and key in stored


# --------------------------------------------------------------------------------------
# E-mail


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Foo.Bar@Example.COM", "foo.bar@example.com"),
        ("  zhang.san@qq.com  ", "zhang.san@qq.com"),
        ("ｚｈａｎｇ＠ｑｑ．ｃｏｍ", "zhang@qq.com"),
        ("zhang@qq。com", "zhang@qq.com"),
        ("mailto:a@b.cn", "a@b.cn"),
        ("张三 <zs@x.com.cn>", "zs@x.com.cn"),
        ("a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("a@b.com;", "a@b.com"),
        ("'=a@b.com", "=a@b.com"),  # our own export escaping; '=' is legal in a local part
        ("zhang @ qq . com", "zhang@qq.com"),
        ("a@中文.中国", "a@xn--fiq228c.xn--fiqs8s"),
        ("a@xn--fiq228c.xn--fiqs8s", "a@xn--fiq228c.xn--fiqs8s"),
    ],
)
def test_normalize_email(raw: str, expected: str | None) -> None:
    if expected is None:
        assert error_of(normalize_email, raw).message_code == "invalid_email"
    else:
        assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "plainaddress",
        "a@b",
        "@b.com",
        "a@",
        "a@@b.com",
        "a..b@x.com",
        ".a@x.com",
        "a@-x.com",
        "a@x..com",
        "张三@qq.com",
        "a@b.c",
        "a" * 65 + "@x.com",
        "a@" + "b" * 64 + ".com",
        "a b@c d.com e",
    ],
)
def test_normalize_email_rejects(raw: str) -> None:
    assert error_of(normalize_email, raw).message_code == "invalid_email"


# --------------------------------------------------------------------------------------
# Name keys


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("华为技术有限公司", "华为技术"),
        ("华为技术", "华为技术"),
        ("华为技术股份有限公司", "华为技术"),
        ("华为技术有限责任公司", "华为技术"),
        ("西门子(中国)有限公司", "西门子"),
        ("西门子（中国）有限公司", "西门子"),
        ("北京华为集团有限公司", "北京华为"),
        ("阿里巴巴集团", "阿里巴巴"),
        ("腾讯公司", "腾讯"),
        ("华为 技术 有限公司 ", "华为技术"),
        ("Huawei Technologies Co., Ltd.", "huaweitechnologies"),
        ("HUAWEI TECHNOLOGIES CO LTD", "huaweitechnologies"),
        ("Apple Inc.", "apple"),
        ("Acme, LLC", "acme"),
        ("Costco", "costco"),
        ("Co", "co"),
        ("集团", "集团"),
        ("有限公司", "有限公司"),
        ("ＡＢＣ　Ｃｏ．，Ｌｔｄ．", "abc"),
        ("", ""),
    ],
)
def test_normalize_name_key(raw: str, expected: str) -> None:
    assert normalize_name_key(raw) == expected


def test_name_key_groups_duplicates() -> None:
    variants = [
        "上海浦东发展银行股份有限公司",
        "上海浦东发展银行",
        " 上海浦东发展银行 股份有限公司",
        "上海浦东发展银行（股份有限公司）",
    ]
    assert len({normalize_name_key(v) for v in variants}) == 1


# --------------------------------------------------------------------------------------
# Choices

STAGES = {
    "lead": ["潜在客户", "Lead", "线索"],
    "won": ["赢单", "Won", "成交"],
    "in_progress": ["进行中", "In progress"],
}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("lead", "lead"),
        ("Lead", "lead"),
        ("线索", "lead"),
        (" 潜在 客户 ", "lead"),
        ("ＷＯＮ", "won"),
        ("成交", "won"),
        ("in progress", "in_progress"),
        ("In-Progress", "in_progress"),
        ("IN_PROGRESS", "in_progress"),
    ],
)
def test_match_choice(raw: str, code: str) -> None:
    assert match_choice(raw, STAGES) == code


def test_match_choice_unknown_names_allowed_values() -> None:
    err = error_of(match_choice, "丢单", STAGES)
    assert err.message_code == "invalid_choice"
    assert err.params["allowed"] == ["潜在客户", "赢单", "进行中"]
    assert "潜在客户, 赢单, 进行中" in err.message
    assert error_of(match_choice, " ", STAGES).message_code == "empty"
    assert error_of(match_choice, None, STAGES).message_code == "empty"


def test_choice_matcher_rejects_ambiguous_config() -> None:
    with pytest.raises(ValueError):
        ChoiceMatcher({"a": ["Open"], "b": ["open"]})


def test_match_choice_sees_a_changed_mapping() -> None:
    choices: dict[str, list[str]] = {"a": ["甲"]}
    assert match_choice("甲", choices) == "a"
    choices["b"] = ["乙"]
    assert match_choice("乙", choices) == "b"


def test_every_message_code_has_a_text() -> None:
    for code in (
        "empty",
        "invalid_date",
        "invalid_amount",
        "amount_too_large",
        "invalid_integer",
        "integer_out_of_range",
        "invalid_boolean",
        "invalid_phone",
        "phone_needs_area_code",
        "invalid_email",
        "invalid_choice",
    ):
        assert code in MESSAGES
    err = CleaningError("invalid_phone", {"value": "x"})
    assert str(err) == err.message == "“x” is not a valid phone number."
    assert isinstance(err, ValueError)


def test_leading_apostrophe_from_excel_or_our_exports_is_ignored() -> None:
    assert normalize_phone("'+86-13800138000") == "13800138000"
    assert normalize_phone("'(010) 6552-1234") == "01065521234"
    assert parse_amount("'-1,200.50") == Decimal("-1200.50")
    assert parse_date("'2024-03-05") == dt.date(2024, 3, 5)
    assert parse_int("'-5") == -5
    assert normalize_email("'=a@b.com") == "=a@b.com"
    assert match_choice("'Lead", STAGES) == "lead"
    assert phone_search_key("'+86 138") == "138"
    assert error_of(parse_amount, "'").message_code == "empty"


def test_hostile_lengths_stay_cheap() -> None:
    import time

    start = time.perf_counter()
    key = normalize_name_key("公司" * 60_000 + "X公司")
    assert len(key) <= 256
    assert error_of(parse_date, "2024" + " " * 100_000 + "-1-1").message_code == "invalid_date"
    assert error_of(parse_amount, "1" * 100_000).message_code == "invalid_amount"
    assert error_of(normalize_phone, "1" * 100_000).message_code == "invalid_phone"
    assert error_of(normalize_email, "a" * 100_000 + "@x.com").message_code == "invalid_email"
    assert error_of(match_choice, "x" * 100_000, STAGES).message_code == "invalid_choice"
    assert time.perf_counter() - start < 2
