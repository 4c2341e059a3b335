"""The customer resource: list (filters, search, sort, pagination), detail, create, update,
delete; stale versions; pinned query counts."""

from __future__ import annotations

import datetime as dt

import pytest

from guanxi.core.models import AuditEntry
from guanxi.customers import services
from guanxi.customers.models import Customer, Tag
from guanxi.customers.tests.factories import CustomerFactory, OrderFactory
from guanxi.customers.tests.test_api_support import Api, build_scene, db_snapshot, error_fields

pytestmark = pytest.mark.django_db


def _names(response) -> list[str]:
    return [c["name"] for c in response.json()["items"]]


# --- list ------------------------------------------------------------------------------


def test_list_answers_a_page_with_count(am_a):
    for name in ("甲公司", "乙公司", "丙公司"):
        CustomerFactory(owner=am_a, name=name)

    body = Api(am_a).get("/customers", limit=2, offset=0).json()

    assert (body["count"], body["count_capped"], body["limit"], body["offset"]) == (3, False, 2, 0)
    assert len(body["items"]) == 2


def test_list_offset_returns_the_rest(am_a):
    for name in ("a1", "a2", "a3"):
        CustomerFactory(owner=am_a, name=name)

    response = Api(am_a).get("/customers", sort="name", limit=2, offset=2)

    assert _names(response) == ["a3"]
    assert response.json()["count"] == 3


def test_list_item_shape(am_a):
    customer = CustomerFactory(owner=am_a, name="华为技术有限公司", province="广东", city="深圳")
    customer.tags.set([Tag.objects.create(name="重点"), Tag.objects.create(name="华南")])

    item = Api(am_a).get("/customers").json()["items"][0]

    assert item == {
        "id": customer.pk,
        "kind": "enterprise",
        "name": "华为技术有限公司",
        "province": "广东",
        "city": "深圳",
        "status": "prospect",
        "since": "2024-01-01",
        "phone": "",
        "email": "",
        "owner": {"id": am_a.pk, "username": "am_a", "display_name": am_a.display_name},
        "team_id": am_a.team_id,
        "tags": ["华南", "重点"],
        "created_at": item["created_at"],
        "version": 1,
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "active"}, ["活跃客户"]),
        ({"kind": "government"}, ["政府客户"]),
        ({"province": "浙江"}, ["浙江客户"]),
        ({"city": "杭州"}, ["浙江客户"]),
        ({"tag": "重点"}, ["活跃客户"]),
    ],
    ids=["status", "kind", "province", "city", "tag"],
)
def test_list_filters(am_a, params, expected):
    active = CustomerFactory(owner=am_a, name="活跃客户", status="active")
    active.tags.set([Tag.objects.create(name="重点")])
    CustomerFactory(owner=am_a, name="政府客户", kind="government")
    CustomerFactory(owner=am_a, name="浙江客户", province="浙江", city="杭州")

    assert _names(Api(am_a).get("/customers", **params)) == expected


def test_list_filters_by_owner_and_team(admin_user, am_a, am_b):
    CustomerFactory(owner=am_a, name="甲")
    CustomerFactory(owner=am_b, name="乙")
    api = Api(admin_user)

    assert _names(api.get("/customers", owner=am_b.pk)) == ["乙"]
    assert _names(api.get("/customers", team=am_a.team_id)) == ["甲"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("name", ["a", "b", "c"]), ("-name", ["c", "b", "a"]), ("since", ["c", "a", "b"])],
)
def test_list_sorts(am_a, sort, expected):
    CustomerFactory(owner=am_a, name="b", since=dt.date(2024, 3, 1))
    CustomerFactory(owner=am_a, name="a", since=dt.date(2024, 2, 1))
    CustomerFactory(owner=am_a, name="c", since=dt.date(2024, 1, 1))

    assert _names(Api(am_a).get("/customers", sort=sort)) == expected


def test_list_reports_a_capped_count(am_a):
    Customer.objects.bulk_create(
        Customer(name=f"c{i}", owner=am_a, team=am_a.team) for i in range(10_001)
    )

    body = Api(am_a).get("/customers", limit=1).json()

    assert (body["count"], body["count_capped"]) == (10_000, True)


