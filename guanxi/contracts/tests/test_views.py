"""The contract pages: scoped, read-only once approved, errors on the form, receivables
with its chart data, the 360 panel, the "my day" card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from guanxi.contracts.models import Collection, Contract
from guanxi.contracts.tests.contract_helpers import approved, create, scene_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_list_shows_only_the_readers_contracts(client, scene):
    mine = create(scene["seller"], scene["customer"])
    client.force_login(scene["outsider"])
    assert mine.number not in client.get(reverse("contracts:list")).content.decode()
    client.force_login(scene["seller"])
    assert mine.number in client.get(reverse("contracts:list")).content.decode()


def test_service_agent_gets_403(client, scene):
    client.force_login(scene["agent"])
    assert client.get(reverse("contracts:list")).status_code == 403


def test_new_contract_form_names_the_bad_field(client, scene):
    client.force_login(scene["seller"])
    response = client.post(reverse("contracts:new"), {
        "customer": scene["customer"].pk, "title": "合同", "amount": "100.00",
        "start_date": "2026-02-01", "end_date": "2026-01-01",
    })  # fmt: skip
    assert response.status_code == 422
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert not Contract.objects.exists()


def test_approved_contract_page_is_read_only(client, scene):
    contract = approved(scene)
    client.force_login(scene["seller"])
    page = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert 'id="contract-locked"' in page
    assert 'id="contract-edit"' not in page and 'id="plan-form"' not in page
    assert 'id="collection-form"' in page
    response = client.post(reverse("contracts:edit", args=[contract.pk]), {
        "version": contract.version, "title": "改", "amount": "1.00",
        "start_date": "2026-01-01", "end_date": "2026-12-31",
    })  # fmt: skip
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.amount != 1


def test_collection_form_refuses_over_collection(client, scene):
    contract = approved(scene, "1000.00", count=2)
    client.force_login(scene["seller"])
    response = client.post(reverse("contracts:collect", args=[contract.pk]), {
        "received_on": "2026-01-05", "amount": "1000.01", "method": "transfer",
    })  # fmt: skip
    assert response.status_code == 422
    assert "预收款" in response.content.decode()
    assert not Collection.objects.exists()


def test_receivables_page_has_the_chart_data(client, scene):
    approved(scene, "3000.00", count=3, first_due=dt.date(2020, 1, 1))
    client.force_login(scene["seller"])
    page = client.get(reverse("contracts:receivables")).content.decode()
    assert 'id="gx-aging-data"' in page and "echarts.min.js" in page
    assert "3,000.00" in page or "3000.00" in page


def test_customer_360_shows_contracts_and_collected_percent(client, scene):
    contract = approved(scene, "1000.00", count=2)
    from guanxi.contracts.services.collections import collection_create

    collection_create(actor=scene["seller"], contract_id=contract.pk,
                      data={"amount": "250.00", "received_on": "2026-01-02"})  # fmt: skip
    client.force_login(scene["seller"])
    page = client.get(scene["customer"].get_absolute_url()).content.decode()
    assert contract.number in page
    assert 'id="customer-collected-percent">25.0%' in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_contract_pages_show_money_one_way(client, scene, language):
    """¥, thousands separators and two places on every contract page, in both languages
    (the ``money`` filter of ``core``)."""
    contract = approved(scene, "1234567.80", count=3, first_due=dt.date(2020, 1, 1))
    client.force_login(scene["seller"])

    def get(url: str) -> str:
        return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    detail = get(reverse("contracts:detail", args=[contract.pk]))
    assert 'id="contract-amount">¥1,234,567.80<' in detail
    assert "¥411,522.60" in detail  # an instalment
    assert "¥1,234,567.80" in get(reverse("contracts:list"))
    assert 'id="customer-receivable">¥1,234,567.80<' in get(scene["customer"].get_absolute_url())
    receivables = get(reverse("contracts:receivables"))
    # the heading's total, the row's 90+ bucket and total, the footer's 90+ bucket and total
    assert receivables.count("¥1,234,567.80") == 5
    assert "¥0.00" in receivables  # an empty bucket


@pytest.mark.parametrize("group_by", ["customer", "owner", "team"])
def test_the_aging_reads_a_fixed_number_of_queries(scene, group_by, django_assert_num_queries):
    """The summary's day, then by customer one query (the names come with the sums), else
    one more for the names; as many with three customers as with one."""
    from guanxi.contracts.selectors import receivables_aging
    from guanxi.customers.tests.factories import CustomerFactory

    seller = scene["seller"]
    approved(scene, "3000.00", count=3, first_due=dt.date(2020, 1, 1))
    receivables_aging(actor=seller, group_by=group_by)  # warm the actor's scope
    with django_assert_num_queries(2 if group_by == "customer" else 3) as one:
        assert len(receivables_aging(actor=seller, group_by=group_by)) == 1
    for n in range(2):
        customer = CustomerFactory(name=f"应收客户{n}", owner=seller, team=scene["sales"])
        approved({**scene, "customer": customer}, "1000.00", count=2)
    with django_assert_num_queries(len(one.captured_queries)):
        rows = receivables_aging(actor=seller, group_by=group_by)
    if group_by == "customer":
        names = {"上海关系科技有限公司", "应收客户0", "应收客户1"}
        assert {r.label for r in rows} == names
    else:
        assert [r.label for r in rows] == [str(seller) if group_by == "owner" else "华东销售部"]
    assert sum(r.total for r in rows) == 5000


@pytest.mark.parametrize("group_by", ["customer", "owner", "team"])
def test_the_aging_page_is_two_queries_largest_first(scene, group_by, django_assert_num_queries):
    """The summary's day, the grouped scan (with the totals and count of all groups) and the
    page's names: three queries however many groups; the page holds the largest open
    amounts, the totals all."""
    from guanxi.contracts.selectors import aging_page
    from guanxi.customers.tests.factories import CustomerFactory

    seller = scene["seller"]
    approved(scene, "3000.00", count=3, first_due=dt.date(2020, 1, 1))
    aging_page(actor=seller, group_by=group_by)  # warm the actor's scope
    with django_assert_num_queries(3):
        page = aging_page(actor=seller, group_by=group_by)
    assert page.count == len(page.rows) == 1
    for n, amount in enumerate(["1000.00", "5000.00"]):
        customer = CustomerFactory(name=f"应收客户{n}", owner=seller, team=scene["sales"])
        approved({**scene, "customer": customer}, amount, count=2)
    with django_assert_num_queries(3):
        page = aging_page(actor=seller, group_by=group_by, limit=2)
    assert page.total == 9000 and sum(page.totals.values()) == 9000
    if group_by == "customer":
        assert page.count == 3
        assert [(r.label, r.total) for r in page.rows] == [
            ("应收客户1", 5000),
            ("上海关系科技有限公司", 3000),
        ]
        rest = aging_page(actor=seller, group_by=group_by, limit=2, offset=2)
        assert [(r.label, r.total) for r in rest.rows] == [("应收客户0", 1000)]
        assert rest.totals == page.totals and rest.count == 3
    else:
        assert page.count == 1 and [r.total for r in page.rows] == [9000]
    past = aging_page(actor=seller, group_by=group_by, offset=10)
    assert past.rows == [] and past.totals == page.totals and past.count == page.count
    assert aging_page(actor=scene["outsider"], group_by=group_by).count == 0


def test_receivables_page_names_how_many_groups_it_shows(client, scene, monkeypatch):
    from guanxi.contracts import views
    from guanxi.customers.tests.factories import CustomerFactory

    approved(scene, "3000.00", count=3, first_due=dt.date(2020, 1, 1))
    customer = CustomerFactory(name="应收客户甲", owner=scene["seller"], team=scene["sales"])
    approved({**scene, "customer": customer}, "1000.00", count=2)
    client.force_login(scene["seller"])

    def aging_table() -> str:
        page = client.get(reverse("contracts:receivables")).content.decode()
        return page.split('id="aging-table"')[1].split('id="overdue-table"')[0]

    table = aging_table()
    assert 'id="aging-shown"' not in table and "应收客户甲" in table
    monkeypatch.setattr(views, "AGING_ROWS", 1)
    table = aging_table()
    assert 'id="aging-shown"' in table and "应收客户甲" not in table  # the smaller one
    assert table.count("¥4,000.00") == 2  # the footer (90+ and total) sums both
    client.cookies["django_language"] = "en"
    page = client.get(reverse("contracts:receivables")).content.decode()
    assert "Showing the 1 largest open amounts of 2" in page
