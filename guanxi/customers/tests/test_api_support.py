"""Helpers for the customers API tests (no tests here).

``Api`` is a JSON client authenticated with a bearer token made straight in the database,
so setting the scene leaves no audit rows; ``db_snapshot`` captures every row the API can
write, for asserting that a rejected write changed nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from django.db.models import Model
from django.test import Client
from django.utils import timezone

from guanxi.accounts.models import ApiToken, User
from guanxi.accounts.services import TOKEN_PREFIX, hash_token
from guanxi.core.models import AuditEntry, SecurityEvent
from guanxi.customers.models import (
    Communication,
    Contact,
    Customer,
    CustomerCollaborator,
    CustomFieldDefinition,
    Preference,
    Tag,
    TimelineEntry,
)
from guanxi.customers.tests.factories import (
    CommunicationFactory,
    ContactFactory,
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    PreferenceFactory,
    TimelineEntryFactory,
)
from guanxi.orders.models import Order, OrderLine, Product

BASE = "/api/v1"
WRITABLE_MODELS: tuple[type[Model], ...] = (
    Customer,
    Customer.tags.through,
    Contact,
    Preference,
    Communication,
    CustomerCollaborator,
    Order,
    OrderLine,
    Product,
    Tag,
    CustomFieldDefinition,
    TimelineEntry,
    AuditEntry,
    SecurityEvent,
)


def make_token(user: User, *, expires_at: dt.datetime | None = None) -> str:
    """A token row written directly (no audit); ``last_used_at`` is recent so using the
    token does not write, which keeps query counts stable."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        name="test",
        prefix=raw[:10],
        key_hash=hash_token(raw),
        expires_at=expires_at,
        last_used_at=timezone.now(),
    )
    return raw


class Api:
    """``Api(user).get("/customers", q="hw")`` → the response; paths are under /api/v1."""

    def __init__(self, user: User | None = None, *, token: str | None = None) -> None:
        if token is None and user is not None:
            token = make_token(user)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = Client(headers=headers)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(BASE + path, params)

    def post(self, path: str, body: Any = None, *, raw: bytes | None = None) -> Any:
        return self._send("post", path, body, raw)

    def patch(self, path: str, body: Any = None, *, raw: bytes | None = None) -> Any:
        return self._send("patch", path, body, raw)

    def delete(self, path: str, **params: Any) -> Any:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return self.client.delete(BASE + path + (f"?{query}" if query else ""))

    def call(self, method: str, path: str, body: Any = None) -> Any:
        if method == "get":
            return self.get(path)
        if method == "delete":
            return self.delete(path, **(body or {}))
        return self._send(method, path, body, None)

    def _send(self, method: str, path: str, body: Any, raw: bytes | None) -> Any:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return getattr(self.client, method)(BASE + path, data, content_type="application/json")


def db_snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table the customers API writes to, in primary-key order (API
    tokens are left out: ``Api(user)`` makes one)."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in WRITABLE_MODELS
    }


def error_fields(response: Any) -> list[str]:
    """The fields an error response names (422 lists, 4xx single field)."""
    body = response.json()
    if "errors" in body:
        return [e["field"] for e in body["errors"]]
    return [body["field"]] if body.get("field") else []


def build_scene(owner: User) -> dict[str, int]:
    """Customers of ``owner`` with one of each child row, written straight to the database.
    ``bare`` has no orders, so it can be deleted."""
    main = CustomerFactory(owner=owner)
    order = OrderFactory(customer=main)
    OrderLineFactory(order=order)
    TimelineEntryFactory(customer=main)
    return {
        "customer": main.pk,
        "bare": CustomerFactory(owner=owner).pk,
        "contact": ContactFactory(customer=main).pk,
        "preference": PreferenceFactory(customer=main).pk,
        "communication": CommunicationFactory(customer=main).pk,
        "order": order.pk,
    }
