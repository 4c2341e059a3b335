"""The OpenAPI document and the interactive docs; schema choices in step with the models."""

from __future__ import annotations

import typing

import pytest

from guanxi.customers import schemas
from guanxi.customers.models import (
    Channel,
    CollaboratorAccess,
    CompanySize,
    CustomerKind,
    CustomerSource,
    CustomerStatus,
    CustomFieldType,
    Direction,
    PreferenceCategory,
    PreferredChannel,
)
from guanxi.customers.selectors import SORTS
from guanxi.orders.models import OrderStatus

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/v1/customers": {"get", "post"},
    "/api/v1/customers/{customer_id}": {"get", "patch", "delete"},
    "/api/v1/customers/{customer_id}/summary": {"get"},
    "/api/v1/customers/{customer_id}/timeline": {"get"},
    "/api/v1/customers/{customer_id}/history": {"get"},
    "/api/v1/customers/{customer_id}/contacts": {"get", "post"},
    "/api/v1/customers/{customer_id}/collaborators": {"get", "post"},
    "/api/v1/customers/{customer_id}/collaborators/{user_id}": {"delete"},
    "/api/v1/contacts/{contact_id}": {"get", "patch", "delete"},
    "/api/v1/customers/{customer_id}/preferences": {"get", "post"},
    "/api/v1/preferences/{preference_id}": {"get", "patch", "delete"},
    "/api/v1/customers/{customer_id}/communications": {"get", "post"},
    "/api/v1/communications/{communication_id}": {"get", "patch"},
    "/api/v1/customers/{customer_id}/orders": {"get", "post"},
    "/api/v1/orders": {"get"},
    "/api/v1/orders/{order_id}": {"get"},
    "/api/v1/orders/{order_id}/cancel": {"post"},
    "/api/v1/products": {"get", "post"},
    "/api/v1/products/{product_id}": {"get", "patch"},
    "/api/v1/tags": {"get", "post"},
    "/api/v1/custom-fields": {"get", "post"},
    "/api/v1/accounts/me": {"get"},
    "/api/v1/accounts/tokens": {"get", "post"},
    "/api/v1/accounts/tokens/{token_id}": {"delete"},
}


@pytest.fixture
def openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_openapi_lists_every_path_and_method(openapi):
    paths = {path: set(ops) for path, ops in openapi["paths"].items() if path in PATHS}

    assert paths == PATHS


def test_openapi_lists_allowed_values_of_choice_fields(openapi):
    status = openapi["components"]["schemas"]["CustomerCreateIn"]["properties"]["status"]

    assert status["enum"] == ["prospect", "active", "dormant", "lost"]


def test_openapi_shows_money_as_string(openapi):
    total = openapi["components"]["schemas"]["OrderOut"]["properties"]["total"]

    assert total["type"] == "string"


def test_openapi_carries_length_limits(openapi):
    name = openapi["components"]["schemas"]["CustomerCreateIn"]["properties"]["name"]

    assert (name["minLength"], name["maxLength"]) == (1, 200)


def test_docs_page_loads(client):
    assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.parametrize(
    ("literal", "choices", "blank"),
    [
        (schemas.CustomerKindValue, CustomerKind, False),
        (schemas.CustomerStatusValue, CustomerStatus, False),
        (schemas.CompanySizeValue, CompanySize, True),
        (schemas.CustomerSourceValue, CustomerSource, True),
        (schemas.PreferredChannelValue, PreferredChannel, True),
        (schemas.PreferenceCategoryValue, PreferenceCategory, False),
        (schemas.ChannelValue, Channel, False),
        (schemas.DirectionValue, Direction, False),
        (schemas.OrderStatusValue, OrderStatus, False),
        (schemas.CustomFieldTypeValue, CustomFieldType, False),
        (schemas.CollaboratorAccessValue, CollaboratorAccess, False),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_schema_choices_match_the_model(literal, choices, blank):
    expected = set(choices.values) | ({""} if blank else set())

    assert set(typing.get_args(literal)) == expected


def test_schema_sorts_match_the_selector():
    assert set(typing.get_args(schemas.CustomerSortValue)) == set(SORTS)
