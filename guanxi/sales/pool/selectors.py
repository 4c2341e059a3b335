"""Reads of the public pool, scoped by the actor: the pools they may use, the customers in
one (name and basic fields; contact details masked until claimed when the pool says so),
its history, and a customer's pool state for the 360 page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDenied
from guanxi.customers.models import Customer
from guanxi.sales.models_pool import Pool, PoolCustomer, PoolEvent, PoolMember
from guanxi.sales.pool import access

MAX_QUERY = 100
# The fields a member sees of a customer still in the pool.
BASIC_FIELDS = ("id", "name", "kind", "industry", "size", "province", "city", "district",
                "status", "source", "version")  # fmt: skip
CONTACT_FIELDS = ("phone", "email", "address", "website")


def pools(*, actor: Any) -> QuerySet[Pool]:
    return (
        access.visible_pools(actor)
        .annotate(pooled=Count("pooled_customers"))
        .order_by("order", "id")
    )


def pool_get(*, actor: Any, pool_id: Any) -> Pool:
    return access.pool_for(actor, pool_id)


def pool_members(*, actor: Any, pool: Pool) -> QuerySet[PoolMember]:
    """Who belongs to ``pool`` (its admins and whoever runs every pool may see it)."""
    if not access.is_admin(actor, pool):
        raise PermissionDenied(_("只有公海池管理员可以查看成员。"))
    members = PoolMember.objects.filter(pool=pool).select_related("user")
    return members.order_by("user__username", "id")


def pool_customers(*, actor: Any, pool: Pool, q: str = "") -> QuerySet[Customer]:
    """The customers in ``pool``, most recently returned first (``pool_customer_idx``)."""
    qs = (
        Customer.objects.filter(pool_state__pool=pool)
        .select_related("pool_state", "pool_state__previous_owner")
        .only(
            *BASIC_FIELDS,
            *CONTACT_FIELDS,
            "pool_state__returned_at",
            "pool_state__previous_owner__display_name",
            "pool_state__previous_owner__username",
            "pool_state__pool_id",
            "pool_state__locked",
        )
        .order_by("-pool_state__returned_at", "-id")
    )
    text = (q or "").strip()[:MAX_QUERY]
    if text:
        lowered = text.lower()
        qs = qs.filter(
            Q(name__icontains=text)
            | Q(name_pinyin__startswith=lowered)
            | Q(name_initials__startswith=lowered)
        )
    return qs


def pool_history(*, actor: Any, pool: Pool) -> QuerySet[PoolEvent]:
    return (
        PoolEvent.objects.filter(pool=pool)
        .select_related("customer", "actor", "owner", "previous_owner")
        .order_by("-at", "-id")
    )


def mask(value: str) -> str:
    """``13812345678`` → ``138****5678``; ``li@example.com`` → ``l***@example.com``."""
    if not value:
        return ""
    if "@" in value:
        name, _at, domain = value.partition("@")
        return f"{name[:1]}***@{domain}"
    if len(value) <= 4:
        return "*" * len(value)
    keep = 3 if len(value) >= 7 else 1
    return f"{value[:keep]}****{value[-4:]}" if len(value) > 8 else f"{value[:keep]}****"


@dataclass(frozen=True)
class PooledCustomer:
    """A pooled customer as a member sees it."""

    customer: Customer
    masked: bool

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.customer, name)
        if name in CONTACT_FIELDS and self.masked:
            return "" if name in ("address", "website") else mask(value)
        return value


def as_seen(pool: Pool, customers: list[Customer]) -> list[PooledCustomer]:
    return [PooledCustomer(c, masked=pool.mask_contacts) for c in customers]


def customer_pool_state(*, customer: Customer) -> PoolCustomer | None:
    return (
        PoolCustomer.objects.select_related("pool", "previous_owner")
        .filter(customer=customer)
        .first()
    )


def returnable_pools(*, actor: Any) -> list[Pool]:
    return list(access.visible_pools(actor).filter(active=True).order_by("order", "id"))
