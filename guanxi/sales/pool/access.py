"""Who may use a pool: its members claim from it, its admins also assign and edit it, and
whoever manages the settings (``permissions.can_manage_settings``) runs every pool. The
role rules stay in ``accounts.permissions``; this module adds the pool's own membership."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.accounts import permissions
from guanxi.core.errors import NotFound
from guanxi.sales.models_pool import Pool, PoolMember

_MEMO = "_gx_pool_roles"


def _roles(actor: Any) -> dict[int, bool]:
    """``{pool id: is admin}`` of the actor's memberships, read once per actor object (the
    navigation asks on every page)."""
    memo = getattr(actor, _MEMO, None)
    if memo is None:
        memo = dict(PoolMember.objects.filter(user_id=actor.pk).values_list("pool_id", "is_admin"))
        with contextlib.suppress(AttributeError):  # an actor object without a __dict__
            setattr(actor, _MEMO, memo)
    return memo


def forget(actor: Any) -> None:
    if hasattr(actor, _MEMO):
        delattr(actor, _MEMO)


def runs_every_pool(actor: Any) -> bool:
    return permissions.can_manage_settings(actor)


def may_use_pools(actor: Any) -> bool:
    """The navigation entry: a member or admin of some pool, or an administrator."""
    if not permissions.is_staff_actor(actor):
        return False
    return runs_every_pool(actor) or bool(_roles(actor))


def may_see_pools(actor: Any) -> bool:
    """The navigation entry and the pool list: the roles that hold customers (who claim from
    a pool once they are made its members), administrators, and members of another role.
    The menu is built on every page: for the first two it is a role rule, no query. Which
    pools a user may open is membership (below)."""
    if not permissions.is_staff_actor(actor):
        return False
    if runs_every_pool(actor) or permissions.holds_customers(getattr(actor, "role", "")):
        return True
    return bool(_roles(actor))


def is_member(actor: Any, pool: Pool) -> bool:
    return permissions.is_staff_actor(actor) and pool.pk in _roles(actor)


def is_admin(actor: Any, pool: Pool) -> bool:
    if not permissions.is_staff_actor(actor):
        return False
    return runs_every_pool(actor) or _roles(actor).get(pool.pk, False)


def visible_pools(actor: Any) -> QuerySet[Pool]:
    if not permissions.is_staff_actor(actor):
        return Pool.objects.none()
    if runs_every_pool(actor):
        return Pool.objects.all()
    return Pool.objects.filter(pk__in=list(_roles(actor)))


def pool_for(actor: Any, pool_id: Any) -> Pool:
    """A pool the actor may use (404 otherwise, the same as a missing one)."""
    try:
        pool = visible_pools(actor).get(pk=pool_id)
    except (Pool.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("公海池不存在。"), field="pool_id") from None
    return pool