# --- search ----------------------------------------------------------------------------


@pytest.fixture
def huawei(am_a):
    services.customer_create(actor=am_a, data={"name": "中兴通讯股份有限公司"})
    return services.customer_create(
        actor=am_a, data={"name": "华为技术有限公司", "phone": "13800138000"}
    )


@pytest.mark.parametrize("q", ["hw", "huawei", "HuaWei", "华为"])
def test_search_finds_by_name_pinyin_and_initials(am_a, huawei, q):
    assert _names(Api(am_a).get("/customers", q=q)) == ["华为技术有限公司"]


@pytest.mark.parametrize("q", ["+86-138 0013 8000", "138-0013-8000", "13800138000"])
def test_search_finds_phone_in_any_format(am_a, huawei, q):
    assert _names(Api(am_a).get("/customers", q=q)) == ["华为技术有限公司"]


def test_search_finds_customer_by_contact_mobile(am_a, huawei):
    services.contact_create(
        actor=am_a, customer_id=huawei.pk, data={"name": "张三", "mobile": "139 1234 5678"}
    )

    assert _names(Api(am_a).get("/customers", q="+86 13912345678")) == ["华为技术有限公司"]


def test_search_finds_by_email(am_a):
    services.customer_create(actor=am_a, data={"name": "阿里巴巴", "email": "BD@alibaba.com"})

    assert _names(Api(am_a).get("/customers", q="bd@alibaba.com")) == ["阿里巴巴"]


def test_search_does_not_reach_other_peoples_customers(am_a, am_b):
    services.customer_create(actor=am_b, data={"name": "华为技术有限公司"})

    assert Api(am_a).get("/customers", q="hw").json()["items"] == []


# --- detail ----------------------------------------------------------------------------


def test_detail_shape(am_a):
    customer = services.customer_create(
        actor=am_a,
        data={"name": "华为技术有限公司", "industry": "通信", "phone": "13800138000"},
        tags=["重点"],
    )

    body = Api(am_a).get(f"/customers/{customer.pk}").json()

    assert {k: body[k] for k in ("id", "name", "industry", "phone", "tags", "version")} == {
        "id": customer.pk,
        "name": "华为技术有限公司",
        "industry": "通信",
        "phone": "13800138000",
        "tags": ["重点"],
        "version": 1,
    }
    assert body["owner"]["id"] == am_a.pk
    assert body["team"] == {"id": am_a.team_id, "name": am_a.team.name}
    assert body["custom_fields"] == {}


def test_detail_of_nonexistent_customer_is_404(am_a):
    response = Api(am_a).get("/customers/999999")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- create ----------------------------------------------------------------------------


def test_create_answers_201_with_the_customer(am_a):
    response = Api(am_a).post(
        "/customers", {"name": "腾讯科技", "status": "active", "tags": ["互联网"]}
    )

    assert response.status_code == 201
    body = response.json()
    customer = Customer.objects.get()
    assert (body["id"], body["name"], body["status"], body["tags"]) == (
        customer.pk,
        "腾讯科技",
        "active",
        ["互联网"],
    )
    assert customer.owner == am_a


def test_create_by_manager_may_assign_a_teammate(manager_a, am_a2):
    response = Api(manager_a).post("/customers", {"name": "腾讯科技", "owner_id": am_a2.pk})

    assert response.status_code == 201
    assert Customer.objects.get().owner == am_a2


def test_create_is_audited_with_source_api(am_a):
    Api(am_a).post("/customers", {"name": "腾讯科技"})

    entry = AuditEntry.objects.get(model="customers.customer")
    assert (entry.actor, entry.action, entry.source) == (am_a, "create", "api")
    assert entry.changes["name"] == [None, "腾讯科技"]


# --- update ----------------------------------------------------------------------------


def test_update_changes_only_the_fields_sent(am_a):
    customer = CustomerFactory(owner=am_a, name="旧名", city="北京")

    response = Api(am_a).patch(f"/customers/{customer.pk}", {"version": 1, "name": "新名"})

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.name, customer.city, customer.version) == ("新名", "北京", 2)
    assert response.json()["version"] == 2


