"""``/customers/{id}/collaborators``: list, add, remove; errors name the field; a customer
out of scope is 404; nothing is written by a refused request."""

from __future__ import annotations

import pytest

from guanxi.customers.models import CustomerCollaborator
from guanxi.customers.tests.factories import CustomerCollaboratorFactory, CustomerFactory
from guanxi.customers.tests.test_api_support import Api, db_snapshot, error_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(am_a):
    return CustomerFactory(owner=am_a)


def test_add_then_list_then_remove(am_a, am_b, customer):
    api = Api(am_a)

    added = api.post(f"/customers/{customer.pk}/collaborators", {"user_id": am_b.pk,
                                                                 "access": "write"})  # fmt: skip
    listed = api.get(f"/customers/{customer.pk}/collaborators").json()
    removed = api.delete(f"/customers/{customer.pk}/collaborators/{am_b.pk}")

    assert added.status_code == 201, added.content
    body = added.json()
    assert (body["user"]["id"], body["access"], body["added_by_id"]) == (am_b.pk, "write", am_a.pk)
    assert listed["count"] == 1
    assert listed["items"][0]["user"]["username"] == "am_b"
    assert removed.status_code == 204
    assert not CustomerCollaborator.objects.exists()


def test_access_defaults_to_read(am_a, am_b, customer):
    body = Api(am_a).post(f"/customers/{customer.pk}/collaborators", {"user_id": am_b.pk}).json()
    assert body["access"] == "read"


def test_the_collaborator_then_reads_it_through_the_api(am_a, am_b, customer):
    api_b = Api(am_b)
    assert api_b.get(f"/customers/{customer.pk}").status_code == 404
    CustomerCollaboratorFactory(customer=customer, user=am_b)

    assert api_b.get(f"/customers/{customer.pk}").status_code == 200
    assert [c["id"] for c in api_b.get("/customers").json()["items"]] == [customer.pk]
    patch = api_b.patch(f"/customers/{customer.pk}", {"version": 1, "notes": "x"})
    assert patch.status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"user_id": 10**9}, 422, "user_id"),
        ({"user_id": "abc"}, 422, "user_id"),
        ({"user_id": 0}, 422, "user_id"),
        ({}, 422, "user_id"),
        ({"user_id": "OWNER"}, 422, "user_id"),
        ({"user_id": "PORTAL"}, 422, "user_id"),
        ({"user_id": "B", "access": "admin"}, 422, "access"),
        ({"user_id": "B", "extra": 1}, 422, "extra"),
        ({"user_id": "SHARED"}, 409, "user_id"),
    ],
    ids=[
        "missing-user",
        "text",
        "zero",
        "absent",
        "owner",
        "portal",
        "access",
        "unknown",
        "twice",
    ],
)
def test_bad_adds_name_the_field_and_write_nothing(
    am_a, am_b, am_a2, portal_user, customer, body, status, field
):
    CustomerCollaboratorFactory(customer=customer, user=am_a2)
    ids = {"OWNER": am_a.pk, "PORTAL": portal_user.pk, "B": am_b.pk, "SHARED": am_a2.pk}
    body = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    before = db_snapshot()

    response = Api(am_a).post(f"/customers/{customer.pk}/collaborators", body)

    assert response.status_code == status, response.content
    assert field in error_fields(response)
    assert db_snapshot() == before


def test_removing_a_user_not_shared_with_is_404_on_user_id(am_a, am_b, customer):
    response = Api(am_a).delete(f"/customers/{customer.pk}/collaborators/{am_b.pk}")
    assert (response.status_code, response.json()["field"]) == (404, "user_id")


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("post", "", {"user_id": "B"}),
        ("delete", "/B", None),
    ],
    ids=["list", "add", "remove"],
)
def test_a_customer_out_of_scope_is_404_like_a_missing_one(am_a, am_b, am_a2, method, suffix, body):
    hidden = CustomerFactory(owner=am_a2)
    CustomerCollaboratorFactory(customer=hidden, user=am_b)
    if body:
        body = {"user_id": am_b.pk}
    suffix = suffix.replace("B", str(am_b.pk))
    before = db_snapshot()
    api = Api(am_a)

    out_of_scope = api.call(method, f"/customers/{hidden.pk}/collaborators{suffix}", body)
    missing = api.call(method, f"/customers/{10**9}/collaborators{suffix}", body)

    assert out_of_scope.status_code == 404
    assert (out_of_scope.status_code, out_of_scope.json()) == (missing.status_code, missing.json())
    assert db_snapshot() == before


@pytest.mark.parametrize("who", ["agent", "reader"])
def test_who_sees_but_may_not_change_gets_403(am_a, am_b, agent, customer, who):
    actor = agent
    if who == "reader":
        CustomerCollaboratorFactory(customer=customer, user=am_b, access="read")
        actor = am_b
    before = db_snapshot()
    api = Api(actor)

    assert api.get(f"/customers/{customer.pk}/collaborators").status_code == 200
    add = api.post(f"/customers/{customer.pk}/collaborators", {"user_id": am_b.pk})
    remove = api.delete(f"/customers/{customer.pk}/collaborators/{am_b.pk}")

    assert (add.status_code, remove.status_code) == (403, 403)
    assert db_snapshot() == before


def test_portal_user_gets_403(portal_user, am_b, customer):
    before = db_snapshot()
    api = Api(portal_user)
    for method, suffix, body in [("get", "", None), ("post", "", {"user_id": am_b.pk}),
                                 ("delete", f"/{am_b.pk}", None)]:  # fmt: skip
        assert (
            api.call(method, f"/customers/{customer.pk}/collaborators{suffix}", body).status_code
            == 403
        )
    assert db_snapshot() == before


def test_openapi_documents_the_collaborator_schemas(client):
    doc = client.get("/api/v1/openapi.json").json()
    body = doc["components"]["schemas"]["CollaboratorIn"]
    assert body["properties"]["access"]["enum"] == ["read", "write"]
    assert "user_id" in body["required"]
    assert set(doc["components"]["schemas"]["CollaboratorOut"]["properties"]) == {
        "user", "access", "added_by_id", "created_at"
    }  # fmt: skip
