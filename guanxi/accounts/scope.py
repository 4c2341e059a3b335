"""Record-level access: the one place that decides which customers an actor may see or change.

- admin: every customer;
- manager: the customers of their team;
- account manager: the customers they own;
- service agent: every customer, read only (the service desk answers any caller), and may log
  communications;
- project manager / project member: their team's customers, read only;
- portal users and inactive users: nothing on the staff side.

Everything reading customer data (UI, API, search, export, reports) filters through
``customers_for``; everything writing asks ``can_change_customer``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, Q, QuerySet

from guanxi.accounts.models import Role

if TYPE_CHECKING:
    from guanxi.accounts.models import User

M = TypeVar("M", bound=Model)

READ_ALL_ROLES = frozenset({Role.ADMIN, Role.SERVICE_AGENT})
TEAM_ROLES = frozenset({Role.MANAGER, Role.PROJECT_MANAGER, Role.PROJECT_MEMBER})


def is_staff_actor(actor: Any) -> bool:
    return bool(
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and actor.is_active
        and (actor.is_superuser or actor.role != Role.PORTAL)
    )


def customer_filter(actor: Any, prefix: str = "") -> Q | None:
    """A Q selecting the customers ``actor`` may read (``prefix`` for related lookups,
    e.g. ``"customer__"``); ``None`` means no restriction. Raises nothing: an actor with no
    access gets a Q that matches nothing."""
    if not is_staff_actor(actor):
        return Q(pk__in=[])
    if actor.is_superuser or actor.role in READ_ALL_ROLES:
        return None
    if actor.role in TEAM_ROLES:
        if actor.team_id is None:
            return Q(**{f"{prefix}owner_id": actor.pk})
        # A customer's team always follows its owner's (services keep it so), so the team
        # covers the actor's own customers; an OR here would defeat the (team, …) indexes.
        return Q(**{f"{prefix}team_id": actor.team_id})
    return Q(**{f"{prefix}owner_id": actor.pk})


def scope_customers(actor: Any, qs: QuerySet[M]) -> QuerySet[M]:
    q = customer_filter(actor)
    return qs if q is None else qs.filter(q)


def scope_by_customer(actor: Any, qs: QuerySet[M], prefix: str = "customer__") -> QuerySet[M]:
    """Scope a queryset of customer-owned rows (contacts, orders, …)."""
    q = customer_filter(actor, prefix)
    return qs if q is None else qs.filter(q)


def can_change_customer(actor: Any, customer: Any) -> bool:
    if not is_staff_actor(actor):
        return False
    if actor.is_superuser or actor.role == Role.ADMIN:
        return True
    if actor.role == Role.MANAGER:
        return bool(customer.team_id == actor.team_id and actor.team_id) or (
            customer.owner_id == actor.pk
        )
    if actor.role == Role.ACCOUNT_MANAGER:
        return bool(customer.owner_id == actor.pk)
    return False


def can_log_communication(actor: Any, customer: Any) -> bool:
    return can_change_customer(actor, customer) or (
        is_staff_actor(actor) and actor.role == Role.SERVICE_AGENT
    )


def can_assign_owner(actor: Any) -> bool:
    return is_staff_actor(actor) and (
        actor.is_superuser or actor.role in {Role.ADMIN, Role.MANAGER}
    )


def can_manage_settings(actor: Any) -> bool:
    """Custom field definitions, products, tags, users and teams."""
    return is_staff_actor(actor) and (actor.is_superuser or actor.role == Role.ADMIN)


def can_create_customer(actor: Any) -> bool:
    return is_staff_actor(actor) and (
        actor.is_superuser or actor.role in {Role.ADMIN, Role.MANAGER, Role.ACCOUNT_MANAGER}
    )


def users_visible_to(actor: User, qs: QuerySet[M]) -> QuerySet[M]:
    if not is_staff_actor(actor):
        return qs.none()
    return qs.exclude(role=Role.PORTAL).filter(is_active=True)


def can_export(actor: Any) -> bool:
    """Exporting lists to files (a bulk copy of customer data leaving the system): admins
    and managers."""
    return is_staff_actor(actor) and (
        actor.is_superuser or actor.role in {Role.ADMIN, Role.MANAGER}
    )
