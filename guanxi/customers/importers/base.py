"""What the customer-side import kinds share (customers, contacts, communications, and
the orders of ``guanxi.orders``): the columns that name a customer, finding that customer
for each row and whether the actor may change it, and their timeline entries."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Final

from django.utils.translation import gettext_lazy as _

from guanxi.accounts import permissions
from guanxi.core.db.copy import fast_table
from guanxi.customers.importers.matching import customer_keys, find_customer_matches
from guanxi.customers.models import Customer, TimelineEntry
from guanxi.customers.timeline import TITLE_KEY, TimelineText, kind_info
from guanxi.imports.context import ChunkResult, RunContext
from guanxi.imports.rows import CleanRow
from guanxi.imports.writers import Writer

CUSTOMER_LABEL: Final = "customers.customer"

#: the row errors of ``CustomerRecordWriter.resolve_customers``
CUSTOMER_REF_MESSAGES: Final = {
    "customer_not_found": _("找不到客户“%(value)s”。"),
    "customer_forbidden": _("你无权修改客户“%(value)s”。"),
}


def may_import_records(actor: Any) -> bool:
    """Who may import customers and their records: whoever may create customers."""
    return permissions.can_create_customer(actor)


class CustomerRecordWriter(Writer):
    """A writer of records that belong to a customer: what the actor may do to that
    customer (the system may do everything), and finding it for each row."""

    def can_change(self, customer: Any) -> bool:
        actor = self.ctx.actor
        return actor is None or permissions.can_change_customer(actor, customer)

    def can_log_communication(self, customer: Any) -> bool:
        actor = self.ctx.actor
        return actor is None or permissions.can_log_communication(actor, customer)

    def can_see(self, customer: Any) -> bool:
        actor = self.ctx.actor
        if actor is None:
            return True
        q = permissions.customer_filter(actor)
        if q is None:
            return True
        return bool(type(customer)._default_manager.filter(q, pk=customer.pk).exists())

    def visible_ids(self, customers: dict[int, Any]) -> set[int]:
        """The ids of ``customers`` (id → customer) the actor may see, in one query."""
        actor = self.ctx.actor
        q = None if actor is None else permissions.customer_filter(actor)
        if q is None:
            return set(customers)
        return set(Customer.objects.filter(q, pk__in=list(customers)).values_list("pk", flat=True))

    def can_assign_owner(self) -> bool:
        actor = self.ctx.actor
        return actor is None or permissions.can_assign_owner(actor)

    def can_assign_to(self, owner_id: int) -> bool:
        """Whether the uploader may make ``owner_id`` a customer's account manager (a
        manager: within their department), as ``customer_create``/``customer_update``."""
        actor = self.ctx.actor
        if actor is None or owner_id == actor.pk:
            return True
        return permissions.can_assign_owner_to(
            actor, owner_id=owner_id, team_id=self.ctx.user_teams.get(owner_id)
        )

    def resolve_customers(
        self, rows: list[CleanRow], result: ChunkResult, *, for_communication: bool = False
    ) -> dict[int, Customer]:
        """Row number → the customer the row names (by name or phone), for the rows whose
        customer exists and may be changed by the actor; other rows fail."""
        keys = [
            customer_keys(
                name=r.values.get("customer", ""), phone_key=r.values.get("customer_phone_key", "")
            )
            for r in rows
        ]
        matches = find_customer_matches(keys, include_contacts=True)
        ids = {m.customer_id for m in matches.values()}
        customers = {
            c.pk: c
            for c in Customer.objects.filter(pk__in=ids).only("id", "name", "owner_id", "team_id")
        }
        out: dict[int, Customer] = {}
        allowed: dict[int, bool] = {}
        for i, r in enumerate(rows):
            ref = r.values.get("customer") or r.values.get("customer_phone", "")
            column = (
                self.col("customer") if r.values.get("customer") else self.col("customer_phone")
            )
            m = matches.get(i)
            customer = customers.get(m.customer_id) if m else None
            if customer is None:
                result.fail(r, column, ref, "customer_not_found")
                continue
            if customer.pk not in allowed:
                allowed[customer.pk] = (
                    self.can_log_communication(customer)
                    if for_communication
                    else self.can_change(customer)
                )
            if not allowed[customer.pk]:
                code = "customer_forbidden" if self.can_see(customer) else "customer_not_found"
                result.fail(r, column, ref, code)
                continue
            out[r.row] = customer
        return out


def timeline_row(
    ctx: RunContext,
    *,
    customer_id: int,
    kind: str,
    occurred_at: dt.datetime,
    title: TimelineText,
    subject_model: str,
    subject_id: int,
    body: str = "",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``TimelineEntry`` as a plain row, as ``timeline.timeline_entry`` builds it: the
    title rendered in the importer's language and, in ``data``, its message id and
    parameters, so each reader sees it in their own."""
    check_timeline_kind(kind)
    return {
        "customer_id": customer_id,
        "kind": kind,
        "occurred_at": occurred_at,
        "title": title.render()[:200],
        "body": body,
        "actor_id": ctx.actor_id,
        "subject_model": subject_model,
        "subject_id": str(subject_id),
        "data": {**(data or {}), TITLE_KEY: title.encode()},
    }


@functools.cache
def check_timeline_kind(kind: str) -> None:
    """Registered kinds only (once per kind: comparing the lazy label translates it)."""
    if kind_info(kind).label == kind:
        raise ValueError(f"unregistered timeline kind {kind!r}")


def write_timeline(rows: list[dict[str, Any]]) -> None:
    fast_table(TimelineEntry).insert(rows)
