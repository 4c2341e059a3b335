"""Search semantics, run on SQLite and PostgreSQL (each uses different index paths)."""

import pytest

from guanxi.customers import selectors
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory


@pytest.fixture
def book(admin_user, am_a):
    names = ["华为技术有限公司", "华夏银行北京分行", "中国银行上海分行", "海尔集团", "为华贸易公司"]
    customers = {n: CustomerFactory(owner=am_a, name=n) for n in names}
    customers["华为技术有限公司"].phone_key = "13800138000"
    customers["华为技术有限公司"].save()
    ContactFactory(customer=customers["海尔集团"], mobile_key="13912345678")
    return customers


def _names(actor, q):
    page = selectors.customer_list(actor=actor, filters=selectors.validate_filters({"q": q}))
    return sorted(c.name for c in page.items)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("华为", ["华为技术有限公司"]),
        ("银行", ["中国银行上海分行", "华夏银行北京分行"]),
        ("上海分行", ["中国银行上海分行"]),
        ("为华", ["为华贸易公司"]),
        ("hw", ["华为技术有限公司"]),
        ("HW", ["华为技术有限公司"]),
        ("huawei", ["华为技术有限公司"]),
        ("hx", ["华夏银行北京分行"]),
        ("zgyh", ["中国银行上海分行"]),
        ("+86 138-0013-8000", ["华为技术有限公司"]),
        ("138 0013", ["华为技术有限公司"]),
        ("139-1234-5678", ["海尔集团"]),
        ("不存在", []),
        # words separated by spaces: every word must match (issue 10, item 35)
        ("华为 技术", ["华为技术有限公司"]),
        ("华为　有限公司", ["华为技术有限公司"]),  # an ideographic space
        ("技术 华为", ["华为技术有限公司"]),
        ("华为 hw", ["华为技术有限公司"]),
        ("华 银行", ["华夏银行北京分行"]),
        ("华为 银行", []),
    ],
)
def test_search_finds_by_name_pinyin_initials_and_phone(book, admin_user, query, expected):
    assert _names(admin_user, query) == expected


def test_search_is_scoped(book, am_b):
    assert _names(am_b, "华为") == []


def test_search_count_is_capped_lower_than_plain_list(book, admin_user):
    assert selectors.SEARCH_COUNT_CAP < selectors.COUNT_CAP


@pytest.mark.parametrize("cap", [3, 100])  # broad (more matches than the cap) and selective
def test_a_search_pages_and_counts_the_same_either_way(admin_user, am_a, monkeypatch, cap):
    """A search first reads its matches' ids (up to the cap): within the cap it pages over
    those, past it over the whole book. Both give the order and count a list would."""
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", cap)
    for i in range(12):
        CustomerFactory(owner=am_a, name=f"华光{i:02d}有限公司")
    CustomerFactory(owner=am_a, name="海尔集团")
    filters = selectors.validate_filters({"q": "华光", "sort": "name"})
    first = selectors.customer_list(actor=admin_user, filters=filters, size=5)
    second = selectors.customer_list(actor=admin_user, filters=filters, page=2, size=5)
    names = [c.name for c in first.items + second.items]
    assert names == [f"华光{i:02d}有限公司" for i in range(10)]
    assert (first.count, first.count_capped) == ((3, True) if cap == 3 else (12, False))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("weiji", ["华为技术有限公司"]),  # inside the full pinyin
        ("huawei.com", ["华为技术有限公司"]),  # the e-mail address without its "@"
        ("info@huawei.com", ["华为技术有限公司"]),  # the whole address
        ("trading", ["ABC Trading Co."]),  # a Latin name, lower case
        ("abc trad", ["ABC Trading Co."]),
        ("c tr", ["ABC Trading Co."]),  # a query with a space
        ("技术", ["华为技术有限公司"]),
    ],
)
def test_search_finds_ascii_text_inside_pinyin_email_and_latin_names(
    admin_user, am_a, query, expected
):
    CustomerFactory(owner=am_a, name="华为技术有限公司", email="info@huawei.com")
    CustomerFactory(owner=am_a, name="ABC Trading Co.", email="")
    CustomerFactory(owner=am_a, name="中国银行", email="c@boc.cn")

    assert _names(admin_user, query) == expected


def test_ascii_words_are_not_joined_across_chinese_characters(admin_user, am_a):
    """``gx_ascii_text`` turns 华 in "abc华def" into a space: "cd" is not in the name."""
    CustomerFactory(owner=am_a, name="abc华def", email="")

    assert _names(admin_user, "abcdef") == []
    assert _names(admin_user, "def") == ["abc华def"]


@pytest.mark.django_db
def test_ascii_search_can_use_the_ascii_trigram_index():
    """PostgreSQL: the ASCII condition is the indexed expression (migration 0009), so the
    planner can use the index (forced here: on a tiny table it would rather scan)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's index only")
    from guanxi.customers.models import Customer

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = Customer.objects.filter(selectors.search_q("weiji")).explain()
        cursor.execute("SET LOCAL enable_seqscan = on")

    assert "customer_search_ascii_trgm_idx" in plan