def test_update_is_audited_old_to_new_with_source_api(am_a):
    customer = CustomerFactory(owner=am_a, status="prospect")

    Api(am_a).patch(f"/customers/{customer.pk}", {"version": 1, "status": "active"})

    entry = AuditEntry.objects.get(model="customers.customer", action="update")
    assert (entry.actor, entry.source, entry.object_id) == (am_a, "api", str(customer.pk))
    assert entry.changes == {"status": ["prospect", "active"]}


def test_update_replaces_tags(am_a):
    customer = CustomerFactory(owner=am_a)
    customer.tags.set([Tag.objects.create(name="旧")])

    body = Api(am_a).patch(f"/customers/{customer.pk}", {"version": 1, "tags": ["新"]}).json()

    assert body["tags"] == ["新"]


def test_update_with_stale_version_is_409_naming_version(am_a):
    customer = CustomerFactory(owner=am_a, version=3)
    before = db_snapshot()

    response = Api(am_a).patch(f"/customers/{customer.pk}", {"version": 2, "name": "新名"})

    assert response.status_code == 409
    assert (response.json()["code"], response.json()["field"]) == ("conflict", "version")
    assert db_snapshot() == before


def test_update_without_version_is_422_naming_version(am_a):
    customer = CustomerFactory(owner=am_a)
    before = db_snapshot()

    response = Api(am_a).patch(f"/customers/{customer.pk}", {"name": "新名"})

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "version", "message": "必须填写。"}]
    assert db_snapshot() == before


def test_second_writer_with_the_same_version_gets_409(am_a, manager_a):
    customer = CustomerFactory(owner=am_a)
    Api(am_a).patch(f"/customers/{customer.pk}", {"version": 1, "city": "上海"})
    before = db_snapshot()

    response = Api(manager_a).patch(f"/customers/{customer.pk}", {"version": 1, "city": "深圳"})

    assert response.status_code == 409
    assert db_snapshot() == before


def test_admin_reassigning_owner_moves_the_customer_to_the_new_team(admin_user, am_a, team_b):
    from guanxi.accounts.tests.factories import UserFactory

    other = UserFactory(username="am_x", team=team_b)
    customer = CustomerFactory(owner=am_a)

    response = Api(admin_user).patch(
        f"/customers/{customer.pk}", {"version": 1, "owner_id": other.pk}
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.owner_id, customer.team_id) == (other.pk, team_b.pk)


def test_a_manager_cannot_give_a_customer_to_another_department(manager_a, am_a, team_b):
    from guanxi.accounts.tests.factories import UserFactory

    other = UserFactory(username="am_x", team=team_b)
    customer = CustomerFactory(owner=am_a)
    before = db_snapshot()

    response = Api(manager_a).patch(
        f"/customers/{customer.pk}", {"version": 1, "owner_id": other.pk}
    )

    assert (response.status_code, response.json()["field"]) == (403, "owner_id")
    assert db_snapshot() == before


# --- delete ----------------------------------------------------------------------------


def test_delete_answers_204_and_moves_the_customer_to_the_bin(am_a):
    customer = CustomerFactory(owner=am_a)

    response = Api(am_a).delete(f"/customers/{customer.pk}", version=1)

    assert response.status_code == 204
    assert not Customer.objects.exists()  # gone from every list …
    assert Customer.all_objects.get(pk=customer.pk).deleted_by == am_a  # … but restorable
    entry = AuditEntry.objects.get(action="update", object_id=str(customer.pk))
    assert (entry.model, entry.source) == ("customers.customer", "api")
    assert entry.changes["deleted_at"][0] is None and entry.changes["deleted_at"][1]


def test_delete_with_stale_version_is_409(am_a):
    customer = CustomerFactory(owner=am_a, version=2)
    before = db_snapshot()

    response = Api(am_a).delete(f"/customers/{customer.pk}", version=1)

    assert (response.status_code, response.json()["field"]) == (409, "version")
    assert db_snapshot() == before


@pytest.mark.parametrize(
    "path", ["/customers/{customer}", "/contacts/{contact}", "/preferences/{preference}"]
)
def test_delete_without_a_version_is_refused_and_deletes_nothing(am_a, path):
    scene = build_scene(am_a)
    before = db_snapshot()

    response = Api(am_a).delete(path.format(**{**scene, "customer": scene["bare"]}))

    assert response.status_code == 422
    assert error_fields(response) == ["version"]
    assert db_snapshot() == before


