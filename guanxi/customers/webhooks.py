"""The customer events sent to webhook subscribers, and their payloads (a public contract:
add fields, never rename or drop one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from guanxi.core import audit
from guanxi.customers.models import Customer

CREATED = "customer.created"
UPDATED = "customer.updated"
MERGED = "customer.merged"

PAYLOAD_FIELDS = (
    "id",
    "kind",
    "name",
    "industry",
    "size",
    "province",
    "city",
    "address",
    "source",
    "status",
    "since",
    "phone",
    "email",
    "website",
    "owner_id",
    "team_id",
    "custom_fields",
    "version",
    "created_at",
    "updated_at",
)


def register() -> None:
    from guanxi.webhooks.events import Event, register_event

    register_event(
        Event(
            key=CREATED,
            label=_("新建客户"),
            description=_("data.customer：新客户的字段。"),
        )
    )
    register_event(
        Event(
            key=UPDATED,
            label=_("修改客户"),
            description=_("data.customer：修改后的字段；data.changes：{字段: [旧值, 新值]}。"),
        )
    )
    register_event(
        Event(
            key=MERGED,
            label=_("合并客户"),
            description=_(
                "data.survivor：保留的客户；data.merged_id：被合并（已删除）的客户编号；"
                "data.merge_id：合并记录编号。"
            ),
        )
    )


def customer_payload(customer: Customer) -> dict[str, Any]:
    return {name: audit._plain(getattr(customer, name)) for name in PAYLOAD_FIELDS}


def created_payload(customer: Customer) -> dict[str, Any]:
    return {"customer": customer_payload(customer)}


def updated_payload(customer: Customer, changes: Mapping[str, Any]) -> dict[str, Any]:
    return {"customer": customer_payload(customer), "changes": dict(changes)}


def merged_payload(survivor: Customer, *, merged_id: int, merge_id: int) -> dict[str, Any]:
    return {
        "survivor": customer_payload(survivor),
        "merged_id": merged_id,
        "merge_id": merge_id,
    }
