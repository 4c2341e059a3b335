"""Every write through the API leaves an audit entry (actor, action, old → new, source
"api") for each row it saves or deletes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from guanxi.core.models import AuditEntry
from guanxi.core.testing import assert_writes_audited
from guanxi.customers.bin.services import customers_purge_expired
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import (
    CommunicationFactory,
    ContactFactory,
    CustomerFactory,
    PreferenceFactory,
    ProductFactory,
)
from guanxi.customers.tests.test_api_support import Api, build_scene

pytestmark = pytest.mark.django_db

ORDER = {
    "order_date": "2025-03-01",
    "lines": [{"description": "咨询", "quantity": "2", "unit_price": "50.00"}],
}

# name, method, path, body, audited model, action, a change expected in the entry
WRITES: list[tuple[str, str, str, Any, str, str, tuple[str, list[Any]] | None]] = [
    ("customer_create", "post", "/customers", {"name": "新客户", "tags": ["新标签"]},
     "customers.customer", "create", ("name", [None, "新客户"])),
    ("customer_update", "patch", "/customers/{customer}", {"version": 1, "status": "active"},
     "customers.customer", "update", ("status", ["prospect", "active"])),
    # into the recycle bin: an update of the row, old → new (the purge writes the "delete")
    ("customer_delete", "delete", "/customers/{bare}", {"version": 1}, "customers.customer",
     "update", None),
    ("contact_create", "post", "/customers/{customer}/contacts", {"name": "王五"},
     "customers.contact", "create", ("name", [None, "王五"])),
    ("contact_update", "patch", "/contacts/{contact}", {"version": 1, "title": "总监"},
     "customers.contact", "update", ("title", ["", "总监"])),
    ("contact_delete", "delete", "/contacts/{contact}", {"version": 1}, "customers.contact",
     "delete", None),
    ("preference_create", "post", "/customers/{customer}/preferences",
     {"category": "diet", "key": "茶", "value": "龙井"}, "customers.preference", "create",
     ("value", [None, "龙井"])),
    ("preference_update", "patch", "/preferences/{preference}", {"version": 1, "value": "游泳"},
     "customers.preference", "update", ("value", ["高尔夫", "游泳"])),
    ("preference_delete", "delete", "/preferences/{preference}", {"version": 1},
     "customers.preference", "delete", None),
    ("communication_create", "post", "/customers/{customer}/communications",
     {"channel": "visit", "summary": "拜访"}, "customers.communication", "create",
     ("summary", [None, "拜访"])),
    ("communication_update", "patch", "/communications/{communication}",
     {"version": 1, "follow_up_done": True}, "customers.communication", "update",
     ("follow_up_done", [False, True])),
    ("order_create", "post", "/customers/{customer}/orders", ORDER, "orders.order", "create",
     ("total", [None, "100.00"])),
    ("order_cancel", "post", "/orders/{order}/cancel", {"version": 1}, "orders.order",
     "update", ("status", ["confirmed", "cancelled"])),
    ("product_create", "post", "/products", {"code": "P-NEW", "name": "服务", "unit_price": "9.9"},
     "orders.product", "create", ("code", [None, "P-NEW"])),
    ("product_update", "patch", "/products/{product}", {"version": 1, "unit_price": "120.00"},
     "orders.product", "update", ("unit_price", ["100.00", "120.00"])),
    ("tag_create", "post", "/tags", {"name": "重点"}, "customers.tag", "create",
     ("name", [None, "重点"])),
    ("custom_field_create", "post", "/custom-fields",
     {"key": "employees", "label": "员工数", "field_type": "number"},
     "customers.customfielddefinition", "create", ("key", [None, "employees"])),
]  # fmt: skip
each_write = pytest.mark.parametrize(
    ("name", "method", "path", "body", "model", "action", "change"),
    WRITES,
    ids=[w[0] for w in WRITES],
)


def _scene(admin_user: Any) -> dict[str, int]:
    scene = build_scene(admin_user)
    scene["product"] = ProductFactory(unit_price="100.00").pk
    return scene


def _object_id(response: Any, path: str, scene: dict[str, int]) -> str:
    if response.status_code == 204:
        return path.rstrip("/").split("/")[-1]
    if path.endswith("/cancel"):
        return str(scene["order"])
    return str(response.json()["id"])


@each_write
def test_api_write_is_audited_with_actor_action_change_and_source(
    admin_user, name, method, path, body, model, action, change
):
    scene = _scene(admin_user)
    target = path.format(**scene)

    response = Api(admin_user).call(method, target, body)

    assert response.status_code < 300, response.content
    entry = AuditEntry.objects.get(
        model=model, object_id=_object_id(response, target, scene), action=action
    )
    assert (entry.actor, entry.actor_label, entry.source) == (admin_user, "admin1", "api")
    if change is not None:
        assert entry.changes[change[0]] == change[1]


class TestAuditCoverage:
    """Every row of an audited model saved or deleted by an API write has its own audit
    entry — including rows a write creates or removes on the side (new tags, cascades)."""

    @each_write
    def test_write_audits_every_row_it_touches(
        self, admin_user, name, method, path, body, model, action, change
    ):
        scene = _scene(admin_user)
        api = Api(admin_user)

        with assert_writes_audited() as writes:
            response = api.call(method, path.format(**scene), body)

        assert response.status_code < 300, response.content
        assert writes

    def test_deleting_a_customer_audits_its_cascaded_rows(self, admin_user):
        customer = CustomerFactory(owner=admin_user)
        ContactFactory(customer=customer)
        PreferenceFactory(customer=customer)
        CommunicationFactory(customer=customer)
        api = Api(admin_user)

        with assert_writes_audited() as writes:
            response = api.delete(f"/customers/{customer.pk}", version=customer.version)

        assert response.status_code == 204
        # into the recycle bin: only the customer row changes; the purge deletes (and
        # audits) the cascade — test_recycle_bin.py
        assert [w[0] for w in writes] == ["customers.customer"]
        with assert_writes_audited() as writes:
            Customer.all_objects.filter(pk=customer.pk).update(
                deleted_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
            )
            customers_purge_expired()
        assert sorted(w[0] for w in writes) == [
            "customers.communication",
            "customers.contact",
            "customers.customer",
            "customers.preference",
        ]

    def test_updating_tags_audits_new_tags(self, am_a):
        customer = CustomerFactory(owner=am_a)
        api = Api(am_a)

        with assert_writes_audited() as writes:
            api.patch(f"/customers/{customer.pk}", {"version": 1, "tags": ["全新"]})

        assert ("customers.tag", "create") in {(w[0], w[2]) for w in writes}
