"""Issue 10 item 28: the contacts and communications list pages — scoped to the reader's
customers, filtered (search, account manager, kind/channel, dates), sortable, paged, in
the menu for the roles that read them — with export buttons whose file holds exactly the
rows the page shows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.customers import selectors
from guanxi.customers.models import Communication, Contact
from guanxi.customers.tests.factories import (
    CommunicationFactory,
    ContactFactory,
    CustomerFactory,
)
from guanxi.imports.exporting import export_queryset

pytestmark = pytest.mark.django_db

CONTACTS = reverse("customers:contact_list")
COMMUNICATIONS = reverse("customers:communication_list")


def _at(day: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T10:00"))


@pytest.fixture
def scene(am_a, am_a2, am_b):
    mine = CustomerFactory(name="杭州甲公司", owner=am_a, kind="enterprise")
    person = CustomerFactory(name="张三", owner=am_a, kind="individual")
    colleague = CustomerFactory(name="宁波丙公司", owner=am_a2)
    theirs = CustomerFactory(name="深圳乙公司", owner=am_b)
    contacts = {
        "li": ContactFactory(customer=mine, name="李娜", mobile="13800138000",
                             mobile_key="13800138000", email="li@jia.cn"),
        "zhang": ContactFactory(customer=person, name="张三本人"),
        "wang": ContactFactory(customer=colleague, name="王强"),
        "zhao": ContactFactory(customer=theirs, name="赵敏"),
    }  # fmt: skip
    comms = {
        "jan": CommunicationFactory(customer=mine, occurred_at=_at("2025-01-05"),
                                    summary="一月报价", channel="phone"),
        "mar": CommunicationFactory(customer=mine, occurred_at=_at("2025-03-05"),
                                    summary="三月拜访", channel="visit"),
        "feb": CommunicationFactory(customer=colleague, occurred_at=_at("2025-02-05"),
                                    summary="二月微信", channel="wechat"),
        "theirs": CommunicationFactory(customer=theirs, occurred_at=_at("2025-02-01"),
                                       summary="乙方电话", channel="phone"),
    }  # fmt: skip
    return {"mine": mine, "person": person, "colleague": colleague, "theirs": theirs,
            **contacts, **comms}  # fmt: skip


def _contact_names(html: str) -> list[str]:
    return re.findall(r'class="fw-semibold text-decoration-none"[^>]*>([^<]+)</a>', html)


def _summaries(html: str) -> list[str]:
    return re.findall(r'<td class="gx-name-cell">([^<]+)</td>', html)


def _export_link(html: str, key: str) -> str:
    match = re.search(rf'id="export-{key}-csv" href="([^"]+)"', html)
    assert match is not None, "no export button"
    return match.group(1).replace("&amp;", "&")


def _csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


# --- contacts -------------------------------------------------------------------------------


def test_contacts_are_scoped_to_the_readers_customers(client, am_a, manager_a, admin_user, scene):
    for user, expected in (
        (am_a, {"李娜", "张三本人"}),
        (manager_a, {"李娜", "张三本人", "王强"}),
        (admin_user, {"李娜", "张三本人", "王强", "赵敏"}),
    ):
        client.force_login(user)
        response = client.get(CONTACTS)
        assert response.status_code == 200
        assert set(_contact_names(response.content.decode())) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "李"}, ["李娜"]),
        ({"q": "甲公司"}, ["李娜"]),  # the customer's name
        ({"q": "138 0013"}, ["李娜"]),  # a number, written any way
        ({"q": "LI@JIA"}, ["李娜"]),
        ({"kind": "individual"}, ["张三本人"]),
        ({"sort": "-name"}, ["赵敏", "王强", "李娜", "张三本人"]),
    ],
)
def test_contact_filters_and_sort(client, admin_user, scene, params, expected):
    client.force_login(admin_user)
    html = client.get(CONTACTS, params).content.decode()
    names = _contact_names(html)
    assert names == expected if "sort" in params else sorted(names) == sorted(expected)


def test_contact_owner_filter_lists_the_account_managers_customers(client, manager_a, scene):
    client.force_login(manager_a)
    html = client.get(CONTACTS, {"owner": scene["colleague"].owner_id}).content.decode()
    assert _contact_names(html) == ["王强"]


def test_bad_contact_filters_are_named_at_once_never_a_500(client, am_a, scene):
    client.force_login(am_a)
    response = client.get(
        CONTACTS, {"owner": str(2**70), "kind": "robot", "sort": "x", "q": "长" * 101}
    )
    assert response.status_code == 400
    errors = response.content.decode().split('id="filter-errors"')[1]
    for label in ("客户经理", "客户类型", "排序", "搜索"):
        assert label in errors


def test_contacts_htmx_answers_only_the_results(client, am_a, scene):
    client.force_login(am_a)
    response = client.get(CONTACTS, {"q": "李"}, HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="contact-results")  # fmt: skip
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="contact-results"')
    assert "<form" not in html and _contact_names(html) == ["李娜"]


def test_contacts_page_in_english(client, am_a, scene):
    client.force_login(am_a)
    html = client.get(CONTACTS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 contacts" in html and "Contacts" in html


def test_contacts_paging(client, admin_user):
    customer = CustomerFactory(name="大客户")
    for n in range(55):
        ContactFactory(customer=customer, name=f"联系人{n:02d}")
    client.force_login(admin_user)
    first = client.get(CONTACTS, {"sort": "name"}).content.decode()
    second = client.get(CONTACTS, {"sort": "name", "page": 2}).content.decode()
    assert len(_contact_names(first)) == 50 and len(_contact_names(second)) == 5
    assert "共 55 位联系人" in first and _contact_names(second)[0] == "联系人50"


def test_contacts_query_count_is_pinned(client, django_assert_max_num_queries, admin_user):
    for n in range(60):
        ContactFactory(name=f"联系人{n:02d}")
    client.force_login(admin_user)
    client.get(CONTACTS)  # warm the session and the menu's caches
    # session + user, the page with its customers, the capped count, the owner choices,
    # what the menu reads: the same however many contacts
    with django_assert_max_num_queries(7):
        response = client.get(CONTACTS, {"page": 2})
    assert response.status_code == 200
    with django_assert_max_num_queries(5):  # the results only (search while typing)
        client.get(CONTACTS, {"page": 2}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="contact-results")


def test_contact_export_holds_exactly_the_filtered_rows(client, manager_a, scene):
    client.force_login(manager_a)
    html = client.get(CONTACTS, {"q": "王"}).content.decode()
    link = _export_link(html, "contacts")
    assert "q=" in link
    rows = _csv(client.get(link))
    assert [row["姓名"] for row in rows] == ["王强"]


def test_account_managers_see_no_export_button(client, am_a, scene):
    client.force_login(am_a)
    assert 'id="export-contacts' not in client.get(CONTACTS).content.decode()


def test_contact_export_refuses_a_bad_filter_naming_it(client, manager_a, scene):
    client.force_login(manager_a)
    response = client.get(
        reverse("imports:export"), {"list": "contacts", "format": "csv", "owner": str(2**70)}
    )
    assert response.status_code == 400
    assert reverse("customers:contact_list") in response.content.decode()


# --- communications ---------------------------------------------------------------------------


def test_communications_are_scoped_newest_first(client, am_a, manager_a, scene):
    client.force_login(am_a)
    assert _summaries(client.get(COMMUNICATIONS).content.decode()) == ["三月拜访", "一月报价"]
    client.force_login(manager_a)
    html = client.get(COMMUNICATIONS).content.decode()
    assert _summaries(html) == ["三月拜访", "二月微信", "一月报价"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"date_from": "2025-02-05", "date_to": "2025-03-05"}, ["三月拜访", "二月微信"]),
        ({"date_to": "2025-01-05"}, ["一月报价"]),  # inclusive
        ({"kind": "wechat"}, ["二月微信"]),
        ({"q": "报价"}, ["一月报价"]),
        ({"q": "宁波"}, ["二月微信"]),  # the customer's name
        ({"sort": "occurred"}, ["一月报价", "二月微信", "三月拜访"]),
    ],
)
def test_communication_filters_and_sort(client, manager_a, scene, params, expected):
    client.force_login(manager_a)
    assert _summaries(client.get(COMMUNICATIONS, params).content.decode()) == expected


@pytest.mark.parametrize(
    ("params", "label"),
    [
        ({"date_from": "2025-03-01", "date_to": "2025-01-01"}, "结束日期"),
        ({"date_from": "0001-01-01"}, "开始日期"),
        ({"date_to": "9999-12-31"}, "结束日期"),
        ({"date_from": "明天"}, "开始日期"),
        ({"kind": "pigeon"}, "渠道"),
        ({"owner": "-1"}, "客户经理"),
    ],
)
def test_bad_communication_filters_are_named(client, am_a, scene, params, label):
    client.force_login(am_a)
    response = client.get(COMMUNICATIONS, params)
    assert response.status_code == 400
    assert label in response.content.decode().split('id="filter-errors"')[1]


def test_communications_query_count_is_pinned(client, django_assert_max_num_queries, admin_user):
    for n in range(60):
        CommunicationFactory(summary=f"沟通{n}", contact=None)
    client.force_login(admin_user)
    client.get(COMMUNICATIONS)
    with django_assert_max_num_queries(7):
        response = client.get(COMMUNICATIONS, {"page": 2})
    assert response.status_code == 200


def test_communication_export_holds_exactly_the_filtered_rows(client, manager_a, scene):
    client.force_login(manager_a)
    params = {"date_from": "2025-02-01", "kind": "visit"}
    html = client.get(COMMUNICATIONS, params).content.decode()
    rows = _csv(client.get(_export_link(html, "communications")))
    assert [row["摘要"] for row in rows] == ["三月拜访"]


# --- the menu -----------------------------------------------------------------------------------


def test_menu_has_both_lists_for_staff_and_marks_the_open_one(client, agent, scene):
    client.force_login(agent)
    html = client.get(CONTACTS).content.decode()
    assert 'id="nav-contacts" aria-current="page"' in html
    assert 'id="nav-communications"' in html
    assert 'id="nav-customers" aria-current' not in html


def test_portal_users_neither_see_nor_open_the_lists(client, portal_user):
    client.force_login(portal_user)
    for url in (CONTACTS, COMMUNICATIONS):
        assert client.get(url).status_code in (302, 403)


# --- the invariant: the export is the list ------------------------------------------------------

# The scene is set once per test; each example only reads it.
EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
QUERIES = st.sampled_from(["", "李", "公司", "138", "王", "li@", "报价", "微信"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=QUERIES,
    kind=st.sampled_from(["", "enterprise", "individual"]),
    sort=st.sampled_from(["", *selectors.CONTACT_SORTS]),
    owner=st.booleans(),
)
def test_contact_export_rows_are_the_list_rows_within_scope(manager_a, scene, q, kind, sort, owner):
    params = {"q": q, "kind": kind, "sort": sort}
    if owner:
        params["owner"] = str(scene["mine"].owner_id)
    filters = selectors.validate_contact_filters(params)
    listed = selectors.contact_list(actor=manager_a, filters=filters, page=1, size=200)
    exported = export_queryset(actor=manager_a, kind="contacts", params=params)
    assert [c.pk for c in listed.items] == list(exported.values_list("pk", flat=True))
    visible = set(selectors.scoped_contacts(actor=manager_a).values_list("pk", flat=True))
    assert {c.pk for c in listed.items} <= visible
    assert scene["zhao"].pk not in visible  # another department's contact


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=QUERIES,
    kind=st.sampled_from(["", "phone", "visit", "wechat"]),
    start=st.dates(dt.date(2024, 12, 1), dt.date(2025, 4, 1)),
    days=st.integers(0, 120),
)
def test_communication_export_rows_are_the_list_rows_in_the_date_range(
    manager_a, scene, q, kind, start, days
):
    end = start + dt.timedelta(days=days)
    params = {"q": q, "kind": kind, "date_from": start.isoformat(), "date_to": end.isoformat()}
    filters = selectors.validate_communication_filters(params)
    listed = selectors.communication_list(actor=manager_a, filters=filters, page=1, size=200)
    exported = export_queryset(actor=manager_a, kind="communications", params=params)
    assert [c.pk for c in listed.items] == list(exported.values_list("pk", flat=True))
    for comm in listed.items:
        assert start <= timezone.localdate(comm.occurred_at) <= end
    expected = {
        c.pk
        for c in Communication.objects.filter(customer__team=manager_a.team)
        if start <= timezone.localdate(c.occurred_at) <= end
        and (not kind or c.channel == kind)
        and (not q or q in c.summary or q in c.customer.name)
    }
    assert {c.pk for c in listed.items} == expected
    assert Contact.objects.exists()
