"""The API's error answers: every operation documents them in the OpenAPI document (one
error schema), every answer is JSON in that shape, and the schema means what it says
(``27024.0`` is an integer; a number is not a date)."""

from __future__ import annotations

import importlib
import json
import typing
from typing import Any

import pytest
from django.test import override_settings
from pydantic import BaseModel

from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.customers.tests.test_api_support import Api, db_snapshot

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture
def openapi(client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(openapi: dict[str, Any]):
    for path, item in openapi["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _expected(method: str, operation: dict[str, Any]) -> set[str]:
    places = {p["in"] for p in operation.get("parameters", [])}
    expected = {"401", "403"}
    if places or "requestBody" in operation:
        expected.add("422")
    if "path" in places:
        expected.add("404")
    if method in WRITES:
        expected |= {"400", "404", "409", "422"}
    if "requestBody" in operation:
        expected |= {"400", "413"}
    return expected


def test_every_operation_documents_its_error_answers(openapi):
    missing = {
        f"{method.upper()} {path}": sorted(_expected(method, op) - set(op["responses"]))
        for path, method, op in _operations(openapi)
    }
    missing = {name: statuses for name, statuses in missing.items() if statuses}
    assert not missing, missing
    assert sum(1 for _ in _operations(openapi)) >= 79


def test_every_error_answer_has_the_error_body(openapi):
    """``ErrorOut`` (``core.api.errors``), or a narrower schema of the same shape."""
    components = openapi["components"]["schemas"]
    wrong = []
    for path, method, op in _operations(openapi):
        for status, answer in op["responses"].items():
            if not status.startswith("4"):
                continue
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            ref = schema.get("$ref", "").removeprefix("#/components/schemas/")
            if not {"code", "message"} <= set(components.get(ref, {}).get("required", [])):
                wrong.append((method.upper(), path, status, schema))
    assert not wrong, wrong[:10]
    error = openapi["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) == {"code", "message"}
    assert {"field", "errors"} <= set(error["properties"])


def _models(annotation: Any, seen: dict[str, set[type]]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found = seen.setdefault(annotation.__name__, set())
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            _models(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models(arg, seen)


def test_no_two_schemas_share_a_component_name():
    """The OpenAPI document names a component after its class: two classes of one name
    (``PreferenceOut`` of customers and of notifications) silently become one, and the
    answers of one of them are documented with the other's fields."""
    # Imported by name: the API root sits above every app (the layer contract).
    api = importlib.import_module("config.api").api

    seen: dict[str, set[type]] = {}
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for operation in path_view.operations:
                for model in operation.signature.models:
                    _models(model, seen)
                for model in operation.response_models.values():
                    if isinstance(model, type):
                        _models(model, seen)
    generated = {"NinjaResponseSchema", "BodyParams", "QueryParams", "PathParams"}
    clashes = {
        name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
        for name, classes in seen.items()
        if len(classes) > 1 and name not in generated and not name.endswith("Params")
    }
    assert not clashes, clashes


# --- the answers themselves ----------------------------------------------------------------


def test_version_given_as_an_integral_float_is_the_integer(am_a):
    """JSON Schema (and so the OpenAPI document) counts 27024.0 as an integer."""
    customer = CustomerFactory(owner=am_a)

    response = Api(am_a).patch(
        f"/customers/{customer.pk}", {"name": "新名称有限公司", "version": float(customer.version)}
    )

    assert response.status_code == 200, response.content
    assert Customer.objects.get(pk=customer.pk).name == "新名称有限公司"


@pytest.mark.parametrize("version", [1.5, "1", True, 1e300, -1.0], ids=repr)
def test_version_that_is_not_an_integer_in_range_is_422(am_a, version):
    customer = CustomerFactory(owner=am_a)
    before = db_snapshot()

    response = Api(am_a).patch(f"/customers/{customer.pk}", {"name": "新名称", "version": version})

    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["version"]
    assert db_snapshot() == before


@pytest.mark.parametrize("birthday", [0, 20240101, "20240101", True, "2024/01/01"], ids=repr)
def test_a_date_that_is_not_an_iso_date_string_is_422(am_a, birthday):
    customer = CustomerFactory(owner=am_a)
    before = db_snapshot()

    response = Api(am_a).post(
        f"/customers/{customer.pk}/contacts", {"name": "张三", "birthday": birthday}
    )

    assert response.status_code == 422, response.content
    assert "birthday" in [e["field"] for e in response.json()["errors"]]
    assert db_snapshot() == before


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_a_body_over_the_upload_limit_is_a_json_413(am_a):
    before = db_snapshot()

    response = Api(am_a).post("/customers", raw=json.dumps({"name": "x" * 4096}).encode())

    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "too_large"
    assert db_snapshot() == before


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048, DEBUG=True)
def test_a_body_over_the_upload_limit_is_a_json_413_with_debug_on(am_a):
    response = Api(am_a).post("/customers", raw=json.dumps({"name": "x" * 4096}).encode())

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_the_413_message_is_in_the_callers_language(am_a):
    api = Api(am_a)
    response = api.client.post(
        "/api/v1/customers",
        json.dumps({"name": "x" * 4096}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 413
    assert "too large" in response.json()["message"].lower()