def test_delete_takes_the_version_from_if_match(am_a):
    customer = CustomerFactory(owner=am_a, version=3)
    api = Api(am_a)

    stale = api.client.delete(f"/api/v1/customers/{customer.pk}", headers={"If-Match": '"2"'})
    assert (stale.status_code, stale.json()["field"]) == (409, "version")
    assert Customer.objects.filter(pk=customer.pk).exists()

    bad = api.client.delete(f"/api/v1/customers/{customer.pk}", headers={"If-Match": "*"})
    assert (bad.status_code, error_fields(bad)) == (422, ["version"])

    done = api.client.delete(f"/api/v1/customers/{customer.pk}", headers={"If-Match": 'W/"3"'})
    assert done.status_code == 204
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_delete_of_customer_with_orders_is_409(am_a):
    customer = CustomerFactory(owner=am_a)
    OrderFactory(customer=customer)
    before = db_snapshot()

    response = Api(am_a).delete(f"/customers/{customer.pk}", version=1)

    assert (response.status_code, response.json()["field"]) == (409, "orders")
    assert db_snapshot() == before


# --- query counts ----------------------------------------------------------------------

# Token lookup (1) + page of customers with owners (1) + their tags (1). A full page adds
# the capped count (1). None of these grows with the number of rows. + 1 for an actor who
# does not read every customer: the ids shared with them (团队成员), read once and ORed
# into the scope only when there are any — a subquery in the OR would cost the
# (owner, …)/(team, …) index scans. (The role's levels come with the token's user row.)
LIST_QUERIES = 4
LIST_FULL_PAGE_QUERIES = 5
# Token lookup (1) + customer with owner and team (1) + its tags (1).
DETAIL_QUERIES = 3


def _customers_with_tags(owner, n: int) -> list[Customer]:
    tags = [Tag.objects.create(name=f"标签{i}") for i in range(3)]
    customers = [CustomerFactory(owner=owner) for _ in range(n)]
    for customer in customers:
        customer.tags.set(tags[:2])
    return customers


@pytest.mark.parametrize("n", [3, 30])
def test_list_query_count_is_fixed(am_a, django_assert_num_queries, n):
    _customers_with_tags(am_a, n)
    api = Api(am_a)

    with django_assert_num_queries(LIST_QUERIES):
        response = api.get("/customers", limit=200)

    assert len(response.json()["items"]) == n


@pytest.mark.parametrize("n", [3, 30])
def test_list_query_count_of_a_full_page_is_fixed(am_a, django_assert_num_queries, n):
    _customers_with_tags(am_a, n)
    api = Api(am_a)

    with django_assert_num_queries(LIST_FULL_PAGE_QUERIES):
        response = api.get("/customers", limit=2)

    assert response.json()["count"] == n


@pytest.mark.parametrize("n", [3, 30])
def test_detail_query_count_is_fixed(am_a, django_assert_num_queries, n):
    customer = _customers_with_tags(am_a, n)[0]
    api = Api(am_a)

    with django_assert_num_queries(DETAIL_QUERIES):
        response = api.get(f"/customers/{customer.pk}")

    assert response.status_code == 200


# --- auth channels ---------------------------------------------------------------------


def test_session_auth_reads_the_list(client, am_a):
    CustomerFactory(owner=am_a, name="甲")
    client.force_login(am_a)

    response = client.get("/api/v1/customers")

    assert [c["name"] for c in response.json()["items"]] == ["甲"]


def test_session_write_is_audited_with_source_api(client, am_a):
    client.force_login(am_a)

    client.post("/api/v1/customers", {"name": "甲"}, content_type="application/json")

    assert AuditEntry.objects.get(model="customers.customer").source == "api"


def test_audit_source_does_not_leak_into_later_writes_outside_the_api(am_a):
    Api(am_a).post("/customers", {"name": "经 API"})

    services.customer_create(actor=am_a, data={"name": "经网页"})

    entry = AuditEntry.objects.get(model="customers.customer", changes__name=[None, "经网页"])
    assert entry.source == "ui"
