"""The contracts API: the permission matrix, an approved contract's 409, bad input (4xx
naming the field, database unchanged), collections and invoices end to end, aging."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from guanxi.contracts.models import (
    Collection,
    CollectionAllocation,
    Contract,
    Instalment,
    InvoiceRequest,
    InvoiceTitle,
)
from guanxi.contracts.tests.contract_helpers import approved, create, scene_fixture  # noqa: F401
from guanxi.core.models import AuditEntry
from guanxi.customers.models import TimelineEntry
from guanxi.customers.tests.test_api_support import Api, error_fields

pytestmark = pytest.mark.django_db

MODELS = (
    Contract,
    Instalment,
    Collection,
    CollectionAllocation,
    InvoiceTitle,
    InvoiceRequest,
    AuditEntry,
    TimelineEntry,
)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    return {m._meta.label: list(m._default_manager.order_by("pk").values()) for m in MODELS}


def body(customer: Any, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": customer.pk,
        "title": "ERP 实施合同",
        "amount": "120000.00",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        **extra,
    }


def test_create_and_read_a_contract(scene):
    api = Api(scene["seller"])
    response = api.post("/contracts/contracts", body(scene["customer"]))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "draft" and data["amount"] == "120000.00"
    detail = api.get(f"/contracts/contracts/{data['id']}").json()
    assert detail["number"] == data["number"] and detail["instalments"] == []


@pytest.mark.parametrize(
    ("role_user", "status"),
    [("seller", 201), ("director", 201), ("agent", 403), ("outsider", 404)],
)
def test_permission_matrix_for_create(scene, role_user, status):
    response = Api(scene[role_user]).post("/contracts/contracts", body(scene["customer"]))
    assert response.status_code == status, response.content


def test_portal_users_and_agents_cannot_list(scene, portal_user):
    assert Api(portal_user).get("/contracts/contracts").status_code == 403
    assert Api(scene["agent"]).get("/contracts/contracts").status_code == 403


def test_reads_are_scoped(scene):
    contract = create(scene["seller"], scene["customer"])
    assert Api(scene["outsider"]).get(f"/contracts/contracts/{contract.pk}").status_code == 404
    assert Api(scene["outsider"]).get("/contracts/contracts").json()["count"] == 0
    assert Api(scene["director"]).get("/contracts/contracts").json()["count"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-1.00"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"amount": "1e20"}, "amount"),
        ({"end_date": "2025-12-31"}, "end_date"),
        ({"start_date": "2026/01/01"}, "start_date"),
        ({"title": ""}, "title"),
        ({"customer_id": 2**63}, "customer_id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(scene, change, field):
    before = snapshot()
    response = Api(scene["seller"]).post("/contracts/contracts", body(scene["customer"], **change))
    assert 400 <= response.status_code < 500, response.content
    assert field in error_fields(response) or field in str(response.json()), response.json()
    assert snapshot() == before


def test_an_approved_contract_answers_409_on_edit(scene):
    contract = approved(scene)
    before = snapshot()
    response = Api(scene["seller"]).patch(
        f"/contracts/contracts/{contract.pk}", {"version": contract.version, "amount": "1.00"}
    )
    assert response.status_code == 409
    assert response.json()["field"] == "status"
    assert "合同变更" in response.json()["message"]
    assert snapshot() == before


def test_stale_version_is_409(scene):
    contract = create(scene["seller"], scene["customer"])
    response = Api(scene["seller"]).patch(
        f"/contracts/contracts/{contract.pk}", {"version": 7, "title": "新名称"}
    )
    assert response.status_code == 409 and response.json()["field"] == "version"


def test_plan_split_then_submit(scene):
    contract = create(scene["seller"], scene["customer"], "100000.00")
    api = Api(scene["seller"])
    response = api.client.put(
        f"/api/v1/contracts/contracts/{contract.pk}/instalments",
        {"version": 1, "count": 3, "first_due": "2026-02-01"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    amounts = [Decimal(i["amount"]) for i in response.json()]
    assert amounts == [Decimal("33333.33"), Decimal("33333.33"), Decimal("33333.34")]
    submitted = api.post(f"/contracts/contracts/{contract.pk}/submit", {"version": 2})
    assert submitted.status_code == 200 and submitted.json()["status"] == "in_approval"


def test_collection_against_another_teams_contract_is_404_and_unchanged(scene):
    contract = approved(scene)
    before = snapshot()
    response = Api(scene["outsider"]).post(
        f"/contracts/contracts/{contract.pk}/collections",
        {"received_on": "2026-01-05", "amount": "10.00"},
    )
    assert response.status_code == 404 and response.json()["field"] == "contract_id"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"received_on": "2026-01-05", "amount": "120000.01"}, "amount"),
        ({"received_on": "2026-01-05", "amount": "-5.00"}, "amount"),
        ({"received_on": "2026-01-05", "amount": "5.001"}, "amount"),
        ({"received_on": "2026-13-05", "amount": "5.00"}, "received_on"),
        (
            {
                "received_on": "2026-01-05",
                "amount": "5.00",
                "allocations": [{"instalment_id": 999999, "amount": "5.00"}],
            },
            "allocations[0].instalment_id",
        ),
    ],
)
def test_bad_collections_are_refused(scene, payload, field):
    contract = approved(scene)
    before = snapshot()
    response = Api(scene["seller"]).post(f"/contracts/contracts/{contract.pk}/collections", payload)
    assert 400 <= response.status_code < 500
    assert field in error_fields(response) or field in str(response.json()), response.json()
    assert snapshot() == before


def test_collection_and_aging(scene):
    contract = approved(scene, "90000.00", count=3)
    api = Api(scene["seller"])
    response = api.post(
        f"/contracts/contracts/{contract.pk}/collections",
        {"received_on": "2026-01-05", "amount": "40000.00"},
    )
    assert response.status_code == 201, response.content
    assert [a["amount"] for a in response.json()["allocations"]] == ["30000.00", "10000.00"]
    aging = api.get("/contracts/receivables/aging", group_by="owner").json()
    assert aging["totals"]["total"] == "50000.00"
    assert aging["rows"][0]["key"] == scene["seller"].pk
    assert Api(scene["outsider"]).get("/contracts/receivables/aging").json()["rows"] == []


def test_aging_pages_the_groups_and_names_a_bad_limit(scene):
    from guanxi.customers.tests.factories import CustomerFactory

    approved(scene, "3000.00", count=3)
    other = CustomerFactory(name="应收客户乙", owner=scene["seller"], team=scene["sales"])
    approved({**scene, "customer": other}, "1000.00", count=2)
    api = Api(scene["seller"])
    aging = api.get("/contracts/receivables/aging", limit=1).json()
    assert (aging["count"], aging["limit"], aging["offset"]) == (2, 1, 0)
    assert [r["total"] for r in aging["rows"]] == ["3000.00"]
    assert aging["totals"]["total"] == "4000.00"
    second = api.get("/contracts/receivables/aging", limit=1, offset=1).json()
    assert [r["label"] for r in second["rows"]] == ["应收客户乙"]
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}):
        response = api.get("/contracts/receivables/aging", **bad)
        assert response.status_code == 422, bad
        assert any(f.endswith(next(iter(bad))) for f in error_fields(response)), bad


def test_invoice_title_validates_uscc(scene):
    response = Api(scene["seller"]).post(
        f"/contracts/customers/{scene['customer'].pk}/invoice-titles",
        {"name": "上海关系科技有限公司", "tax_id": "91110000600037341X"},
    )
    assert response.status_code == 422 and "tax_id" in error_fields(response)
    assert not InvoiceTitle.objects.exists()


def test_openapi_documents_the_error_answers():
    schema = Api().client.get("/api/v1/openapi.json").json()
    post = schema["paths"]["/api/v1/contracts/contracts/{contract_id}/collections"]["post"]
    assert {"201", "400", "403", "404", "409", "422"} <= set(post["responses"])
