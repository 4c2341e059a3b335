"""统一社会信用代码 and GB/T 2260 regions on customers: services (form and API use them),
the import's 地区 column, and the list's district filter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc

from guanxi.core import regions
from guanxi.core.errors import ValidationFailed
from guanxi.customers.conventions import clean_credit_code, clean_region
from guanxi.customers.models import Customer
from guanxi.customers.services import customer_create, customer_update
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.imports.models import ImportRowError
from guanxi.imports.tests.support import counts, run_file, write_csv

pytestmark = pytest.mark.django_db
VALID = "91110000600037341L"
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def test_a_valid_code_is_stored_compact_and_upper_case():
    assert clean_credit_code("9111 0000-6000 3734 1l", kind="enterprise") == VALID


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("91110000600037341A", "校验位"),
        ("9111000060003734", "18 位"),
        ("91110000600037341I", "格式"),
    ],
)
def test_a_bad_code_says_what_is_wrong(value, words):
    with pytest.raises(ValidationFailed) as caught:
        clean_credit_code(value, kind="enterprise")
    assert words in caught.value.errors["credit_code"][0]


def test_individuals_have_no_credit_code():
    with pytest.raises(ValidationFailed):
        clean_credit_code(VALID, kind="individual")


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_exactly_one_check_character_completes_any_17(body):
    accepted = [c for c in ALPHABET if uscc.is_valid(body + c)]
    if uscc.is_valid(body + uscc.calc_check_digit(body)):
        assert len(accepted) == 1
        assert clean_credit_code(body + accepted[0], kind="government") == body + accepted[0]


def test_the_api_refuses_a_bad_check_digit_naming_the_field_and_writes_nothing(client, am_a):
    client.force_login(am_a)
    response = client.post(
        "/api/v1/customers",
        {"name": "某某有限公司", "credit_code": "91110000600037341A"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "credit_code"
    assert not Customer.objects.exists()


def test_full_region_names_are_stored_short_and_checked(am_a):
    customer = customer_create(
        actor=am_a,
        data={"name": "西湖科技", "province": "浙江省", "city": "杭州市", "district": "西湖区",
              "credit_code": VALID},
    )  # fmt: skip
    assert (customer.province, customer.city, customer.district) == ("浙江", "杭州", "西湖区")
    assert customer.credit_code == VALID


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"province": "火星"}, "province"),
        ({"province": "浙江", "city": "深圳"}, "city"),
        ({"province": "浙江", "city": "杭州", "district": "南山区"}, "district"),
        ({"district": "西湖区"}, "district"),
    ],
)
def test_a_region_that_does_not_fit_names_its_field(am_a, data, field):
    with pytest.raises(ValidationFailed) as caught:
        customer_create(actor=am_a, data={"name": "甲公司", **data})
    assert list(caught.value.errors) == [field]
    assert not Customer.objects.exists()


def test_an_old_free_text_region_survives_an_edit_of_something_else(am_a):
    customer = CustomerFactory(owner=am_a, province="华东", city="某地")
    customer_update(actor=am_a, customer_id=customer.pk, data={"notes": "x"}, version=1)
    customer.refresh_from_db()
    assert (customer.province, customer.city) == ("华东", "某地")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("浙江 杭州", ("浙江", "杭州", "")),
        ("浙江省杭州市西湖区", ("浙江", "杭州", "西湖区")),
        ("杭州", ("浙江", "杭州", "")),
        ("北京 朝阳区", ("北京", "北京", "朝阳区")),
        ("上海", ("上海", "上海", "")),
    ],
)
def test_parse(text, expected):
    match = regions.parse(text)
    assert match is not None
    assert tuple(match.stored().values()) == expected


def test_every_stored_region_reads_back():
    for province in regions.provinces()[:5]:
        for city in province.children[:3]:
            assert clean_region(province.name, city.name, "")["city"] == city.short


def test_one_region_column_fills_province_and_city(tmp_path, admin_user):
    path = write_csv(
        tmp_path / "c.csv",
        [
            ["客户名称", "地区", "统一社会信用代码"],
            ["杭州甲公司", "浙江 杭州", VALID],
            ["乙公司", "火星 基地", ""],
            ["丙公司", "广东省深圳市南山区", "91110000600037341A"],
        ],
    )
    run = run_file(path, actor=admin_user)

    assert counts(run)[0] == 1
    first = Customer.objects.get(name="杭州甲公司")
    assert (first.province, first.city, first.credit_code) == ("浙江", "杭州", VALID)
    codes = sorted(ImportRowError.objects.values_list("code", flat=True))
    assert codes == ["credit_code_checksum", "invalid_region"]


def test_the_list_filters_by_district(client, am_a):
    CustomerFactory(owner=am_a, name="西湖甲", province="浙江", city="杭州", district="西湖区")
    CustomerFactory(owner=am_a, name="滨江乙", province="浙江", city="杭州", district="滨江区")
    client.force_login(am_a)

    response = client.get("/api/v1/customers", {"province": "浙江", "district": "西湖区"})

    assert [c["name"] for c in response.json()["items"]] == ["西湖甲"]
    assert client.get("/api/v1/customers", {"district": "不存在区"}).status_code == 422


def test_the_cascade_offers_the_cities_of_the_province(client, am_a):
    client.force_login(am_a)
    page = client.get("/regions/cascade/", {"province": "浙江", "city": "深圳"}).content.decode()
    assert '<option value="杭州"' in page
